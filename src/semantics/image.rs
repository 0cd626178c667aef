//! Image references (`[registry[:port]/]path[:tag][@digest]`) and what we know about the
//! official `python` images and Astral's `uv` images.
//!
//! The grammar follows the distribution reference format that Docker uses: lowercase path
//! components joined by `.`, `_`, `__` or dashes; a first component is a registry when it has a
//! `.` or `:`, is `localhost`, or has uppercase letters; tags are `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
//! Variables must be expanded first: text with `$` is rejected with its own message.

use std::fmt;

use crate::syntax::CompactString;
use crate::text::{Spanned, TextRange};

/// A parsed image reference. Ranges are byte ranges into the text given to [`parse_image_ref`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// `host[:port]` as written, when the reference names one. The parts are stored inline when
    /// short (as hosts, paths and tags usually are), so copies need no heap allocation.
    pub registry: Option<Spanned<CompactString>>,
    /// The path as written (`python`, `astral-sh/uv`, `library/python`).
    pub repository: Spanned<CompactString>,
    pub tag: Option<Spanned<CompactString>>,
    /// `algorithm:hex`, e.g. `sha256:…`.
    pub digest: Option<Spanned<CompactString>>,
}

impl ImageRef {
    /// The registry host with Docker Hub's aliases folded: `docker.io` when none is written.
    pub fn registry_host(&self) -> &str {
        match self.registry.as_ref().map(|it| it.value.as_str()) {
            None | Some("index.docker.io" | "registry-1.docker.io" | "docker.io") => "docker.io",
            Some(host) => host,
        }
    }

    pub fn is_docker_hub(&self) -> bool {
        self.registry_host() == "docker.io"
    }

    /// The repository path with Docker Hub's implicit `library/`: `library/python` for `python`.
    pub fn full_repository(&self) -> String {
        if self.is_docker_hub() && !self.repository.value.contains('/') {
            return format!("library/{}", self.repository.value);
        }
        self.repository.value.to_string()
    }

    /// `docker.io/library/python`, `ghcr.io/astral-sh/uv`.
    pub fn canonical_name(&self) -> String {
        format!("{}/{}", self.registry_host(), self.full_repository())
    }

    /// Whether [`ImageRef::canonical_name`] is `host/repository`, without building it.
    fn is_named(&self, host: &str, repository: &str) -> bool {
        if self.registry_host() != host {
            return false;
        }
        let written = self.repository.value.as_str();
        if self.is_docker_hub() && !written.bytes().any(|it| it == b'/') {
            return repository.strip_prefix("library/") == Some(written);
        }
        written == repository
    }

    /// The tag, or `latest` when neither a tag nor a digest is written (what Docker pulls).
    /// `None` for a digest-only reference.
    pub fn effective_tag(&self) -> Option<&str> {
        match (&self.tag, &self.digest) {
            (Some(tag), _) => Some(&tag.value),
            (None, None) => Some("latest"),
            (None, Some(_)) => None,
        }
    }

    /// From the start of the registry (or repository) to the end of the reference.
    pub fn range(&self) -> TextRange {
        let start = self.registry.as_ref().map_or(self.repository.range, |it| it.range);
        let end = self.digest.as_ref().or(self.tag.as_ref()).map_or(self.repository.range, |it| it.range);
        start.cover(end)
    }
}

/// Why a reference is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRefError {
    /// The offending part, in the coordinates of the parsed text.
    pub range: TextRange,
    pub message: String,
}

impl fmt::Display for ImageRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses a reference; `None` when it is not valid (see [`check_image_ref`] for why).
pub fn parse_image_ref(text: &str) -> Option<ImageRef> {
    check_image_ref(text).ok()
}

/// Parses a reference, explaining what is wrong with an invalid one.
pub fn check_image_ref(text: &str) -> Result<ImageRef, ImageRefError> {
    let whole = TextRange::new(0, text.len());
    let error = |range: TextRange, message: &str| Err(ImageRefError { range, message: message.to_owned() });
    if text.is_empty() {
        return error(whole, "the image reference is empty");
    }
    // One pass finds every separator the checks below need (rules parse references often).
    let marks = Marks::of(text);
    if let Some(dollar) = marks.first_dollar {
        return error(TextRange::new(dollar, text.len()), "the image reference still contains a variable");
    }
    // ASCII text (the usual case) needs no decoding to find whitespace.
    let whitespace = match marks.ascii {
        true => marks.first_ascii_whitespace,
        false => text.find(|it: char| it.is_whitespace()),
    };
    if let Some(bad) = whitespace {
        return error(TextRange::new(bad, bad + 1), "an image reference cannot contain whitespace");
    }

    // The separators are ASCII, so byte offsets are character boundaries.
    let (name_tag_end, digest) = match marks.first_at {
        Some(at) => {
            let range = TextRange::new(at + 1, text.len());
            if let Err(message) = check_digest(&text[range.as_range()]) {
                return error(range, &message);
            }
            (at, Some(Spanned::new(CompactString::from(&text[range.as_range()]), range)))
        }
        None => (text.len(), None),
    };
    let (name_end, tag) = match marks.last_colon {
        Some(colon) if marks.last_slash.is_none_or(|slash| colon > slash) => {
            let range = TextRange::new(colon + 1, name_tag_end);
            if !is_valid_tag(&text[range.as_range()]) {
                return error(
                    range,
                    "invalid tag: use letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`)",
                );
            }
            (colon, Some(Spanned::new(CompactString::from(&text[range.as_range()]), range)))
        }
        _ => (name_tag_end, None),
    };
    let name = &text[..name_end];
    if name.is_empty() {
        return error(TextRange::empty(0), "the image reference has no repository name");
    }
    if name.len() > 255 {
        return error(TextRange::new(0, name_end), "the repository name is longer than 255 characters");
    }

    let (registry, path_start) = match marks.first_slash.filter(|slash| *slash < name_end) {
        Some(slash) if is_registry_component(&name[..slash]) => {
            let range = TextRange::new(0, slash);
            if !is_valid_registry(&name[..slash]) {
                return error(range, "invalid registry host");
            }
            (Some(Spanned::new(CompactString::from(&name[..slash]), range)), slash + 1)
        }
        _ => (None, 0),
    };
    let path_range = TextRange::new(path_start, name_end);
    let path = &text[path_range.as_range()];
    if path.is_empty() {
        return error(path_range, "the image reference has no repository name");
    }
    if path.bytes().any(|it| it.is_ascii_uppercase()) {
        return error(path_range, "repository names must be lowercase");
    }
    let mut start = path_start;
    for component in path.split('/') {
        let end = start + component.len();
        if !is_valid_path_component(component) {
            return error(
                TextRange::new(start, end),
                "invalid repository name: use lowercase letters, digits and single separators (`.`, `_`, `__`, `-`)",
            );
        }
        start = end + 1;
    }
    Ok(ImageRef { registry, repository: Spanned::new(CompactString::from(path), path_range), tag, digest })
}

