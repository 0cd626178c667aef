//! Word splitting as Docker does it: quotes group, the escape character escapes.

use crate::syntax::lexer::{
    CLASS, ESCAPE, Logical, MappedText, NON_ASCII, QUOTE, SPACE, is_ascii_space, skip_words, word_end_marks,
};
use crate::syntax::{CompactString, Pieces, Word};
use crate::text::TextRange;

/// One word found by [`split_words`]: its logical byte range (quotes and escapes kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WordSpan {
    pub(crate) start: usize,
    pub(crate) end: usize,
    /// The word holds no quote and no escape character, so its value is its raw text.
    pub(crate) plain: bool,
}

/// Splits `text[start..end]` into words, following BuildKit's `parseWords`: whitespace
/// separates words outside quotes, `'` and `"` group, and the escape character keeps the next
/// character in the word (not inside `'`). The escape character is ASCII.
pub(crate) fn split_words(text: &str, start: usize, end: usize, escape: u8) -> SplitWords<'_> {
    SplitWords { text, pos: start, end, escape }
}

/// The iterator behind [`split_words`]; it allocates nothing.
#[derive(Clone)]
pub(crate) struct SplitWords<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
    escape: u8,
}

impl Iterator for SplitWords<'_> {
    type Item = WordSpan;

    // Inlined into each loop over words (a handful of them): most words are a few bytes, so
    // the cost of a call (saving registers, passing the span back through memory) was a large
    // part of splitting one (inlining took 3% off the instructions of a large file's parse).
    #[inline(always)]
    fn next(&mut self) -> Option<WordSpan> {
        let text = self.text;
        let bytes = text.as_bytes();
        let bytes = &bytes[..self.end.min(bytes.len())];
        let end = bytes.len();
        let escape = self.escape;
        let mut pos = self.pos;
        // Only ASCII characters are syntax here; other characters matter only when they are
        // Unicode whitespace outside quotes.
        while let Some(&b) = bytes.get(pos) {
            if b < 0x80 {
                if !is_ascii_space(b) {
                    break;
                }
                pos += 1;
                continue;
            }
            let ch = char_at(text, pos);
            if !ch.is_whitespace() {
                break;
            }
            pos += ch.len_utf8();
        }
        if pos >= end {
            self.pos = end;
            return None;
        }
        let start = pos;
        let mut plain = true;
        let mut quote = 0u8;
        loop {
            if quote == 0 {
                pos = skip_words(bytes, pos, |word| word_end_marks(word, escape));
            }
            while let Some(&b) = bytes.get(pos)
                && CLASS[b as usize] == 0
            {
                pos += 1;
            }
            let Some(&b) = bytes.get(pos) else {
                break;
            };
            let class = CLASS[b as usize];
            if class == NON_ASCII {
                if quote == 0 {
                    let ch = char_at(text, pos);
                    if ch.is_whitespace() {
                        break;
                    }
                    pos += ch.len_utf8();
                } else {
                    pos += 1;
                }
                continue;
            }
            if quote == 0 {
                if class == SPACE {
                    break;
                }
                if class == QUOTE {
                    quote = b;
                    plain = false;
                } else if b == escape {
                    plain = false;
                    pos = skip_char(bytes, pos + 1, end);
                    continue;
                }
            } else if b == quote {
                quote = 0;
            } else if b == escape && quote != b'\'' {
                pos = skip_char(bytes, pos + 1, end);
                continue;
            }
            pos += 1;
        }
        self.pos = pos;
        Some(WordSpan { start, end: pos, plain })
    }
}

/// The character starting at byte `pos` of `text` (a character boundary).
fn char_at(text: &str, pos: usize) -> char {
    text[pos..].chars().next().unwrap_or(' ')
}

/// The offset after the character at `pos`, or `pos` itself at `end`.
fn skip_char(bytes: &[u8], pos: usize, end: usize) -> usize {
    if pos >= end {
        return pos;
    }
    let len = match bytes[pos] {
        0..0x80 => 1,
        0xf0.. => 4,
        0xe0.. => 3,
        _ => 2,
    };
    (pos + len).min(end)
}

/// True when `raw` holds a quote or the escape character, so unquoting may change it.
pub(crate) fn needs_unquote(raw: &str, escape: u8) -> bool {
    raw.bytes().any(|it| it == b'\'' || it == b'"' || it == escape)
}

