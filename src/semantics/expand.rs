//! Dockerfile variable expansion (`$VAR`, `${VAR:-word}`, ...) as BuildKit's shell lexer does it.
//!
//! BuildKit expands variables in most instructions (not in RUN/CMD/ENTRYPOINT, where the shell
//! does it) with its own small lexer. We mirror it so rules see the same values the builder sees:
//! quotes are removed, the escape character escapes the next character, single quotes suppress
//! expansion, and `${...}` supports the `-`, `+`, `?` modifiers (with or without `:`), the
//! `#`/`##`/`%`/`%%` trims and the `/`/`//` replacements. Shell special parameters (`$1`, `$@`,
//! `$#`...) expand to nothing and are not reported as references, since Docker never defines them.
//!
//! Where BuildKit fails the build (`${}`, an unterminated `${`, an unterminated quote, `${A:?}`
//! on an unset variable) we record an [`ExpansionError`] and carry on with a best-effort value.

use std::borrow::Cow;

use crate::syntax::CompactString;
use crate::text::TextRange;

/// Deeper `${A:-${B:-${C...}}}` nesting than this is reported as an error instead of followed.
const MAX_DEPTH: u32 = 32;

/// The result of expanding one word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    pub value: String,
    /// Every variable reference, in source order (an outer `${A:-${B}}` comes before `B`).
    pub references: Vec<VarRef>,
    /// False when the value depends on a variable that is unset and has no fallback, so the
    /// real value at build time is unknown (typically an `ARG` without a default).
    pub complete: bool,
    /// Syntax BuildKit rejects, with the range of the offending construct.
    pub errors: Vec<ExpansionError>,
}

/// One `$NAME` or `${NAME...}` in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarRef {
    /// Stored inline when short (as variable names are), without a heap allocation.
    pub name: CompactString,
    /// From `$` to the end of the name, or to the closing `}` (the end of the text when the
    /// brace is never closed).
    pub range: TextRange,
    pub name_range: TextRange,
    /// The lookup knew the variable. Always false from [`references`].
    pub defined: bool,
    /// The modifier as written: `""` for `$A` and `${A}`, otherwise one of `:-`, `-`, `:+`, `+`,
    /// `:?`, `?`, `#`, `##`, `%`, `%%`, `/`, `//`.
    pub operator: &'static str,
}

impl VarRef {
    /// True for `${A:-x}`/`${A-x}` (a default) and `${A:+x}`/`${A+x}` (an alternative): an
    /// unset variable there is intended, not a mistake.
    pub fn has_fallback(&self) -> bool {
        matches!(self.operator, ":-" | "-" | ":+" | "+")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpansionError {
    pub range: TextRange,
    pub message: String,
}

/// Expands `text` the way BuildKit expands a Dockerfile word. `lookup` returns the value of a
/// variable in scope (`None` when unset); `escape` is the Dockerfile escape character.
pub fn expand(text: &str, escape: char, lookup: &dyn Fn(&str) -> Option<String>) -> Expansion {
    let mut value = String::new();
    let mut references = Vec::new();
    let lookup = |name: &str| lookup(name).map(Cow::Owned);
    let (complete, errors) = expand_into(&mut value, &mut references, text, escape, &lookup, true);
    Expansion { value, references, complete, errors }
}

/// A variable lookup that may lend the value instead of copying it.
pub(crate) type Lookup<'v> = dyn Fn(&str) -> Option<Cow<'v, str>> + 'v;

/// [`expand`] for callers that want only the value: no references are recorded (that saves an
/// allocation per reference), and the value is stored inline when short. Returns the value and
/// whether it is complete (see [`Expansion::complete`]).
pub(crate) fn expand_compact<'v>(text: &str, escape: char, lookup: &Lookup<'v>) -> (CompactString, bool) {
    let mut value = CompactString::const_new("");
    let (complete, _) = expand_into(&mut value, &mut Vec::new(), text, escape, lookup, false);
    (value, complete)
}

/// Expands `text` into `out`, appending the references to `references` when asked; returns
/// whether the value is complete and the errors found.
fn expand_into<'v, O: Sink>(
    out: &mut O,
    references: &mut Vec<VarRef>,
    text: &str,
    escape: char,
    lookup: &Lookup<'v>,
    record_references: bool,
) -> (bool, Vec<ExpansionError>) {
    // Without a `$`, a quote or the escape character every character stands for itself.
    if is_literal(text, escape) {
        out.reserve_and_push(text);
        return (true, Vec::new());
    }
    let mut expander = Expander {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        escape,
        escape_byte: u8::try_from(escape).ok().filter(u8::is_ascii),
        lookup,
        record_references,
        references: std::mem::take(references),
        errors: Vec::new(),
        depth: 0,
    };
    out.reserve_for(text.len());
    let word = expander.word(out, None, false);
    *references = expander.references;
    (word.complete, expander.errors)
}