/// Where the separators of a reference are, found in one pass.
struct Marks {
    first_dollar: Option<usize>,
    first_ascii_whitespace: Option<usize>,
    ascii: bool,
    first_at: Option<usize>,
    /// The first `/` and the last `/` and `:` before the first `@` (in the name and tag).
    first_slash: Option<usize>,
    last_slash: Option<usize>,
    last_colon: Option<usize>,
}

impl Marks {
    fn of(text: &str) -> Marks {
        let mut marks = Marks {
            first_dollar: None,
            first_ascii_whitespace: None,
            ascii: true,
            first_at: None,
            first_slash: None,
            last_slash: None,
            last_colon: None,
        };
        for (idx, byte) in text.bytes().enumerate() {
            match byte {
                b'$' => {
                    marks.first_dollar.get_or_insert(idx);
                }
                b'\t'..=b'\r' | b' ' => {
                    marks.first_ascii_whitespace.get_or_insert(idx);
                }
                b'@' => {
                    marks.first_at.get_or_insert(idx);
                }
                b'/' if marks.first_at.is_none() => {
                    marks.first_slash.get_or_insert(idx);
                    marks.last_slash = Some(idx);
                }
                b':' if marks.first_at.is_none() => marks.last_colon = Some(idx),
                0x80.. => marks.ascii = false,
                _ => {}
            }
        }
        marks
    }
}

/// Docker treats the first path component as a registry in these cases (`splitDockerDomain`).
fn is_registry_component(component: &str) -> bool {
    component.bytes().any(|it| it == b'.' || it == b':' || it.is_ascii_uppercase()) || component == "localhost"
}

fn is_valid_registry(host_port: &str) -> bool {
    let (host, port) = if let Some(rest) = host_port.strip_prefix('[') {
        // `[ipv6]` or `[ipv6]:port`.
        let Some(close) = rest.find(']') else { return false };
        let address = &rest[..close];
        if address.is_empty() || !address.bytes().all(|it| it.is_ascii_hexdigit() || it == b':' || it == b'.') {
            return false;
        }
        match &rest[close + 1..] {
            "" => return true,
            tail => match tail.strip_prefix(':') {
                Some(port) => ("x", Some(port)),
                None => return false,
            },
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    if let Some(port) = port
        && (port.is_empty() || !port.bytes().all(|it| it.is_ascii_digit()))
    {
        return false;
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            let bytes = label.as_bytes();
            !bytes.is_empty()
                && bytes.iter().all(|it| it.is_ascii_alphanumeric() || *it == b'-')
                && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
                && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        })
}

/// `[a-z0-9]+` runs joined by `.`, `_`, `__` or any number of `-`.
fn is_valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    if !bytes.first().is_some_and(is_lower_alnum) || !bytes.last().is_some_and(is_lower_alnum) {
        return false;
    }
    let mut idx = 0;
    while idx < bytes.len() {
        if is_lower_alnum(&bytes[idx]) {
            idx += 1;
            continue;
        }
        let start = idx;
        while idx < bytes.len() && !is_lower_alnum(&bytes[idx]) {
            idx += 1;
        }
        let separator = &component[start..idx];
        let valid = matches!(separator, "." | "_" | "__") || separator.bytes().all(|it| it == b'-');
        if !valid {
            return false;
        }
    }
    true
}

fn is_lower_alnum(byte: &u8) -> bool {
    byte.is_ascii_lowercase() || byte.is_ascii_digit()
}

fn is_valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    let word = |it: &u8| it.is_ascii_alphanumeric() || *it == b'_';
    bytes.first().is_some_and(word)
        && bytes.len() <= 128
        && bytes.iter().all(|it| word(it) || *it == b'.' || *it == b'-')
}