/// Removes quotes and processes escapes the way BuildKit's shell lexer does for one word
/// (variables are left alone). Returns the value and whether a quote was left open.
pub(crate) fn unquote(raw: &str, escape: u8) -> (CompactString, bool) {
    if !needs_unquote(raw, escape) {
        return (CompactString::from(raw), false);
    }
    let bytes = raw.as_bytes();
    let len = bytes.len();
    // The value is shorter than `raw` by the quotes and escapes it drops (two at least, for a
    // pair of quotes), so a short one is built inline rather than in a heap buffer sized for
    // `raw`.
    let mut out = if len <= 26 { CompactString::const_new("") } else { CompactString::with_capacity(len) };
    let mut quote = 0u8;
    // Text without quotes and escapes is copied in runs: `run..pos` is still to be copied.
    let mut run = 0;
    let mut pos = 0;
    while pos < len {
        let b = bytes[pos];
        match quote {
            0 => {
                if b == b'\'' || b == b'"' {
                    out.push_str(&raw[run..pos]);
                    quote = b;
                    pos += 1;
                    run = pos;
                } else if b == escape {
                    // The escape goes; the character after it is kept whatever it is.
                    out.push_str(&raw[run..pos]);
                    run = pos + 1;
                    pos = skip_char(bytes, pos + 1, len);
                } else {
                    pos += 1;
                }
            }
            b'\'' => {
                if b == b'\'' {
                    out.push_str(&raw[run..pos]);
                    quote = 0;
                    pos += 1;
                    run = pos;
                } else {
                    pos += 1;
                }
            }
            _ => {
                if b == b'"' {
                    out.push_str(&raw[run..pos]);
                    quote = 0;
                    pos += 1;
                    run = pos;
                } else if b == escape {
                    // Inside double quotes only `"`, `$` and the escape itself are escaped.
                    match bytes.get(pos + 1) {
                        Some(&next) if next == b'"' || next == b'$' || next == escape => {
                            out.push_str(&raw[run..pos]);
                            run = pos + 1;
                            pos += 2;
                        }
                        Some(_) => pos += 1,
                        None => {
                            out.push_str(&raw[run..pos]);
                            pos += 1;
                            run = pos;
                        }
                    }
                } else {
                    pos += 1;
                }
            }
        }
    }
    out.push_str(&raw[run..pos]);
    (out, quote != 0)
}

/// Builds a [`Word`] from the logical range `start..end`; `plain` says it holds no quote and
/// no escape character.
// Inlined into the loops over words, like `word_at`: a call per word cost more than the work.
#[inline(always)]
pub(crate) fn make_word(line: &Logical, start: usize, end: usize, plain: bool, escape: u8) -> (Word, bool) {
    word_at(line.range(start, end), &line.text[start..end], plain, escape)
}

/// [`make_word`] for a word written as `raw` at the source range `range`.
// Inlined: it runs once per word, and is small next to the cost of calling it.
#[inline(always)]
pub(crate) fn word_at(range: TextRange, raw: &str, plain: bool, escape: u8) -> (Word, bool) {
    if plain {
        let value = CompactString::from(raw);
        return (Word { range, raw: value.clone(), value }, false);
    }
    let (value, open_quote) = unquote(raw, escape);
    (Word { range, raw: CompactString::from(raw), value }, open_quote)
}

