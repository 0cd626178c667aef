//! Physical lines, line continuations and the logical text of one instruction.
//!
//! BuildKit reads a Dockerfile line by line (split on `\n`, trailing `\r`s dropped), joins lines
//! that end with the escape character, and skips comment and blank lines inside such a join. The
//! helpers here do the same while remembering where every piece of the joined text came from.

use crate::syntax::OffsetMap;
use crate::text::TextRange;

/// One physical line: `start..content_end` is its text without the line break.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    pub(crate) start: usize,
    pub(crate) content_end: usize,
    /// Where the next line starts (after the `\n`, or the end of the text).
    pub(crate) next: usize,
}

pub(crate) fn line_at(text: &str, start: usize) -> Line {
    let bytes = text.as_bytes();
    // `str::find` with a char uses a fast byte search.
    let (mut content_end, next) = match text[start..].find('\n') {
        Some(idx) => (start + idx, start + idx + 1),
        None => (bytes.len(), bytes.len()),
    };
    // BuildKit trims every trailing `\r` (and `\n`), not just one.
    while content_end > start && bytes[content_end - 1] == b'\r' {
        content_end -= 1;
    }
    Line { start, content_end, next }
}

/// Byte length of the leading Unicode whitespace (Go's `unicode.IsSpace` is the same set).
pub(crate) fn leading_ws(s: &str) -> usize {
    if s.as_bytes().first().is_some_and(|it| !it.is_ascii_whitespace() && it.is_ascii()) {
        return 0;
    }
    s.len() - s.trim_start_matches(char::is_whitespace).len()
}

/// Byte length of the trailing Unicode whitespace.
pub(crate) fn trailing_ws(s: &str) -> usize {
    s.len() - s.trim_end_matches(char::is_whitespace).len()
}

/// The whitespace BuildKit splits keywords and plain word lists on (`[\t\v\f\r ]`).
pub(crate) fn is_split_ws(b: u8) -> bool {
    matches!(b, b'\t' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Decides whether the line `text[start..end]` continues on the next line. Returns the end of
/// the text the line contributes and whether it continues.
///
/// Mirrors BuildKit's regular expression: the escape character followed only by spaces and tabs,
/// not itself escaped (an escape right before it), or alone on the line.
pub(crate) fn continuation(text: &str, start: usize, end: usize, escape: u8) -> (usize, bool) {
    let bytes = &text.as_bytes()[start..end];
    let mut e = bytes.len();
    while e > 0 && matches!(bytes[e - 1], b' ' | b'\t') {
        e -= 1;
    }
    if e == 0 || bytes[e - 1] != escape {
        return (end, false);
    }
    let escape_at = e - 1;
    if escape_at == 0 {
        return (start, true);
    }
    if bytes[escape_at - 1] == escape {
        return (end, false);
    }
    (start + escape_at, true)
}

/// Builds a string out of source pieces while recording an [`OffsetMap`] back to the source.
#[derive(Default, Debug)]
pub(crate) struct MappedText {
    pub(crate) text: String,
    pub(crate) map: OffsetMap,
    /// Source offset right after the last pushed piece, to merge adjacent pieces.
    next_source: usize,
}

impl MappedText {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.map.segments.clear();
        self.next_source = usize::MAX;
    }

    /// Appends `piece`, which starts at `source` in the original text.
    pub(crate) fn push(&mut self, piece: &str, source: usize) {
        if piece.is_empty() {
            return;
        }
        if self.map.segments.is_empty() || source != self.next_source {
            self.map.segments.push((self.text.len(), source));
        }
        self.text.push_str(piece);
        self.next_source = source + piece.len();
    }

    /// Appends the logical text `line.text[start..end]`, split where it crosses pieces of the
    /// source.
    pub(crate) fn push_logical(&mut self, line: &Logical, start: usize, end: usize) {
        let segments = &line.map.segments;
        let mut idx = match segments.binary_search_by_key(&start, |it| it.0) {
            Ok(idx) => idx,
            Err(0) => 0,
            Err(next) => next - 1,
        };
        let mut pos = start;
        while pos < end {
            let (logical_start, source_start) = segments.get(idx).copied().unwrap_or((0, 0));
            let piece_end = segments.get(idx + 1).map_or(end, |it| it.0.min(end));
            let piece_end = piece_end.max(pos + 1).min(end);
            self.push(&line.text[pos..piece_end], source_start + pos.saturating_sub(logical_start));
            pos = piece_end;
            idx += 1;
        }
    }

    pub(crate) fn into_parts(self) -> (String, OffsetMap) {
        (self.text, self.map)
    }
}

/// A logical line: the joined text of one instruction plus the map back to the source.
pub(crate) struct Logical<'a> {
    pub(crate) text: &'a str,
    pub(crate) map: &'a OffsetMap,
}

impl Logical<'_> {
    pub(crate) fn source(&self, logical: usize) -> usize {
        self.map.to_source(logical)
    }

    /// Source range of the logical range `start..end`.
    pub(crate) fn range(&self, start: usize, end: usize) -> TextRange {
        if start >= end {
            let at = self.source(start);
            return TextRange::empty(at);
        }
        self.map.range_to_source(TextRange::new(start, end))
    }

    /// `start..end` shrunk by the Unicode whitespace at both ends.
    pub(crate) fn trim(&self, start: usize, end: usize) -> (usize, usize) {
        let s = &self.text[start..end];
        let lead = leading_ws(s);
        if lead == s.len() {
            return (end, end);
        }
        (start + lead, end - trailing_ws(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_follows_buildkit() {
        fn check(line: &str) -> (&str, bool) {
            let (end, cont) = continuation(line, 0, line.len(), b'\\');
            (&line[..end], cont)
        }
        assert_eq!(check("RUN a \\"), ("RUN a ", true));
        assert_eq!(check("RUN a \\  \t"), ("RUN a ", true));
        assert_eq!(check("\\"), ("", true));
        assert_eq!(check("RUN a \\\\"), ("RUN a \\\\", false));
        assert_eq!(check("RUN a"), ("RUN a", false));
        assert_eq!(check("RUN a \\ b"), ("RUN a \\ b", false));
        let (end, cont) = continuation("RUN a `", 0, 7, b'`');
        assert_eq!((end, cont), (6, true));
    }

    #[test]
    fn line_at_trims_all_carriage_returns() {
        let text = "ab\r\r\ncd";
        let line = line_at(text, 0);
        assert_eq!((line.start, line.content_end, line.next), (0, 2, 5));
        let line = line_at(text, 5);
        assert_eq!((line.start, line.content_end, line.next), (5, 7, 7));
    }
}
