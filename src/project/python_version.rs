//! `.python-version` parsing: which line uv uses and what kind of interpreter request it is.
//!
//! uv reads the file line by line, skips blank lines and lines starting with `#`, and parses each
//! remaining line as a Python request. Since uv 0.7 requests that are plain names (pyenv-virtualenv
//! names such as `myproject-env`) are ignored, so the request that counts is the first line uv does
//! not ignore.

use std::fmt;

use crate::text::{Spanned, TextRange};

use super::{PythonVersion, PythonVersionFile, SourceFile};

/// What a `.python-version` line (or `--python` value) asks uv for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PythonRequest {
    /// `any`, `default`, `python`, `cpython`: no constraint at all.
    Any,
    /// A CPython version, possibly partial, pre-release or a variant build.
    CPython(CPythonRequest),
    /// A PEP 440 range such as `>=3.11,<3.13`; any interpreter inside it qualifies.
    Specifiers(String),
    /// Another implementation, such as `pypy@3.10` or `graalpy`.
    OtherImplementation(String),
    /// A path to an interpreter or an installation (`/usr/bin/python3`, `./.venv`).
    Path(String),
    /// Anything else (a virtualenv name, a typo); uv ignores these in version files since 0.7.
    Unsupported(String),
}

/// A CPython version request such as `3`, `3.12`, `3.12.7`, `3.13t` or `3.14.0rc1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CPythonRequest {
    pub major: u64,
    pub minor: Option<u64>,
    pub patch: Option<u64>,
    /// The pre-release suffix as written, lowercased (`rc1`, `a3`).
    pub prerelease: Option<String>,
    /// `3.13t` or `3.13+freethreaded`.
    pub free_threaded: bool,
    /// `3.12d` or `3.12+debug`.
    pub debug: bool,
}

impl CPythonRequest {
    /// The request as a [`PythonVersion`]; `None` for a major-only request such as `3`.
    ///
    /// A pre-release keeps its release numbers (`3.14.0rc1` gives 3.14.0): rules that compare the
    /// minor version against a base image still work, and [`CPythonRequest::prerelease`] tells
    /// the cases apart where the exact build matters.
    pub fn version(&self) -> Option<PythonVersion> {
        let minor = self.minor?;
        Some(PythonVersion { major: self.major, minor, patch: self.patch })
    }
}

impl PythonRequest {
    /// True when uv drops this request while reading a version file.
    pub fn is_ignored_by_uv(&self) -> bool {
        matches!(self, PythonRequest::Unsupported(_))
    }

