//! Physical lines, line continuations and the logical text of one instruction.
//!
//! BuildKit reads a Dockerfile line by line (split on `\n`, trailing `\r`s dropped), joins lines
//! that end with the escape character, and skips comment and blank lines inside such a join. The
//! helpers here do the same while remembering where every piece of the joined text came from.

use crate::syntax::{OffsetMap, Pieces};
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
    // Lines are short: `memchr` starts fast where `str::find` spends a while setting up.
    let (mut content_end, next) = match memchr::memchr(b'\n', &bytes[start..]) {
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
///
/// A text that starts with an ASCII character other than `\t`, `\n`, `\x0c`, `\r` and space
/// has none (so a leading `\x0b` is kept, as it always has been here).
pub(crate) fn leading_ws(s: &str) -> usize {
    let bytes = s.as_bytes();
    match bytes.first() {
        None => return 0,
        Some(it) if !it.is_ascii_whitespace() && it.is_ascii() => return 0,
        Some(_) => {}
    }
    let mut idx = 0;
    while idx < bytes.len() {
        let b = bytes[idx];
        if b < 0x80 {
            if !is_ascii_space(b) {
                break;
            }
            idx += 1;
            continue;
        }
        match s[idx..].chars().next() {
            Some(ch) if ch.is_whitespace() => idx += ch.len_utf8(),
            _ => break,
        }
    }
    idx
}

/// Byte length of the trailing Unicode whitespace.
pub(crate) fn trailing_ws(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut end = bytes.len();
    while end > 0 {
        let b = bytes[end - 1];
        if b >= 0x80 {
            // A multi-byte character: let the standard library decode backwards.
            return s.len() - s[..end].trim_end_matches(char::is_whitespace).len();
        }
        if !is_ascii_space(b) {
            break;
        }
        end -= 1;
    }
    s.len() - end
}

/// The ASCII characters that are Unicode whitespace (and Go's `unicode.IsSpace`):
/// `\t`, `\n`, `\x0b`, `\x0c`, `\r` and space.
#[inline]
pub(crate) fn is_ascii_space(b: u8) -> bool {
    CLASS[b as usize] & SPACE != 0
}

/// Byte classes for the scanning loops, so that a run of ordinary bytes costs one table lookup
/// per byte. Only ASCII is syntax in a Dockerfile; other bytes are flagged so a loop can decode
/// the character (some Unicode whitespace separates words).
pub(crate) const SPACE: u8 = 1;
pub(crate) const QUOTE: u8 = 2;
/// Either escape character (`\` or `` ` ``); a loop still compares with the one in force.
pub(crate) const ESCAPE: u8 = 4;
pub(crate) const NON_ASCII: u8 = 8;

pub(crate) static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut idx = 0;
    while idx < 256 {
        table[idx] = match idx as u8 {
            b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' => SPACE,
            b'\'' | b'"' => QUOTE,
            b'\\' | b'`' => ESCAPE,
            0x80.. => NON_ASCII,
            _ => 0,
        };
        idx += 1;
    }
    table
};

// Word-at-a-time scanning: the loops below look at eight bytes at once and drop to one byte at
// a time only from the first byte that may matter. The tests are the classic bit tricks: each
// marks (sets the high bit of) the matching bytes of a word. A borrow can mark a byte wrongly,
// but only above a truly matching one, so the lowest mark is always the first match.

const LOW_BITS: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Marks the bytes of `word` below `limit` (at most 0x80) and those with the high bit set.
#[inline(always)]
fn below_or_high(word: u64, limit: u8) -> u64 {
    (word.wrapping_sub(LOW_BITS * limit as u64) | word) & HIGH_BITS
}

/// Marks the bytes of `word` equal to `byte`.
#[inline(always)]
fn has_byte(word: u64, byte: u8) -> u64 {
    let diff = word ^ (LOW_BITS * byte as u64);
    diff.wrapping_sub(LOW_BITS) & !diff & HIGH_BITS
}

/// Skips the bytes of `bytes` from `pos` up to the first one `marks` marks, eight at a time;
/// returns that byte's offset, or where fewer than eight bytes are left. `marks` must mark the
/// first byte that matters in a word (later marks may be wrong), which the tests here do.
#[inline(always)]
pub(crate) fn skip_words(bytes: &[u8], mut pos: usize, marks: impl Fn(u64) -> u64) -> usize {
    while let Some(chunk) = bytes.get(pos..pos + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let marked = marks(u64::from_le_bytes(word));
        if marked != 0 {
            // Little-endian: the lowest mark belongs to the first byte in the text.
            return pos + (marked.trailing_zeros() / 8) as usize;
        }
        pos += 8;
    }
    pos
}