/// Where an expansion writes its value.
trait Sink {
    fn push(&mut self, ch: char);
    fn push_str(&mut self, text: &str);
    /// Room for about `len` bytes before the value is written.
    fn reserve_for(&mut self, len: usize);

    /// The whole value at once (literal text).
    fn reserve_and_push(&mut self, text: &str) {
        self.reserve_for(text.len());
        self.push_str(text);
    }
}

impl Sink for String {
    fn push(&mut self, ch: char) {
        String::push(self, ch);
    }

    fn push_str(&mut self, text: &str) {
        String::push_str(self, text);
    }

    fn reserve_for(&mut self, len: usize) {
        self.reserve(len);
    }
}

impl Sink for CompactString {
    fn push(&mut self, ch: char) {
        CompactString::push(self, ch);
    }

    fn push_str(&mut self, text: &str) {
        CompactString::push_str(self, text);
    }

    fn reserve_for(&mut self, len: usize) {
        self.reserve(len);
    }
}

/// Drops the value: for callers that want only the references.
struct Discard;

impl Sink for Discard {
    fn push(&mut self, _: char) {}

    fn push_str(&mut self, _: &str) {}

    fn reserve_for(&mut self, _: usize) {}
}

/// True when [`expand`] would return `text` unchanged with nothing to report.
fn is_literal(text: &str, escape: char) -> bool {
    let special = |it: &u8| matches!(it, b'$' | b'\'' | b'"');
    match u8::try_from(escape) {
        Ok(escape) if escape.is_ascii() => !text.bytes().any(|it| special(&it) || it == escape),
        _ => !text.bytes().any(|it| special(&it)) && !text.contains(escape),
    }
}

/// The variable references in `text`, without values (for hover, go-to-definition and the
/// undefined-variable check).
pub fn references(text: &str, escape: char) -> Vec<VarRef> {
    let mut res = Vec::new();
    references_into(&mut res, text, escape);
    res
}

/// [`references`] appended to `acc`, so a caller scanning many words reuses one vector.
pub fn references_into(acc: &mut Vec<VarRef>, text: &str, escape: char) {
    expand_into(&mut Discard, acc, text, escape, &|_| None, true);
}

/// True when `text` contains something [`expand`] would substitute; a quick filter for callers
/// that want to skip the allocation for plain words.
pub fn has_references(text: &str) -> bool {
    text.as_bytes().contains(&b'$')
}

struct Expander<'a, 'v> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    escape: char,
    /// The escape character when it is ASCII (it always is in practice).
    escape_byte: Option<u8>,
    lookup: &'a Lookup<'v>,
    /// Whether to fill `references`; the value and errors do not depend on them.
    record_references: bool,
    references: Vec<VarRef>,
    errors: Vec<ExpansionError>,
    depth: u32,
}

/// How a [`Expander::word`] call ended.
struct WordEnd {
    complete: bool,
    /// The stop character was found (always true without one).
    terminated: bool,
}