    /// The CPython version this request pins, when it pins one down to the minor version.
    pub fn cpython_version(&self) -> Option<PythonVersion> {
        match self {
            PythonRequest::CPython(request) => request.version(),
            _ => None,
        }
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(patch) => write!(f, "{}.{}.{}", self.major, self.minor, patch),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

impl PythonVersion {
    /// The version as a PEP 440 version, for checks against `requires-python`.
    /// A minor-only version compares as `X.Y` (which PEP 440 treats as `X.Y.0`).
    pub fn to_pep440(self) -> pep440_rs::Version {
        let mut release = vec![self.major, self.minor];
        if let Some(patch) = self.patch {
            release.push(patch);
        }
        pep440_rs::Version::new(release)
    }
}

impl PythonVersionFile {
    /// The request uv uses, classified.
    pub fn parsed_request(&self) -> Option<PythonRequest> {
        self.request.as_ref().map(|request| parse_python_request(&request.value))
    }
}

/// Parses the text of a `.python-version` (or `.python-versions`) file.
pub fn parse_python_version_file(file: SourceFile) -> PythonVersionFile {
    let request = select_request(&file.text);
    let version = request.as_ref().and_then(|request| parse_python_request(&request.value).cpython_version());
    PythonVersionFile { file, request, version }
}

/// Picks the line uv would use: the first request uv does not ignore, else the first request
/// line at all (so a rule can still point at a virtualenv name that uv skips).
fn select_request(text: &str) -> Option<Spanned<String>> {
    let mut first = None;
    for (start, line) in super::lines_with_offsets(text) {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let leading = line.len() - line.trim_start().len();
        let range = TextRange::new(start + leading, start + leading + trimmed.len());
        let spanned = Spanned::new(trimmed.to_owned(), range);
        if !parse_python_request(trimmed).is_ignored_by_uv() {
            return Some(spanned);
        }
        if first.is_none() {
            first = Some(spanned);
        }
    }
    first
}

/// Classifies a Python request the way uv reads `--python` values and version files.
pub fn parse_python_request(text: &str) -> PythonRequest {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    if matches!(lower.as_str(), "any" | "default" | "python" | "cpython" | "cp") {
        return PythonRequest::Any;
    }
    // Specifiers first: `~=3.12` must not be taken for a path under the home folder.
    if lower.starts_with(['<', '>', '=', '!']) || lower.starts_with("~=") || lower.contains(',') {
        return PythonRequest::Specifiers(text.to_owned());
    }
    if lower.starts_with(['/', '.', '~']) || lower.contains(['/', '\\']) {
        return PythonRequest::Path(text.to_owned());
    }
    if let Some(request) = parse_cpython_version(&lower) {
        return PythonRequest::CPython(request);
    }
    // Longer names first, so `cpython` is not read as `cp` followed by `ython`.
    const IMPLEMENTATIONS: [(&str, bool); 8] = [
        ("cpython", true),
        ("graalpy", false),
        ("pyodide", false),
        ("python", true),
        ("pypy", false),
        ("cp", true),
        ("pp", false),
        ("gp", false),
    ];
    for (name, is_cpython) in IMPLEMENTATIONS {
        let Some(rest) = lower.strip_prefix(name) else {
            continue;
        };
        let rest = rest.strip_prefix(['@', '-']).unwrap_or(rest);
        if rest.is_empty() {
            return match is_cpython {
                true => PythonRequest::Any,
                false => PythonRequest::OtherImplementation(text.to_owned()),
            };
        }
        // A full download key (`cpython-3.12.7-linux-x86_64-gnu`) carries the version first.
        let version_part = rest.split('-').next().unwrap_or(rest);
        let Some(request) = parse_cpython_version(version_part) else {
            continue;
        };
        return match is_cpython {
            true => PythonRequest::CPython(request),
            false => PythonRequest::OtherImplementation(text.to_owned()),
        };
    }
    PythonRequest::Unsupported(text.to_owned())
}

/// Parses `3`, `3.12`, `3.12.7`, `312`, with an optional pre-release (`3.14.0rc1`) and variant
/// (`3.13t`, `3.13d`, `3.13td`, `3.13+freethreaded`, `3.13+debug`, `3.13+gil`). Expects lowercase.
fn parse_cpython_version(text: &str) -> Option<CPythonRequest> {
    let mut parts = text.split('+');
    let mut version = parts.next()?;
    let mut free_threaded = false;
    let mut debug = false;
    for variant in parts {
        match variant {
            "freethreaded" => free_threaded = true,
            "debug" => debug = true,
            "gil" => {}
            _ => return None,
        }
    }
    if let Some(rest) = version.strip_suffix("td") {
        (version, free_threaded, debug) = (rest, true, true);
    } else if let Some(rest) = version.strip_suffix('t') {
        (version, free_threaded) = (rest, true);
    } else if let Some(rest) = version.strip_suffix('d') {
        (version, debug) = (rest, true);
    }

    let release_len = version.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(version.len());
    let (release, prerelease) = version.split_at(release_len);
    let prerelease = match prerelease {
        "" => None,
        pre => {
            let digits = pre.strip_prefix("rc").or_else(|| pre.strip_prefix('a')).or_else(|| pre.strip_prefix('b'))?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some(pre.to_owned())
        }
    };

    let numbers: Vec<&str> = release.split('.').collect();
    let parse = |s: &str| -> Option<u64> {
        match !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            true => s.parse().ok(),
            false => None,
        }
    };
    let (major, minor, patch) = match numbers.as_slice() {
        // `312` is uv's separator-less spelling of 3.12.
        [single] if single.len() >= 2 && !single.starts_with('0') => {
            let (major, minor) = single.split_at(1);
            (parse(major)?, Some(parse(minor)?), None)
        }
        [major] => (parse(major)?, None, None),
        [major, minor] => (parse(major)?, Some(parse(minor)?), None),
        [major, minor, patch] => (parse(major)?, Some(parse(minor)?), Some(parse(patch)?)),
        _ => return None,
    };
    // A pre-release needs at least a minor version, as in CPython's own tags.
    if prerelease.is_some() && minor.is_none() {
        return None;
    }
    Some(CPythonRequest { major, minor, patch, prerelease, free_threaded, debug })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn version(text: &str) -> Option<String> {
        parse_python_request(text).cpython_version().map(|v| v.to_string())
    }

    #[test]
    fn cpython_spellings() {
        let cases = [
            ("3", None),
            ("3.12", Some("3.12")),
            ("3.12.7", Some("3.12.7")),
            ("312", Some("3.12")),
            ("cpython-3.12", Some("3.12")),
            ("cpython3.12", Some("3.12")),
            ("cpython@3.12", Some("3.12")),
            ("CPython@3.12.1", Some("3.12.1")),
            ("cp312", Some("3.12")),
            ("python3.11", Some("3.11")),
            ("cpython-3.12.7-linux-x86_64-gnu", Some("3.12.7")),
            ("3.13t", Some("3.13")),
            ("3.13+freethreaded", Some("3.13")),
            ("3.12d", Some("3.12")),
            ("3.13.0rc1", Some("3.13.0")),
            ("3.14a3", Some("3.14")),
            ("pypy@3.10", None),
            ("pypy3.10", None),
            (">=3.11", None),
            (">=3.11,<3.13", None),
            ("==3.12.*", None),
            ("~=3.12", None),
            ("/usr/bin/python3", None),
            ("./.venv", None),
            ("myproject-env", None),
            ("3.12.7.1", None),
            ("3.x", None),
            ("3.12+nogil", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(version(input).as_deref(), expected, "input {input:?}");
        }
    }

    #[test]
    fn request_kinds() {
        assert_eq!(parse_python_request("any"), PythonRequest::Any);
        assert_eq!(parse_python_request("cpython"), PythonRequest::Any);
        assert_eq!(parse_python_request("pypy@3.10"), PythonRequest::OtherImplementation("pypy@3.10".into()));
        assert_eq!(parse_python_request("graalpy"), PythonRequest::OtherImplementation("graalpy".into()));
        assert_eq!(parse_python_request(">=3.11"), PythonRequest::Specifiers(">=3.11".into()));
        assert_eq!(parse_python_request("~=3.12"), PythonRequest::Specifiers("~=3.12".into()));
        assert_eq!(parse_python_request("/usr/bin/python3"), PythonRequest::Path("/usr/bin/python3".into()));
        assert_eq!(parse_python_request("venv-name"), PythonRequest::Unsupported("venv-name".into()));
        let PythonRequest::CPython(request) = parse_python_request("3.14.0rc2t") else {
            panic!("expected a CPython request");
        };
        assert_eq!(request.prerelease.as_deref(), Some("rc2"));
        assert!(request.free_threaded);
        assert!(!request.debug);
        let PythonRequest::CPython(request) = parse_python_request("3") else {
            panic!("expected a CPython request");
        };
        assert_eq!((request.major, request.minor), (3, None));
    }

    fn file(text: &str) -> PythonVersionFile {
        parse_python_version_file(SourceFile { path: PathBuf::from(".python-version"), text: text.into() })
    }

    #[test]
    fn selects_first_request_line() {
        let text = "\u{feff}# pinned for the image\n\n   3.12.7  \r\n3.11\n";
        let pin = file(text);
        let request = pin.request.expect("a request");
        assert_eq!(request.value, "3.12.7");
        assert_eq!(&text[request.range.as_range()], "3.12.7");
        assert_eq!(pin.version, Some(PythonVersion { major: 3, minor: 12, patch: Some(7) }));
    }

    #[test]
    fn skips_names_uv_ignores() {
        let pin = file("my-env\n3.11\n");
        assert_eq!(pin.request.map(|r| r.value).as_deref(), Some("3.11"));
        let pin = file("my-env\n");
        assert_eq!(pin.request.map(|r| r.value).as_deref(), Some("my-env"));
        assert_eq!(pin.version, None);
    }

    #[test]
    fn empty_and_comment_only_files_have_no_request() {
        assert_eq!(file("").request, None);
        assert_eq!(file("# 3.12\n\n   \n").request, None);
        // An indented comment is still a comment for uv, which trims before checking.
        assert_eq!(file("  # 3.12\n").request, None);
    }

    #[test]
    fn to_pep440_compares_with_specifiers() {
        use std::str::FromStr;
        let specifiers = pep440_rs::VersionSpecifiers::from_str(">=3.12").expect("valid");
        let v312 = PythonVersion { major: 3, minor: 12, patch: None };
        let v311 = PythonVersion { major: 3, minor: 11, patch: Some(9) };
        assert!(specifiers.contains(&v312.to_pep440()));
        assert!(!specifiers.contains(&v311.to_pep440()));
    }
}
