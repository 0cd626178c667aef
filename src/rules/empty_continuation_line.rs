//! `DF102 empty-continuation-line`: a blank line inside a continued instruction.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::{Args, Instruction};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// An empty (or whitespace-only) line in the middle of an instruction continued with `\`.
    /// ## Why it matters
    /// The builder skips such lines today, so the instruction silently goes on past what looks
    /// like its end; Docker has announced that empty continuation lines will become an error.
    /// Lines holding only a comment are fine.
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && \
    ///
    ///     apt-get install -y curl
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && \
    ///     apt-get install -y curl
    /// ```
    /// ## Fix safety
    /// Removing the blank line is safe: the builder ignores it today.
    pub(crate) static EMPTY_CONTINUATION_LINE = {
        code: "DF102",
        name: "empty-continuation-line",
        severity: Warning,
        fix: Always,
        buildkit: "NoEmptyContinuation",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for instruction in &ctx.parse.file.instructions {
        check_instruction(ctx, instruction, acc);
    }
}

fn check_instruction(ctx: &RuleContext<'_>, instruction: &Instruction, acc: &mut Vec<Diagnostic>) {
    let text = ctx.text;
    let Some(body) = text.get(instruction.range.as_range()) else { return };
    if !body.contains('\n') && !body.contains('\r') {
        return;
    }
    // Heredoc bodies (an ONBUILD trigger's are on the inner instruction) are data: blank lines
    // there are content, and nothing after the first body belongs to the instruction line.
    let heredocs = match &instruction.args {
        Args::Onbuild(inner) => &inner.heredocs,
        _ => &instruction.heredocs,
    };
    let first_heredoc = heredocs.iter().map(|it| it.body.range.start).min();
    let mut line_start = instruction.range.start;
    let mut first = true;
    for line in body.split_inclusive('\n') {
        let start = line_start;
        line_start += line.len();
        if first {
            first = false;
            continue;
        }
        if first_heredoc.is_some_and(|body| start >= body) {
            break;
        }
        let content = line.trim_end_matches(['\n', '\r']);
        if !content.trim().is_empty() {
            continue;
        }
        if start >= instruction.range.end {
            break;
        }
        let end = start + line.len();
        let range = TextRange::new(start, start + content.len());
        acc.push(
            EMPTY_CONTINUATION_LINE
                .report(range, "empty line inside a continued instruction; the instruction goes on after it")
                .with_fix(Fix {
                    title: "Remove the empty line".to_owned(),
                    applicability: Applicability::Safe,
                    edits: vec![Edit {
                        path: None,
                        range: TextRange::new(start, end.max(start)),
                        new_text: String::new(),
                    }],
                }),
        );
    }
}
