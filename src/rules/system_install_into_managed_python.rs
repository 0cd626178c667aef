//! `UV041 system-install-into-managed-python`: `--system` into an externally managed Python.

use crate::diagnostic::{Applicability, Diagnostic, RelatedLocation};
use crate::rules::support_df::apt_get_install;
use crate::rules::support_pip::{EnvFacts, var_at};
use crate::rules::support_uv::insert_flag_fix_in;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, is_truthy};
use crate::semantics::CommandOrigin;
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `uv pip install --system` (or `uv pip sync`, or `UV_SYSTEM_PYTHON`) without
    /// `--break-system-packages` / `UV_BREAK_SYSTEM_PACKAGES`, when the Python it would change
    /// is externally managed: the distribution's `python3` installed with apt on Debian 12+ or
    /// Ubuntu 23.04+, or with apk on Alpine 3.19+, or a Python installed by `uv python install`.
    /// The official `python` images are not externally managed and are never flagged.
    /// ## Why it matters
    /// Such interpreters carry an `EXTERNALLY-MANAGED` marker, and uv refuses to install into
    /// them, so the build stops.
    /// ## Example
    /// ```dockerfile
    /// FROM debian:bookworm-slim
    /// RUN apt-get update && apt-get install -y --no-install-recommends python3
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/
    /// RUN uv pip install --system -r requirements.txt
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv venv /opt/venv && VIRTUAL_ENV=/opt/venv uv pip install -r requirements.txt
    /// ```
    /// or, when changing the distribution's Python is intended,
    /// `uv pip install --system --break-system-packages -r requirements.txt`.
    /// ## Fix safety
    /// Adding `--break-system-packages` is unsafe: it lets uv overwrite packages the
    /// distribution's own tools depend on.
    pub(crate) static SYSTEM_INSTALL_INTO_MANAGED_PYTHON = {
        code: "UV041",
        name: "system-install-into-managed-python",
        severity: Error,
        fix: Always,
    };
}

/// Where the externally managed interpreter came from.
struct Source {
    instruction: usize,
    offset: usize,
    range: TextRange,
    what: &'static str,
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let mut state: Option<(EnvFacts, Vec<Vec<Source>>)> = None;
    for (site, uv) in ctx.uv_commands() {
        if site.origin != CommandOrigin::Run || !matches!(uv.subcommand(), "pip install" | "pip sync") {
            continue;
        }
        let system_range = match uv.flag("--system") {
            Some(flag) => flag.word.range,
            None => match var_at(ctx, site, "UV_SYSTEM_PYTHON") {
                Some(value) if is_truthy(&value) => uv.subcommand_range().unwrap_or(site.command.range),
                _ => continue,
            },
        };
        if ["--break-system-packages", "--python", "--target", "--prefix", "--no-system"]
            .iter()
            .any(|it| uv.has_flag(it))
        {
            continue;
        }
        if var_at(ctx, site, "UV_BREAK_SYSTEM_PACKAGES").is_some() || var_at(ctx, site, "UV_PYTHON").is_some() {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        let (facts, sources) = state.get_or_insert_with(|| {
            let facts = EnvFacts::new(ctx);
            let sources = managed_sources(ctx, &facts);
            (facts, sources)
        });
        let position = (site.instruction, site.command.range.start);
        let mut found = None;
        for idx in facts.chain(stage) {
            let Some(list) = sources.get(idx) else { continue };
            let earlier = list.iter().rev().find(|it| idx != stage || (it.instruction, it.offset) < position);
            if let Some(source) = earlier {
                found = Some(source);
                break;
            }
        }
        let Some(source) = found else { continue };
        let preference = var_at(ctx, site, "UV_PYTHON_PREFERENCE");
        if source.what == "uv python install" && preference.is_some_and(|it| !it.contains("managed")) {
            continue;
        }
        let origin = match source.what {
            "uv python install" => "the Python that `uv python install` added",
            "apt" => "the distribution's Python (installed with apt)",
            _ => "the distribution's Python (installed with apk)",
        };
        let message = format!(
            "`uv {}` into the system Python targets {origin}, which is marked externally managed, so uv refuses to \
             install into it; use a virtual environment, or add `--break-system-packages`",
            uv.subcommand(),
        );
        acc.push(
            SYSTEM_INSTALL_INTO_MANAGED_PYTHON
                .report(system_range, message)
                .with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: source.range,
                    message: "the externally managed Python is installed here".to_owned(),
                })
                .with_fix(insert_flag_fix_in(ctx, uv, "--break-system-packages", Applicability::Unsafe)),
        );
    }
}

/// Per stage: every step that installs an externally managed Python, in order. A step that
/// removes the `EXTERNALLY-MANAGED` marker clears what came before it.
fn managed_sources(ctx: &RuleContext<'_>, facts: &EnvFacts) -> Vec<Vec<Source>> {
    let semantics = ctx.semantics;
    let mut res: Vec<Vec<Source>> = (0..semantics.stages.len()).map(|_| Vec::new()).collect();
    for (_, site) in ctx.commands() {
        if site.origin != CommandOrigin::Run {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        let position = (site.instruction, site.command.range.start);
        if site.command.words.iter().any(|it| it.value.contains("EXTERNALLY-MANAGED")) {
            // Removing the marker makes every earlier source harmless; the chain walk stops at
            // this stage, which is good enough for a file that does this.
            if let Some(list) = res.get_mut(stage) {
                list.clear();
            }
            continue;
        }
        let managed_distro = facts.base_of(stage).distro_python_managed();
        let Some(list) = res.get_mut(stage) else { continue };
        if let Some(uv) = site.command.as_uv()
            && uv.is("python install")
        {
            // A Python put in a folder of its own is not one later commands discover.
            if !uv.has_flag("--install-dir") {
                let range = uv.subcommand_range().unwrap_or(site.command.range);
                list.push(Source { instruction: position.0, offset: position.1, range, what: "uv python install" });
            }
            continue;
        }
        if !managed_distro {
            continue;
        }
        let packages = match apt_get_install(&site.command) {
            Some(install) => Some((install.args, "apt")),
            None => apk_add(&site.command).map(|args| (args, "apk")),
        };
        let Some((args, what)) = packages else { continue };
        if let Some(word) = args.iter().find(|it| is_python_package(&it.value)) {
            list.push(Source { instruction: position.0, offset: position.1, range: word.range, what });
        }
    }
    res
}

/// The arguments of `apk add`.
fn apk_add(command: &crate::semantics::shell::ShellCommand) -> Option<&[crate::semantics::shell::ShellWord]> {
    if command.program_name()? != "apk" {
        return None;
    }
    let args = command.args_after_program();
    let idx = args.iter().position(|it| !it.value.starts_with('-'))?;
    (args[idx].value == "add").then(|| &args[idx + 1..])
}

/// `python3`, `python3-pip`, `python3.11`, `python3=3.11.2-6`, `python-is-python3`.
fn is_python_package(name: &str) -> bool {
    let name = name.split(['=', '>', '<']).next().unwrap_or(name);
    name.starts_with("python3") || name == "python-is-python3"
}
