//! Heredocs on RUN, COPY and ADD: finding `<<EOF` markers and reading the bodies after them.

use crate::syntax::lexer::{Logical, line_at};
use crate::syntax::words::{split_words, unquote};
use crate::syntax::{CompactString, Heredoc, SyntaxError, SyntaxErrorKind};
use crate::text::{Spanned, TextRange};

/// A marker found on the instruction line; the body is read later.
pub(crate) struct Marker {
    pub(crate) marker: TextRange,
    pub(crate) name: Spanned<CompactString>,
    pub(crate) strip_tabs: bool,
    pub(crate) quoted: bool,
}

/// Finds heredoc markers in the logical line `line.text[start..]` and appends them to
/// `markers`. Like BuildKit, the line is split into shell words (always with `\` as the
/// escape) and every word of the form `[n]<<[-]NAME` opens a heredoc.
pub(crate) fn find_markers(line: &Logical, start: usize, markers: &mut Vec<Marker>) {
    let text = line.text;
    if !has_double_lt(&text.as_bytes()[start..]) {
        return;
    }
    for span in split_words(text, start, text.len(), b'\\') {
        let (word_start, word_end) = (span.start, span.end);
        let word = &text[word_start..word_end];
        let digits = word.bytes().take_while(u8::is_ascii_digit).count();
        let Some(after) = word[digits..].strip_prefix("<<") else {
            continue;
        };
        let strip_tabs = after.starts_with('-');
        let rest = if strip_tabs { &after[1..] } else { after };
        if rest.is_empty() || rest.contains('<') {
            continue;
        }
        let rest_start = word_end - rest.len();
        let (name, _) = unquote(rest, b'\\');
        let quote_count = |s: &str| s.bytes().filter(|it| *it == b'\'' || *it == b'"').count();
        let quoted = quote_count(rest) != quote_count(&name);
        // For a simply quoted name (`'EOF'`, `"EOF"`) the range covers the name inside the quotes.
        let rb = rest.as_bytes();
        let simple_quotes =
            rb.len() >= 2 && (rb[0] == b'\'' || rb[0] == b'"') && rb[rb.len() - 1] == rb[0] && quote_count(rest) == 2;
        let name_range =
            if simple_quotes { line.range(rest_start + 1, word_end - 1) } else { line.range(rest_start, word_end) };
        markers.push(Marker {
            marker: line.range(word_start, word_end),
            name: Spanned::new(name, name_range),
            strip_tabs,
            quoted,
        });
    }
}

/// True when `bytes` holds `<<`.
fn has_double_lt(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'<', bytes).any(|idx| bytes.get(idx + 1) == Some(&b'<'))
}

/// Reads the bodies of `markers` from the lines starting at `pos`. Returns the heredocs and the
/// offset after the last terminator line.
pub(crate) fn read_bodies(
    text: &str,
    mut pos: usize,
    markers: &mut Vec<Marker>,
    errors: &mut Vec<SyntaxError>,
) -> (Vec<Heredoc>, usize) {
    let mut heredocs = Vec::with_capacity(markers.len());
    for marker in markers.drain(..) {
        let body_start = pos;
        let mut terminator = None;
        let mut body_end = text.len();
        while pos < text.len() {
            let line = line_at(text, pos);
            let mut content = &text[line.start..line.content_end];
            if marker.strip_tabs {
                content = content.trim_start_matches('\t');
            }
            if content == marker.name.value {
                terminator = Some(TextRange::new(line.start, line.content_end));
                body_end = line.start;
                pos = line.next;
                break;
            }
            pos = line.next;
        }
        if terminator.is_none() {
            let message =
                format!("heredoc `{}` is never closed: no line reads `{}`", marker.name.value, marker.name.value);
            errors.push(SyntaxError { range: marker.marker, kind: SyntaxErrorKind::UnterminatedHeredoc, message });
        }
        let body_start = body_start.min(body_end);
        let end = terminator.map_or(text.len(), |it| it.end);
        heredocs.push(Heredoc {
            range: TextRange::new(marker.marker.start, end.max(marker.marker.start)),
            marker: marker.marker,
            name: marker.name,
            strip_tabs: marker.strip_tabs,
            quoted: marker.quoted,
            body: Spanned::new(text[body_start..body_end].to_string(), TextRange::new(body_start, body_end)),
            terminator,
        });
    }
    (heredocs, pos)
}
