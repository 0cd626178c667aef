//! `DF106 shell-form-cmd`: CMD or ENTRYPOINT in shell form.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_df::stage_chain;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::{Args, Keyword};

declare_rule! {
    /// ## What it flags
    /// `CMD` or `ENTRYPOINT` written in shell form (`CMD python app.py`) in a stage that has no
    /// `SHELL` instruction.
    /// ## Why it matters
    /// Shell form runs the command as `/bin/sh -c "..."`. When the shell stays in between, it
    /// does not pass `SIGTERM` on, so `docker stop` waits for its timeout and then kills the
    /// program without a clean shutdown. A shell-form `ENTRYPOINT` also ignores `CMD` and the
    /// arguments given to `docker run`. (Many shells replace themselves with a single simple
    /// command, which is why this is a recommendation rather than a certain bug.)
    /// ## Example
    /// ```dockerfile
    /// CMD uvicorn app.main:app --host 0.0.0.0
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]
    /// ```
    /// ## Fix safety
    /// Offered only for plain words (no quotes, variables or shell operators). It is unsafe: the
    /// program no longer runs under a shell, and an exec-form `ENTRYPOINT` starts taking `CMD`
    /// as arguments.
    pub(crate) static SHELL_FORM_CMD = {
        code: "DF106",
        name: "shell-form-cmd",
        severity: Info,
        fix: Sometimes,
        hadolint: "DL3025",
        buildkit: "JSONArgsRecommended",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for stage in ctx.stages() {
        // A SHELL instruction, here or in a stage this one is built on, says the shell is wanted.
        let has_shell = stage_chain(ctx.semantics, stage.index)
            .any(|it| ctx.instructions_with_in(&[Keyword::Shell], it.instructions.clone()).next().is_some());
        if has_shell {
            continue;
        }
        for (_, instruction) in
            ctx.instructions_with_in(&[Keyword::Cmd, Keyword::Entrypoint], stage.instructions.clone())
        {
            let Args::Shell(shell) = &instruction.args else { continue };
            if !instruction.heredocs.is_empty() || shell.text.trim().is_empty() {
                continue;
            }
            let name = instruction.keyword.as_str();
            let mut diagnostic = SHELL_FORM_CMD.report(
                instruction.keyword_range.cover(shell.range),
                format!("`{name}` in shell form runs under `/bin/sh -c`, which may not pass stop signals on; use the JSON form"),
            );
            let plain = shell
                .text
                .split_whitespace()
                .all(|word| word.chars().all(|c| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c)));
            if plain {
                let elements: Vec<String> = shell.text.split_whitespace().map(|it| format!("\"{it}\"")).collect();
                diagnostic = diagnostic.with_fix(Fix {
                    title: "Convert to JSON form".to_owned(),
                    applicability: Applicability::Unsafe,
                    edits: vec![Edit {
                        path: None,
                        range: shell.range,
                        new_text: format!("[{}]", elements.join(", ")),
                    }],
                });
            }
            acc.push(diagnostic);
        }
    }
}
