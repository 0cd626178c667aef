//! `UV067 tool-bin-not-on-path`: `uv tool install` links executables into a folder not on PATH.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_pip::{BaseKind, EnvFacts, on_path, path_dirs, var_at};
use crate::rules::support_uv::resolve;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::{CommandOrigin, CommandSite};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `uv tool install` when the folder uv links the tool's executables into is not on
    /// `PATH` where the tool is used later, or in the final image. The folder is
    /// `UV_TOOL_BIN_DIR`, else `$XDG_BIN_HOME`, else `~/.local/bin` of the user (uv's own
    /// derived images set `UV_TOOL_BIN_DIR=/usr/local/bin`).
    /// A tool left in the final image is not flagged when `uvx` or `uv tool run` starts it in
    /// a stage linked to the install's (built on it, copying from it, mounting it), which needs
    /// no PATH; a `uvx` run in an unrelated stage does not count.
    /// ## Why it matters
    /// The install succeeds, but the tool's command is not found: `~/.local/bin` is not on the
    /// default `PATH` of Debian, Ubuntu, Alpine or the Python images.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim-trixie
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/
    /// RUN uv tool install ruff
    /// RUN ruff check .
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim-trixie
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/
    /// ENV UV_TOOL_BIN_DIR=/usr/local/bin
    /// RUN uv tool install ruff
    /// RUN ruff check .
    /// ```
    pub(crate) static TOOL_BIN_NOT_ON_PATH = {
        code: "UV067",
        name: "tool-bin-not-on-path",
        severity: Warning,
        fix: None,
    };
}

struct Install<'a> {
    site: &'a CommandSite,
    stage: usize,
    range: TextRange,
    /// The package name, lowercase, without version or extras; `None` for URLs and paths.
    tool: Option<String>,
    bin_dir: String,
    reported: bool,
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let mut facts: Option<EnvFacts> = None;
    let mut installs: Vec<Install<'_>> = Vec::new();
    // Tools that are later run through `uvx`/`uv tool run`, which do not need PATH, with the
    // stage of the run: only a run in a stage linked to the install's says how that install's
    // tool is used.
    let mut run_through_uv: Vec<(usize, String)> = Vec::new();
    for (site, uv) in ctx.uv_commands() {
        if uv.is("tool run") {
            if let (Some(stage), Some(name)) = (site.stage, uv.run_command().and_then(|it| it.first())) {
                run_through_uv.push((stage, package_name(&name.value).unwrap_or_default()));
            }
            continue;
        }
        if site.origin != CommandOrigin::Run || !uv.is("tool install") {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        let facts = facts.get_or_insert_with(|| EnvFacts::new(ctx));
        if facts.shell_changed_before(site) {
            continue;
        }
        let Some(bin_dir) = bin_dir(ctx, facts, site, stage) else { continue };
        let tool = uv.positionals.first().and_then(|it| package_name(&it.value));
        let range =
            uv.positionals.first().map_or_else(|| uv.subcommand_range().unwrap_or(site.command.range), |it| it.range);
        installs.push(Install { site, stage, range, tool, bin_dir, reported: false });
    }
    let Some(facts) = facts else { return };
    if installs.is_empty() {
        return;
    }
    // Later uses by name: only a stage built on the install's can see the tool, and those
    // stages are among the ones the context walks.
    for (_, site) in ctx.commands() {
        let Some(stage) = site.stage else { continue };
        let Some(name) = site.command.program_name() else { continue };
        if name.contains('/') {
            continue;
        }
        for install in installs.iter_mut().filter(|it| !it.reported && it.tool.as_deref() == Some(name)) {
            let later = site.instruction > install.site.instruction
                || (site.instruction == install.site.instruction
                    && site.command.range.start > install.site.command.range.start);
            if !later || !facts.builds_on(stage, install.stage) {
                continue;
            }
            if site.origin == CommandOrigin::Run && facts.shell_changed_before(site) {
                continue;
            }
            let Some(dirs) = path_dirs(ctx, &facts, site) else { continue };
            if on_path(&dirs, &install.bin_dir) {
                continue;
            }
            install.reported = true;
            acc.push(
                TOOL_BIN_NOT_ON_PATH
                    .report(
                        install.range,
                        format!(
                            "`uv tool install` links `{name}` into {}, which is not on PATH where it is run; set \
                             `ENV UV_TOOL_BIN_DIR=/usr/local/bin` before the install, or add the folder to PATH",
                            install.bin_dir
                        ),
                    )
                    .with_related(RelatedLocation {
                        path: None,
                        text: None,
                        range: site.command.words.first().map_or(site.command.range, |it| it.range),
                        message: format!("`{name}` is run here"),
                    }),
            );
        }
    }
    // Tools left in the final image.
    let Some(last) = ctx.semantics.final_stage() else { return };
    for install in installs.iter().filter(|it| !it.reported && facts.builds_on(last.index, it.stage)) {
        let runs_through_uv = |tool: &String| {
            run_through_uv.iter().any(|(stage, name)| name == tool && ctx.same_component(*stage, install.stage))
        };
        if install.tool.as_ref().is_some_and(runs_through_uv) {
            continue;
        }
        let final_path = match ctx.semantics.runtime_env(last.index, "PATH") {
            Some(def) => crate::rules::support_pip::path_from_def(ctx, def),
            None => Some(crate::rules::support_pip::DEFAULT_PATH.iter().map(|it| (*it).to_owned()).collect()),
        };
        let Some(dirs) = final_path else { continue };
        if on_path(&dirs, &install.bin_dir) {
            continue;
        }
        let what = install.tool.as_deref().map_or_else(|| "the tool".to_owned(), |it| format!("`{it}`"));
        acc.push(TOOL_BIN_NOT_ON_PATH.report(
            install.range,
            format!(
                "`uv tool install` links {what} into {}, which is not on the final image's PATH; set \
                 `ENV UV_TOOL_BIN_DIR=/usr/local/bin` before the install, or add the folder to PATH",
                install.bin_dir
            ),
        ));
    }
}

