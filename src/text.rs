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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// Lines holding a byte outside ASCII, ascending. On every other line a column is a byte
    /// count in every encoding, which keeps conversions on a long line (say a 2 MB `RUN` with
    /// thousands of findings) from rescanning the line for each position.
    non_ascii_lines: Vec<usize>,
    /// Columns remembered every [`CHECKPOINT_BYTES`] along long lines with non-ASCII text, by
    /// ascending offset, so a conversion there scans at most that many bytes.
    checkpoints: Vec<Checkpoint>,
    len: usize,
}

const CHECKPOINT_BYTES: usize = 4096;

/// A character boundary inside a line and its column in UTF-16 and UTF-32 units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Checkpoint {
    offset: usize,
    line_start: usize,
    utf16: usize,
    utf32: usize,
}

impl Checkpoint {
    fn col(self, encoding: PositionEncoding) -> usize {
        match encoding {
            PositionEncoding::Utf8 => self.offset - self.line_start,
            PositionEncoding::Utf16 => self.utf16,
            PositionEncoding::Utf32 => self.utf32,
        }
    }
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        let mut non_ascii_lines = Vec::new();
        scan_lines(text.as_bytes(), 0, text.len(), &mut line_starts, &mut non_ascii_lines);
        let checkpoints = checkpoints(text, &line_starts, &non_ascii_lines);
        LineIndex { line_starts, non_ascii_lines, checkpoints, len: text.len() }
    }

    /// The index of `new`, built from `previous`, the index of `old`: only the lines around the
    /// part that differs are scanned, and the lines after it move. Equal to [`LineIndex::new`]
    /// of `new`; a keystroke in a 5,000-line file scans a line or two instead of the whole text.
    pub fn edited(previous: &LineIndex, old: &str, new: &str) -> LineIndex {
        // Long lines with non-ASCII text carry checkpoints, which would have to move too; such
        // files are rare enough to index afresh.
        if !previous.checkpoints.is_empty() || previous.len != old.len() {
            return LineIndex::new(new);
        }
        let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
        let prefix = common_prefix(old_bytes, new_bytes);
        if prefix == old.len() && prefix == new.len() {
            return previous.clone();
        }
        let old_end = old.len() - common_suffix(&old_bytes[prefix..], &new_bytes[prefix..]);
        // From a line before the change: a `\n` typed right after a `\r` makes one line break of
        // two.
        let first = previous.line_of(prefix).saturating_sub(1);
        // The old lines that start past the change, and past a `\r\n` that ends right after it,
        // keep their text and only move.
        let kept = previous.line_starts.partition_point(|&start| start <= old_end + 1);
        let moved = |offset: usize| offset.wrapping_add(new.len()).wrapping_sub(old.len());
        let scan_to = previous.line_starts.get(kept).map_or(new.len(), |&start| moved(start));

        let mut line_starts = Vec::with_capacity(previous.line_starts.len() + 8);
        line_starts.extend_from_slice(&previous.line_starts[..=first]);
        let before = previous.non_ascii_lines.partition_point(|&line| line < first);
        let mut non_ascii_lines = previous.non_ascii_lines[..before].to_vec();
        scan_lines(new_bytes, line_starts[first], scan_to, &mut line_starts, &mut non_ascii_lines);
        let long_non_ascii = non_ascii_lines[before..].iter().any(|&line| {
            let end = line_starts.get(line + 1).copied().unwrap_or(new.len());
            end - line_starts[line] > CHECKPOINT_BYTES
        });
        if long_non_ascii {
            return LineIndex::new(new);
        }
        if kept < previous.line_starts.len() {
            // The scan ended on the first kept line's start, which it pushed.
            if line_starts.last() != Some(&scan_to) {
                return LineIndex::new(new);
            }
            line_starts.pop();
            let shift = line_starts.len();
            line_starts.extend(previous.line_starts[kept..].iter().map(|&start| moved(start)));
            let after = previous.non_ascii_lines.partition_point(|&line| line < kept);
            non_ascii_lines.extend(previous.non_ascii_lines[after..].iter().map(|&line| line - kept + shift));
        }
        LineIndex { line_starts, non_ascii_lines, checkpoints: Vec::new(), len: new.len() }
    }

    /// The checkpoints on the line that starts at `line_start` and ends at `line_end`.
    fn checkpoints_in(&self, line_start: usize, line_end: usize) -> &[Checkpoint] {
        let from = self.checkpoints.partition_point(|it| it.offset <= line_start);
        let to = self.checkpoints.partition_point(|it| it.offset <= line_end);
        &self.checkpoints[from..to.max(from)]
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
            true => {
                let on_line = self.checkpoints_in(start, offset);
                match on_line.last() {
                    Some(mark) => mark.col(encoding) + column_width(&text[mark.offset..offset], encoding),
                    None => column_width(&text[start..offset], encoding),
                }
            }
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
        // Start from the last checkpoint at or before the column: every character before it
        // ends at or before the column, so scanning from there finds the same character.
        let on_line = self.checkpoints_in(start, end);
        let mut from = start;
        if let Some(mark) = on_line[..on_line.partition_point(|it| it.col(encoding) <= remaining)].last() {
            from = mark.offset;
            remaining -= mark.col(encoding);
        }
        for (idx, ch) in text[from..end].char_indices() {
            let width = char_width(ch, encoding);
            if remaining < width {
                return from + idx;
            }
            remaining -= width;
        }
        end
    }
}