/// How many bytes of `bytes` equal `byte`, counted eight at a time.
pub(crate) fn count_byte(bytes: &[u8], byte: u8) -> usize {
    let pattern = LOW_BITS * byte as u64;
    let low7 = !HIGH_BITS;
    let mut chunks = bytes.chunks_exact(8);
    let mut count = 0;
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let diff = u64::from_le_bytes(word) ^ pattern;
        // The high bit of each byte ends up set exactly when the byte of `diff` is nonzero
        // (no carry crosses bytes), so the clear high bits count the equal bytes.
        let nonzero = ((diff & low7) + low7) | diff;
        count += (!nonzero & HIGH_BITS).count_ones() as usize;
    }
    count + chunks.remainder().iter().filter(|it| **it == byte).count()
}

/// Marks the bytes of a word that may end or change a plain run of word characters:
/// whitespace (or any control character), a quote, `escape`, or a non-ASCII byte.
#[inline(always)]
pub(crate) fn word_end_marks(word: u64, escape: u8) -> u64 {
    // Subtracting 0x21 from a byte borrows only below `!`; the `| word` marks non-ASCII bytes.
    let below = word.wrapping_sub(LOW_BITS * 0x21) & !word;
    (below | word | has_byte(word, b'"') | has_byte(word, b'\'') | has_byte(word, escape)) & HIGH_BITS
}

/// Marks the bytes of a word that may be a blank: those below `!` (control characters
/// included) and non-ASCII ones.
#[inline(always)]
pub(crate) fn blank_marks(word: u64) -> u64 {
    below_or_high(word, 0x21)
}

/// Marks the bytes of a word that are one of `a`, `b`, `c`, `d`.
#[inline(always)]
pub(crate) fn any_of_marks(word: u64, a: u8, b: u8, c: u8, d: u8) -> u64 {
    has_byte(word, a) | has_byte(word, b) | has_byte(word, c) | has_byte(word, d)
}

/// Marks the bytes of a word that may end a JSON string run: `"`, `\`, a control character
/// or a non-ASCII byte (non-ASCII is fine in JSON; it only stops the fast path).
#[inline(always)]
pub(crate) fn json_run_end_marks(word: u64) -> u64 {
    below_or_high(word, 0x20) | has_byte(word, b'"') | has_byte(word, b'\\')
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
    /// The pieces of the map, as [`OffsetMap`] keeps them; a vector here, because pieces are
    /// pushed one at a time into a buffer that is reused.
    first: Option<(usize, usize)>,
    rest: Vec<(usize, usize)>,
    /// Source offset right after the last pushed piece, to merge adjacent pieces.
    next_source: usize,
}

impl MappedText {
    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.first = None;
        self.rest.clear();
        self.next_source = usize::MAX;
    }

    /// The map back to the source of what has been pushed so far.
    #[inline]
    pub(crate) fn map(&self) -> Pieces<'_> {
        Pieces::new(self.first, &self.rest)
    }

    /// Appends `piece`, which starts at `source` in the original text.
    pub(crate) fn push(&mut self, piece: &str, source: usize) {
        if piece.is_empty() {
            return;
        }
        if self.first.is_none() {
            self.first = Some((self.text.len(), source));
        } else if source != self.next_source {
            self.rest.push((self.text.len(), source));
        }
        self.text.push_str(piece);
        self.next_source = source + piece.len();
    }

    /// Appends the logical text `line.text[start..end]`, split where it crosses pieces of the
    /// source.
    pub(crate) fn push_logical(&mut self, line: &Logical, start: usize, end: usize) {
        if let Some(base) = line.contiguous {
            self.push(&line.text[start..end], base + start);
            return;
        }
        let map = line.map;
        let mut idx = match map.search(start) {
            Ok(idx) => idx,
            Err(0) => 0,
            Err(next) => next - 1,
        };
        let mut pos = start;
        while pos < end {
            let (logical_start, source_start) = map.segment(idx).unwrap_or((0, 0));
            let piece_end = map.segment(idx + 1).map_or(end, |it| it.0.min(end));
            let piece_end = piece_end.max(pos + 1).min(end);
            self.push(&line.text[pos..piece_end], source_start + pos.saturating_sub(logical_start));
            pos = piece_end;
            idx += 1;
        }
    }

    pub(crate) fn into_parts(self) -> (String, OffsetMap) {
        let map = OffsetMap::from_pieces(self.map());
        (self.text, map)
    }
}

/// A logical line: the joined text of one instruction plus the map back to the source.
pub(crate) struct Logical<'a> {
    pub(crate) text: &'a str,
    pub(crate) map: Pieces<'a>,
    /// The source offset of logical offset 0 when the whole text is one piece of the source
    /// (most instructions sit on one line), so ranges map with one addition.
    contiguous: Option<usize>,
}

impl<'a> Logical<'a> {
    /// A logical line that is one piece of the source starting at `source_start`.
    pub(crate) fn contiguous(text: &'a str, source_start: usize) -> Logical<'a> {
        Logical { text, map: Pieces::single(0, source_start), contiguous: Some(source_start) }
    }

    pub(crate) fn new(text: &'a str, map: Pieces<'a>) -> Logical<'a> {
        let contiguous = match (map.segment_count(), map.segment(0)) {
            (1, Some((0, source_start))) => Some(source_start),
            _ => None,
        };
        Logical { text, map, contiguous }
    }

