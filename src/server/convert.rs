//! Conversions between berth's own types and LSP types (`to_proto`/`from_proto` in one place).
//!
//! tower-lsp-server 0.24 renames many LSP types, so everything LSP-shaped that is not a handler
//! signature lives here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::json;
use tower_lsp_server::ls_types as lsp;

use crate::diagnostic::{Diagnostic, RelatedLocation, Severity, Tag};
use crate::project::FileSystem;
use crate::text::{LineCol, LineIndex, PositionEncoding, TextRange};

/// Picks the position encoding: UTF-8 if offered, else UTF-32 if offered, else UTF-16 (which
/// every client must support, and which applies when the client offers nothing).
pub(crate) fn negotiate_encoding(offered: Option<&[lsp::PositionEncodingKind]>) -> PositionEncoding {
    let offered = offered.unwrap_or_default();
    if offered.contains(&lsp::PositionEncodingKind::UTF8) {
        PositionEncoding::Utf8
    } else if offered.contains(&lsp::PositionEncodingKind::UTF32) {
        PositionEncoding::Utf32
    } else {
        PositionEncoding::Utf16
    }
}

pub(crate) fn encoding_kind(encoding: PositionEncoding) -> lsp::PositionEncodingKind {
    match encoding {
        PositionEncoding::Utf8 => lsp::PositionEncodingKind::UTF8,
        PositionEncoding::Utf16 => lsp::PositionEncodingKind::UTF16,
        PositionEncoding::Utf32 => lsp::PositionEncodingKind::UTF32,
    }
}

pub(crate) fn line_col(pos: lsp::Position) -> LineCol {
    LineCol { line: pos.line, col: pos.character }
}

pub(crate) fn position(lc: LineCol) -> lsp::Position {
    lsp::Position { line: lc.line, character: lc.col }
}

/// The file path of a `file:` URI; `None` for other schemes (`untitled:`, ...).
pub(crate) fn uri_to_path(uri: &lsp::Uri) -> Option<PathBuf> {
    if !uri.scheme().as_str().eq_ignore_ascii_case("file") {
        return None;
    }
    uri.to_file_path().map(|path| path.into_owned())
}

pub(crate) fn path_to_uri(path: &Path) -> Option<lsp::Uri> {
    lsp::Uri::from_file_path(path)
}

/// A text with its line index, for turning byte ranges into LSP ranges.
pub(crate) struct IndexedText<'a> {
    text: &'a str,
    index: &'a LineIndex,
}

impl<'a> IndexedText<'a> {
    /// `index` must be the line index of `text`; it is built once per analysed version and shared.
    pub(crate) fn new(text: &'a str, index: &'a LineIndex) -> IndexedText<'a> {
        IndexedText { text, index }
    }

    pub(crate) fn range(&self, range: TextRange, encoding: PositionEncoding) -> lsp::Range {
        lsp::Range {
            start: position(self.index.line_col(self.text, range.start, encoding)),
            end: position(self.index.line_col(self.text, range.end, encoding)),
        }
    }
}

/// Converts analysis diagnostics of the Dockerfile at `uri` (`dockerfile` is its text and line
/// index). Related locations in other files use the text carried by the diagnostic, else
/// whatever `fs` reads.
pub(crate) fn diagnostics(
    uri: &lsp::Uri,
    dockerfile: &IndexedText<'_>,
    diagnostics: &[Diagnostic],
    encoding: PositionEncoding,
    fs: &dyn FileSystem,
) -> Vec<lsp::Diagnostic> {
    let mut others = RelatedFiles::default();
    // A file has a few hundred findings at most, of a few dozen rules: each rule's documentation
    // link is built and parsed once.
    let mut hrefs: HashMap<&'static str, Option<lsp::Uri>> = HashMap::new();
    let mut acc = Vec::with_capacity(diagnostics.len());
    for diag in diagnostics {
        let related = diag
            .related
            .iter()
            .filter_map(|location| {
                let (uri, range) = others.locate(uri, dockerfile, location, encoding, fs)?;
                Some(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location { uri: uri.clone(), range },
                    message: location.message.clone(),
                })
            })
            .collect();
        let href = hrefs.entry(diag.code).or_insert_with(|| lsp::Uri::from_str(&crate::rules::doc_url(diag.code)).ok());
        acc.push(diagnostic(diag, dockerfile.range(diag.range, encoding), related, href.clone()));
    }
    acc
}