/// Compared a block at a time: equal slices compare as fast as memory reads, where a byte
/// loop would take a good part of a keystroke on a large file.
const BLOCK: usize = 256;

/// The length of the longest common prefix of `a` and `b`.
pub(crate) fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let mut at = 0;
    while at + BLOCK <= len && a[at..at + BLOCK] == b[at..at + BLOCK] {
        at += BLOCK;
    }
    at + a[at..len].iter().zip(&b[at..len]).take_while(|(x, y)| x == y).count()
}

/// The length of the longest common suffix of `a` and `b`.
pub(crate) fn common_suffix(a: &[u8], b: &[u8]) -> usize {
    let len = a.len().min(b.len());
    let (a, b) = (&a[a.len() - len..], &b[b.len() - len..]);
    let mut at = len;
    while at >= BLOCK && a[at - BLOCK..at] == b[at - BLOCK..at] {
        at -= BLOCK;
    }
    len - at + a[..at].iter().rev().zip(b[..at].iter().rev()).take_while(|(x, y)| x == y).count()
}

/// Scans `bytes[from..to]`, where `from` is the start of the last line in `line_starts`, for the
/// starts of the lines after it, and notes every line with non-ASCII text in `non_ascii_lines`
/// (the last line only when it ends the text). A `\r` at `to - 1` looks at the byte after it.
///
/// Terminators are found with memchr and each line is checked for non-ASCII bytes a word at a
/// time: a loop over the bytes took a fifth of a millisecond on a 5,000-line file.
fn scan_lines(bytes: &[u8], from: usize, to: usize, line_starts: &mut Vec<usize>, non_ascii_lines: &mut Vec<usize>) {
    let mut line_start = from;
    for at in memchr::memchr2_iter(b'\n', b'\r', &bytes[from..to]).map(|at| from + at) {
        // The `\n` of a `\r\n`, which ended its line already.
        if at < line_start {
            continue;
        }
        if !bytes[line_start..at].is_ascii() {
            non_ascii_lines.push(line_starts.len() - 1);
        }
        line_start = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') { at + 2 } else { at + 1 };
        line_starts.push(line_start);
    }
    if to == bytes.len() && !bytes[line_start.min(to)..].is_ascii() {
        non_ascii_lines.push(line_starts.len() - 1);
    }
}