fn check_digest(digest: &str) -> Result<(), String> {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return Err("invalid digest: expected `algorithm:hex`, e.g. `sha256:<64 hex digits>`".to_owned());
    };
    let expected_len = match algorithm {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(format!("unsupported digest algorithm `{algorithm}`")),
    };
    if hex.len() != expected_len || !hex.bytes().all(|it| it.is_ascii_digit() || (b'a'..=b'f').contains(&it)) {
        return Err(format!("invalid {algorithm} digest: expected {expected_len} lowercase hex digits"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The official python image

/// `(major, minor, patch)` of a version written as `X.Y` or `X.Y.Z`.
pub type Version = (u64, u64, Option<u64>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PythonVariant {
    /// The default Debian image with build tools (`python:3.12`, `python:3.12-bookworm`).
    Full,
    Slim,
    Alpine,
    /// `windowsservercore` and `nanoserver`.
    Windows,
    /// A tag we cannot classify, or a digest-only reference.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Libc {
    Glibc,
    Musl,
    Windows,
    Unknown,
}

/// What the tag of an official `python` image says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonImage {
    /// The tag examined: the written one, `latest` when none is written, empty for digest-only.
    /// Stored inline (tags are short), so every stage's copy is made without an allocation.
    pub tag: CompactString,
    /// `(major, minor, patch)`; `None` for `latest`, `slim`, a bare major (`3`) and digest-only.
    pub version: Option<Version>,
    /// The version part as written: `3`, `3.12`, `3.12.7`, `3.15.0a2`.
    pub version_text: Option<CompactString>,
    /// A pre-release: `rc` for `3.15-rc`, `a2` for `3.15.0a2`.
    pub prerelease: Option<String>,
    pub variant: PythonVariant,
    /// `trixie`, `bookworm`, `alpine3.22`, `ltsc2022`...; `None` when the tag leaves it to the
    /// maintainers (`3.12-slim`, `3.12-alpine`, `3.12`).
    pub distro: Option<String>,
    pub libc: Libc,
    /// The tag moves to other Python versions over time: no tag, `latest`, a bare major, a
    /// pre-release line, or only a variant/distro (`slim`, `alpine`, `bookworm`). Always false
    /// when a digest pins the image.
    pub floating: bool,
    pub pinned_by_digest: bool,
    problem: Option<String>,
}

impl PythonImage {
    /// A tag that the official image does not publish, e.g. `3.12-trixie-slim` (the image
    /// spells it `3.12-slim-trixie`) or a part we do not recognise.
    pub fn tag_problem(&self) -> Option<&str> {
        self.problem.as_deref()
    }
}

const DEBIAN_CODENAMES: &[&str] = &["forky", "trixie", "bookworm", "bullseye", "buster", "stretch", "jessie"];

/// Tag facts for the official `python` image (`python`, `library/python`,
/// `docker.io/library/python`); `None` for any other repository.
pub fn python_image_info(reference: &ImageRef) -> Option<PythonImage> {
    if !reference.is_named("docker.io", "library/python") {
        return None;
    }
    let pinned_by_digest = reference.digest.is_some();
    let Some(tag) = reference.effective_tag() else {
        return Some(PythonImage {
            tag: CompactString::const_new(""),
            version: None,
            version_text: None,
            prerelease: None,
            variant: PythonVariant::Other,
            distro: None,
            libc: Libc::Unknown,
            floating: false,
            pinned_by_digest,
            problem: None,
        });
    };
    let mut res = PythonImage {
        tag: CompactString::from(tag),
        version: None,
        version_text: None,
        prerelease: None,
        variant: PythonVariant::Full,
        distro: None,
        libc: Libc::Glibc,
        floating: false,
        pinned_by_digest,
        problem: None,
    };
    let mut parts = tag.split('-').peekable();
    if tag == "latest" {
        parts.next();
    } else if parts.peek().is_some_and(|it| it.starts_with(|c: char| c.is_ascii_digit())) {
        let text = parts.next().unwrap_or_default();
        res.version_text = Some(CompactString::from(text));
        let (version, prerelease) = parse_python_version(text);
        res.version = version;
        res.prerelease = prerelease;
        if parts.peek() == Some(&"rc") {
            parts.next();
            res.prerelease = Some("rc".to_owned());
        }
        if version.is_none() && !text.bytes().all(|it| it.is_ascii_digit()) {
            res.problem = Some(format!("`{text}` is not a Python version"));
        }
    }
    let mut seen_distro = false;
    while let Some(part) = parts.next() {
        match part {
            "slim" => {
                if seen_distro {
                    let distro = res.distro.clone().unwrap_or_default();
                    res.problem.get_or_insert_with(|| {
                        format!("the python image puts the variant first: `slim-{distro}`, not `{distro}-slim`")
                    });
                }
                res.variant = PythonVariant::Slim;
            }
            "alpine" => {
                res.variant = PythonVariant::Alpine;
                res.libc = Libc::Musl;
            }
            alpine if alpine.strip_prefix("alpine").is_some_and(is_dotted_number) => {
                res.variant = PythonVariant::Alpine;
                res.libc = Libc::Musl;
                res.distro = Some(alpine.to_owned());
                seen_distro = true;
            }
            "windowsservercore" | "nanoserver" => {
                res.variant = PythonVariant::Windows;
                res.libc = Libc::Windows;
                if let Some(next) = parts.next() {
                    res.distro = Some(next.to_owned());
                }
                seen_distro = true;
            }
            codename if DEBIAN_CODENAMES.contains(&codename) => {
                res.distro = Some(codename.to_owned());
                seen_distro = true;
            }
            other => {
                res.variant = PythonVariant::Other;
                res.libc = Libc::Unknown;
                res.problem.get_or_insert_with(|| format!("`{other}` is not a variant the python image publishes"));
            }
        }
    }
    let bare_major = res.version.is_none() && res.version_text.is_some() && res.prerelease.is_none();
    res.floating =
        !pinned_by_digest && (res.version_text.is_none() || bare_major || res.prerelease.as_deref() == Some("rc"));
    Some(res)
}

/// `3` → none, `3.12` → (3, 12, None), `3.12.7` → (3, 12, Some(7)), `3.15.0a2` → (3, 15, Some(0)) + `a2`.
fn parse_python_version(text: &str) -> (Option<Version>, Option<String>) {
    let digits_end = text.find(|it: char| !(it.is_ascii_digit() || it == '.')).unwrap_or(text.len());
    let (numbers, pre) = text.split_at(digits_end);
    let prerelease = (!pre.is_empty()).then(|| pre.to_owned());
    let mut fields = numbers.split('.');
    let major = fields.next().and_then(|it| it.parse::<u64>().ok());
    let minor = fields.next().and_then(|it| it.parse::<u64>().ok());
    let patch = match fields.next() {
        Some(it) => match it.parse::<u64>() {
            Ok(patch) => Some(patch),
            Err(_) => return (None, prerelease),
        },
        None => None,
    };
    if fields.next().is_some() {
        return (None, prerelease);
    }
    match (major, minor) {
        (Some(major), Some(minor)) => (Some((major, minor, patch)), prerelease),
        _ => (None, prerelease),
    }
}

fn is_dotted_number(text: &str) -> bool {
    !text.is_empty() && text.split('.').all(|it| !it.is_empty() && it.bytes().all(|b| b.is_ascii_digit()))
}

// ---------------------------------------------------------------------------------------------
// Astral's uv images

/// What the tag of a `ghcr.io/astral-sh/uv` (or `docker.io/astral/uv`) image says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UvImage {
    /// The tag examined: the written one, `latest` when none is written, empty for digest-only.
    pub tag: String,
    /// `0.5` or `0.5.11` as written.
    pub uv_version: Option<String>,
    /// The uv version as numbers (`(0, 5, Some(11))`).
    pub uv_version_parts: Option<Version>,
    /// The Python minor of a `python3.12-...` tag.
    pub python: Option<(u64, u64)>,
    /// The OS part: `trixie-slim`, `trixie`, `alpine`, `alpine3.22`, `debian-slim`, `bookworm`...
    /// (`-dhi` removed, see `dhi`).
    pub base: Option<String>,
    /// A Docker Hardened Images variant (`-dhi`).
    pub dhi: bool,
    /// `latest`, `X.Y`, `X.Y.Z` (and digest-only references): a `FROM scratch` image holding only
    /// `/uv` and `/uvx`. Derived images keep uv in `/usr/local/bin` instead.
    pub distroless: bool,
    /// No uv version in the tag (no tag, `latest`, or a base-only tag such as `python3.12-alpine`),
    /// so the uv inside changes over time. Always false when a digest pins the image.
    pub floating: bool,
    pub pinned_by_digest: bool,
    problem: Option<TagProblem>,
}

/// A uv image tag that is not (or no longer) published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagProblem {
    pub kind: TagProblemKind,
    pub message: String,
    /// A tag that exists and means what the written one probably meant.
    pub suggestion: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagProblemKind {
    /// The tag never existed: pulling it fails.
    Nonexistent,
    /// The tag exists but stopped receiving updates (stuck on an old uv).
    Retired,
}

impl UvImage {
    pub fn tag_problem(&self) -> Option<&TagProblem> {
        self.problem.as_ref()
    }

    /// Where uv lives in this image: `/uv` in distroless images, `/usr/local/bin/uv` otherwise.
    pub fn uv_path(&self) -> &'static str {
        if self.distroless { "/uv" } else { "/usr/local/bin/uv" }
    }

    pub fn libc(&self) -> Libc {
        match self.base.as_deref() {
            None => Libc::Unknown,
            Some(base) if base.starts_with("alpine") => Libc::Musl,
            Some(_) => Libc::Glibc,
        }
    }
}

/// The last uv release that still published bookworm, alpine3.21 and python3.8 tags.
const LAST_RETIRED_RELEASE: (u64, u64, u64) = (0, 9, 30);

/// An image whose Python is its distribution's, installed under `/usr/bin`. A venv built on an
/// official `python` image (or a uv image with Python, built on those) links to
/// `/usr/local/bin`, which such an image does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SystemPythonImage {
    /// Who publishes it and how, for hovers: `Google's distroless image`.
    pub publisher: &'static str,
    /// Whose Python it is: `Debian 12`.
    pub distribution: &'static str,
    /// The Python minor the image carries, when its name fixes one.
    pub python: Option<(u64, u64)>,
}

