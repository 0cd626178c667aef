//! The JSON check BuildKit makes before choosing exec form: a whole JSON array of strings.
//!
//! Nested values are skipped with an explicit stack, so deep nesting costs no recursion.

use crate::syntax::CompactString;
use crate::syntax::lexer::{count_byte, json_run_end_marks, skip_words};

/// What the text after a keyword turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Json<T> {
    /// A valid array of strings: each element as built from its decoded value and the byte
    /// range of its quoted literal, plus the end of the closing `]`.
    Strings { elements: Vec<T>, end: usize },
    /// Valid JSON, but an element at this offset is not a string (BuildKit rejects the line).
    NotStrings { at: usize },
    /// Not valid JSON; `at` is where it goes wrong.
    Invalid { at: usize, reason: &'static str },
}

/// Parses `text`, which starts with `[`; `element` builds each element from its decoded value
/// and the byte range of its quoted literal.
pub(crate) fn parse_array<T>(text: &str, mut element: impl FnMut(CompactString, usize, usize) -> T) -> Json<T> {
    let bytes = text.as_bytes();
    // Elements are separated by commas, so counting them sizes the list in one allocation
    // (capped: commas inside strings or a long broken line must not reserve much).
    let mut elements = Vec::with_capacity((count_byte(bytes, b',') + 1).min(16));
    let mut not_string: Option<usize> = None;
    let mut pos = skip_ws(bytes, 1);
    if bytes.get(pos) == Some(&b']') {
        return finish(bytes, pos + 1, elements, not_string);
    }
    loop {
        pos = skip_ws(bytes, pos);
        match bytes.get(pos) {
            Some(b'"') => match parse_string(text, pos) {
                Ok((value, end)) => {
                    elements.push(element(value, pos, end));
                    pos = end;
                }
                Err(err) => return err,
            },
            Some(_) => {
                let start = pos;
                match skip_value(bytes, pos) {
                    Ok(end) => {
                        not_string.get_or_insert(start);
                        pos = end;
                    }
                    Err(err) => {
                        if bytes[start] == b'\'' {
                            return Json::Invalid { at: start, reason: "JSON strings need double quotes" };
                        }
                        return err;
                    }
                }
            }
            None => {
                return Json::Invalid { at: pos, reason: "the array is not closed with `]`" };
            }
        }
        pos = skip_ws(bytes, pos);
        match bytes.get(pos) {
            Some(b',') => {
                pos = skip_ws(bytes, pos + 1);
                if bytes.get(pos) == Some(&b']') {
                    return Json::Invalid { at: pos, reason: "trailing comma before `]`" };
                }
            }
            Some(b']') => return finish(bytes, pos + 1, elements, not_string),
            Some(_) => {
                return Json::Invalid { at: pos, reason: "expected `,` or `]`" };
            }
            None => {
                return Json::Invalid { at: pos, reason: "the array is not closed with `]`" };
            }
        }
    }
}

fn finish<T>(bytes: &[u8], end: usize, elements: Vec<T>, not_string: Option<usize>) -> Json<T> {
    let rest = skip_ws(bytes, end);
    if rest < bytes.len() {
        return Json::Invalid { at: rest, reason: "unexpected text after `]`" };
    }
    match not_string {
        Some(at) => Json::NotStrings { at },
        None => Json::Strings { elements, end },
    }
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while matches!(bytes.get(pos), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        pos += 1;
    }
    pos
}

