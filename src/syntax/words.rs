//! Word splitting as Docker does it: quotes group, the escape character escapes.

use crate::syntax::Word;
use crate::syntax::lexer::{Logical, MappedText};

/// Splits `text[start..end]` into words and returns their byte ranges (quotes and escapes kept),
/// following BuildKit's `parseWords`: whitespace separates words outside quotes, `'` and `"`
/// group, and the escape character keeps the next character in the word (not inside `'`).
pub(crate) fn split_words(text: &str, start: usize, end: usize, escape: char) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut word_start: Option<usize> = None;
    let mut quote: Option<char> = None;
    let mut chars = text[start..end].char_indices().peekable();
    while let Some((idx, ch)) = chars.next() {
        let at = start + idx;
        match quote {
            None => {
                if ch.is_whitespace() {
                    if let Some(word) = word_start.take() {
                        words.push((word, at));
                    }
                    continue;
                }
                if word_start.is_none() {
                    word_start = Some(at);
                }
                if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                } else if ch == escape {
                    chars.next();
                }
            }
            Some(q) => {
                if ch == q {
                    quote = None;
                } else if ch == escape && q != '\'' {
                    chars.next();
                }
            }
        }
    }
    if let Some(word) = word_start {
        words.push((word, end));
    }
    words
}

/// Removes quotes and processes escapes the way BuildKit's shell lexer does for one word
/// (variables are left alone). Returns the value and whether a quote was left open.
pub(crate) fn unquote(raw: &str, escape: char) -> (String, bool) {
    if !raw.contains(['\'', '"', escape]) {
        return (raw.to_string(), false);
    }
    let mut out = String::with_capacity(raw.len());
    let mut quote: Option<char> = None;
    let mut chars = raw.chars().peekable();
    while let Some(ch) = chars.next() {
        match quote {
            None => {
                if ch == '\'' || ch == '"' {
                    quote = Some(ch);
                } else if ch == escape {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                } else {
                    out.push(ch);
                }
            }
            Some('\'') => {
                if ch == '\'' {
                    quote = None;
                } else {
                    out.push(ch);
                }
            }
            Some(_) => {
                if ch == '"' {
                    quote = None;
                } else if ch == escape {
                    // Inside double quotes only `"`, `$` and the escape itself are escaped.
                    match chars.peek() {
                        Some(&next) if next == '"' || next == '$' || next == escape => {
                            out.push(next);
                            chars.next();
                        }
                        Some(_) => out.push(ch),
                        None => {}
                    }
                } else {
                    out.push(ch);
                }
            }
        }
    }
    (out, quote.is_some())
}

/// Builds a [`Word`] from the logical range `start..end`.
pub(crate) fn make_word(line: &Logical, start: usize, end: usize, escape: char) -> (Word, bool) {
    let raw = &line.text[start..end];
    let (value, open_quote) = unquote(raw, escape);
    (Word { range: line.range(start, end), raw: raw.to_string(), value }, open_quote)
}

/// Reads the flags at the start of `line.text[start..end]` the way BuildKit's
/// `extractBuilderFlags` does: quotes removed and `\` escapes processed (always backslash,
/// whatever the escape directive says). Calls `on_flag` with each processed word (mapped back to
/// the source) and its logical range, and returns where the arguments start.
pub(crate) fn extract_flags(
    line: &Logical,
    start: usize,
    end: usize,
    word: &mut MappedText,
    mut on_flag: impl FnMut(&MappedText, usize, usize),
) -> usize {
    let text = line.text;
    let bytes = text.as_bytes();
    let mut pos = start;
    loop {
        while pos < end {
            if is_ascii_space(bytes[pos]) {
                pos += 1;
                continue;
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
        on_flag(word, word_start, pos);
    }
}

/// The ASCII characters Go's `unicode.IsSpace` accepts.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_words_groups_quotes() {
        let text = r#"a "b c" d\ e 'f\' g"#;
        let words: Vec<&str> = split_words(text, 0, text.len(), '\\').into_iter().map(|(s, e)| &text[s..e]).collect();
        assert_eq!(words, vec!["a", "\"b c\"", "d\\ e", "'f\\'", "g"]);
    }

    #[test]
    fn unquote_follows_shell_rules() {
        assert_eq!(unquote(r#""a b""#, '\\'), ("a b".to_string(), false));
        assert_eq!(unquote(r#"'a\b'"#, '\\'), ("a\\b".to_string(), false));
        assert_eq!(unquote(r#""a\"b\n""#, '\\'), ("a\"b\\n".to_string(), false));
        assert_eq!(unquote(r#"a\ b"#, '\\'), ("a b".to_string(), false));
        assert_eq!(unquote(r#""open"#, '\\'), ("open".to_string(), true));
        assert_eq!(unquote("a`$b", '`'), ("a$b".to_string(), false));
    }
}
