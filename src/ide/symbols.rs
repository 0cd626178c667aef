//! The file's outline (stages with their instructions, global ARGs on top) and its folding ranges.

use crate::analysis::Analysis;
use crate::syntax::{Args, Healthcheck, Instruction, Keyword};
use crate::text::{LineIndex, TextRange};

/// How the editor should draw a symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Stage,
    /// ARG.
    Argument,
    /// ENV.
    Environment,
    /// LABEL, EXPOSE, USER, WORKDIR and the like: settings of the image.
    Setting,
    /// RUN, CMD, ENTRYPOINT, HEALTHCHECK, SHELL.
    Command,
    /// COPY, ADD, VOLUME.
    Files,
    /// Anything else (unknown instructions, ONBUILD, MAINTAINER).
    Other,
}

/// One outline entry; ranges are byte ranges, `selection` lies inside `range`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub range: TextRange,
    pub selection: TextRange,
    pub deprecated: bool,
    pub children: Vec<Symbol>,
}

/// Longest instruction summary shown in the outline, in characters.
const MAX_NAME_CHARS: usize = 60;

/// The outline: instructions before the first FROM, then one entry per stage holding its
/// instructions (the FROM itself is the stage entry).
pub fn document_symbols(analysis: &Analysis, text: &str) -> Vec<Symbol> {
    let file = &analysis.parse.file;
    let semantics = &analysis.semantics;
    let first_from = semantics.stages.first().map_or(file.instructions.len(), |it| it.from_instruction);
    let mut res: Vec<Symbol> = file.instructions[..first_from].iter().map(|it| instruction_symbol(it, text)).collect();
    res.reserve(semantics.stages.len());
    for stage in &semantics.stages {
        let name = match &stage.name {
            Some(name) => name.value.to_string(),
            None => format!("stage {}", stage.index),
        };
        let detail = stage.image.as_ref().map(|image| match &stage.image_expanded {
            Some(expanded) if *expanded != image.value => format!("{} ({expanded})", image.value),
            _ => image.value.to_string(),
        });
        let selection = match (&stage.name, file.instructions.get(stage.from_instruction)) {
            (Some(name), _) => name.range,
            (None, Some(from)) => from.keyword_range,
            (None, None) => stage.range,
        };
        let body = (stage.instructions.start + 1).min(stage.instructions.end)..stage.instructions.end;
        let children =
            file.instructions.get(body).unwrap_or(&[]).iter().map(|it| instruction_symbol(it, text)).collect();
        res.push(Symbol {
            name,
            detail,
            kind: SymbolKind::Stage,
            range: stage.range,
            selection,
            deprecated: false,
            children,
        });
    }
    res
}

fn instruction_symbol(instruction: &Instruction, text: &str) -> Symbol {
    let keyword = match instruction.keyword {
        Keyword::Unknown => text.get(instruction.keyword_range.as_range()).unwrap_or_default(),
        known => known.as_str(),
    };
    let mut name = String::with_capacity(keyword.len() + 1 + MAX_NAME_CHARS.min(instruction.range.len()));
    name.push_str(keyword);
    push_summary(&mut name, instruction, text);
    let kind = match instruction.keyword {
        Keyword::Arg => SymbolKind::Argument,
        Keyword::Env => SymbolKind::Environment,
        Keyword::Run | Keyword::Cmd | Keyword::Entrypoint | Keyword::Healthcheck | Keyword::Shell => {
            SymbolKind::Command
        }
        Keyword::Copy | Keyword::Add | Keyword::Volume => SymbolKind::Files,
        Keyword::Label | Keyword::Expose | Keyword::User | Keyword::Workdir | Keyword::Stopsignal => {
            SymbolKind::Setting
        }
        Keyword::From | Keyword::Onbuild | Keyword::Maintainer | Keyword::Unknown => SymbolKind::Other,
    };
    let selection = match &instruction.args {
        Args::KeyValues(pairs) if instruction.keyword == Keyword::Arg => {
            pairs.first().map_or(instruction.keyword_range, |it| it.key.range)
        }
        _ => instruction.keyword_range,
    };
    Symbol {
        name,
        detail: None,
        kind,
        range: instruction.range,
        selection,
        deprecated: instruction.keyword == Keyword::Maintainer,
        children: Vec::new(),
    }
}

/// Appends ` <arguments>` on one line, whitespace collapsed, cut at [`MAX_NAME_CHARS`].
fn push_summary(out: &mut String, instruction: &Instruction, text: &str) {
    let start = instruction.flags.last().map_or(instruction.keyword_range.end, |it| it.range.end);
    let end = match &instruction.args {
        Args::Empty => start,
        Args::Healthcheck(Healthcheck::None { range }) => range.end,
        _ => instruction.heredocs.first().map_or(instruction.range.end, |it| it.marker.end),
    };
    let source = text.get(start.min(end)..end).unwrap_or_default().trim();
    if source.is_empty() {
        return;
    }
    out.push(' ');
    // Most instructions are one short line: copy it as it is.
    if source.len() <= MAX_NAME_CHARS && !source.contains(['\n', '\r', '\t', '\\', '#']) && !source.contains("  ") {
        out.push_str(source);
        return;
    }
    let mut chars = 0;
    let mut first = true;
    for word in source.split_whitespace() {
        if word == "\\" || word == "`" {
            continue;
        }
        if word.starts_with('#') && first {
            break;
        }
        if !first {
            out.push(' ');
            chars += 1;
        }
        first = false;
        for ch in word.chars() {
            if chars >= MAX_NAME_CHARS {
                out.push('…');
                return;
            }
            out.push(ch);
            chars += 1;
        }
    }
    if first {
        out.pop();
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    Comment,
    Region,
}

/// A foldable span of whole lines (zero-based, both ends included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub start_line: u32,
    pub end_line: u32,
    pub kind: FoldKind,
}