/// Decodes the JSON string starting at `start` (a `"`); returns it and the offset after it.
// Inlined into the array loop, its only caller: elements are short, and the result (a large
// `Result`) then needs no trip through memory.
#[inline(always)]
fn parse_string<T>(text: &str, start: usize) -> Result<(CompactString, usize), Json<T>> {
    let bytes = text.as_bytes();
    let run_start = start + 1;
    let mut pos = run_start;
    // Most strings hold no escape: then the value is the text between the quotes, copied once.
    pos = skip_words(bytes, pos, json_run_end_marks);
    while let Some(&b) = bytes.get(pos) {
        if b == b'"' {
            return Ok((CompactString::from(&text[run_start..pos]), pos + 1));
        }
        if b == b'\\' || b < 0x20 {
            break;
        }
        pos += 1;
    }
    let mut out = CompactString::const_new("");
    let mut run_start = run_start;
    loop {
        let Some(&b) = bytes.get(pos) else {
            return Err(Json::Invalid { at: start, reason: "a string is not closed" });
        };
        match b {
            b'"' => {
                out.push_str(&text[run_start..pos]);
                return Ok((out, pos + 1));
            }
            b'\\' => {
                out.push_str(&text[run_start..pos]);
                let Some(&esc) = bytes.get(pos + 1) else {
                    return Err(Json::Invalid { at: pos, reason: "a string is not closed" });
                };
                pos += 2;
                match esc {
                    b'"' => out.push('"'),
                    b'\\' => out.push('\\'),
                    b'/' => out.push('/'),
                    b'b' => out.push('\u{8}'),
                    b'f' => out.push('\u{c}'),
                    b'n' => out.push('\n'),
                    b'r' => out.push('\r'),
                    b't' => out.push('\t'),
                    b'u' => {
                        let Some(first) = hex4(bytes, pos) else {
                            return Err(Json::Invalid { at: pos - 2, reason: "bad `\\u` escape" });
                        };
                        pos += 4;
                        let mut ch = char::from_u32(first);
                        if (0xD800..0xDC00).contains(&first)
                            && bytes.get(pos) == Some(&b'\\')
                            && bytes.get(pos + 1) == Some(&b'u')
                            && let Some(second) = hex4(bytes, pos + 2)
                            && (0xDC00..0xE000).contains(&second)
                        {
                            ch = char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00));
                            pos += 6;
                        }
                        // Go decodes a lone surrogate as U+FFFD.
                        out.push(ch.unwrap_or('\u{FFFD}'));
                    }
                    _ => {
                        return Err(Json::Invalid { at: pos - 2, reason: "unknown escape in a string" });
                    }
                }
                run_start = pos;
            }
            0..=0x1f => {
                return Err(Json::Invalid { at: pos, reason: "control character in a string" });
            }
            _ => pos += 1,
        }
    }
}

fn hex4(bytes: &[u8], pos: usize) -> Option<u32> {
    let digits = bytes.get(pos..pos + 4)?;
    let mut value = 0;
    for &d in digits {
        value = value * 16 + (d as char).to_digit(16)?;
    }
    Some(value)
}

/// Skips one JSON value of any kind; nested containers are tracked on a stack.
fn skip_value<T>(bytes: &[u8], start: usize) -> Result<usize, Json<T>> {
    let invalid = |at: usize| Json::Invalid { at, reason: "not a valid JSON value" };
    let mut stack: Vec<u8> = Vec::new();
    let mut pos = start;
    loop {
        pos = skip_ws(bytes, pos);
        match bytes.get(pos) {
            Some(b'"') => pos = skip_string(bytes, pos)?,
            Some(b'[') => {
                pos = skip_ws(bytes, pos + 1);
                if bytes.get(pos) == Some(&b']') {
                    pos += 1;
                } else {
                    stack.push(b'[');
                    continue;
                }
            }
            Some(b'{') => {
                pos = skip_ws(bytes, pos + 1);
                if bytes.get(pos) == Some(&b'}') {
                    pos += 1;
                } else {
                    stack.push(b'{');
                    pos = skip_key(bytes, pos)?;
                    continue;
                }
            }
            Some(b't') if bytes[pos..].starts_with(b"true") => pos += 4,
            Some(b'f') if bytes[pos..].starts_with(b"false") => pos += 5,
            Some(b'n') if bytes[pos..].starts_with(b"null") => pos += 4,
            Some(b'-' | b'0'..=b'9') => pos = skip_number(bytes, pos).ok_or_else(|| invalid(pos))?,
            _ => return Err(invalid(pos)),
        }
        // After a value: close finished containers, or move on to the next element.
        loop {
            let Some(&top) = stack.last() else {
                return Ok(pos);
            };
            pos = skip_ws(bytes, pos);
            match bytes.get(pos) {
                Some(b',') => {
                    pos += 1;
                    if top == b'{' {
                        pos = skip_key(bytes, pos)?;
                    }
                    break;
                }
                Some(b']') if top == b'[' => {
                    stack.pop();
                    pos += 1;
                }
                Some(b'}') if top == b'{' => {
                    stack.pop();
                    pos += 1;
                }
                _ => return Err(invalid(pos)),
            }
        }
    }
}