/// Google's distroless Python images and Chainguard's Python image, by registry and
/// repository. Google's carry the Python of the Debian release they are named after (3.9 on 11,
/// 3.11 on 12, 3.13 on 13); the unsuffixed `python3` and Chainguard's follow newer releases, so
/// no version is claimed for them.
const SYSTEM_PYTHON_IMAGES: &[(&str, &str, SystemPythonImage)] = &[
    ("gcr.io", "distroless/python3-debian11", distroless("Debian 11", Some((3, 9)))),
    ("gcr.io", "distroless/python3-debian12", distroless("Debian 12", Some((3, 11)))),
    ("gcr.io", "distroless/python3-debian13", distroless("Debian 13", Some((3, 13)))),
    ("gcr.io", "distroless/python3", distroless("Debian", None)),
    (
        "cgr.dev",
        "chainguard/python",
        SystemPythonImage { publisher: "Chainguard's minimal image", distribution: "Wolfi", python: None },
    ),
];

const fn distroless(distribution: &'static str, python: Option<(u64, u64)>) -> SystemPythonImage {
    SystemPythonImage { publisher: "Google's distroless image", distribution, python }
}

/// What the reference says about an image with its distribution's Python under `/usr/bin`.
pub fn system_python_image(reference: &ImageRef) -> Option<SystemPythonImage> {
    let (host, repository) = (reference.registry_host(), reference.repository.value.as_str());
    SYSTEM_PYTHON_IMAGES.iter().find(|(at, name, _)| *at == host && *name == repository).map(|(_, _, image)| *image)
}

/// Tag facts for Astral's uv image; `None` for any other repository.
pub fn uv_image_info(reference: &ImageRef) -> Option<UvImage> {
    if !(reference.is_named("ghcr.io", "astral-sh/uv") || reference.is_named("docker.io", "astral/uv")) {
        return None;
    }
    let pinned_by_digest = reference.digest.is_some();
    let mut res = UvImage {
        tag: String::new(),
        uv_version: None,
        uv_version_parts: None,
        python: None,
        base: None,
        dhi: false,
        distroless: true,
        floating: false,
        pinned_by_digest,
        problem: None,
    };
    let Some(tag) = reference.effective_tag() else { return Some(res) };
    res.tag = tag.to_owned();
    if tag == "latest" {
        res.floating = !pinned_by_digest;
        return Some(res);
    }

    let mut rest = tag;
    let version_like = tag.starts_with(|it: char| it.is_ascii_digit())
        || (tag.starts_with('v') && tag[1..].starts_with(|it: char| it.is_ascii_digit()));
    if version_like {
        let (version, tail) = tag.split_once('-').unwrap_or((tag, ""));
        rest = tail;
        let numbers = version.strip_prefix('v').unwrap_or(version);
        res.uv_version = Some(numbers.to_owned());
        res.uv_version_parts = parse_uv_version(numbers);
        if version.starts_with('v') {
            res.problem = Some(nonexistent(
                format!("uv image tags have no `v` prefix: `{numbers}`"),
                Some(tag.trim_start_matches('v').to_owned()),
            ));
        } else if res.uv_version_parts.is_none() {
            res.problem = Some(nonexistent(format!("`{version}` is not a uv version"), None));
        }
    }
    res.floating = res.uv_version.is_none() && !pinned_by_digest;
    if rest.is_empty() {
        return Some(res);
    }
    res.distroless = false;

    let mut base = rest;
    if let Some(stripped) = base.strip_suffix("-dhi") {
        res.dhi = true;
        base = stripped;
    } else if base == "dhi" {
        res.dhi = true;
        base = "";
    }
    let mut python_text = None;
    if let Some(after) = base.strip_prefix("python") {
        let (python, os) = after.split_once('-').unwrap_or((after, ""));
        python_text = Some(python);
        res.python = parse_minor(python);
        base = os;
        if res.python.is_none() {
            res.problem.get_or_insert_with(|| nonexistent(format!("`python{python}` is not a Python version"), None));
        }
    }
    if python_text.is_none() && base.is_empty() && res.dhi {
        // `dhi` alone is not a tag; the hardened variants name a base (`debian-dhi`).
        res.problem.get_or_insert_with(|| nonexistent("`dhi` needs a base, e.g. `debian-dhi`".to_owned(), None));
    }
    if !base.is_empty() {
        res.base = Some(base.to_owned());
    }
    if res.problem.is_none() {
        res.problem = uv_base_problem(&res, python_text, base);
    }
    Some(res)
}