/// Reads the flags at the start of `line.text[start..end]` the way BuildKit's
/// `extractBuilderFlags` does: quotes removed and `\` escapes processed (always backslash,
/// whatever the escape directive says). Calls `on_flag` with each processed word, the map from
/// its offsets to the source, the source offset of its start when it is one unchanged piece of
/// the source, and its logical range; returns where the arguments start.
pub(crate) fn extract_flags(
    line: &Logical,
    start: usize,
    end: usize,
    word: &mut MappedText,
    mut on_flag: impl FnMut(&str, Pieces, Option<usize>, usize, usize),
) -> usize {
    let text = line.text;
    let bytes = text.as_bytes();
    let bytes = &bytes[..end.min(bytes.len())];
    let mut pos = start;
    loop {
        while pos < end {
            let b = bytes[pos];
            if is_ascii_space(b) {
                pos += 1;
                continue;
            }
            // Only a non-ASCII character can still be whitespace.
            if b < 0x80 {
                break;
            }
            match text[pos..end].chars().next() {
                Some(ch) if ch.is_whitespace() => pos += ch.len_utf8(),
                _ => break,
            }
        }
        if pos >= end || !text[pos..end].starts_with("--") {
            return pos;
        }
        let word_start = pos;

        // Most flags have no quotes or escapes and sit on one line: then the word is a slice
        // of the logical text and needs no copy.
        let mut plain_end = pos;
        let mut plain = true;
        let plain_byte = |b: u8| {
            let class = CLASS[b as usize];
            class == 0 || (class == ESCAPE && b != b'\\')
        };
        loop {
            plain_end = skip_words(bytes, plain_end, |word| word_end_marks(word, b'\\'));
            while let Some(&b) = bytes.get(plain_end)
                && plain_byte(b)
            {
                plain_end += 1;
            }
            let Some(&b) = bytes.get(plain_end) else {
                break;
            };
            let class = CLASS[b as usize];
            if class == NON_ASCII {
                let ch = char_at(text, plain_end);
                if ch.is_whitespace() {
                    break;
                }
                plain_end += ch.len_utf8();
                continue;
            }
            if class == QUOTE || class == ESCAPE {
                plain = false;
            }
            break;
        }
        if plain && let Some(base) = line.piece_base(word_start, plain_end) {
            pos = plain_end;
            let flag = &text[word_start..pos];
            if flag == "--" {
                // A bare `--` ends the flags; BuildKit drops it.
                return pos;
            }
            on_flag(flag, Pieces::single(0, base), Some(base), word_start, pos);
            continue;
        }

        word.clear();
        let mut quote: Option<u8> = None;
        // Plain characters are copied in runs; quotes and escapes break a run.
        let mut run_start = pos;
        while pos < end {
            let b = bytes[pos];
            if b >= 0x80 {
                let Some(ch) = text[pos..end].chars().next() else {
                    break;
                };
                if quote.is_none() && ch.is_whitespace() {
                    break;
                }
                pos += ch.len_utf8();
                continue;
            }
            let special = match quote {
                None => is_ascii_space(b) || b == b'\'' || b == b'"' || b == b'\\',
                Some(q) => b == q || b == b'\\',
            };
            if !special {
                pos += 1;
                continue;
            }
            word.push_logical(line, run_start, pos);
            if quote.is_none() && is_ascii_space(b) {
                run_start = pos;
                break;
            }
            if Some(b) == quote {
                quote = None;
                pos += 1;
            } else if b == b'\\' {
                pos += 1;
                if pos >= end {
                    quote = None;
                } else {
                    let len = text[pos..end].chars().next().map_or(1, char::len_utf8);
                    word.push_logical(line, pos, pos + len);
                    pos += len;
                }
            } else {
                quote = Some(b);
                pos += 1;
            }
            run_start = pos;
        }
        word.push_logical(line, run_start, pos);
        if word.text == "--" {
            // A bare `--` ends the flags; BuildKit drops it.
            return pos;
        }
        on_flag(&word.text, word.map(), None, word_start, pos);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_words_groups_quotes() {
        let text = r#"a "b c" d\ e 'f\' g"#;
        let words: Vec<(&str, bool)> =
            split_words(text, 0, text.len(), b'\\').map(|it| (&text[it.start..it.end], it.plain)).collect();
        assert_eq!(words, vec![("a", true), ("\"b c\"", false), ("d\\ e", false), ("'f\\'", false), ("g", true)]);
        let text = "x\u{a0}é\u{2003}`\u{2003}y";
        let words: Vec<&str> = split_words(text, 0, text.len(), b'`').map(|it| &text[it.start..it.end]).collect();
        assert_eq!(words, vec!["x", "é", "`\u{2003}y"]);
    }

    #[test]
    fn unquote_follows_shell_rules() {
        assert_eq!(unquote(r#""a b""#, b'\\'), ("a b".into(), false));
        assert_eq!(unquote(r#"'a\b'"#, b'\\'), ("a\\b".into(), false));
        assert_eq!(unquote(r#""a\"b\n""#, b'\\'), ("a\"b\\n".into(), false));
        assert_eq!(unquote(r#"a\ b"#, b'\\'), ("a b".into(), false));
        assert_eq!(unquote(r#""open"#, b'\\'), ("open".into(), true));
        assert_eq!(unquote("a`$b", b'`'), ("a$b".into(), false));
    }
}