impl<'v> Expander<'_, 'v> {
    fn peek_char(&self) -> Option<char> {
        self.text.get(self.pos..).and_then(|rest| rest.chars().next())
    }

    fn error(&mut self, start: usize, message: impl Into<String>) {
        let range = TextRange::new(start.min(self.pos), self.pos);
        self.errors.push(ExpansionError { range, message: message.into() });
    }

    /// Length of the text at `pos` that stands for itself: up to the next byte that `special`
    /// accepts or that is the escape character. With a non-ASCII escape character, non-ASCII
    /// text is left to the character-wise path.
    fn literal_run(&self, special: impl Fn(u8) -> bool) -> usize {
        let rest = &self.bytes[self.pos..];
        let end = match self.escape_byte {
            Some(escape) => rest.iter().position(|&it| special(it) || it == escape),
            None => rest.iter().position(|&it| special(it) || !it.is_ascii()),
        };
        // The run ends before an ASCII byte or at the end, so on a character boundary.
        end.unwrap_or(rest.len())
    }

    /// Processes text up to `stop` (consumed) or the end, appending the result to `out`.
    /// `raw_escapes` keeps escape characters, as BuildKit does for trim/replace patterns.
    fn word<O: Sink>(&mut self, out: &mut O, stop: Option<u8>, raw_escapes: bool) -> WordEnd {
        let mut complete = true;
        while self.pos < self.bytes.len() {
            let byte = self.bytes[self.pos];
            if Some(byte) == stop {
                self.pos += 1;
                return WordEnd { complete, terminated: true };
            }
            match byte {
                b'$' => complete &= self.dollar(out),
                b'\'' => self.single_quote(out),
                b'"' => complete &= self.double_quote(out, raw_escapes),
                _ => {
                    let run = self.literal_run(|it| matches!(it, b'$' | b'\'' | b'"') || Some(it) == stop);
                    if run > 0 {
                        out.push_str(&self.text[self.pos..self.pos + run]);
                        self.pos += run;
                        continue;
                    }
                    let Some(ch) = self.peek_char() else { break };
                    self.pos += ch.len_utf8();
                    if ch != self.escape {
                        out.push(ch);
                        continue;
                    }
                    if raw_escapes {
                        out.push(ch);
                    }
                    // The escape character escapes whatever follows; alone at the end it vanishes.
                    let Some(next) = self.peek_char() else { break };
                    self.pos += next.len_utf8();
                    out.push(next);
                }
            }
        }
        WordEnd { complete, terminated: stop.is_none() }
    }

    fn single_quote<O: Sink>(&mut self, out: &mut O) {
        let start = self.pos;
        self.pos += 1;
        match self.bytes[self.pos..].iter().position(|&b| b == b'\'') {
            Some(len) => {
                out.push_str(&self.text[self.pos..self.pos + len]);
                self.pos += len + 1;
            }
            None => {
                out.push_str(&self.text[self.pos..]);
                self.pos = self.bytes.len();
                self.error(start, "unterminated single quote");
            }
        }
    }

    fn double_quote<O: Sink>(&mut self, out: &mut O, raw_escapes: bool) -> bool {
        let start = self.pos;
        self.pos += 1;
        let mut complete = true;
        loop {
            let Some(ch) = self.peek_char() else {
                self.error(start, "unterminated double quote");
                return complete;
            };
            match ch {
                '"' => {
                    self.pos += 1;
                    return complete;
                }
                '$' => complete &= self.dollar(out),
                _ => {
                    let run = self.literal_run(|it| matches!(it, b'$' | b'"'));
                    if run > 0 {
                        out.push_str(&self.text[self.pos..self.pos + run]);
                        self.pos += run;
                        continue;
                    }
                    self.pos += ch.len_utf8();
                    if ch != self.escape {
                        out.push(ch);
                        continue;
                    }
                    if raw_escapes {
                        out.push(ch);
                    }
                    match self.peek_char() {
                        None => {}
                        Some(next) if next == '"' || next == '$' || next == self.escape => {
                            self.pos += next.len_utf8();
                            out.push(next);
                        }
                        // Inside double quotes other escapes stay literal.
                        Some(_) if !raw_escapes => out.push(ch),
                        Some(_) => {}
                    }
                }
            }
        }
    }

    /// Reads a variable name at `pos`: letters, digits and `_`, or a run of digits, or one special
    /// parameter character. Returns the byte range of the name.
    fn name(&mut self) -> TextRange {
        let start = self.pos;
        let Some(first) = self.peek_char() else {
            return TextRange::empty(start);
        };
        if first.is_ascii_digit() {
            while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_digit() {
                self.pos += 1;
            }
            return TextRange::new(start, self.pos);
        }
        if is_special_param(first) {
            self.pos += 1;
            return TextRange::new(start, self.pos);
        }
        loop {
            // ASCII names are the rule; other letters take the character-wise step.
            let ascii =
                self.bytes[self.pos..].iter().take_while(|it| it.is_ascii_alphanumeric() || **it == b'_').count();
            self.pos += ascii;
            match self.peek_char() {
                Some(ch) if !ch.is_ascii() && ch.is_alphanumeric() => self.pos += ch.len_utf8(),
                _ => break,
            }
        }
        TextRange::new(start, self.pos)
    }

    /// Looks up a name, recording a reference unless it is a shell special parameter.
    fn lookup(
        &mut self,
        start: usize,
        name_range: TextRange,
        operator: &'static str,
    ) -> (Option<Cow<'v, str>>, Option<usize>) {
        let name = &self.text[name_range.as_range()];
        if !is_docker_name(name) {
            return (None, None);
        }
        let value = (self.lookup)(name);
        if !self.record_references {
            return (value, None);
        }
        self.references.push(VarRef {
            name: CompactString::from(name),
            range: TextRange::new(start, self.pos),
            name_range,
            defined: value.is_some(),
            operator,
        });
        (value, Some(self.references.len() - 1))
    }

    /// Handles a `$` at `pos`; returns whether the appended value is fully known.
    fn dollar<O: Sink>(&mut self, out: &mut O) -> bool {
        let start = self.pos;
        self.pos += 1;
        if self.bytes.get(self.pos) != Some(&b'{') {
            let name_range = self.name();
            if name_range.is_empty() {
                out.push('$');
                return true;
            }
            let (value, _) = self.lookup(start, name_range, "");
            return match value {
                Some(value) => {
                    out.push_str(&value);
                    true
                }
                None => !is_docker_name(&self.text[name_range.as_range()]),
            };
        }
        self.pos += 1;
        match self.bytes.get(self.pos) {
            None => {
                self.error(start, "missing '}'");
                out.push_str(&self.text[start..]);
                return false;
            }
            Some(b'{' | b'}' | b':') => {
                self.skip_to_close_brace();
                self.error(start, "bad substitution");
                out.push_str(&self.text[start..self.pos]);
                return false;
            }
            Some(_) => {}
        }
        if self.depth >= MAX_DEPTH {
            self.skip_to_close_brace();
            self.error(start, "variable references are nested too deeply");
            return false;
        }
        self.depth += 1;
        let complete = self.braced(out, start);
        self.depth -= 1;
        complete
    }

    /// After `${`: the name, an optional modifier and its word, up to the closing `}`.
    fn braced<O: Sink>(&mut self, out: &mut O, start: usize) -> bool {
        let name_range = self.name();
        let Some(ch) = self.peek_char() else {
            self.error(start, "missing '}'");
            self.lookup(start, name_range, "");
            return false;
        };
        self.pos += ch.len_utf8();
        match ch {
            '}' => {
                let (value, _) = self.lookup(start, name_range, "");
                match value {
                    Some(value) => {
                        out.push_str(&value);
                        true
                    }
                    None => !is_docker_name(&self.text[name_range.as_range()]),
                }
            }
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let null_is_unset = ch == ':';
                let op_char = match ch {
                    ':' => {
                        let Some(next) = self.peek_char() else {
                            self.lookup(start, name_range, "");
                            self.error(start, "missing '}'");
                            return false;
                        };
                        self.pos += next.len_utf8();
                        next
                    }
                    _ => ch,
                };
                let (value, index) = self.lookup(start, name_range, "");
                let mut word = String::new();
                let raw_escapes = op_char == '#' || op_char == '%';
                let end = self.word(&mut word, Some(b'}'), raw_escapes);
                self.close_reference(index);
                if !end.terminated {
                    self.error(start, "missing '}'");
                }
                let operator = operator_name(null_is_unset, op_char, &word);
                if let Some(index) = index {
                    self.references[index].operator = operator;
                }
                let set_and_useful = match &value {
                    Some(value) => !(null_is_unset && value.is_empty()),
                    None => false,
                };
                match op_char {
                    '-' => {
                        if set_and_useful {
                            out.push_str(value.as_deref().unwrap_or_default());
                            true
                        } else {
                            out.push_str(&word);
                            end.complete
                        }
                    }
                    '+' => {
                        if set_and_useful {
                            out.push_str(&word);
                            end.complete
                        } else {
                            true
                        }
                    }
                    '?' => match value {
                        Some(value) if !(null_is_unset && value.is_empty()) => {
                            out.push_str(&value);
                            true
                        }
                        Some(_) => {
                            let message = if word.is_empty() { "is not allowed to be empty" } else { word.as_str() };
                            let message = format!("{}: {message}", &self.text[name_range.as_range()]);
                            self.error(start, message);
                            false
                        }
                        None => {
                            let message = if word.is_empty() { "is not allowed to be unset" } else { word.as_str() };
                            let message = format!("{}: {message}", &self.text[name_range.as_range()]);
                            self.error(start, message);
                            false
                        }
                    },
                    '#' | '%' => {
                        let Some(value) = value else {
                            return !is_docker_name(&self.text[name_range.as_range()]);
                        };
                        let (pattern, longest) = match word.strip_prefix(op_char) {
                            Some(rest) => (rest, true),
                            None => (word.as_str(), false),
                        };
                        let pattern = Pattern::compile(pattern);
                        let trimmed = if op_char == '#' {
                            trim_prefix(&pattern, &value, longest)
                        } else {
                            trim_suffix(&pattern, &value, longest)
                        };
                        out.push_str(trimmed);
                        end.complete
                    }
                    _ => {
                        let modifier = format!(":{op_char}");
                        self.error(start, format!("unsupported modifier ({modifier}) in substitution"));
                        false
                    }
                }
            }
            '/' => {
                let replace_all = self.bytes.get(self.pos) == Some(&b'/');
                if replace_all {
                    self.pos += 1;
                }
                let (value, index) = self.lookup(start, name_range, if replace_all { "//" } else { "/" });
                let mut pattern = String::new();
                let pattern_end = self.word(&mut pattern, Some(b'/'), true);
                let mut replacement = String::new();
                let replacement_end = if pattern_end.terminated {
                    self.word(&mut replacement, Some(b'}'), true)
                } else {
                    WordEnd { complete: true, terminated: false }
                };
                self.close_reference(index);
                if !pattern_end.terminated {
                    self.error(start, "missing '/' in ${}");
                } else if !replacement_end.terminated {
                    self.error(start, "missing '}'");
                }
                let Some(value) = value else {
                    return !is_docker_name(&self.text[name_range.as_range()]);
                };
                let pattern = Pattern::compile(&pattern);
                out.push_str(&replace(&pattern, &value, &replacement, replace_all));
                pattern_end.complete && replacement_end.complete
            }
            _ => {
                // BuildKit reports `${A!}` and friends; skip to the brace so the rest of the
                // word still expands.
                self.skip_to_close_brace();
                self.lookup(start, name_range, "");
                self.error(start, format!("unsupported modifier ({ch}) in substitution"));
                false
            }
        }
    }

    /// Extends a reference recorded before its word was read so it covers the closing brace.
    fn close_reference(&mut self, index: Option<usize>) {
        if let Some(index) = index {
            let reference = &mut self.references[index];
            reference.range = TextRange::new(reference.range.start, self.pos);
        }
    }

    fn skip_to_close_brace(&mut self) {
        match self.bytes[self.pos..].iter().position(|&b| b == b'}') {
            Some(len) => self.pos += len + 1,
            None => self.pos = self.bytes.len(),
        }
    }
}