fn nonexistent(message: String, suggestion: Option<String>) -> TagProblem {
    TagProblem { kind: TagProblemKind::Nonexistent, message, suggestion }
}

/// Checks the base part of a derived uv tag against the published scheme
/// (`.github/workflows/build-docker.yml` in astral-sh/uv).
fn uv_base_problem(image: &UvImage, python_text: Option<&str>, base: &str) -> Option<TagProblem> {
    let version_prefix = image.uv_version.as_ref().map(|it| format!("{it}-")).unwrap_or_default();
    let python_prefix = python_text.map(|it| format!("python{it}-")).unwrap_or_default();
    let dhi_suffix = if image.dhi { "-dhi" } else { "" };
    let suggest = |base: &str| Some(format!("{version_prefix}{python_prefix}{base}{dhi_suffix}"));
    let after_retirement = image.uv_version_parts.is_some_and(|(major, minor, patch)| {
        let (last_major, last_minor, last_patch) = LAST_RETIRED_RELEASE;
        (major, minor) > (last_major, last_minor)
            || ((major, minor) == (last_major, last_minor) && patch.is_some_and(|it| it > last_patch))
    });
    // `replacement` is the base to suggest instead; `None` when no single tag fits.
    let retired = |what: &str, replacement: Option<&str>| -> Option<TagProblem> {
        if after_retirement {
            return Some(nonexistent(
                format!("{what} tags stopped after uv 0.9.30, so `{}` was never published", image.tag),
                replacement.and_then(suggest),
            ));
        }
        if image.uv_version.is_some() {
            // A pinned old release that did publish this base.
            return None;
        }
        Some(TagProblem {
            kind: TagProblemKind::Retired,
            message: format!("{what} tags stopped with uv 0.9.30, so this tag still carries that release"),
            suggestion: replacement.and_then(suggest),
        })
    };

    if let Some((major, minor)) = image.python {
        if (major, minor) < (3, 8) || major != 3 {
            return Some(nonexistent(format!("uv images are not published for Python {major}.{minor}"), None));
        }
        if (major, minor) == (3, 8) {
            return retired("Python 3.8", None);
        }
    }
    match base {
        "" if python_text.is_some() && !image.dhi => Some(nonexistent(
            format!("`{}` names no base image; uv tags add one, e.g. `trixie-slim` or `alpine`", image.tag),
            suggest("trixie-slim"),
        )),
        "" | "trixie" | "trixie-slim" | "alpine" | "debian" | "debian-slim" => None,
        "slim-trixie" | "slim-bookworm" | "slim" => {
            let debian = base.strip_prefix("slim-").unwrap_or("trixie");
            Some(nonexistent(
                format!(
                    "uv tags put the distribution first: `{debian}-slim`, not `{base}` (the python image's spelling)"
                ),
                suggest(&format!("{debian}-slim")),
            ))
        }
        "bookworm" => retired("Debian bookworm", Some("trixie")),
        "bookworm-slim" => retired("Debian bookworm", Some("trixie-slim")),
        "alpine3.21" => retired("Alpine 3.21", Some("alpine3.22")),
        alpine if alpine.strip_prefix("alpine").is_some_and(is_dotted_number) => None,
        other if other.starts_with("rc") && image.python == Some((3, 14)) => {
            retired("Python 3.14 release-candidate", Some("trixie-slim"))
        }
        other if DEBIAN_CODENAMES.iter().any(|it| other == *it || other.strip_suffix("-slim") == Some(it)) => None,
        other => Some(nonexistent(format!("`{other}` is not a base the uv images are published for"), None)),
    }
}

