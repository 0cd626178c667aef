//! Semantic tokens: what each piece of the file is (keyword, flag, variable, stage name, image…),
//! and their encoding as LSP's relative five-number groups in the client's column units.

use crate::analysis::Analysis;
use crate::ide::navigation::StageNames;
use crate::semantics::{Base, expand};
use crate::syntax::{Args, Flag, Healthcheck, Instruction, Keyword};
use crate::text::{LineIndex, PositionEncoding, TextRange};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    Keyword,
    /// Instruction flags (`--from`, `--mount`).
    Parameter,
    /// `$NAME` / `${NAME…}` uses.
    Variable,
    String,
    Comment,
    /// Stage names.
    Namespace,
    /// Image references.
    Type,
    /// Keys of ENV, LABEL and ARG, and mount options.
    Property,
    /// `=` between a key and its value, heredoc markers and terminators.
    Operator,
    Number,
}

impl TokenKind {
    /// The legend, in the order of the numbers sent to the client.
    pub const LEGEND: [TokenKind; 10] = [
        TokenKind::Keyword,
        TokenKind::Parameter,
        TokenKind::Variable,
        TokenKind::String,
        TokenKind::Comment,
        TokenKind::Namespace,
        TokenKind::Type,
        TokenKind::Property,
        TokenKind::Operator,
        TokenKind::Number,
    ];

    /// The standard LSP token type name.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Keyword => "keyword",
            TokenKind::Parameter => "parameter",
            TokenKind::Variable => "variable",
            TokenKind::String => "string",
            TokenKind::Comment => "comment",
            TokenKind::Namespace => "namespace",
            TokenKind::Type => "type",
            TokenKind::Property => "property",
            TokenKind::Operator => "operator",
            TokenKind::Number => "number",
        }
    }

    fn legend_index(self) -> u32 {
        self as u32
    }
}

/// Modifier bits, in legend order.
pub const DECLARATION: u32 = 1;
pub const DEFINITION: u32 = 1 << 1;
pub const DEPRECATED: u32 = 1 << 2;
pub const READONLY: u32 = 1 << 3;
/// The modifier names for the legend (bit `i` is `MODIFIER_NAMES[i]`).
pub const MODIFIER_NAMES: [&str; 4] = ["declaration", "definition", "deprecated", "readonly"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub range: TextRange,
    pub kind: TokenKind,
    pub modifiers: u32,
}

/// Every token of the file, sorted and not overlapping (ranges may span line breaks;
/// [`encode`] splits them).
pub fn semantic_tokens(analysis: &Analysis, text: &str) -> Vec<Token> {
    semantic_tokens_within(analysis, text, None)
}

/// Like [`semantic_tokens`], but only looks at the comments and instructions overlapping
/// `within` (when given), so that a request for the visible part of a large file does not pay
/// for the whole file. Every token lies inside its instruction's or comment's range, so the
/// tokens overlapping `within` are the same as those [`semantic_tokens`] finds there.
pub fn semantic_tokens_within(analysis: &Analysis, text: &str, within: Option<TextRange>) -> Vec<Token> {
    let file = &analysis.parse.file;
    let overlaps = |range: TextRange| within.is_none_or(|within| range.start < within.end && within.start < range.end);
    let mut acc = Tokens {
        text,
        escape: file.escape,
        stages: StageNames::new(&analysis.semantics),
        tokens: Vec::with_capacity(file.instructions.len() * 6),
    };
    for directive in file.directives.iter().filter(|it| overlaps(it.range)) {
        acc.push(directive.range, TokenKind::Comment, 0);
    }
    for comment in file.comments.iter().filter(|it| overlaps(it.range)) {
        acc.push(comment.range, TokenKind::Comment, 0);
    }
    // Instructions are in source order and do not overlap, so the ones in `within` are a run.
    let first = within.map_or(0, |within| file.instructions.partition_point(|it| it.range.end <= within.start));
    for (idx, instruction) in file.instructions.iter().enumerate().skip(first) {
        if within.is_some_and(|within| instruction.range.start >= within.end) {
            break;
        }
        acc.instruction(analysis, idx, instruction);
    }
    let mut tokens = acc.tokens;
    tokens.sort_by_key(|it| it.range.start);
    let mut end = 0;
    tokens.retain(|it| {
        if it.range.is_empty() || it.range.start < end {
            return false;
        }
        end = it.range.end;
        true
    });
    tokens
}

struct Tokens<'a> {
    text: &'a str,
    escape: char,
    stages: StageNames,
    tokens: Vec<Token>,
}

