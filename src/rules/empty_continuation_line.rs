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
    for (_, instruction) in ctx.instructions() {
        check_instruction(ctx, instruction, acc);
    }
}

fn check_instruction(ctx: &RuleContext<'_>, instruction: &Instruction, acc: &mut Vec<Diagnostic>) {
    let text = ctx.text;
    let Some(body) = text.get(instruction.range.as_range()) else { return };
    // Heredoc bodies (an ONBUILD trigger's are on the inner instruction) are data: blank lines
    // there are content, and nothing after the first body belongs to the instruction line.
    let heredocs = match &instruction.args {
        Args::Onbuild(inner) => &inner.heredocs,
        _ => &instruction.heredocs,
    };
    let first_heredoc = heredocs.iter().map(|it| it.body.range.start).min();
    let bytes = body.as_bytes();
    // Every line after the first starts right after a newline; most start with a visible
    // character, which rules them out without looking further.
    for newline in memchr::memchr_iter(b'\n', bytes) {
        let line_offset = newline + 1;
        match bytes.get(line_offset) {
            None => break,
            Some(byte) if byte.is_ascii_graphic() => continue,
            Some(_) => {}
        }
        // Continuation lines are indented: past the spaces and tabs, a visible character rules
        // the line out as well.
        let indent =
            bytes.get(line_offset..).unwrap_or_default().iter().take_while(|it| matches!(it, b' ' | b'\t')).count();
        if bytes.get(line_offset + indent).is_some_and(u8::is_ascii_graphic) {
            continue;
        }
        let line_end = memchr::memchr(b'\n', &bytes[line_offset..]).map_or(bytes.len(), |it| line_offset + it + 1);
        let line = &body[line_offset..line_end];
        let start = instruction.range.start + line_offset;
        let content = line.trim_end_matches(['\n', '\r']);
        if !content.trim().is_empty() {
            continue;
        }
        // Nothing after the first heredoc body belongs to the instruction line.
        if first_heredoc.is_some_and(|body| start >= body) || start >= instruction.range.end {
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