fn parse_minor(text: &str) -> Option<(u64, u64)> {
    let (major, minor) = text.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

fn parse_uv_version(text: &str) -> Option<Version> {
    let mut fields = text.split('.');
    let major = fields.next()?.parse().ok()?;
    let minor = fields.next()?.parse().ok()?;
    let patch = match fields.next() {
        Some(it) => Some(it.parse().ok()?),
        None => None,
    };
    if fields.next().is_some() {
        return None;
    }
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_named_agrees_with_canonical_name() {
        let references = [
            "python",
            "library/python",
            "docker.io/python",
            "docker.io/library/python",
            "index.docker.io/python",
            "registry-1.docker.io/library/python:3.12",
            "ghcr.io/astral-sh/uv:0.5",
            "docker.io/astral/uv",
            "astral/uv",
            "ghcr.io/python",
            "localhost:5000/library/python",
            "team/python",
            "python/library",
        ];
        let names = [
            ("docker.io", "library/python"),
            ("docker.io", "python"),
            ("ghcr.io", "astral-sh/uv"),
            ("docker.io", "astral/uv"),
            ("ghcr.io", "python"),
            ("localhost:5000", "library/python"),
        ];
        for text in references {
            let reference = parse(text);
            for (host, repository) in names {
                let expected = reference.canonical_name() == format!("{host}/{repository}");
                assert_eq!(reference.is_named(host, repository), expected, "{text} as {host}/{repository}");
            }
        }
    }

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[track_caller]
    fn parse(text: &str) -> ImageRef {
        match check_image_ref(text) {
            Ok(it) => it,
            Err(err) => panic!("{text:?} should parse: {err}"),
        }
    }

    #[track_caller]
    fn invalid(text: &str, message: &str) {
        match check_image_ref(text) {
            Ok(it) => panic!("{text:?} should be rejected, got {it:?}"),
            Err(err) => assert!(err.message.contains(message), "{text:?}: {}", err.message),
        }
    }

    #[test]
    fn reference_parts_and_ranges() {
        let text = format!("localhost:5000/team/app:1.0@{DIGEST}");
        let it = parse(&text);
        assert_eq!(
            it.registry.as_ref().map(|r| (r.value.as_str(), r.range)),
            Some(("localhost:5000", TextRange::new(0, 14)))
        );
        assert_eq!((it.repository.value.as_str(), it.repository.range), ("team/app", TextRange::new(15, 23)));
        assert_eq!(it.tag.as_ref().map(|t| (t.value.as_str(), t.range)), Some(("1.0", TextRange::new(24, 27))));
        assert_eq!(it.digest.as_ref().map(|d| d.range), Some(TextRange::new(28, text.len())));
        assert_eq!(it.range(), TextRange::new(0, text.len()));
        assert_eq!(it.registry_host(), "localhost:5000");
        assert_eq!(it.full_repository(), "team/app");

        let it = parse("python:3.12-slim");
        assert_eq!((it.registry_host(), it.full_repository().as_str()), ("docker.io", "library/python"));
        assert_eq!(it.canonical_name(), "docker.io/library/python");
        let it = parse("index.docker.io/library/python");
        assert_eq!((it.registry_host(), it.effective_tag()), ("docker.io", Some("latest")));
        assert_eq!(parse("registry-1.docker.io/astral/uv").canonical_name(), "docker.io/astral/uv");
        assert_eq!(parse("ghcr.io/astral-sh/uv:0.5").canonical_name(), "ghcr.io/astral-sh/uv");
        assert_eq!(parse("localhost/app").registry_host(), "localhost");
        assert_eq!(parse("Registry/app").registry_host(), "Registry");
        assert_eq!(parse("[::1]:5000/app").registry_host(), "[::1]:5000");
        assert_eq!(parse("a__b/c--d.e_f").full_repository(), "a__b/c--d.e_f");
        assert_eq!(parse(&format!("python@{DIGEST}")).effective_tag(), None);
        // A port-like suffix on the last component is a tag.
        assert_eq!(parse("host:5000/app:7").tag.map(|it| it.value), Some(CompactString::from("7")));
    }

    #[test]
    fn invalid_references() {
        invalid("", "empty");
        invalid("Python:3.12", "lowercase");
        invalid("docker.io/Library/python", "lowercase");
        invalid("python:${PY}", "variable");
        invalid("python:", "invalid tag");
        invalid("python:-x", "invalid tag");
        invalid(&format!("python:{}", "a".repeat(129)), "invalid tag");
        invalid(":3.12", "no repository");
        invalid("ghcr.io/", "no repository");
        invalid("a//b", "invalid repository name");
        invalid("a_-b", "invalid repository name");
        invalid("-a", "invalid repository name");
        invalid("a.", "invalid repository name");
        invalid("python@sha256:abc", "64 lowercase hex");
        invalid(&format!("python@{}", DIGEST.to_uppercase().replace("SHA256", "sha256")), "lowercase hex");
        invalid("python@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm");
        invalid("python@", "algorithm:hex");
        invalid("bad_host.io:port/app", "registry");
        invalid("-bad.io/app", "registry");
        invalid("python 3", "whitespace");
        invalid(&"a".repeat(256), "255");
    }

    fn python(tag: &str) -> PythonImage {
        let text = if tag.is_empty() { "python".to_owned() } else { format!("python:{tag}") };
        python_image_info(&parse(&text)).expect("python image")
    }

    #[test]
    fn python_tags() {
        use Libc::{Glibc, Musl};
        use PythonVariant::{Alpine, Full, Slim};
        type Case<'a> = (&'a str, Option<Version>, PythonVariant, Option<&'a str>, Libc, bool);
        #[rustfmt::skip]
        let cases: &[Case<'_>] = &[
            ("", None, Full, None, Glibc, true),
            ("latest", None, Full, None, Glibc, true),
            ("3", None, Full, None, Glibc, true),
            ("3.12", Some((3, 12, None)), Full, None, Glibc, false),
            ("3.12.7", Some((3, 12, Some(7))), Full, None, Glibc, false),
            ("3.12-slim", Some((3, 12, None)), Slim, None, Glibc, false),
            ("3.12-slim-bookworm", Some((3, 12, None)), Slim, Some("bookworm"), Glibc, false),
            ("3.12-slim-trixie", Some((3, 12, None)), Slim, Some("trixie"), Glibc, false),
            ("3.12-bookworm", Some((3, 12, None)), Full, Some("bookworm"), Glibc, false),
            ("3.12.7-alpine3.22", Some((3, 12, Some(7))), Alpine, Some("alpine3.22"), Musl, false),
            ("3.12-alpine", Some((3, 12, None)), Alpine, None, Musl, false),
            ("3.13-rc-slim", Some((3, 13, None)), Slim, None, Glibc, true),
            ("3.15.0a2-slim", Some((3, 15, Some(0))), Slim, None, Glibc, false),
            ("slim", None, Slim, None, Glibc, true),
            ("alpine", None, Alpine, None, Musl, true),
            ("bookworm", None, Full, Some("bookworm"), Glibc, true),
            ("3.12-windowsservercore-ltsc2022", Some((3, 12, None)), PythonVariant::Windows, Some("ltsc2022"), Libc::Windows, false),
            ("3-slim", None, Slim, None, Glibc, true),
        ];
        for &(tag, version, variant, distro, libc, floating) in cases {
            let it = python(tag);
            assert_eq!(
                (it.version, it.variant, it.distro.as_deref(), it.libc, it.floating),
                (version, variant, distro, libc, floating),
                "python:{tag}"
            );
            assert_eq!(it.tag_problem(), None, "python:{tag}");
        }
        assert_eq!(python("3.13-rc-slim").prerelease.as_deref(), Some("rc"));
        assert_eq!(python("3.15.0a2-slim").prerelease.as_deref(), Some("a2"));
        assert_eq!(python("3").version_text.as_deref(), Some("3"));
        assert_eq!(python("").tag, "latest");
    }

    #[test]
    fn python_tag_problems_and_digests() {
        assert!(python("3.12-trixie-slim").tag_problem().is_some_and(|it| it.contains("slim-trixie")));
        assert!(python("3.12-tiny").tag_problem().is_some_and(|it| it.contains("tiny")));
        assert_eq!(python("3.12-tiny").variant, PythonVariant::Other);

        let pinned = python_image_info(&parse(&format!("python:3-slim@{DIGEST}"))).expect("python");
        assert!(!pinned.floating && pinned.pinned_by_digest);
        let digest_only = python_image_info(&parse(&format!("python@{DIGEST}"))).expect("python");
        assert_eq!(
            (digest_only.version, digest_only.variant, digest_only.libc),
            (None, PythonVariant::Other, Libc::Unknown)
        );
        for name in ["library/python:3.12", "docker.io/library/python:3.12", "index.docker.io/library/python:3.12"] {
            assert_eq!(python_image_info(&parse(name)).and_then(|it| it.version), Some((3, 12, None)), "{name}");
        }
        assert!(python_image_info(&parse("ghcr.io/library/python:3.12")).is_none());
        assert!(python_image_info(&parse("pypy:3")).is_none());
    }

    fn uv(text: &str) -> UvImage {
        uv_image_info(&parse(text)).expect("uv image")
    }

    #[test]
    fn uv_tags() {
        type Case<'a> = (&'a str, Option<&'a str>, Option<(u64, u64)>, Option<&'a str>, bool, bool);
        #[rustfmt::skip]
        let cases: &[Case<'_>] = &[
            // (reference, uv version, python, base, distroless, floating)
            ("ghcr.io/astral-sh/uv", None, None, None, true, true),
            ("ghcr.io/astral-sh/uv:latest", None, None, None, true, true),
            ("ghcr.io/astral-sh/uv:0.5", Some("0.5"), None, None, true, false),
            ("ghcr.io/astral-sh/uv:0.5.11", Some("0.5.11"), None, None, true, false),
            ("ghcr.io/astral-sh/uv:0.5.11-python3.12-bookworm-slim", Some("0.5.11"), Some((3, 12)), Some("bookworm-slim"), false, false),
            ("ghcr.io/astral-sh/uv:python3.12-trixie-slim", None, Some((3, 12)), Some("trixie-slim"), false, true),
            ("ghcr.io/astral-sh/uv:python3.12-alpine", None, Some((3, 12)), Some("alpine"), false, true),
            ("ghcr.io/astral-sh/uv:alpine", None, None, Some("alpine"), false, true),
            ("ghcr.io/astral-sh/uv:debian-slim", None, None, Some("debian-slim"), false, true),
            ("ghcr.io/astral-sh/uv:trixie", None, None, Some("trixie"), false, true),
            ("ghcr.io/astral-sh/uv:0.12.5-alpine3.22", Some("0.12.5"), None, Some("alpine3.22"), false, false),
            ("ghcr.io/astral-sh/uv:0.12.5-python3.13-trixie", Some("0.12.5"), Some((3, 13)), Some("trixie"), false, false),
            ("docker.io/astral/uv:0.12.5", Some("0.12.5"), None, None, true, false),
            ("astral/uv:0.12-debian", Some("0.12"), None, Some("debian"), false, false),
        ];
        for &(text, version, python, base, distroless, floating) in cases {
            let it = uv(text);
            assert_eq!(
                (it.uv_version.as_deref(), it.python, it.base.as_deref(), it.distroless, it.floating),
                (version, python, base, distroless, floating),
                "{text}"
            );
        }
        assert_eq!(uv("ghcr.io/astral-sh/uv:0.5.11").uv_version_parts, Some((0, 5, Some(11))));
        assert_eq!(uv("ghcr.io/astral-sh/uv:0.5.11").uv_path(), "/uv");
        assert_eq!(uv("ghcr.io/astral-sh/uv:python3.12-alpine").uv_path(), "/usr/local/bin/uv");
        assert_eq!(uv("ghcr.io/astral-sh/uv:python3.12-alpine").libc(), Libc::Musl);
        assert_eq!(uv("ghcr.io/astral-sh/uv:trixie-slim").libc(), Libc::Glibc);

        let dhi = uv("ghcr.io/astral-sh/uv:0.12.5-python3.12-dhi");
        assert!(dhi.dhi && !dhi.distroless && dhi.tag_problem().is_none());
        assert_eq!((dhi.python, dhi.base.as_deref()), (Some((3, 12)), None));
        let dhi = uv("ghcr.io/astral-sh/uv:alpine3.23-dhi");
        assert_eq!((dhi.dhi, dhi.base.as_deref(), dhi.tag_problem()), (true, Some("alpine3.23"), None));

        let pinned = uv(&format!("ghcr.io/astral-sh/uv:python3.12-alpine@{DIGEST}"));
        assert!(!pinned.floating && pinned.pinned_by_digest);
        let digest_only = uv(&format!("ghcr.io/astral-sh/uv@{DIGEST}"));
        assert!(digest_only.distroless && !digest_only.floating && digest_only.uv_version.is_none());
        assert!(uv_image_info(&parse("ghcr.io/astral-sh/ruff:0.5")).is_none());
        assert!(uv_image_info(&parse("python:3.12")).is_none());
    }

    #[test]
    fn uv_tag_problems() {
        let problem = |text: &str| uv(text).tag_problem().map(|it| (it.kind, it.suggestion.clone()));
        use TagProblemKind::*;
        let base = "ghcr.io/astral-sh/uv:";
        type Case<'a> = (&'a str, Option<(TagProblemKind, Option<&'a str>)>);
        let cases: &[Case<'_>] = &[
            ("0.12.5", None),
            ("python3.12-trixie-slim", None),
            ("0.12.5-python3.14-alpine3.23", None),
            ("python3.12-slim-trixie", Some((Nonexistent, Some("python3.12-trixie-slim")))),
            ("0.12.5-python3.12-slim-bookworm", Some((Nonexistent, Some("0.12.5-python3.12-bookworm-slim")))),
            ("python3.12-slim", Some((Nonexistent, Some("python3.12-trixie-slim")))),
            ("python3.12", Some((Nonexistent, Some("python3.12-trixie-slim")))),
            ("bookworm-slim", Some((Retired, Some("trixie-slim")))),
            ("python3.12-bookworm-slim", Some((Retired, Some("python3.12-trixie-slim")))),
            ("bookworm", Some((Retired, Some("trixie")))),
            ("alpine3.21", Some((Retired, Some("alpine3.22")))),
            ("python3.8-alpine", Some((Retired, None))),
            ("0.10.2-python3.8-alpine", Some((Nonexistent, None))),
            ("0.9.20-python3.12-bookworm-slim", None),
            ("0.9-bookworm", None),
            ("0.10.0-python3.12-bookworm-slim", Some((Nonexistent, Some("0.10.0-python3.12-trixie-slim")))),
            ("0.9.31-bookworm", Some((Nonexistent, Some("0.9.31-trixie")))),
            ("v0.5.11", Some((Nonexistent, Some("0.5.11")))),
            ("python2.7-alpine", Some((Nonexistent, None))),
            ("0.12.5-ubuntu", Some((Nonexistent, None))),
            ("dhi", Some((Nonexistent, None))),
            ("python3.14-rc-trixie", Some((Retired, Some("python3.14-trixie-slim")))),
        ];
        for &(tag, expected) in cases {
            let got = problem(&format!("{base}{tag}"));
            let expected = expected.map(|(kind, suggestion)| (kind, suggestion.map(str::to_owned)));
            assert_eq!(got, expected, "{tag}");
        }
        assert!(
            uv("ghcr.io/astral-sh/uv:python3.12-slim-trixie")
                .tag_problem()
                .is_some_and(|it| it.message.contains("trixie-slim"))
        );
    }

    /// The reference implementation [`check_image_ref`] must agree with: one scan per question.
    fn check_image_ref_by_scans(text: &str) -> Result<ImageRef, ImageRefError> {
        let whole = TextRange::new(0, text.len());
        let error = |range: TextRange, message: &str| Err(ImageRefError { range, message: message.to_owned() });
        if text.is_empty() {
            return error(whole, "the image reference is empty");
        }
        if let Some(dollar) = text.bytes().position(|it| it == b'$') {
            return error(TextRange::new(dollar, text.len()), "the image reference still contains a variable");
        }
        // ASCII text (the usual case) needs no decoding to find whitespace.
        let whitespace = match text.is_ascii() {
            true => text.bytes().position(|it| matches!(it, b'\t'..=b'\r' | b' ')),
            false => text.find(|it: char| it.is_whitespace()),
        };
        if let Some(bad) = whitespace {
            return error(TextRange::new(bad, bad + 1), "an image reference cannot contain whitespace");
        }

        // The separators are ASCII, so byte searches find the same offsets as character searches.
        let (name_tag_end, digest) = match text.bytes().position(|it| it == b'@') {
            Some(at) => {
                let range = TextRange::new(at + 1, text.len());
                if let Err(message) = check_digest(&text[range.as_range()]) {
                    return error(range, &message);
                }
                (at, Some(Spanned::new(CompactString::from(&text[range.as_range()]), range)))
            }
            None => (text.len(), None),
        };
        let name_tag = &text[..name_tag_end];
        let last_slash = name_tag.bytes().rposition(|it| it == b'/');
        let (name_end, tag) = match name_tag.bytes().rposition(|it| it == b':') {
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
                let range = TextRange::new(colon + 1, name_tag_end);
                if !is_valid_tag(&text[range.as_range()]) {
                    return error(
                        range,
                        "invalid tag: use letters, digits, `_`, `.` and `-` (at most 128, not starting with `.` or `-`)",
                    );
                }
                (colon, Some(Spanned::new(CompactString::from(&text[range.as_range()]), range)))
            }
            _ => (name_tag_end, None),
        };
        let name = &text[..name_end];
        if name.is_empty() {
            return error(TextRange::empty(0), "the image reference has no repository name");
        }
        if name.len() > 255 {
            return error(TextRange::new(0, name_end), "the repository name is longer than 255 characters");
        }

        let (registry, path_start) = match name.bytes().position(|it| it == b'/') {
            Some(slash) if is_registry_component(&name[..slash]) => {
                let range = TextRange::new(0, slash);
                if !is_valid_registry(&name[..slash]) {
                    return error(range, "invalid registry host");
                }
                (Some(Spanned::new(CompactString::from(&name[..slash]), range)), slash + 1)
            }
            _ => (None, 0),
        };
        let path_range = TextRange::new(path_start, name_end);
        let path = &text[path_range.as_range()];
        if path.is_empty() {
            return error(path_range, "the image reference has no repository name");
        }
        if path.bytes().any(|it| it.is_ascii_uppercase()) {
            return error(path_range, "repository names must be lowercase");
        }
        if let Some((start, end)) = path
            .split('/')
            .scan(path_start, |offset, component| {
                let start = *offset;
                *offset += component.len() + 1;
                Some((start, start + component.len(), component))
            })
            .find(|(_, _, component)| !is_valid_path_component(component))
            .map(|(start, end, _)| (start, end))
        {
            return error(
                TextRange::new(start, end),
                "invalid repository name: use lowercase letters, digits and single separators (`.`, `_`, `__`, `-`)",
            );
        }
        Ok(ImageRef { registry, repository: Spanned::new(CompactString::from(path), path_range), tag, digest })
    }

    #[test]
    fn one_pass_parse_agrees_with_scans() {
        let alphabet: &[&str] = &[
            "a",
            "z",
            "0",
            "9",
            "A",
            ".",
            "_",
            "__",
            "-",
            "/",
            ":",
            "@",
            "$",
            " ",
            "\t",
            "é",
            "\u{a0}",
            "localhost",
            "sha256:",
            "[",
            "]",
            "5000",
            "python",
            "3.12-slim",
            "ghcr.io",
            "0123456789abcdef",
        ];
        let mut valid = 0;
        for text in crate::test_support::random_texts(alphabet, 50_000, 8, 0x9e37_79b9_7f4a_7c15) {
            let result = check_image_ref(&text);
            assert_eq!(result, check_image_ref_by_scans(&text), "{text:?}");
            valid += usize::from(result.is_ok());
        }
        assert!(valid > 1_000, "only {valid} valid references were generated");
    }

    #[test]
    fn fuzz_never_panics() {
        let alphabet: &[&str] = &[
            "a", "Z", "0", "9", ".", "_", "__", "-", "/", ":", "@", "[", "]", "sha256:", "é", "$", " ", "python",
            "3.12", "slim",
        ];
        for text in crate::test_support::random_texts(alphabet, 20_000, 12, 0x1234_5678_9abc_def1) {
            for candidate in [text.clone(), format!("python:{text}"), format!("ghcr.io/astral-sh/uv:{text}")] {
                match check_image_ref(&candidate) {
                    Ok(it) => {
                        assert!(it.range().end <= candidate.len());
                        let _ = python_image_info(&it);
                        let _ = uv_image_info(&it).map(|uv| uv.tag_problem().cloned());
                    }
                    Err(err) => assert!(err.range.end <= candidate.len(), "{candidate:?}"),
                }
            }
        }
    }
}