/// Stages, instructions over several lines, heredoc bodies and runs of comment lines. When two
/// folds start on the same line only the longer one is kept, since editors show one per line.
pub fn folding_ranges(analysis: &Analysis, text: &str, index: &LineIndex) -> Vec<Fold> {
    let file = &analysis.parse.file;
    let line = |offset: usize| index.line_of(offset.min(text.len())) as u32;
    // An end offset right after a line break belongs to the previous line.
    let end_line = |range: TextRange| line(if range.end > range.start { range.end - 1 } else { range.end });
    let mut res: Vec<Fold> = Vec::new();
    let mut push = |start: u32, end: u32, kind: FoldKind| {
        if end > start {
            res.push(Fold { start_line: start, end_line: end, kind });
        }
    };
    for stage in &analysis.semantics.stages {
        push(line(stage.range.start), end_line(stage.range), FoldKind::Region);
    }
    for instruction in &file.instructions {
        let start = line(instruction.range.start);
        let end = end_line(instruction.range);
        if end == start {
            continue;
        }
        push(start, end, FoldKind::Region);
        let heredocs = match &instruction.args {
            Args::Onbuild(inner) => &inner.heredocs,
            _ => &instruction.heredocs,
        };
        for heredoc in heredocs {
            push(line(heredoc.marker.start), end_line(heredoc.range), FoldKind::Region);
        }
    }
    let mut comment_lines: Vec<u32> = file.directives.iter().map(|it| line(it.range.start)).collect();
    comment_lines.extend(file.comments.iter().map(|it| line(it.range.start)));
    comment_lines.sort_unstable();
    comment_lines.dedup();
    let mut run_start: Option<(u32, u32)> = None;
    for current in comment_lines {
        run_start = match run_start {
            Some((first, last)) if current == last + 1 => Some((first, current)),
            Some((first, last)) => {
                push(first, last, FoldKind::Comment);
                Some((current, current))
            }
            None => Some((current, current)),
        };
    }
    if let Some((first, last)) = run_start {
        push(first, last, FoldKind::Comment);
    }
    res.sort_by_key(|it| (it.start_line, std::cmp::Reverse(it.end_line)));
    res.dedup_by_key(|it| it.start_line);
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ProjectFacts;

    fn outline(text: &str) -> Vec<Symbol> {
        let analysis = crate::analysis::analyze(text, &ProjectFacts::default());
        document_symbols(&analysis, text)
    }

    fn folds(text: &str) -> Vec<(u32, u32, FoldKind)> {
        let analysis = crate::analysis::analyze(text, &ProjectFacts::default());
        let index = LineIndex::new(text);
        folding_ranges(&analysis, text, &index).into_iter().map(|it| (it.start_line, it.end_line, it.kind)).collect()
    }

    #[test]
    fn stages_hold_their_instructions_and_global_args_stay_on_top() {
        let text =
            "ARG PY=3.12\nFROM python:${PY}-slim AS build\nRUN uv sync \\\n    --locked\nFROM build\nMAINTAINER me\n";
        let symbols = outline(text);
        let names: Vec<&str> = symbols.iter().map(|it| it.name.as_str()).collect();
        assert_eq!(names, ["ARG PY=3.12", "build", "stage 1"]);
        assert_eq!(symbols[0].kind, SymbolKind::Argument);
        assert_eq!(&text[symbols[0].selection.as_range()], "PY");
        assert_eq!(symbols[1].detail.as_deref(), Some("python:${PY}-slim (python:3.12-slim)"));
        assert_eq!(&text[symbols[1].selection.as_range()], "build");
        let children: Vec<&str> = symbols[1].children.iter().map(|it| it.name.as_str()).collect();
        assert_eq!(children, ["RUN uv sync --locked"]);
        assert_eq!(symbols[2].detail.as_deref(), Some("build"));
        assert!(symbols[2].children[0].deprecated);
        for symbol in &symbols {
            assert!(symbol.range.contains_range(symbol.selection), "{symbol:?}");
        }
    }

    #[test]
    fn long_arguments_are_cut() {
        let text = format!("FROM scratch\nRUN echo {}\n", "x".repeat(200));
        let symbols = outline(&text);
        let name = &symbols[0].children[0].name;
        assert!(name.ends_with('…') && name.chars().count() == "RUN ".len() + MAX_NAME_CHARS + 1, "{name}");
    }

    #[test]
    fn folds_stages_continuations_heredocs_and_comment_runs() {
        let text = "# one\n# two\nFROM python AS a\nRUN a \\\n  b\nCOPY <<EOF /x\nhello\nEOF\n# lone\nFROM a\nRUN x\n";
        assert_eq!(
            folds(text),
            [
                (0, 1, FoldKind::Comment),
                (2, 7, FoldKind::Region),
                (3, 4, FoldKind::Region),
                (5, 7, FoldKind::Region),
                (9, 10, FoldKind::Region),
            ]
        );
    }
}