/// Checkpoints along the lines with non-ASCII text longer than [`CHECKPOINT_BYTES`].
fn checkpoints(text: &str, line_starts: &[usize], non_ascii_lines: &[usize]) -> Vec<Checkpoint> {
    let mut checkpoints = Vec::new();
    for &line in non_ascii_lines {
        let start = line_starts[line];
        let end = line_starts.get(line + 1).copied().unwrap_or(text.len());
        if end - start <= CHECKPOINT_BYTES {
            continue;
        }
        let (mut utf16, mut utf32, mut next) = (0, 0, start + CHECKPOINT_BYTES);
        for (idx, ch) in text[start..end].char_indices() {
            if start + idx >= next {
                checkpoints.push(Checkpoint { offset: start + idx, line_start: start, utf16, utf32 });
                next = start + idx + CHECKPOINT_BYTES;
            }
            utf16 += ch.len_utf16();
            utf32 += 1;
        }
    }
    checkpoints
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

    #[test]
    fn common_ends_are_found_across_blocks() {
        let long = "a".repeat(3 * BLOCK + 7);
        for at in [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, long.len() - 1, long.len()] {
            let mut edited = long.clone();
            edited.insert(at, 'b');
            assert_eq!(common_prefix(long.as_bytes(), edited.as_bytes()), at);
            assert_eq!(common_suffix(long.as_bytes(), edited.as_bytes()), long.len() - at);
            assert_eq!(common_suffix(&long.as_bytes()[..at], &edited.as_bytes()[..=at]), 0);
        }
    }

    /// `text` with `range` (clamped, and moved back to character boundaries) replaced.
    fn replaced(text: &str, start: usize, len: usize, with: &str) -> String {
        let floor = |at: usize| (0..=at.min(text.len())).rev().find(|it| text.is_char_boundary(*it)).unwrap_or(0);
        let (start, end) = (floor(start), floor(start + len));
        format!("{}{with}{}", &text[..start], &text[end.max(start)..])
    }

    proptest::proptest! {
        #[test]
        fn an_edited_index_equals_a_new_one(
            old in "[a é\r\n]{0,60}",
            start in 0usize..70,
            len in 0usize..12,
            with in "[a é\r\n]{0,6}",
        ) {
            let new = replaced(&old, start, len, &with);
            proptest::prop_assert_eq!(LineIndex::edited(&LineIndex::new(&old), &old, &new), LineIndex::new(&new));
        }
    }

    #[test]
    fn an_edited_index_with_long_non_ascii_lines_equals_a_new_one() {
        let long = format!("{}\n", "a".repeat(3 * CHECKPOINT_BYTES));
        let old = format!("x\n{long}y\r\n{long}z");
        // Into a long line, splitting one, and on a short line.
        for (start, len, with, long_non_ascii) in
            [(5, 0, "é", true), (3 * CHECKPOINT_BYTES, 1, "é\n", true), (old.len() - 1, 1, "é", false)]
        {
            let new = replaced(&old, start, len, with);
            let edited = LineIndex::edited(&LineIndex::new(&old), &old, &new);
            assert_eq!(edited, LineIndex::new(&new), "{start} {len} {with:?}");
            assert_eq!(!edited.checkpoints.is_empty(), long_non_ascii);
            // And back, from an index with checkpoints.
            assert_eq!(LineIndex::edited(&edited, &new, &old), LineIndex::new(&old));
        }
    }

    /// Columns counted the slow way, character by character.
    fn reference_col(text: &str, offset: usize, encoding: PositionEncoding) -> LineCol {
        let before = &text[..offset];
        let line_start = before.rfind('\n').map_or(0, |idx| idx + 1);
        let line = before.matches('\n').count() as u32;
        LineCol { line, col: column_width(&before[line_start..], encoding) as u32 }
    }

    /// Line starts and non-ASCII lines found a byte at a time.
    fn reference_lines(text: &str) -> (Vec<usize>, Vec<usize>) {
        let bytes = text.as_bytes();
        let (mut starts, mut non_ascii) = (vec![0], Vec::new());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(i + 1),
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    starts.push(i + 2);
                    i += 1;
                }
                b'\r' => starts.push(i + 1),
                byte if !byte.is_ascii() && non_ascii.last() != Some(&(starts.len() - 1)) => {
                    non_ascii.push(starts.len() - 1)
                }
                _ => {}
            }
            i += 1;
        }
        (starts, non_ascii)
    }

    proptest::proptest! {
        #[test]
        fn lines_are_found_as_a_byte_at_a_time(pieces in proptest::collection::vec(
            proptest::sample::select(vec!["\n", "\r", "\r\n", "\n\r", "a", "RUN x", "é", "🐍", " ", "\r\r\n"]),
            0..40,
        )) {
            let text = pieces.concat();
            let index = LineIndex::new(&text);
            let (starts, non_ascii) = reference_lines(&text);
            proptest::prop_assert_eq!(&index.line_starts, &starts);
            proptest::prop_assert_eq!(&index.non_ascii_lines, &non_ascii);
        }
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

    #[test]
    fn long_non_ascii_lines_convert_through_checkpoints() {
        let line = "RUN echo é 🐍 日本 x ".repeat(800);
        let text = format!("FROM x\n{line}\r\n🐍{line}");
        let index = LineIndex::new(&text);
        assert!(index.checkpoints.len() > 5);
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32] {
            // (Between `\r` and `\n` is the end of the line, which the reference below gets wrong.)
            let offsets = text.char_indices().step_by(13).map(|(offset, _)| offset).chain([text.len()]);
            for offset in offsets.filter(|&offset| !text[..offset].ends_with('\r')) {
                let pos = index.line_col(&text, offset, encoding);
                let line_start = text[..offset].rfind('\n').map_or(0, |idx| idx + 1);
                let expected = column_width(&text[line_start..offset], encoding) as u32;
                let expected = LineCol { line: text[..offset].matches('\n').count() as u32, col: expected };
                assert_eq!(pos, expected, "{offset} {encoding:?}");
                assert_eq!(index.offset(&text, pos, encoding), offset, "{pos:?} {encoding:?}");
            }
        }
        // Inside a surrogate pair, past the end of a long line, and past the last line.
        let snake = text.find('🐍').unwrap_or(0);
        let pos = index.line_col(&text, snake, PositionEncoding::Utf16);
        let inside = LineCol { line: pos.line, col: pos.col + 1 };
        assert_eq!(index.offset(&text, inside, PositionEncoding::Utf16), snake);
        let long_line_end = text.find("\r\n").unwrap_or(0);
        assert_eq!(index.offset(&text, LineCol { line: 1, col: u32::MAX }, PositionEncoding::Utf16), long_line_end);
        assert_eq!(index.offset(&text, LineCol { line: 9, col: 0 }, PositionEncoding::Utf16), text.len());
    }
}
