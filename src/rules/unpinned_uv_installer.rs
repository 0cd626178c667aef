//! `UV102 unpinned-uv-installer`: uv installed by the installer script or pip without a version.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::facts::Program;
use crate::rules::support_df::{pip_install, word_subrange};
use crate::rules::support_python::KNOWN_UV_VERSION;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::CommandOrigin;
use crate::semantics::shell::ShellWord;
use crate::syntax::{Args, Keyword};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// uv installed without a version: the installer script at `https://astral.sh/uv/install.sh`
    /// (fetched with `curl`/`wget` or `ADD`), or `uv` given to `pip install`, `pipx install` or
    /// `uv tool install` without `==X.Y.Z`.
    /// ## Why it matters
    /// Each build then gets whatever uv is newest that day. uv changes defaults and adds
    /// errors between releases, so the same commit can build differently or stop building.
    /// ## Example
    /// ```dockerfile
    /// RUN curl -LsSf https://astral.sh/uv/install.sh | sh
    /// RUN pip install uv
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN curl -LsSf https://astral.sh/uv/0.12.5/install.sh | sh
    /// RUN pip install uv==0.12.5
    /// ```
    /// ## Fix safety
    /// Pinning is unsafe: the pinned release may differ from the one the build used so far.
    pub(crate) static UNPINNED_UV_INSTALLER = {
        code: "UV102",
        name: "unpinned-uv-installer",
        severity: Warning,
        fix: Always,
    };
}

const INSTALLER: &str = "astral.sh/uv/install.";

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::Add]) {
        let Args::Words(words) = &instruction.args else { continue };
        for word in words {
            if let Some(start) = word.raw.find(INSTALLER) {
                let range = word_subrange(word, start, start + INSTALLER.len() - 1);
                acc.push(report_installer(range));
            }
        }
    }
    for (_, site) in ctx.runs_of(&[Program::Fetch, Program::Pipx, Program::PipOrPython]) {
        let command = &site.command;
        match command.program_name() {
            Some("curl" | "wget") => {
                for word in &command.words {
                    if let Some(start) = word.raw().find(INSTALLER) {
                        let range = word.raw_subrange(start, start + INSTALLER.len() - 1);
                        acc.push(report_installer(range));
                    }
                }
            }
            Some("pipx") => {
                let args = command.args_after_program();
                let Some(idx) = args.iter().position(|it| !it.value.starts_with('-')) else { continue };
                if args[idx].value == "install" {
                    report_packages(acc, &args[idx + 1..], "pipx install");
                }
            }
            Some(name) if name.starts_with("pip") || name.starts_with("python") => {
                if let Some(install) = pip_install(command) {
                    report_packages(acc, install.args, "pip install");
                }
            }
            _ => {}
        }
    }
    for (site, uv) in ctx.uv_commands() {
        if site.origin == CommandOrigin::Run && matches!(uv.subcommand(), "tool install" | "pip install") {
            let words: Vec<ShellWord> = uv.positionals.iter().map(|it| (*it).clone()).collect();
            report_packages(acc, &words, if uv.is("tool install") { "uv tool install" } else { "uv pip install" });
        }
    }
}

fn report_installer(range: TextRange) -> Diagnostic {
    let diagnostic = UNPINNED_UV_INSTALLER.report(
        range,
        format!(
            "the uv installer at this address installs the newest uv on every build; pin a release such as \
                 `https://astral.sh/uv/{KNOWN_UV_VERSION}/install.sh`"
        ),
    );
    // The range is exact only when the word sits on one line.
    if range.len() != INSTALLER.len() - 1 {
        return diagnostic;
    }
    diagnostic.with_fix(Fix {
        title: format!("Pin the installer to uv {KNOWN_UV_VERSION}"),
        applicability: Applicability::Unsafe,
        edits: vec![Edit {
            path: None,
            // Right after `astral.sh/uv/`.
            range: TextRange::empty(range.start + "astral.sh/uv/".len()),
            new_text: format!("{KNOWN_UV_VERSION}/"),
        }],
    })
}

/// Reports `uv` (or `uv[extra]`) among package arguments when it has no `==` pin.
fn report_packages(acc: &mut Vec<Diagnostic>, args: &[ShellWord], how: &str) {
    for word in args {
        let value = word.value.as_str();
        let name_end = value.find(['=', '<', '>', '!', '~', '[', ';', '@']).unwrap_or(value.len());
        if !value[..name_end].eq_ignore_ascii_case("uv") || value.contains("==") {
            continue;
        }
        let pinned = format!("uv=={KNOWN_UV_VERSION}");
        let message = if name_end == value.len() {
            format!("`{how} {value}` installs whichever uv is newest at build time; pin it, e.g. `{pinned}`")
        } else {
            format!("`{value}` still lets each build pick another uv release; pin one exactly, e.g. `{pinned}`")
        };
        let mut diagnostic = UNPINNED_UV_INSTALLER.report(word.range, message);
        // Only a bare `uv` written without quotes can be replaced in place.
        if word.raw() == "uv" {
            diagnostic = diagnostic.with_fix(Fix {
                title: format!("Pin uv to {KNOWN_UV_VERSION}"),
                applicability: Applicability::Unsafe,
                edits: vec![Edit { path: None, range: word.range, new_text: pinned }],
            });
        }
        acc.push(diagnostic);
    }
}