/// Like [`diagnostics`], written directly as the JSON text serde gives for that list, for
/// `publishDiagnostics`: a keystroke's push then skips building hundreds of `lsp::Diagnostic`
/// values (each with a JSON map of its own) only to turn them into text.
pub(crate) fn diagnostics_json(
    uri: &lsp::Uri,
    dockerfile: &IndexedText<'_>,
    diagnostics: &[Diagnostic],
    encoding: PositionEncoding,
    fs: &dyn FileSystem,
) -> Vec<u8> {
    let mut others = RelatedFiles::default();
    // Each rule's documentation link, checked as a URI once, as JSON text. A file's findings
    // come from a few rules: a list searched by code costs less than hashing every code.
    let mut hrefs: Vec<(&'static str, Option<Vec<u8>>)> = Vec::new();
    // A diagnostic's JSON is its message and about 300 bytes around it (range, code, link, name):
    // sized for that, the text is not copied as it grows.
    let mut out = Vec::with_capacity(diagnostics.iter().map(|it| it.message.len() + 360).sum::<usize>() + 2);
    out.push(b'[');
    for (idx, diag) in diagnostics.iter().enumerate() {
        if idx > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"range\":");
        write_range(&mut out, dockerfile.range(diag.range, encoding));
        out.extend_from_slice(b",\"severity\":");
        write_json(&mut out, &severity(diag.severity));
        out.extend_from_slice(b",\"code\":");
        write_str(&mut out, diag.code);
        let known = hrefs.iter().position(|(code, _)| *code == diag.code);
        let known = known.unwrap_or_else(|| {
            let href = lsp::Uri::from_str(&crate::rules::doc_url(diag.code)).ok();
            hrefs.push((diag.code, href.and_then(|href| serde_json::to_vec(&href).ok())));
            hrefs.len() - 1
        });
        if let Some((_, Some(href))) = hrefs.get(known) {
            out.extend_from_slice(b",\"codeDescription\":{\"href\":");
            out.extend_from_slice(href);
            out.push(b'}');
        }
        out.extend_from_slice(b",\"source\":\"berth\",\"message\":");
        write_str(&mut out, &diag.message);
        let mut first = true;
        for location in &diag.related {
            let Some((uri, range)) = others.locate(uri, dockerfile, location, encoding, fs) else { continue };
            out.extend_from_slice(if first { b",\"relatedInformation\":[" } else { b"," });
            first = false;
            out.extend_from_slice(b"{\"location\":{\"uri\":");
            write_json(&mut out, uri);
            out.extend_from_slice(b",\"range\":");
            write_range(&mut out, range);
            out.extend_from_slice(b"},\"message\":");
            write_str(&mut out, &location.message);
            out.push(b'}');
        }
        if !first {
            out.push(b']');
        }
        if !diag.tags.is_empty() {
            out.extend_from_slice(b",\"tags\":");
            write_json(&mut out, &diag.tags.iter().map(|tag| diagnostic_tag(*tag)).collect::<Vec<_>>());
        }
        out.extend_from_slice(b",\"data\":{\"name\":");
        write_str(&mut out, diag.name);
        out.extend_from_slice(b"}}");
    }
    out.push(b']');
    out
}

/// Writes `range` as the JSON text of an LSP `Range`.
pub(crate) fn write_range(out: &mut Vec<u8>, range: lsp::Range) {
    for (key, position) in [(&b"{\"start\":{\"line\":"[..], range.start), (&b"},\"end\":{\"line\":"[..], range.end)] {
        out.extend_from_slice(key);
        write_number(out, position.line);
        out.extend_from_slice(b",\"character\":");
        write_number(out, position.character);
    }
    out.extend_from_slice(b"}}");
}

pub(crate) fn write_number(out: &mut Vec<u8>, number: u32) {
    out.extend_from_slice(itoa::Buffer::new().format(number).as_bytes());
}

/// Writes `text` as a JSON string, exactly as serde does. Most strings in a large answer (messages,
/// codes, symbol names) need no escape and are copied whole: serde's writer, which looks up every
/// byte, was a tenth of the work of a keystroke on a file with hundreds of findings.
pub(crate) fn write_str(out: &mut Vec<u8>, text: &str) {
    if needs_escape(text.as_bytes()) {
        write_json(out, text);
        return;
    }
    out.reserve(text.len() + 2);
    out.push(b'"');
    out.extend_from_slice(text.as_bytes());
    out.push(b'"');
}

/// Whether `bytes` holds a byte that JSON strings escape: a quote, a backslash or a control
/// character.
fn needs_escape(bytes: &[u8]) -> bool {
    let special = |byte: u8| (byte < 0x20) | (byte == b'"') | (byte == b'\\');
    // Without an early exit inside a chunk, the check of 16 bytes compiles to a few vector
    // instructions.
    let mut chunks = bytes.chunks_exact(16);
    chunks.by_ref().any(|chunk| chunk.iter().fold(false, |found, &byte| found | special(byte)))
        || chunks.remainder().iter().any(|&byte| special(byte))
}