impl Tokens<'_> {
    fn push(&mut self, range: TextRange, kind: TokenKind, modifiers: u32) {
        if !range.is_empty() {
            self.tokens.push(Token { range, kind, modifiers });
        }
    }

    /// `range` as `kind`, with the variable uses BuildKit expands inside it cut out as variables.
    fn piece(&mut self, range: TextRange, kind: TokenKind) {
        let Some(source) = self.text.get(range.as_range()) else { return };
        if !expand::has_references(source) {
            self.push(range, kind, 0);
            return;
        }
        let mut at = range.start;
        for reference in expand::references(source, self.escape) {
            let var = TextRange::new(range.start + reference.range.start, range.start + reference.range.end);
            if var.start < at {
                continue;
            }
            self.push(TextRange::new(at, var.start), kind, 0);
            self.push(var, TokenKind::Variable, 0);
            at = var.end;
        }
        self.push(TextRange::new(at, range.end.max(at)), kind, 0);
    }

    fn shell(&mut self, text: &str, map: &dyn Fn(TextRange) -> TextRange) {
        if !text.contains('$') {
            return;
        }
        for (_, range) in super::navigation::shell_variable_uses(text) {
            // Include the `$` (and `{`) so the whole use is coloured.
            let start = text[..range.start].rfind('$').unwrap_or(range.start);
            let end = if text.as_bytes().get(start + 1) == Some(&b'{') {
                text[range.end..].find('}').map_or(range.end, |it| range.end + it + 1)
            } else {
                range.end
            };
            let source = map(TextRange::new(start, end));
            self.push(source, TokenKind::Variable, 0);
        }
    }

    fn instruction(&mut self, analysis: &Analysis, idx: usize, instruction: &Instruction) {
        let modifiers = if instruction.keyword == Keyword::Maintainer { DEPRECATED } else { 0 };
        self.push(instruction.keyword_range, TokenKind::Keyword, modifiers);
        for flag in &instruction.flags {
            self.flag(instruction, flag);
        }
        // Markers first: the argument words contain them too, and the first token at a start wins.
        for heredoc in &instruction.heredocs {
            self.push(heredoc.marker, TokenKind::Operator, 0);
            match instruction.keyword {
                Keyword::Run => {
                    let base = heredoc.body.range.start;
                    self.shell(&heredoc.body.value, &|range| TextRange::new(range.start + base, range.end + base));
                }
                Keyword::Copy | Keyword::Add if heredoc.quoted => self.push(heredoc.body.range, TokenKind::String, 0),
                Keyword::Copy | Keyword::Add => self.piece(heredoc.body.range, TokenKind::String),
                _ => {}
            }
            if let Some(terminator) = heredoc.terminator {
                self.push(terminator, TokenKind::Operator, 0);
            }
        }
        self.args(analysis, idx, instruction, &instruction.args);
    }

    fn flag(&mut self, instruction: &Instruction, flag: &Flag) {
        let name_end = flag.name.range.end;
        self.push(TextRange::new(flag.range.start, name_end.max(flag.range.start)), TokenKind::Parameter, 0);
        let Some(value) = &flag.value else { return };
        match flag.name.value.as_str() {
            "from" if matches!(instruction.keyword, Keyword::Copy | Keyword::Add) => {
                let kind = match self.stages.get(&value.value) {
                    Some(_) => TokenKind::Namespace,
                    None => TokenKind::Type,
                };
                self.piece(value.range, kind);
            }
            "mount" => {
                for option in flag.options() {
                    self.push(option.key.range, TokenKind::Property, 0);
                    let Some(option_value) = &option.value else { continue };
                    let kind = if option.key.value == "from" && self.stages.get(&option_value.value).is_some() {
                        TokenKind::Namespace
                    } else {
                        TokenKind::String
                    };
                    self.piece(option_value.range, kind);
                }
            }
            _ if is_number(&value.value) => self.push(value.range, TokenKind::Number, 0),
            _ => self.piece(value.range, TokenKind::String),
        }
    }

    fn args(&mut self, analysis: &Analysis, idx: usize, instruction: &Instruction, args: &Args) {
        match args {
            Args::Empty => {}
            Args::Words(words) if instruction.keyword == Keyword::From => {
                let stages = &analysis.semantics.stages;
                let stage = stages.get(stages.partition_point(|it| it.from_instruction < idx));
                let stage = stage.filter(|it| it.from_instruction == idx);
                if let Some(image) = words.first() {
                    let kind = match stage.map(|it| &it.base) {
                        Some(Base::Stage(_)) => TokenKind::Namespace,
                        _ => TokenKind::Type,
                    };
                    self.piece(image.range, kind);
                }
                if let Some(as_kw) = words.get(1) {
                    self.push(as_kw.range, TokenKind::Keyword, 0);
                }
                if let Some(name) = words.get(2) {
                    self.push(name.range, TokenKind::Namespace, DECLARATION);
                }
            }
            Args::Words(words) => {
                for word in words {
                    let kind = match instruction.keyword {
                        Keyword::Expose if word.value.starts_with(|c: char| c.is_ascii_digit()) => TokenKind::Number,
                        Keyword::Stopsignal if is_number(&word.value) => TokenKind::Number,
                        _ => TokenKind::String,
                    };
                    self.piece(word.range, kind);
                }
            }
            Args::Exec(exec) => {
                for element in &exec.elements {
                    self.push(element.range, TokenKind::String, 0);
                }
            }
            Args::Shell(shell) => self.shell(&shell.text, &|range| shell.map.range_to_source(range)),
            Args::KeyValues(pairs) => {
                let modifiers = match instruction.keyword {
                    Keyword::Arg => DECLARATION,
                    Keyword::Env => DEFINITION,
                    _ => 0,
                };
                for pair in pairs {
                    if instruction.keyword == Keyword::Label {
                        self.piece(pair.key.range, TokenKind::Property);
                    } else {
                        self.push(pair.key.range, TokenKind::Property, modifiers);
                    }
                    let Some(value) = &pair.value else { continue };
                    let between = TextRange::new(pair.key.range.end, value.range.start.max(pair.key.range.end));
                    if self.text.get(between.as_range()) == Some("=") {
                        self.push(between, TokenKind::Operator, 0);
                    }
                    self.piece(value.range, TokenKind::String);
                }
            }
            Args::Healthcheck(Healthcheck::None { range }) => self.push(*range, TokenKind::Keyword, 0),
            Args::Healthcheck(Healthcheck::Cmd { cmd_range, args }) => {
                self.push(*cmd_range, TokenKind::Keyword, 0);
                self.args(analysis, idx, instruction, args);
            }
            Args::Onbuild(inner) => self.instruction(analysis, idx, inner),
        }
    }
}