fn operator_name(null_is_unset: bool, op: char, word: &str) -> &'static str {
    match (null_is_unset, op) {
        (true, '-') => ":-",
        (false, '-') => "-",
        (true, '+') => ":+",
        (false, '+') => "+",
        (true, '?') => ":?",
        (false, '?') => "?",
        (_, '#') if word.starts_with('#') => "##",
        (_, '#') => "#",
        (_, '%') if word.starts_with('%') => "%%",
        (_, '%') => "%",
        _ => "",
    }
}

fn is_special_param(ch: char) -> bool {
    matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}

/// Docker variables start with a letter or `_`; digits and special parameters are shell-only.
fn is_docker_name(name: &str) -> bool {
    name.chars().next().is_some_and(|it| it.is_alphabetic() || it == '_')
}

/// A shell pattern (`*`, `?`, `\x`) compiled to tokens.
struct Pattern {
    tokens: Vec<PatternToken>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PatternToken {
    Char(char),
    AnyChar,
    AnyString,
}

impl Pattern {
    fn compile(text: &str) -> Pattern {
        let mut tokens = Vec::new();
        let mut chars = text.chars();
        while let Some(ch) = chars.next() {
            let token = match ch {
                '*' => PatternToken::AnyString,
                '?' => PatternToken::AnyChar,
                '\\' => match chars.next() {
                    Some(next) => PatternToken::Char(next),
                    None => PatternToken::Char('\\'),
                },
                _ => PatternToken::Char(ch),
            };
            tokens.push(token);
        }
        Pattern { tokens }
    }

