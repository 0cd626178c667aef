//! `PY003 python-install-without-downloads`: `uv python install` while Python downloads are forbidden.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_python::downloads_disabled;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// `uv python install` run while `UV_PYTHON_DOWNLOADS` is `never` (or `0`, `false`), while the
    /// command has `--no-python-downloads`, or while pyproject.toml sets
    /// `tool.uv.python-downloads = "never"`.
    /// ## Why it matters
    /// `never` forbids every download, explicit installs included, so uv stops with "Python
    /// downloads are not allowed" and the build fails. `manual` is the setting that keeps uv from
    /// downloading on its own while still allowing `uv python install`.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_PYTHON_DOWNLOADS=never
    /// RUN uv python install 3.12
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_PYTHON_DOWNLOADS=manual
    /// RUN uv python install 3.12
    /// ```
    pub(crate) static PYTHON_INSTALL_WITHOUT_DOWNLOADS = {
        code: "PY003",
        name: "python-install-without-downloads",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (site, uv) in ctx.uv_commands() {
        if !uv.is("python install") {
            continue;
        }
        let Some(setting) = downloads_disabled(ctx, site, uv) else { continue };
        let Some(range) = uv.subcommand_range() else { continue };
        let how = if setting.value.starts_with("--") {
            "`--no-python-downloads` forbids".to_owned()
        } else {
            format!("Python downloads are set to `{}`, which forbids", setting.value)
        };
        let message = format!(
            "`uv python install` fails here: {how} every download, explicit installs included; use `UV_PYTHON_DOWNLOADS=manual` to allow only explicit installs"
        );
        let mut diagnostic = PYTHON_INSTALL_WITHOUT_DOWNLOADS.report(range, message);
        match setting.range {
            Some(setting_range) if !range.contains_range(setting_range) => {
                diagnostic = diagnostic.with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: setting_range,
                    message: "downloads are switched off here".to_owned(),
                });
            }
            Some(_) => {}
            None => {
                if let Some(pyproject) = &ctx.project.pyproject
                    && let Some(written) = pyproject.tool_uv.as_ref().and_then(|it| it.python_downloads.as_ref())
                {
                    diagnostic = diagnostic.with_related(RelatedLocation {
                        path: Some(pyproject.file.path.clone()),
                        text: Some(pyproject.file.text.clone()),
                        range: written.range,
                        message: "the project switches downloads off here".to_owned(),
                    });
                }
            }
        }
        acc.push(diagnostic);
    }
}
