//! `DF119 invalid-definition-description`: a comment right above a named stage or an ARG that
//! does not start with that name (BuildKit's experimental check, on only when the file asks).

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::{Args, Comment, Keyword};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// A comment directly above `FROM … AS name` or `ARG NAME` (no empty line between) whose
    /// first word is not the stage or argument name. It runs only when the Dockerfile turns
    /// BuildKit's experimental checks on with `# check=experimental=InvalidDefinitionDescription`
    /// (or `experimental=all`), as BuildKit itself does.
    /// ## Why it matters
    /// `docker build --call=outline` and `--call=targets` show such a comment as the description
    /// of the stage or argument, but only when it follows the `# <name> <description>` form.
    /// A comment that reads like a description and is not one is lost from that output.
    /// ## Example
    /// ```dockerfile
    /// # check=experimental=all
    /// FROM python:3.12-slim AS base
    /// # Version of uv to install
    /// ARG UV_VERSION=0.9.7
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// # check=experimental=all
    /// FROM python:3.12-slim AS base
    /// # UV_VERSION is the version of uv to install
    /// ARG UV_VERSION=0.9.7
    /// ```
    /// ## Fix safety
    /// The fix puts an empty line between the comment and the instruction, so the comment is
    /// no longer read as a description. Safe: the build does not change.
    pub(crate) static INVALID_DEFINITION_DESCRIPTION = {
        code: "DF119",
        name: "invalid-definition-description",
        severity: Info,
        fix: Always,
        buildkit: "InvalidDefinitionDescription",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    if !experimental_check_enabled(ctx) {
        return;
    }
    let file = &ctx.parse.file;
    let stages = &ctx.semantics.stages;
    for (idx, instruction) in file.instructions.iter().enumerate() {
        let (what, names): (&str, Vec<&str>) = match (&instruction.keyword, &instruction.args) {
            (Keyword::Arg, Args::KeyValues(items)) => ("ARG", items.iter().map(|it| it.key.value.as_str()).collect()),
            (Keyword::From, _) => {
                // Stages are in source order, so the FROM's stage is found by its index.
                let stage = stages.binary_search_by_key(&idx, |it| it.from_instruction).ok().map(|it| &stages[it]);
                match stage.and_then(|it| it.name.as_ref()) {
                    Some(name) => ("FROM", vec![name.value.as_str()]),
                    None => continue,
                }
            }
            _ => continue,
        };
        if names.is_empty() {
            continue;
        }
        let Some(comment) = comment_directly_above(ctx.text, &file.comments, instruction.range.start) else {
            continue;
        };
        // BuildKit splits the comment on single spaces and compares the first part exactly.
        let first_word = comment.text.split(' ').next().unwrap_or_default();
        if comment.text.is_empty() || names.contains(&first_word) {
            continue;
        }
        let example = if names.len() == 1 { names[0] } else { "<name>" };
        let message = format!(
            "the comment above this {what} is read as its description but does not start with its name; \
             write `# {example} <description>`, or separate the comment with an empty line"
        );
        let line_break = if ctx.text[..instruction.range.start].ends_with("\r\n") { "\r\n" } else { "\n" };
        let insert_at = TextRange::empty(comment.range.end);
        acc.push(INVALID_DEFINITION_DESCRIPTION.report(instruction.keyword_range, message).with_fix(Fix {
            title: "Separate the comment from the instruction".to_owned(),
            applicability: Applicability::Safe,
            edits: vec![Edit { path: None, range: insert_at, new_text: line_break.to_owned() }],
        }));
    }
}

/// `# check=experimental=InvalidDefinitionDescription` or `experimental=all` in the file's
/// parser directives.
fn experimental_check_enabled(ctx: &RuleContext<'_>) -> bool {
    ctx.parse.file.directives.iter().filter(|it| it.name.value.eq_ignore_ascii_case("check")).any(|directive| {
        directive.value.value.split(';').any(|part| {
            let Some((key, value)) = part.split_once('=') else { return false };
            key.trim().eq_ignore_ascii_case("experimental")
                && value.split(',').map(str::trim).any(|name| name == "all" || name == "InvalidDefinitionDescription")
        })
    })
}

/// The comment on the line right above `start` (only indentation may precede the instruction
/// on its line). An empty line in between means the comment is not a description.
fn comment_directly_above<'a>(text: &str, comments: &'a [Comment], start: usize) -> Option<&'a Comment> {
    let before = comments.partition_point(|it| it.range.end <= start);
    let comment = comments.get(before.checked_sub(1)?)?;
    let gap = text.get(comment.range.end..start)?;
    let gap = gap.strip_prefix("\r\n").or_else(|| gap.strip_prefix('\n'))?;
    gap.bytes().all(|it| it == b' ' || it == b'\t').then_some(comment)
}