    /// Whether the pattern matches all of `text`. Iterative, with one backtrack point for the
    /// most recent `*`, so it runs in O(text × pattern).
    fn matches(&self, text: &str) -> bool {
        let tokens = &self.tokens;
        let mut t = 0;
        let mut p = 0;
        let mut star: Option<(usize, usize)> = None;
        loop {
            if t < text.len() {
                let ch = text[t..].chars().next().unwrap_or_default();
                match tokens.get(p) {
                    Some(PatternToken::AnyString) => {
                        star = Some((p, t));
                        p += 1;
                        continue;
                    }
                    Some(PatternToken::AnyChar) => {
                        p += 1;
                        t += ch.len_utf8();
                        continue;
                    }
                    Some(PatternToken::Char(expected)) if *expected == ch => {
                        p += 1;
                        t += ch.len_utf8();
                        continue;
                    }
                    _ => {}
                }
                let Some((star_p, star_t)) = star else {
                    return false;
                };
                let skipped = text[star_t..].chars().next().map_or(1, char::len_utf8);
                star = Some((star_p, star_t + skipped));
                p = star_p + 1;
                t = star_t + skipped;
            } else {
                return tokens[p.min(tokens.len())..].iter().all(|it| *it == PatternToken::AnyString);
            }
        }
    }
}

fn boundaries(value: &str) -> impl DoubleEndedIterator<Item = usize> + '_ {
    value.char_indices().map(|(idx, _)| idx).chain(std::iter::once(value.len()))
}