fn is_number(value: &str) -> bool {
    !value.is_empty() && value.bytes().all(|it| it.is_ascii_digit())
}

/// Encodes `tokens` as LSP's relative groups of five (delta line, delta start, length, type,
/// modifiers), with columns and lengths in `encoding`. Tokens are split at line breaks (the line
/// break itself is not part of any token). With `within`, only tokens overlapping it are sent.
pub fn encode(
    tokens: &[Token],
    text: &str,
    index: &LineIndex,
    encoding: PositionEncoding,
    within: Option<TextRange>,
) -> Vec<u32> {
    let tokens = match within {
        Some(within) => {
            let first = tokens.partition_point(|it| it.range.end <= within.start);
            let last = tokens.partition_point(|it| it.range.start < within.end);
            tokens.get(first..last.max(first)).unwrap_or(&[])
        }
        None => tokens,
    };
    let mut data = Vec::with_capacity(tokens.len() * 5);
    let mut prev_line = 0u32;
    let mut prev_col = 0u32;
    // Tokens come sorted, so the current line only ever moves forward.
    let mut line = tokens.first().map_or(0, |it| index.line_of(it.range.start));
    // The last position converted on `line`: (byte offset, column), to count columns incrementally.
    let mut cursor: Option<(usize, u32)> = None;
    for token in tokens {
        let mut start = token.range.start.min(text.len());
        let end = token.range.end.min(text.len());
        while start < end {
            while index.line_start(line + 1) <= start && line + 1 < index.line_count() {
                line += 1;
                cursor = None;
            }
            let line_end = index.line_end(text, line).min(end);
            if line_end > start && text.is_char_boundary(start) && text.is_char_boundary(line_end) {
                let (from, col_from) = match cursor {
                    Some((offset, col)) if offset <= start => (offset, col),
                    _ => (index.line_start(line), 0),
                };
                let col = col_from + width(&text[from..start], encoding);
                let len = width(&text[start..line_end], encoding);
                cursor = Some((start, col));
                let line_number = line as u32;
                let delta_line = line_number - prev_line;
                let delta_col = if delta_line == 0 { col - prev_col } else { col };
                data.extend([delta_line, delta_col, len, token.kind.legend_index(), token.modifiers]);
                prev_line = line_number;
                prev_col = col;
            }
            let next = index.line_start(line + 1);
            if next <= start {
                break;
            }
            start = next;
        }
    }
    data
}

