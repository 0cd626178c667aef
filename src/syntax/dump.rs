//! A compact, stable text rendering of a parse, for tests and debugging.

use std::fmt::Write;

use crate::syntax::{Args, Healthcheck, Instruction, Parse};
use crate::text::TextRange;

/// Renders every node with its range and the source text the range covers.
pub fn debug_dump(text: &str, parse: &Parse) -> String {
    let mut out = String::new();
    let file = &parse.file;
    if file.bom {
        out.push_str("bom\n");
    }
    if file.escape != '\\' {
        let _ = writeln!(out, "escape {:?}", file.escape);
    }
    for directive in &file.directives {
        let _ = writeln!(
            out,
            "directive {} name={} value={}",
            slice(text, directive.range),
            slice(text, directive.name.range),
            slice(text, directive.value.range)
        );
    }
    for comment in &file.comments {
        let _ = writeln!(
            out,
            "comment {} text={:?}",
            slice(text, comment.range),
            comment.text
        );
    }
    for instruction in &file.instructions {
        instruction_dump(&mut out, text, instruction, 0);
    }
    for error in &parse.errors {
        let _ = writeln!(
            out,
            "error {:?} {}: {}",
            error.kind,
            slice(text, error.range),
            error.message
        );
    }
    out
}

fn slice(text: &str, range: TextRange) -> String {
    match text.get(range.start..range.end) {
        Some(it) => format!("{}..{} {:?}", range.start, range.end, it),
        None => format!("{}..{} <not a valid range>", range.start, range.end),
    }
}

fn instruction_dump(out: &mut String, text: &str, instruction: &Instruction, depth: usize) {
    let pad = "  ".repeat(depth);
    let _ = writeln!(
        out,
        "{pad}{:?} {}..{} keyword={}",
        instruction.keyword,
        instruction.range.start,
        instruction.range.end,
        slice(text, instruction.keyword_range)
    );
    for flag in &instruction.flags {
        let _ = write!(
            out,
            "{pad}  flag {} name={:?}",
            slice(text, flag.range),
            flag.name.value
        );
        if let Some(value) = &flag.value {
            let _ = write!(
                out,
                " value={:?} at {}",
                value.value,
                slice(text, value.range)
            );
        }
        out.push('\n');
    }
    args_dump(out, text, &instruction.args, depth + 1);
    for heredoc in &instruction.heredocs {
        let _ = writeln!(
            out,
            "{pad}  heredoc {} name={:?} at {} strip_tabs={} quoted={}",
            slice(text, heredoc.marker),
            heredoc.name.value,
            slice(text, heredoc.name.range),
            heredoc.strip_tabs,
            heredoc.quoted
        );
        let _ = writeln!(out, "{pad}    body {}", slice(text, heredoc.body.range));
        match heredoc.terminator {
            Some(range) => {
                let _ = writeln!(
                    out,
                    "{pad}    end {} (range ends {})",
                    slice(text, range),
                    heredoc.range.end
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{pad}    unterminated (range ends {})",
                    heredoc.range.end
                );
            }
        }
    }
}

fn args_dump(out: &mut String, text: &str, args: &Args, depth: usize) {
    let pad = "  ".repeat(depth);
    match args {
        Args::Empty => {
            let _ = writeln!(out, "{pad}empty");
        }
        Args::Words(words) => {
            for word in words {
                let _ = writeln!(
                    out,
                    "{pad}word {} value={:?}",
                    slice(text, word.range),
                    word.value
                );
            }
        }
        Args::Exec(exec) => {
            let _ = writeln!(out, "{pad}exec {}", slice(text, exec.range));
            for element in &exec.elements {
                let _ = writeln!(
                    out,
                    "{pad}  {:?} at {}",
                    element.value,
                    slice(text, element.range)
                );
            }
        }
        Args::Shell(shell) => {
            let _ = writeln!(
                out,
                "{pad}shell {} text={:?}",
                slice(text, shell.range),
                shell.text
            );
        }
        Args::KeyValues(items) => {
            for item in items {
                let _ = write!(
                    out,
                    "{pad}{} key={}",
                    if item.legacy { "legacy" } else { "pair" },
                    slice(text, item.key.range)
                );
                match &item.value {
                    Some(value) => {
                        let _ = writeln!(
                            out,
                            " value={} -> {:?}",
                            slice(text, value.range),
                            value.value
                        );
                    }
                    None => out.push_str(" no value\n"),
                }
            }
        }
        Args::Healthcheck(Healthcheck::None { range }) => {
            let _ = writeln!(out, "{pad}none {}", slice(text, *range));
        }
        Args::Healthcheck(Healthcheck::Cmd { cmd_range, args }) => {
            let _ = writeln!(out, "{pad}cmd {}", slice(text, *cmd_range));
            args_dump(out, text, args, depth + 1);
        }
        Args::Onbuild(inner) => instruction_dump(out, text, inner, depth),
    }
}
