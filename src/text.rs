//! Byte ranges and line/column conversion shared by the parser, the CLI and the server.

use std::ops::Range;

/// A half-open byte range into one source text.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct TextRange {
    pub start: usize,
    pub end: usize,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        debug_assert!(start <= end, "inverted range {start}..{end}");
        TextRange { start, end: end.max(start) }
    }

    pub fn empty(at: usize) -> TextRange {
        TextRange { start: at, end: at }
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// True when `offset` lies inside the range or touches its end (a cursor right after a word).
    pub fn touches(self, offset: usize) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The smallest range covering both.
    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn as_range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// A value together with the source range it came from.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Spanned<T> {
    pub value: T,
    pub range: TextRange,
}

impl<T> Spanned<T> {
    pub fn new(value: T, range: TextRange) -> Spanned<T> {
        Spanned { value, range }
    }
}

/// How columns are counted in an LSP position.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum PositionEncoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

/// A zero-based line and a column in the unit of some [`PositionEncoding`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line, with the line terminators LSP uses: `\n`, `\r\n` and a lone `\r`.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// Lines holding a byte outside ASCII, ascending. On every other line a column is a byte
    /// count in every encoding, which keeps conversions on a long line (say a 2 MB `RUN` with
    /// thousands of findings) from rescanning the line for each position.
    non_ascii_lines: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0];
        let mut non_ascii_lines = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    line_starts.push(i + 2);
                    i += 1;
                }
                b'\r' => line_starts.push(i + 1),
                byte if !byte.is_ascii() && non_ascii_lines.last() != Some(&(line_starts.len() - 1)) => {
                    non_ascii_lines.push(line_starts.len() - 1);
                }
                _ => {}
            }
            i += 1;
        }
        LineIndex { line_starts, non_ascii_lines, len: text.len() }
    }

    /// True when a column on `line` may differ between encodings.
    fn has_non_ascii(&self, line: usize) -> bool {
        self.non_ascii_lines.binary_search(&line).is_ok()
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte offset where `line` starts; past the last line this is the end of the text.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.len)
    }

    /// Byte offset of the end of `line`'s content, before its terminator.
    pub fn line_end(&self, text: &str, line: usize) -> usize {
        let Some(&next) = self.line_starts.get(line + 1) else {
            return self.len;
        };
        let bytes = text.as_bytes();
        let mut end = next;
        if end > 0 && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > 0 && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        end
    }

    /// Zero-based line of a byte offset (offsets past the end map to the last line).
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset.min(self.len)) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// Converts a byte offset into a line and a column counted in `encoding`.
    /// Offsets inside a character snap to its start; offsets past the end snap to the end.
    pub fn line_col(&self, text: &str, offset: usize, encoding: PositionEncoding) -> LineCol {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        // An offset between the `\r` and `\n` of a line break is the end of the line.
        let offset = offset.min(self.line_end(text, line));
        let start = self.line_start(line).min(offset);
        let col = match self.has_non_ascii(line) {
            true => column_width(&text[start..offset], encoding),
            false => offset - start,
        };
        LineCol { line: line as u32, col: col as u32 }
    }

    /// Converts a line and column into a byte offset. A line past the end clamps to the end of
    /// the text, a column past the end of its line clamps to the line end, and a column inside a
    /// character (e.g. between the halves of a UTF-16 surrogate pair) snaps to the character start.
    pub fn offset(&self, text: &str, pos: LineCol, encoding: PositionEncoding) -> usize {
        let line = pos.line as usize;
        if line >= self.line_starts.len() {
            return text.len();
        }
        let start = self.line_start(line);
        let end = self.line_end(text, line);
        if !self.has_non_ascii(line) {
            return start + (pos.col as usize).min(end - start);
        }
        let mut remaining = pos.col as usize;
        for (idx, ch) in text[start..end].char_indices() {
            let width = char_width(ch, encoding);
            if remaining < width {
                return start + idx;
            }
            remaining -= width;
        }
        end
    }
}

fn char_width(ch: char, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => ch.len_utf8(),
        PositionEncoding::Utf16 => ch.len_utf16(),
        PositionEncoding::Utf32 => 1,
    }
}

fn column_width(s: &str, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => s.len(),
        PositionEncoding::Utf16 => s.chars().map(char::len_utf16).sum(),
        PositionEncoding::Utf32 => s.chars().count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns counted the slow way, character by character.
    fn reference_col(text: &str, offset: usize, encoding: PositionEncoding) -> LineCol {
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |idx| idx + 1);
        let line = before.matches('\n').count() as u32;
        LineCol { line, col: column_width(&before[line_start..], encoding) as u32 }
    }

    #[test]
    fn ascii_and_non_ascii_lines_convert_both_ways() {
        let text = "FROM python:3.12\nRUN echo 🐍 é\n\nCMD [\"x\"]\nLABEL a=日本";
        let index = LineIndex::new(text);
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32] {
            for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
                let pos = index.line_col(text, offset, encoding);
                assert_eq!(pos, reference_col(text, offset, encoding), "{offset} {encoding:?}");
                assert_eq!(index.offset(text, pos, encoding), offset, "{pos:?} {encoding:?}");
            }
            // Columns past the end of an ASCII line clamp to its end, as on other lines.
            assert_eq!(index.offset(text, LineCol { line: 0, col: 999 }, encoding), 16);
            assert_eq!(index.offset(text, LineCol { line: 1, col: 999 }, encoding), text.find("\n\n").unwrap_or(0));
        }
    }
}
