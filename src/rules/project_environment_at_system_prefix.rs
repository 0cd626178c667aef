//! `UV044 project-environment-at-system-prefix`: exact `uv sync` into the system Python's prefix.

use crate::diagnostic::{Applicability, Diagnostic, RelatedLocation};
use crate::rules::support_pip::var_def_at;
use crate::rules::support_uv::insert_flag_fix_in;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::CommandOrigin;
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `uv sync` without `--inexact` while `UV_PROJECT_ENVIRONMENT` points at the system
    /// Python's prefix (`/usr/local`, `/usr`).
    /// ## Why it matters
    /// `uv sync` is exact by default: it removes every package the lockfile does not list. In
    /// the system prefix that includes what the base image installed, such as pip or tools an
    /// earlier step added, which then vanish from the image.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_PROJECT_ENVIRONMENT=/usr/local
    /// RUN uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_PROJECT_ENVIRONMENT=/usr/local
    /// RUN uv sync --locked --inexact
    /// ```
    /// ## Fix safety
    /// Adding `--inexact` is unsafe: packages the sync used to remove stay installed.
    pub(crate) static PROJECT_ENVIRONMENT_AT_SYSTEM_PREFIX = {
        code: "UV044",
        name: "project-environment-at-system-prefix",
        severity: Warning,
        fix: Always,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (site, uv) in ctx.uv_commands() {
        if site.origin != CommandOrigin::Run || !uv.is("sync") {
            continue;
        }
        let (value, value_range): (String, Option<TextRange>) =
            match site.command.assignments.iter().rev().find(|it| it.name == "UV_PROJECT_ENVIRONMENT") {
                Some(assignment) => (assignment.value.clone(), Some(assignment.value_range)),
                None => match var_def_at(ctx.semantics, site, "UV_PROJECT_ENVIRONMENT") {
                    Some(def) => match &def.value {
                        Some(value) => (String::from(value.as_str()), def.value_range.or(Some(def.name_range))),
                        None => continue,
                    },
                    None => continue,
                },
            };
        let prefix = value.trim().trim_end_matches('/');
        if !matches!(prefix, "/usr/local" | "/usr") {
            continue;
        }
        // Checked last: most syncs never get here.
        if ["--inexact", "--dry-run", "--check", "--active", "--script"].iter().any(|it| uv.has_flag(it)) {
            continue;
        }
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        let mut diagnostic = PROJECT_ENVIRONMENT_AT_SYSTEM_PREFIX
            .report(
                range,
                format!(
                    "`uv sync` into {prefix} (UV_PROJECT_ENVIRONMENT) removes every package the lockfile does not \
                     list, including the base image's own such as pip; add `--inexact`"
                ),
            )
            .with_fix(insert_flag_fix_in(ctx, uv, "--inexact", Applicability::Unsafe));
        if let Some(value_range) = value_range {
            diagnostic = diagnostic.with_related(RelatedLocation {
                path: None,
                text: None,
                range: value_range,
                message: "the project environment is set to the system prefix here".to_owned(),
            });
        }
        acc.push(diagnostic);
    }
}
