//! `DF215 pipe-without-pipefail`: a pipe in RUN without `pipefail`.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::stage_chain;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::CommandOrigin;
use crate::semantics::shell::Separator;
use crate::syntax::{Args, Keyword};

declare_rule! {
    /// ## What it flags
    /// A `RUN` with a pipe (`a | b`) when neither a `SHELL` instruction with `-o pipefail` nor a
    /// `set -o pipefail` in the same `RUN` is in effect.
    /// ## Why it matters
    /// A pipeline's status is that of its last command, so `curl -fsSL $URL | sh` passes even
    /// when the download fails, and the build goes on with a half-done step.
    /// `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` (or `set -o pipefail` in the command)
    /// makes any failing part fail the step.
    /// ## Example
    /// ```dockerfile
    /// RUN curl -fsSL https://example.com/install.sh | sh
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    /// RUN curl -fsSL https://example.com/install.sh | sh
    /// ```
    pub(crate) static PIPE_WITHOUT_PIPEFAIL = {
        code: "DF215",
        name: "pipe-without-pipefail",
        severity: Info,
        fix: None,
        hadolint: "DL4006",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for stage in ctx.stages() {
        let commands = ctx.semantics.commands_in(stage.index);
        let mut idx = 0;
        while idx < commands.len() {
            let instruction = commands[idx].instruction;
            let end = commands[idx..]
                .iter()
                .position(|it| it.instruction != instruction)
                .map_or(commands.len(), |it| idx + it);
            let group = &commands[idx..end];
            idx = end;
            if group[0].origin != CommandOrigin::Run {
                continue;
            }
            let Some(pipe) = group.iter().find(|it| it.command.separator == Separator::Pipe) else { continue };
            let set_in_run = group.iter().any(|site| {
                site.command.program_name() == Some("set")
                    && site.command.args_after_program().iter().any(|it| it.value.contains("pipefail"))
            });
            // SHELL instructions before this RUN, in this stage or the stages it is built on.
            let shell = stage_chain(ctx.semantics, stage.index)
                .flat_map(|it| {
                    let before = it.instructions.start..it.instructions.end.min(instruction);
                    ctx.instructions_with_in(&[Keyword::Shell], before)
                })
                .map(|(_, it)| it)
                .max_by_key(|it| it.range.start);
            let shell_ok = shell.is_some_and(|it| match &it.args {
                Args::Exec(exec) => {
                    exec.elements.iter().any(|el| el.value.contains("pipefail"))
                        || !exec.elements.first().is_some_and(|el| el.value.ends_with("sh"))
                }
                _ => false,
            });
            if set_in_run || shell_ok {
                continue;
            }
            acc.push(PIPE_WITHOUT_PIPEFAIL.report(
                pipe.command.range,
                "a failure on the left of this pipe does not fail the build step; set `pipefail` with `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]`",
            ));
        }
    }
}