fn skip_key<T>(bytes: &[u8], pos: usize) -> Result<usize, Json<T>> {
    let pos = skip_ws(bytes, pos);
    if bytes.get(pos) != Some(&b'"') {
        return Err(Json::Invalid { at: pos, reason: "expected an object key" });
    }
    let pos = skip_ws(bytes, skip_string(bytes, pos)?);
    if bytes.get(pos) != Some(&b':') {
        return Err(Json::Invalid { at: pos, reason: "expected `:`" });
    }
    Ok(pos + 1)
}

fn skip_string<T>(bytes: &[u8], start: usize) -> Result<usize, Json<T>> {
    let mut pos = start + 1;
    loop {
        match bytes.get(pos) {
            None => {
                return Err(Json::Invalid { at: start, reason: "a string is not closed" });
            }
            Some(b'"') => return Ok(pos + 1),
            Some(b'\\') => pos += 2,
            Some(0..=0x1f) => {
                return Err(Json::Invalid { at: pos, reason: "control character in a string" });
            }
            Some(_) => pos += 1,
        }
    }
}

fn skip_number(bytes: &[u8], mut pos: usize) -> Option<usize> {
    let digits = |pos: &mut usize| {
        let start = *pos;
        while bytes.get(*pos).is_some_and(u8::is_ascii_digit) {
            *pos += 1;
        }
        *pos > start
    };
    if bytes.get(pos) == Some(&b'-') {
        pos += 1;
    }
    if bytes.get(pos) == Some(&b'0') {
        pos += 1;
    } else if !digits(&mut pos) {
        return None;
    }
    if bytes.get(pos) == Some(&b'.') {
        pos += 1;
        if !digits(&mut pos) {
            return None;
        }
    }
    if matches!(bytes.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(bytes.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        if !digits(&mut pos) {
            return None;
        }
    }
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Json<CompactString> {
        parse_array(text, |value, _, _| value)
    }

    fn strings(text: &str) -> Vec<CompactString> {
        match parse(text) {
            Json::Strings { elements, .. } => elements,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn valid_arrays() {
        assert_eq!(strings(r#"["a", "b c"]"#), vec!["a", "b c"]);
        assert_eq!(strings("[]"), Vec::<CompactString>::new());
        assert_eq!(strings("[ \"x\" ]  "), vec!["x"]);
        assert_eq!(strings(r#"["\u00e9\n\"", "\ud83d\ude00", "\ud800"]"#), vec!["é\n\"", "😀", "\u{FFFD}"]);
    }

    #[test]
    fn elements_carry_their_literal_ranges() {
        let text = r#"[ "a", "b\"c" , "long enough to leave the inline buffer"]"#;
        let Json::Strings { elements, end } = parse_array(text, |value, s, e| (value, s, e)) else {
            panic!("not strings");
        };
        assert_eq!(end, text.len());
        let ranges: Vec<&str> = elements.iter().map(|it| &text[it.1..it.2]).collect();
        assert_eq!(ranges, vec![r#""a""#, r#""b\"c""#, r#""long enough to leave the inline buffer""#]);
        assert_eq!(elements[1].0, "b\"c");
        assert_eq!(elements[2].0, "long enough to leave the inline buffer");
    }

    #[test]
    fn invalid_arrays() {
        assert!(matches!(parse("['a']"), Json::Invalid { reason: "JSON strings need double quotes", .. }));
        assert!(matches!(parse(r#"["a",]"#), Json::Invalid { reason: "trailing comma before `]`", .. }));
        assert!(matches!(parse("[python]"), Json::Invalid { .. }));
        assert!(matches!(parse(r#"["a"] b"#), Json::Invalid { .. }));
        assert!(matches!(parse(r#"["a""#), Json::Invalid { .. }));
        assert!(matches!(parse("[\"a\tb\"]"), Json::Invalid { .. }));
        assert_eq!(parse(r#"["a", 1, [2, {"k": [null]}]]"#), Json::NotStrings { at: 6 });
        let deep = "[".repeat(100_000);
        assert!(matches!(parse(&deep), Json::Invalid { .. }));
    }
}
