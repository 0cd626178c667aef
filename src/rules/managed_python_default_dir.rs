//! `PY004 managed-python-default-dir`: `uv python install` in a builder stage, into uv's default directory.

use crate::diagnostic::Diagnostic;
use crate::rules::support_python::{copies, is_ancestor, uv_setting};
use crate::rules::{RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// `uv python install` in a stage that a later stage copies files from, with neither
    /// `UV_PYTHON_INSTALL_DIR` nor `--install-dir` set.
    /// ## Why it matters
    /// The interpreter lands in `/root/.local/share/uv/python`, a path nobody thinks of when
    /// writing the runtime stage. Venvs made with it link there, so the runtime stage must copy
    /// that directory too (see PY005). A short, explicit directory such as `/python` makes the
    /// needed `COPY --from=builder /python /python` obvious.
    /// ## Example
    /// ```dockerfile
    /// FROM debian:trixie-slim AS builder
    /// RUN uv python install 3.12
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM debian:trixie-slim AS builder
    /// ENV UV_PYTHON_INSTALL_DIR=/python
    /// RUN uv python install 3.12
    /// ```
    pub(crate) static MANAGED_PYTHON_DEFAULT_DIR = {
        code: "PY004",
        name: "managed-python-default-dir",
        severity: Info,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let semantics = ctx.semantics;
    if semantics.stages.len() < 2 {
        return;
    }
    // Stages that some later stage copies from, read only for a file that installs Python.
    let copied_from = std::cell::OnceCell::new();
    for (site, uv) in ctx.uv_commands() {
        if !uv.is("python install") || uv.has_flag("--install-dir") {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        let copied_from = copied_from.get_or_init(|| {
            let mut copied_from = vec![false; semantics.stages.len()];
            for copy in copies(ctx) {
                if let Some(slot) = copy.from_stage.and_then(|from| copied_from.get_mut(from)) {
                    *slot = true;
                }
            }
            copied_from
        });
        // The stage, or a stage built on it, is copied from.
        let copied = copied_from
            .iter()
            .enumerate()
            .any(|(from, copied)| *copied && from >= stage && is_ancestor(semantics, stage, from));
        if !copied {
            continue;
        }
        if uv_setting(ctx, site, "UV_PYTHON_INSTALL_DIR").is_some_and(|it| !it.value.is_empty())
            || uv_setting(ctx, site, "XDG_DATA_HOME").is_some()
        {
            continue;
        }
        let Some(range) = uv.subcommand_range() else { continue };
        acc.push(MANAGED_PYTHON_DEFAULT_DIR.report(
            range,
            "`uv python install` puts the interpreter in /root/.local/share/uv/python, which a later stage must copy \
             along with any venv; set `ENV UV_PYTHON_INSTALL_DIR=/python` to give it a plain path",
        ));
    }
}