    /// Source range of the logical range `start..end`.
    #[inline(always)]
    pub(crate) fn range(&self, start: usize, end: usize) -> TextRange {
        if let Some(base) = self.contiguous {
            return TextRange { start: base + start, end: base + end.max(start) };
        }
        self.mapped_range(start, end)
    }

    /// [`Logical::range`] through the map, for lines made of several pieces.
    #[inline(never)]
    fn mapped_range(&self, start: usize, end: usize) -> TextRange {
        if start >= end {
            return TextRange::empty(self.map.to_source(start));
        }
        self.map.range_to_source(TextRange::new(start, end))
    }

    /// The source offset of `start` when the logical range `start..end` comes from one
    /// contiguous piece of the source, so that offsets inside it map by one addition.
    pub(crate) fn piece_base(&self, start: usize, end: usize) -> Option<usize> {
        if let Some(base) = self.contiguous {
            return Some(base + start);
        }
        let idx = match self.map.search(start) {
            Ok(idx) => idx,
            Err(0) => return None,
            Err(next) => next - 1,
        };
        if self.map.segment(idx + 1).is_some_and(|it| it.0 < end) {
            return None;
        }
        let (logical_start, source_start) = self.map.segment(idx)?;
        Some(source_start + (start - logical_start))
    }

    /// `start..end` shrunk by the Unicode whitespace at both ends.
    #[inline(always)]
    pub(crate) fn trim(&self, start: usize, end: usize) -> (usize, usize) {
        let bytes = self.text.as_bytes();
        // Usually both ends are plain ASCII, which no whitespace can be.
        let plain = |b: u8| CLASS[b as usize] & (SPACE | NON_ASCII) == 0;
        if start < end && plain(bytes[start]) && plain(bytes[end - 1]) {
            return (start, end);
        }
        self.trim_slow(start, end)
    }

    #[inline(never)]
    fn trim_slow(&self, start: usize, end: usize) -> (usize, usize) {
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
    fn word_scans_stop_at_the_first_byte_that_matters() {
        // Every pair of bytes, placed at every position of a 16-byte text otherwise made of a
        // plain letter: the scan must stop exactly at the first byte that matters (a later
        // one, or a borrow from the first, must not move it), or at the last word's start.
        let matters_word = |b: u8| !(0x21..0x80).contains(&b) || matches!(b, b'"' | b'\'' | b'\\');
        let matters_json = |b: u8| !(0x20..0x80).contains(&b) || matches!(b, b'"' | b'\\');
        let matters_item = |b: u8| matches!(b, b',' | b'=' | b'"' | b'$');
        let matters_blank = |b: u8| !(0x21..0x80).contains(&b);
        let samples: Vec<u8> =
            (0..=255u8).step_by(3).chain([0x20, 0x21, 0x22, 0x27, 0x5c, 0x2c, 0x3d, 0x24, 0x80]).collect();
        for &first in &samples {
            for &second in &samples {
                for at in 0..16 {
                    let mut bytes = [b'a'; 16];
                    bytes[at] = first;
                    if at + 1 < 16 {
                        bytes[at + 1] = second;
                    }
                    let expect = |matters: &dyn Fn(u8) -> bool| bytes.iter().position(|it| matters(*it)).unwrap_or(16);
                    let found = skip_words(&bytes, 0, |word| word_end_marks(word, b'\\'));
                    assert_eq!(found, expect(&matters_word), "{first:#x} {second:#x} at {at}");
                    let found = skip_words(&bytes, 0, json_run_end_marks);
                    assert_eq!(found, expect(&matters_json), "{first:#x} {second:#x} at {at}");
                    let found = skip_words(&bytes, 0, |word| any_of_marks(word, b',', b'=', b'"', b'$'));
                    assert_eq!(found, expect(&matters_item), "{first:#x} {second:#x} at {at}");
                    let found = skip_words(&bytes, 0, blank_marks);
                    assert_eq!(found, expect(&matters_blank), "{first:#x} {second:#x} at {at}");
                }
            }
        }
        // Fewer than eight bytes left: the scan leaves them to the caller.
        assert_eq!(skip_words(b"abc\"", 0, json_run_end_marks), 0);
    }

    #[test]
    fn bytes_are_counted_exactly() {
        let text = ",a,,b\u{2c}\u{ac}\u{12c},,,,,,,,,x,";
        for start in 0..text.len() {
            let bytes = &text.as_bytes()[start..];
            assert_eq!(count_byte(bytes, b','), bytes.iter().filter(|it| **it == b',').count(), "{start}");
        }
        assert_eq!(count_byte(&[0xac; 17], 0x2c), 0);
        assert_eq!(count_byte(&[0x2c; 17], 0x2c), 17);
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
