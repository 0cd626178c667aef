//! `UV035 shell-form-start-command`: the app is started through `/bin/sh -c`.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_uv::start_commands;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::shell::Separator;
use crate::syntax::{Args, Keyword};

declare_rule! {
    /// ## What it flags
    /// A shell-form `CMD` or `ENTRYPOINT` of the final image that starts a Python app: `uv`,
    /// `uvx`, `python`, or a Python server such as gunicorn, uvicorn, fastapi or flask.
    /// ## Why it matters
    /// Shell form runs `/bin/sh -c "…"`, so the shell is process 1 and the app its child. The
    /// shell does not pass on SIGTERM, so `docker stop` waits for its timeout and then kills the
    /// app without a clean shutdown. Exec form (a JSON array) makes the app process 1.
    /// ## Example
    /// ```dockerfile
    /// CMD uv run --no-sync uvicorn app:app
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// CMD ["uv", "run", "--no-sync", "uvicorn", "app:app"]
    /// ```
    /// ## Fix safety
    /// Rewriting to exec form is offered only for a single command with plain words; it is
    /// unsafe because the command then runs without a shell.
    pub(crate) static SHELL_FORM_START_COMMAND = {
        code: "UV035",
        name: "shell-form-start-command",
        severity: Info,
        fix: Sometimes,
        buildkit: "JSONArgsRecommended",
    };
}

const PYTHON_APPS: &[&str] =
    &["uv", "uvx", "gunicorn", "uvicorn", "fastapi", "flask", "hypercorn", "granian", "daphne", "celery", "streamlit"];

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let starts = start_commands(ctx);
    let mut seen = Vec::new();
    for site in &starts {
        if site.exec_form || seen.contains(&site.instruction) {
            continue;
        }
        let Some(name) = site.command.program_name() else { continue };
        let is_python = name.starts_with("python")
            && name.trim_start_matches("python").chars().all(|c| c.is_ascii_digit() || c == '.');
        if !is_python && !PYTHON_APPS.contains(&name) {
            continue;
        }
        // `exec app` already replaces the shell.
        if site.command.words.first().is_some_and(|it| it.value == "exec") {
            continue;
        }
        seen.push(site.instruction);
        let Some(instruction) = ctx.parse.file.instructions.get(site.instruction) else { continue };
        let Args::Shell(shell) = &instruction.args else { continue };
        let keyword = if instruction.keyword == Keyword::Cmd { "CMD" } else { "ENTRYPOINT" };
        let mut diagnostic = SHELL_FORM_START_COMMAND.report(
            shell.range,
            format!(
                "shell-form {keyword} runs `{name}` under /bin/sh, which does not forward SIGTERM, so the app is \
                 killed without a clean shutdown; use the JSON exec form"
            ),
        );
        let alone = starts.iter().filter(|it| it.instruction == site.instruction).count() == 1;
        let plain = site.command.assignments.is_empty()
            && site.command.redirects.is_empty()
            && matches!(site.command.separator, Separator::End)
            && site.command.words.iter().all(|it| !it.has_expansion && !it.value.contains(['"', '\\']))
            && instruction.heredocs.is_empty();
        if alone && plain {
            let elements: Vec<String> = site.command.words.iter().map(|it| format!("\"{}\"", it.value)).collect();
            diagnostic = diagnostic.with_fix(Fix {
                title: "Use the exec form".to_owned(),
                applicability: Applicability::Unsafe,
                edits: vec![Edit { path: None, range: shell.range, new_text: format!("[{}]", elements.join(", ")) }],
            });
        }
        acc.push(diagnostic);
    }
}