/// Writes `value` as serde does; for the strings, numbers and plain enums of LSP messages.
pub(crate) fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    // Strings, numbers and plain enums written into a `Vec` cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

/// Files other than the Dockerfile that related locations point into, each read, indexed and
/// turned into a URI once for all diagnostics.
#[derive(Default)]
struct RelatedFiles {
    files: HashMap<PathBuf, Option<(lsp::Uri, std::sync::Arc<str>, LineIndex)>>,
}

impl RelatedFiles {
    /// Where `location` is, as a URI and an LSP range; `None` when its file has no URI.
    fn locate<'s>(
        &'s mut self,
        dockerfile_uri: &'s lsp::Uri,
        dockerfile: &IndexedText<'_>,
        location: &RelatedLocation,
        encoding: PositionEncoding,
        fs: &dyn FileSystem,
    ) -> Option<(&'s lsp::Uri, lsp::Range)> {
        let Some(path) = &location.path else {
            return Some((dockerfile_uri, dockerfile.range(location.range, encoding)));
        };
        let entry = self.files.entry(path.clone()).or_insert_with(|| {
            let Some(uri) = path_to_uri(path) else {
                tracing::debug!("no URI for related file {}", path.display());
                return None;
            };
            let text: std::sync::Arc<str> = match &location.text {
                Some(text) => text.clone(),
                // A file that cannot be read still gets its link, at its start.
                None => fs.read_to_string(path).unwrap_or_default().into(),
            };
            let index = LineIndex::new(&text);
            Some((uri, text, index))
        });
        let (uri, text, index) = entry.as_ref()?;
        let range = lsp::Range {
            start: position(index.line_col(text, location.range.start, encoding)),
            end: position(index.line_col(text, location.range.end, encoding)),
        };
        Some((uri, range))
    }
}

fn diagnostic(
    diag: &Diagnostic,
    range: lsp::Range,
    related: Vec<lsp::DiagnosticRelatedInformation>,
    href: Option<lsp::Uri>,
) -> lsp::Diagnostic {
    let tags: Vec<lsp::DiagnosticTag> = diag.tags.iter().map(|tag| diagnostic_tag(*tag)).collect();
    lsp::Diagnostic {
        range,
        severity: Some(severity(diag.severity)),
        code: Some(lsp::NumberOrString::String(diag.code.to_owned())),
        code_description: href.map(|href| lsp::CodeDescription { href }),
        source: Some("berth".to_owned()),
        message: diag.message.to_string(),
        related_information: (!related.is_empty()).then_some(related),
        tags: (!tags.is_empty()).then_some(tags),
        data: Some(json!({ "name": diag.name })),
    }
}

fn diagnostic_tag(tag: Tag) -> lsp::DiagnosticTag {
    match tag {
        Tag::Unnecessary => lsp::DiagnosticTag::UNNECESSARY,
        Tag::Deprecated => lsp::DiagnosticTag::DEPRECATED,
    }
}

fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn strings_are_written_as_serde_writes_them(
            text in "(?s).{0,80}",
            special in r#"["\\\x00-\x1f\x7f]{0,2}"#,
            at in 0usize..80,
        ) {
            let mut text = text;
            let at = (0..=at.min(text.len())).rev().find(|it| text.is_char_boundary(*it)).unwrap_or(0);
            text.insert_str(at, &special);
            let mut fast = Vec::new();
            super::write_str(&mut fast, &text);
            proptest::prop_assert_eq!(String::from_utf8(fast).unwrap(), serde_json::to_string(&text).unwrap());
        }
    }

    use std::sync::Arc;

    use crate::diagnostic::{RelatedLocation, Severity};
    use crate::project::OsFileSystem;

    use super::*;

    #[test]
    fn encoding_preference() {
        use lsp::PositionEncodingKind as K;
        assert_eq!(negotiate_encoding(None), PositionEncoding::Utf16);
        assert_eq!(negotiate_encoding(Some(&[])), PositionEncoding::Utf16);
        assert_eq!(negotiate_encoding(Some(&[K::UTF16])), PositionEncoding::Utf16);
        assert_eq!(negotiate_encoding(Some(&[K::UTF16, K::UTF32])), PositionEncoding::Utf32);
        assert_eq!(negotiate_encoding(Some(&[K::UTF16, K::UTF32, K::UTF8])), PositionEncoding::Utf8);
        assert_eq!(negotiate_encoding(Some(&[K::new("utf-7")])), PositionEncoding::Utf16);
    }

    #[test]
    fn diagnostic_fields() {
        let uri = lsp::Uri::from_str("file:///w/Dockerfile").unwrap();
        let text = "FROM é\nRUN 🐍 uv sync\n";
        let pyproject: Arc<str> = Arc::from("[project]\nname = \"ü\"\n");
        let diag = Diagnostic {
            code: "UV201",
            name: "unlocked-uv-sync",
            severity: Severity::Warning,
            range: TextRange::new(12, 19),
            message: "uv sync without --locked".into(),
            related: vec![
                RelatedLocation {
                    path: Some(PathBuf::from("/w/pyproject.toml")),
                    text: Some(pyproject),
                    range: TextRange::new(17, 20),
                    message: "the project".to_owned(),
                },
                RelatedLocation { path: None, text: None, range: TextRange::new(5, 7), message: "base".to_owned() },
            ],
            tags: vec![Tag::Deprecated],
            fixes: Vec::new(),
        };
        let index = LineIndex::new(text);
        let out = diagnostics(&uri, &IndexedText::new(text, &index), &[diag], PositionEncoding::Utf16, &OsFileSystem);
        let json = serde_json::to_value(&out).unwrap();
        let expected = json!([{
            "range": {"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 9}},
            "severity": 2,
            "code": "UV201",
            "codeDescription": {"href": crate::rules::doc_url("UV201")},
            "source": "berth",
            "message": "uv sync without --locked",
            "relatedInformation": [
                {"location": {"uri": "file:///w/pyproject.toml", "range": {"start": {"line": 1, "character": 7}, "end": {"line": 1, "character": 9}}}, "message": "the project"},
                {"location": {"uri": "file:///w/Dockerfile", "range": {"start": {"line": 0, "character": 5}, "end": {"line": 0, "character": 6}}}, "message": "base"},
            ],
            "tags": [2],
            "data": {"name": "unlocked-uv-sync"},
        }]);
        assert_eq!(json, expected);
    }

    #[test]
    fn the_json_text_is_what_serde_writes_for_the_values() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::write(root.join("pyproject.toml"), "[project]\nname = \"é\"\nrequires-python = \">=3.13\"\n").unwrap();
        std::fs::write(root.join(".python-version"), "3.13\n").unwrap();
        let project = crate::project::discover(&OsFileSystem, &root.join("Dockerfile"), Some(&root));
        let uri = path_to_uri(&root.join("Dockerfile")).unwrap();
        let texts = [
            String::new(),
            "FROM python:3.12-slim\nMAINTAINER \"é\\\"\"\nRUN uv sync # 🐍 \\\n  --frozen --locked\n# berth: ignore[XX999]\n".to_owned(),
            crate::syntax::sample::sample_large_dockerfile(400),
        ];
        let (mut other_files, mut tags) = (false, false);
        for text in &texts {
            let found = crate::analysis::analyze(text, &project).diagnostics;
            other_files |= found.iter().flat_map(|it| &it.related).any(|it| it.path.is_some());
            tags |= found.iter().any(|it| !it.tags.is_empty());
            let index = LineIndex::new(text);
            let dockerfile = IndexedText::new(text, &index);
            for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32] {
                let values = diagnostics(&uri, &dockerfile, &found, encoding, &OsFileSystem);
                let expected = String::from_utf8(serde_json::to_vec(&values).unwrap()).unwrap();
                let written = String::from_utf8(diagnostics_json(&uri, &dockerfile, &found, encoding, &OsFileSystem));
                assert_eq!(written.unwrap(), expected);
            }
        }
        assert!(other_files && tags, "the inputs cover related files and tags");
    }

    #[test]
    fn offsets_inside_a_crlf_are_the_end_of_the_line() {
        // Byte 3 is the `\n` of `ab\r\n`; it used to come out as column 3 (past the `\r`).
        let index = LineIndex::new("ab\r\ncd");
        let text = IndexedText::new("ab\r\ncd", &index);
        let range = text.range(TextRange::new(3, 4), PositionEncoding::Utf16);
        assert_eq!(range.start, lsp::Position { line: 0, character: 2 });
        assert_eq!(range.end, lsp::Position { line: 1, character: 0 });
    }

    #[test]
    fn non_file_uris_have_no_path() {
        let untitled = lsp::Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(uri_to_path(&untitled), None);
        let file = lsp::Uri::from_str("file:///tmp/a%20b/Dockerfile").unwrap();
        assert_eq!(uri_to_path(&file), Some(PathBuf::from("/tmp/a b/Dockerfile")));
    }
}