fn trim_prefix<'v>(pattern: &Pattern, value: &'v str, longest: bool) -> &'v str {
    let cut = if longest {
        boundaries(value).rev().find(|&end| pattern.matches(&value[..end]))
    } else {
        boundaries(value).find(|&end| pattern.matches(&value[..end]))
    };
    match cut {
        Some(end) => &value[end..],
        None => value,
    }
}

fn trim_suffix<'v>(pattern: &Pattern, value: &'v str, longest: bool) -> &'v str {
    let cut = if longest {
        boundaries(value).find(|&start| pattern.matches(&value[start..]))
    } else {
        boundaries(value).rev().find(|&start| pattern.matches(&value[start..]))
    };
    match cut {
        Some(start) => &value[..start],
        None => value,
    }
}

/// `${A/pat/repl}` (first match) and `${A//pat/repl}` (every match); matches are leftmost and
/// longest, as BuildKit's greedy regular expression finds them.
fn replace(pattern: &Pattern, value: &str, replacement: &str, all: bool) -> String {
    let mut out = String::with_capacity(value.len());
    let mut pos = 0;
    while pos <= value.len() {
        let found = boundaries(&value[pos..]).map(|it| it + pos).find_map(|start| {
            boundaries(&value[start..])
                .rev()
                .map(|it| it + start)
                .find(|&end| pattern.matches(&value[start..end]))
                .map(|end| (start, end))
        });
        let Some((start, end)) = found else { break };
        out.push_str(&value[pos..start]);
        out.push_str(replacement);
        if end > start {
            pos = end;
        } else {
            // An empty match: keep one character so the scan moves forward.
            let Some(ch) = value[end..].chars().next() else {
                pos = value.len() + 1;
                break;
            };
            out.push(ch);
            pos = end + ch.len_utf8();
        }
        if !all {
            break;
        }
    }
    if pos <= value.len() {
        out.push_str(&value[pos..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`expand`] without the shortcut for literal text.
    fn expand_without_shortcut(text: &str, escape: char, lookup: &dyn Fn(&str) -> Option<String>) -> Expansion {
        let lookup = |name: &str| lookup(name).map(Cow::Owned);
        let mut expander = Expander {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            escape,
            escape_byte: u8::try_from(escape).ok().filter(u8::is_ascii),
            lookup: &lookup,
            record_references: true,
            references: Vec::new(),
            errors: Vec::new(),
            depth: 0,
        };
        let mut value = String::new();
        let word = expander.word(&mut value, None, false);
        Expansion { value, references: expander.references, complete: word.complete, errors: expander.errors }
    }

    fn random_texts(alphabet: &[&str], count: usize) -> Vec<String> {
        crate::test_support::random_texts(alphabet, count, 14, 0x2545_f491_4f6c_dd1d)
    }

    #[test]
    fn shortcuts_agree_with_the_full_expander() {
        let alphabet =
            &["a", "A", "_", "1", "é", " ", "$", "${", "}", ":-", "-", "#", "%", "/", "'", "\"", "\\", "`", "§"];
        let mut literal = 0;
        for text in random_texts(alphabet, 20_000) {
            for escape in ['\\', '`', '§'] {
                let full = expand(&text, escape, &env);
                assert_eq!(full, expand_without_shortcut(&text, escape, &env), "{text:?} with escape {escape:?}");
                let (value, complete) = expand_compact(&text, escape, &|name| env(name).map(Cow::Owned));
                assert_eq!(
                    (value.as_str(), complete),
                    (full.value.as_str(), full.complete),
                    "{text:?} with escape {escape:?}"
                );
                // References alone are the same list, appended after what the vector held.
                let mut appended = vec![VarRef {
                    name: CompactString::from("X"),
                    range: TextRange::empty(0),
                    name_range: TextRange::empty(0),
                    defined: false,
                    operator: "",
                }];
                references_into(&mut appended, &text, escape);
                let undefined = expand(&text, escape, &|_| None).references;
                assert_eq!(&appended[1..], &undefined[..], "{text:?} with escape {escape:?}");
                literal += usize::from(is_literal(&text, escape));
            }
        }
        assert!(literal > 1_000, "literal text came up only {literal} times");
    }

    /// The byte-run path (ASCII escape) and the character path (non-ASCII escape) give the
    /// same values once the escape characters are swapped.
    #[test]
    fn literal_runs_agree_with_the_character_path() {
        // No trims or replacements: their patterns always treat `\\` as an escape.
        let alphabet = &["a", "A", "_", "1", "é", "日", " ", "$", "${", "}", ":-", ":+", "'", "\"", "\\", "§"];
        let swap = |text: &str| -> String {
            text.chars()
                .map(|it| match it {
                    '\\' => '§',
                    '§' => '\\',
                    other => other,
                })
                .collect()
        };
        for text in random_texts(alphabet, 20_000) {
            let ascii = expand(&text, '\\', &env);
            let chars = expand(&swap(&text), '§', &env);
            assert_eq!((swap(&chars.value), chars.complete), (ascii.value, ascii.complete), "{text:?}");
        }
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("alpha".to_owned()),
            "EMPTY" => Some(String::new()),
            "PY" => Some("3.12".to_owned()),
            "PATH_LIKE" => Some("/usr/local/bin:/usr/bin".to_owned()),
            "FILE" => Some("archive.tar.gz".to_owned()),
            _ => None,
        }
    }

    #[track_caller]
    fn check(text: &str, value: &str, complete: bool) {
        let res = expand(text, '\\', &env);
        assert_eq!(res.value, value, "value of {text:?}");
        assert_eq!(res.complete, complete, "completeness of {text:?}");
        assert!(res.errors.is_empty(), "unexpected errors for {text:?}: {:?}", res.errors);
    }

    #[track_caller]
    fn check_error(text: &str, message: &str) {
        let res = expand(text, '\\', &env);
        assert!(res.errors.iter().any(|it| it.message.contains(message)), "{text:?} gave {:?}", res.errors);
    }

    #[test]
    fn plain_forms() {
        check("python:$PY-slim", "python:3.12-slim", true);
        check("python:${PY}-slim", "python:3.12-slim", true);
        check("$A$A", "alphaalpha", true);
        check("${A}_x", "alpha_x", true);
        check("$MISSING", "", false);
        check("x${MISSING}y", "xy", false);
        check("no vars", "no vars", true);
        check("", "", true);
    }

    #[test]
    fn modifiers() {
        check("${MISSING:-3.11}", "3.11", true);
        check("${PY:-3.11}", "3.12", true);
        check("${EMPTY:-d}", "d", true);
        check("${EMPTY-d}", "", true);
        check("${MISSING-d}", "d", true);
        check("${A:+set}", "set", true);
        check("${EMPTY:+set}", "", true);
        check("${EMPTY+set}", "set", true);
        check("${MISSING+set}", "", true);
        check("${A:?boom}", "alpha", true);
        check("${A?boom}", "alpha", true);
    }

    #[test]
    fn nested_defaults() {
        check("${MISSING:-${A}}", "alpha", true);
        check("${MISSING:-${OTHER}}", "", false);
        check("${A:-${OTHER}}", "alpha", true);
        check("${MISSING:-${OTHER:-${PY}}}", "3.12", true);
        let res = expand("${MISSING:-${A}}", '\\', &env);
        let names: Vec<_> =
            res.references.iter().map(|it| (it.name.as_str(), it.range, it.defined, it.operator)).collect();
        assert_eq!(
            names,
            vec![("MISSING", TextRange::new(0, 16), false, ":-"), ("A", TextRange::new(11, 15), true, "")]
        );
    }

    #[test]
    fn trims_and_replacements() {
        check("${FILE%.*}", "archive.tar", true);
        check("${FILE%%.*}", "archive", true);
        check("${FILE#*.}", "tar.gz", true);
        check("${FILE##*.}", "gz", true);
        check("${FILE#nomatch}", "archive.tar.gz", true);
        check("${PATH_LIKE/bin/sbin}", "/usr/local/sbin:/usr/bin", true);
        check("${PATH_LIKE//bin/sbin}", "/usr/local/sbin:/usr/sbin", true);
        check("${PY/./}", "312", true);
        check("${PY/\\./-}", "3-12", true);
        check("${MISSING#x}", "", false);
    }

    #[test]
    fn quotes_and_escapes() {
        check("'$A'", "$A", true);
        check("\"$A\"", "alpha", true);
        check("\\$A", "$A", true);
        check("a\\ b", "a b", true);
        check("\"a\\b\"", "a\\b", true);
        check("\"a\\\"b\"", "a\"b", true);
        check("\"\\$A\"", "$A", true);
        let res = expand("`$A", '`', &env);
        assert_eq!(res.value, "$A");
        let res = expand("\\$A", '`', &env);
        assert_eq!(res.value, "\\alpha");
    }

    #[test]
    fn special_params_are_not_references() {
        let res = expand("$1 $@ ${1} $$ $# x", '\\', &env);
        assert_eq!(res.value, "     x");
        assert!(res.references.is_empty());
        assert!(res.complete);
    }

    #[test]
    fn lone_dollars() {
        check("$", "$", true);
        check("a$", "a$", true);
        check("$ x", "$ x", true);
        check("$-", "", true);
    }

    #[test]
    fn errors() {
        check_error("${", "missing '}'");
        check_error("${A", "missing '}'");
        check_error("${A:-x", "missing '}'");
        check_error("${}", "bad substitution");
        check_error("${:x}", "bad substitution");
        check_error("${MISSING:?must be set}", "MISSING: must be set");
        check_error("${MISSING?}", "MISSING: is not allowed to be unset");
        check_error("${EMPTY:?}", "EMPTY: is not allowed to be empty");
        check_error("${A:x}", "unsupported modifier (:x)");
        check_error("${A!}", "unsupported modifier (!)");
        check_error("'open", "unterminated single quote");
        check_error("\"open", "unterminated double quote");
        check_error("${A/x", "missing '/'");
    }

    #[test]
    fn unterminated_reference_still_reported() {
        let refs = references("FROM ${BASE", '\\');
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].name, "BASE");
        assert_eq!(refs[0].name_range, TextRange::new(7, 11));
        let refs = references("${BASE:-x", '\\');
        assert_eq!(refs[0].range, TextRange::new(0, 9));
        assert_eq!(references("${BASE:", '\\').len(), 1);
    }

    #[test]
    fn reference_ranges() {
        let refs = references("a $FOO ${BAR:-x} ${BAZ}", '\\');
        let got: Vec<_> =
            refs.iter().map(|it| (it.name.as_str(), it.range, it.name_range, it.has_fallback())).collect();
        assert_eq!(
            got,
            vec![
                ("FOO", TextRange::new(2, 6), TextRange::new(3, 6), false),
                ("BAR", TextRange::new(7, 16), TextRange::new(9, 12), true),
                ("BAZ", TextRange::new(17, 23), TextRange::new(19, 22), false),
            ]
        );
        assert!(references("'$NOPE' \\$NOPE", '\\').is_empty());
    }

    #[test]
    fn unicode_names_and_values() {
        let res = expand("ä${A}é${ÜBER:-ö}", '\\', &env);
        assert_eq!(res.value, "äalphaéö");
        assert_eq!(res.references[1].name, "ÜBER");
        // Letters outside ASCII continue a name, as in BuildKit.
        assert_eq!(references("$Aé", '\\')[0].name, "Aé");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut text = String::new();
        for _ in 0..200 {
            text.push_str("${X:-");
        }
        text.push('v');
        for _ in 0..200 {
            text.push('}');
        }
        let res = expand(&text, '\\', &env);
        assert!(res.errors.iter().any(|it| it.message.contains("nested too deeply")));
    }

    #[test]
    fn pattern_matching() {
        let pattern = Pattern::compile("a*b?c");
        assert!(pattern.matches("axxbyc"));
        assert!(pattern.matches("abyc"));
        assert!(!pattern.matches("abc"));
        assert!(Pattern::compile("*").matches(""));
        assert!(Pattern::compile("\\*").matches("*"));
        assert!(!Pattern::compile("\\*").matches("x"));
    }

    #[test]
    fn fuzz_never_panics() {
        let alphabet: &[&str] = &[
            "$", "{", "}", ":", "-", "+", "?", "#", "%", "/", "'", "\"", "\\", "`", "A", "PY", "é", " ", "*", "1", "@",
            "x",
        ];
        for text in crate::test_support::random_texts(alphabet, 20_000, 24, 0x9e37_79b9_7f4a_7c15) {
            for escape in ['\\', '`'] {
                let res = expand(&text, escape, &env);
                for it in &res.references {
                    assert!(it.range.end <= text.len() && it.range.contains_range(it.name_range), "{text:?}");
                }
                for it in &res.errors {
                    assert!(it.range.end <= text.len(), "{text:?}");
                }
            }
        }
    }
}