/// Where uv links tool executables for this command; `None` when it cannot be told.
fn bin_dir(ctx: &RuleContext<'_>, facts: &EnvFacts, site: &CommandSite, stage: usize) -> Option<String> {
    let base = facts.base_of(stage);
    if !base.is_known() {
        return None;
    }
    let absolute = |value: String| -> Option<String> {
        if value.contains('$') || !value.starts_with('/') { None } else { resolve("/", &value) }
    };
    if let Some(value) = var_at(ctx, site, "UV_TOOL_BIN_DIR") {
        return absolute(value);
    }
    if matches!(base, BaseKind::UvDerived { .. } | BaseKind::UvPython) {
        return Some("/usr/local/bin".to_owned());
    }
    if let Some(value) = var_at(ctx, site, "XDG_BIN_HOME") {
        return absolute(value);
    }
    if let Some(home) = var_at(ctx, site, "HOME") {
        return absolute(format!("{home}/.local/bin"));
    }
    match facts.user_at(site.instruction) {
        None => Some("/root/.local/bin".to_owned()),
        Some(_) => None,
    }
}

/// `ruff` for `ruff==0.6.0`, `Black[d]`, `httpie>=3`; `None` for URLs, paths and variables.
fn package_name(text: &str) -> Option<String> {
    if text.contains(['/', '$', ':']) {
        return None;
    }
    let end = text.find(['=', '<', '>', '!', '~', '[', ';', '@', ' ']).unwrap_or(text.len());
    let name = text[..end].trim();
    (!name.is_empty()).then(|| name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use crate::project::ProjectFacts;

    fn findings(text: &str) -> Vec<String> {
        let analysis = crate::analysis::analyze(text, &ProjectFacts::default());
        analysis
            .diagnostics
            .iter()
            .filter(|it| it.code == "UV067")
            .map(|it| text.get(it.range.start..it.range.end).unwrap_or_default().to_owned())
            .collect()
    }

    const UV: &str = "COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /uvx /bin/\n";

    #[test]
    fn a_tool_run_through_uvx_in_a_linked_stage_is_not_flagged() {
        let text = format!(
            "FROM python:3.12-slim-trixie AS tools\n{UV}RUN uv tool install ruff\nFROM tools AS lint\nRUN uvx ruff check .\n\
             FROM tools\nCMD [\"python\"]\n"
        );
        assert_eq!(findings(&text), Vec::<String>::new());
        // Without the run, the tool left in the final image is flagged.
        let without_run = text.replace("RUN uvx ruff check .\n", "");
        assert_eq!(findings(&without_run), ["ruff"]);
    }

    #[test]
    fn a_tool_run_through_uvx_only_in_an_unrelated_stage_is_flagged() {
        let text = format!(
            "FROM python:3.12-slim-trixie AS other\n{UV}RUN uvx ruff check .\n\
             FROM python:3.12-slim-trixie\n{UV}RUN uv tool install ruff\nCMD [\"python\"]\n"
        );
        assert_eq!(findings(&text), ["ruff"]);
    }
}