fn width(s: &str, encoding: PositionEncoding) -> u32 {
    let n = match encoding {
        PositionEncoding::Utf8 => s.len(),
        PositionEncoding::Utf16 => s.chars().map(char::len_utf16).sum(),
        PositionEncoding::Utf32 => s.chars().count(),
    };
    n as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ProjectFacts;

    /// `(text, kind)` of every token.
    fn tokens(text: &str) -> Vec<(String, TokenKind, u32)> {
        let analysis = crate::analysis::analyze(text, &ProjectFacts::default());
        semantic_tokens(&analysis, text)
            .into_iter()
            .map(|it| (text[it.range.as_range()].to_owned(), it.kind, it.modifiers))
            .collect()
    }

    fn has(tokens: &[(String, TokenKind, u32)], text: &str, kind: TokenKind) -> bool {
        tokens.iter().any(|it| it.0 == text && it.1 == kind)
    }

    #[test]
    fn kinds_of_the_main_pieces() {
        let text = "# syntax=docker/dockerfile:1\nARG PY=3.12\nFROM python:${PY}-slim AS build\n\
                    RUN --mount=type=cache,target=/c echo \"$HOME\" '$NOT'\nEXPOSE 8000\nFROM build\n\
                    COPY --from=build /a /b\nMAINTAINER me\n";
        let found = tokens(text);
        assert!(has(&found, "# syntax=docker/dockerfile:1", TokenKind::Comment));
        assert!(has(&found, "ARG", TokenKind::Keyword));
        assert!(found.contains(&("PY".to_owned(), TokenKind::Property, DECLARATION)));
        assert!(has(&found, "=", TokenKind::Operator));
        assert!(has(&found, "3.12", TokenKind::String));
        assert!(has(&found, "python:", TokenKind::Type));
        assert!(has(&found, "${PY}", TokenKind::Variable));
        assert!(has(&found, "-slim", TokenKind::Type));
        assert!(has(&found, "AS", TokenKind::Keyword));
        assert!(found.contains(&("build".to_owned(), TokenKind::Namespace, DECLARATION)));
        assert!(has(&found, "--mount", TokenKind::Parameter));
        assert!(has(&found, "type", TokenKind::Property));
        assert!(has(&found, "cache", TokenKind::String));
        assert!(has(&found, "$HOME", TokenKind::Variable));
        assert!(!found.iter().any(|it| it.0.contains("NOT")));
        assert!(has(&found, "8000", TokenKind::Number));
        assert_eq!(found.iter().filter(|it| it.0 == "build" && it.1 == TokenKind::Namespace).count(), 3);
        assert!(found.contains(&("MAINTAINER".to_owned(), TokenKind::Keyword, DEPRECATED)));
    }

    #[test]
    fn encoding_splits_at_line_breaks_and_counts_client_units() {
        let text = "COPY <<EOF /é\nhé🐍\nEOF\n";
        let analysis = crate::analysis::analyze(text, &ProjectFacts::default());
        let tokens = semantic_tokens(&analysis, text);
        let index = LineIndex::new(text);
        let data = encode(&tokens, text, &index, PositionEncoding::Utf16, None);
        let groups: Vec<&[u32]> = data.chunks(5).collect();
        let string = TokenKind::String.legend_index();
        let operator = TokenKind::Operator.legend_index();
        assert_eq!(
            groups,
            [
                &[0, 0, 4, 0, 0][..],
                &[0, 5, 5, operator, 0],
                &[0, 6, 2, string, 0],
                // The body `hé🐍\n` is one token; only its line is sent: 1 + 1 + 2 UTF-16 units.
                &[1, 0, 4, string, 0],
                &[1, 0, 3, operator, 0],
            ]
        );
        let utf8 = encode(&tokens, text, &index, PositionEncoding::Utf8, None);
        assert_eq!(&utf8[15..20], &[1, 0, 7, string, 0]);
        let ranged = encode(&tokens, text, &index, PositionEncoding::Utf16, Some(TextRange::new(16, 18)));
        assert_eq!(ranged, [1, 0, 4, string, 0]);
    }

    #[test]
    fn tokens_within_a_range_match_those_of_the_whole_file() {
        let text = crate::syntax::sample::sample_large_dockerfile(80);
        let analysis = crate::analysis::analyze(&text, &ProjectFacts::default());
        let index = LineIndex::new(&text);
        let all = semantic_tokens(&analysis, &text);
        for (start_line, end_line) in [(0, 3), (10, 11), (12, 40), (75, 90)] {
            let within =
                TextRange::new(index.line_start(start_line), index.line_start(end_line.min(index.line_count())));
            let some = semantic_tokens_within(&analysis, &text, Some(within));
            assert!(!some.is_empty() && some.len() < all.len(), "{start_line}..{end_line}");
            let expected = encode(&all, &text, &index, PositionEncoding::Utf16, Some(within));
            assert_eq!(encode(&some, &text, &index, PositionEncoding::Utf16, Some(within)), expected);
        }
    }
}
