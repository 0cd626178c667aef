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
    let instructions = &ctx.parse.file.instructions;
    let bytes = ctx.text.as_bytes();
    // One search for line starts over the text of each walked run of instructions, rather than
    // one per instruction: most lines start with a visible character, which rules them out
    // before the instruction holding them is even looked for.
    for range in ctx.walked_instruction_ranges() {
        let own = instructions.get(range).unwrap_or_default();
        let (Some(first), Some(last)) = (own.first(), own.last()) else { continue };
        let span_start = first.range.start;
        let span = bytes.get(span_start..last.range.end).unwrap_or_default();
        // The instruction the current line may be inside: lines come in order, so it only moves on.
        let mut holder = 0;
        for newline in memchr::memchr_iter(b'\n', span) {
            let at = span_start + newline + 1;
            if bytes.get(at).is_some_and(u8::is_ascii_graphic) {
                continue;
            }
            while own.get(holder).is_some_and(|it| it.range.end <= at) {
                holder += 1;
            }
            let Some(instruction) = own.get(holder) else { break };
            // A line between two instructions (blank, or a comment) is no continuation line.
            let Some(line_offset) = at.checked_sub(instruction.range.start).filter(|it| *it > 0) else { continue };
            check_line(ctx, instruction, line_offset, acc);
        }
    }
}

/// Reports the line starting `line_offset` bytes into `instruction` (right after a newline of
/// it) when it is an empty line inside the instruction.
fn check_line(ctx: &RuleContext<'_>, instruction: &Instruction, line_offset: usize, acc: &mut Vec<Diagnostic>) {
    let text = ctx.text;
    let Some(body) = text.get(instruction.range.as_range()) else { return };
    let bytes = body.as_bytes();
    if bytes.get(line_offset).is_none_or(u8::is_ascii_graphic) {
        return;
    }
    // Continuation lines are indented: past the spaces and tabs, a visible character rules the
    // line out as well.
    let indent =
        bytes.get(line_offset..).unwrap_or_default().iter().take_while(|it| matches!(it, b' ' | b'\t')).count();
    if bytes.get(line_offset + indent).is_some_and(u8::is_ascii_graphic) {
        return;
    }
    let line_end = memchr::memchr(b'\n', &bytes[line_offset..]).map_or(bytes.len(), |it| line_offset + it + 1);
    let line = &body[line_offset..line_end];
    let start = instruction.range.start + line_offset;
    let content = line.trim_end_matches(['\n', '\r']);
    if !content.trim().is_empty() {
        return;
    }
    // Heredoc bodies (an ONBUILD trigger's are on the inner instruction) are data: blank lines
    // there are content, and nothing after the first body belongs to the instruction line.
    let heredocs = match &instruction.args {
        Args::Onbuild(inner) => &inner.heredocs,
        _ => &instruction.heredocs,
    };
    let first_heredoc = heredocs.iter().map(|it| it.body.range.start).min();
    if first_heredoc.is_some_and(|body| start >= body) || start >= instruction.range.end {
        return;
    }
    let end = start + line.len();
    let range = TextRange::new(start, start + content.len());
    acc.push(
        EMPTY_CONTINUATION_LINE
            .report(range, "empty line inside a continued instruction; the instruction goes on after it")
            .with_fix(Fix {
                title: "Remove the empty line".to_owned(),
                applicability: Applicability::Safe,
                edits: vec![Edit { path: None, range: TextRange::new(start, end.max(start)), new_text: String::new() }],
            }),
    );
}

#[cfg(test)]
mod tests {
    use super::check;
    use crate::project::ProjectFacts;
    use crate::rules::RuleContext;

    /// The text of each finding's range, with the line it starts on (counting from 0).
    fn findings(text: &str) -> Vec<(usize, String)> {
        let parse = crate::syntax::parse(text);
        let semantics = crate::semantics::analyze(&parse);
        let project = ProjectFacts::default();
        let ctx = RuleContext::new(text, &parse, &semantics, &project);
        let mut acc = Vec::new();
        check(&ctx, &mut acc);
        let line_of = |offset: usize| text[..offset].matches('\n').count();
        acc.iter().map(|it| (line_of(it.range.start), text[it.range.start..it.range.end].to_owned())).collect()
    }

    #[test]
    fn only_lines_inside_a_continued_instruction_are_flagged() {
        // Blank lines between instructions, a comment ending with the escape character and a
        // heredoc's blank lines are no continuation lines; the two inside `RUN b` are.
        let text = "FROM python\n\n# a comment \\\nRUN a\n\nRUN b \\\n\n  \\\n   \n  c\nRUN <<EOF\n\nx\nEOF\n\nCMD d\n";
        assert_eq!(findings(text), vec![(6, String::new()), (8, "   ".to_owned())]);
    }

    #[test]
    fn a_backtick_escape_continues_lines_too() {
        let text = "# escape=`\nFROM python\nRUN a `\n\n  b\nRUN c \\\nRUN d\n";
        assert_eq!(findings(text), vec![(3, String::new())]);
    }

    #[test]
    fn a_crlf_file_is_read_the_same() {
        let text = "FROM python\r\nRUN a \\\r\n\r\n  b\r\n";
        assert_eq!(findings(text), vec![(2, String::new())]);
    }
}
