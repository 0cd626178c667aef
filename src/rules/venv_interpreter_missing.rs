//! `PY005 venv-interpreter-missing`: a venv copied to another stage whose Python is a uv-managed CPython left behind.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_python::{copied_venvs, plain_version, stage_label};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A `COPY --from=<stage>` that brings a virtual environment (`/app/.venv`, or a folder
    /// holding it such as `/app`) into a later stage, when the stage that made the venv may have
    /// given it a CPython that uv downloaded or installed itself, and no COPY brings uv's Python
    /// install directory (`/root/.local/share/uv/python`, or `UV_PYTHON_INSTALL_DIR`) along.
    /// uv uses its own Python when the image's Python does not meet `.python-version` or
    /// `requires-python` and downloads are allowed, after `uv python install`, with
    /// `UV_PYTHON_PREFERENCE=only-managed` or `UV_MANAGED_PYTHON`, or when the image has no
    /// Python at all.
    /// ## Why it matters
    /// A venv's `bin/python` is an absolute symlink to the interpreter that made it. When that
    /// interpreter lives in uv's install directory of the builder stage, the symlink dangles in
    /// the runtime stage: the container fails at start with `no such file or directory` for
    /// `/app/.venv/bin/python` or for a console script such as `uvicorn`.
    /// ## Example
    /// With `.python-version` containing `3.10`:
    /// ```dockerfile
    /// FROM python:3.12-slim AS builder
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/
    /// WORKDIR /app
    /// COPY . .
    /// RUN uv sync --locked
    ///
    /// FROM python:3.12-slim
    /// COPY --from=builder /app /app
    /// ```
    /// Use instead (the image's Python, in both stages):
    /// ```dockerfile
    /// FROM python:3.10-slim AS builder
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/
    /// ENV UV_PYTHON_DOWNLOADS=never
    /// WORKDIR /app
    /// COPY . .
    /// RUN uv sync --locked
    ///
    /// FROM python:3.10-slim
    /// COPY --from=builder /app /app
    /// ```
    pub(crate) static VENV_INTERPRETER_MISSING = {
        code: "PY005",
        name: "venv-interpreter-missing",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    if ctx.semantics.stages.len() < 2 {
        return;
    }
    for copied in copied_venvs(ctx) {
        let Some(managed) = &copied.venv.managed else { continue };
        if copied.copies_install_dir {
            continue;
        }
        let version = managed.version.as_deref();
        let target = match version.and_then(plain_version) {
            Some(version) => format!("{}/cpython-{version}…", managed.install_dir),
            None => format!("{}/cpython-…", managed.install_dir),
        };
        let base_hint = match version.and_then(plain_version) {
            Some(version) => format!("a base image with Python {version}"),
            None => "a base image whose Python the project accepts".to_owned(),
        };
        let from = stage_label(ctx.semantics, copied.from);
        let message = format!(
            "the venv {} copied from {from} links its python to {target}, which this stage does not have \
             ({}); set UV_PYTHON_DOWNLOADS=never and use {base_hint} in both stages, or copy {} from {from} as well",
            copied.venv.path, managed.reason, managed.install_dir
        );
        let diagnostic = VENV_INTERPRETER_MISSING.report(copied.source_range, message).with_related(RelatedLocation {
            path: None,
            text: None,
            range: copied.venv.range,
            message: format!("the venv is created here, in {}", stage_label(ctx.semantics, copied.venv.stage)),
        });
        acc.push(diagnostic);
    }
}
