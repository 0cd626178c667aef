//! `UV002 conflicting-lock-flags`: `--locked` and `--frozen` (or their variables) together.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, RelatedLocation};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, uv_env_flag};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// A uv command that asks for both `--locked` and `--frozen`, whether as flags, as the
    /// `UV_LOCKED` / `UV_FROZEN` environment variables, or one of each.
    /// ## Why it matters
    /// The two contradict each other (`--locked` checks the lockfile against pyproject.toml,
    /// `--frozen` skips that check), and uv refuses to run with both, so the build fails at this
    /// step. An `ENV UV_FROZEN=1` earlier in the stage is easy to forget when a later RUN adds
    /// `--locked`.
    /// ## Example
    /// ```dockerfile
    /// RUN uv sync --frozen --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv sync --locked
    /// ```
    /// ## Fix safety
    /// Removing either flag is unsafe: `--locked` and `--frozen` treat a stale lockfile
    /// differently, so the choice changes what the build does.
    pub(crate) static CONFLICTING_LOCK_FLAGS = {
        code: "UV002",
        name: "conflicting-lock-flags",
        severity: Error,
        fix: Sometimes,
    };
}

const LOCK_AWARE: &[&str] = &["sync", "run", "lock", "export", "add", "remove", "tree", "version", "audit"];

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (site, uv) in ctx.uv_commands() {
        if !LOCK_AWARE.contains(&uv.subcommand()) {
            continue;
        }
        let locked_flag = uv.flag("--locked").map(|it| it.range);
        let frozen_flag = uv.flag("--frozen").map(|it| it.range);
        let locked_env = uv_env_flag(ctx, site, "UV_LOCKED");
        let frozen_env = uv_env_flag(ctx, site, "UV_FROZEN");
        let subcommand = uv.subcommand();
        match (locked_flag, frozen_flag) {
            (Some(locked), Some(frozen)) => {
                let second = if locked.start > frozen.start { locked } else { frozen };
                let diagnostic = CONFLICTING_LOCK_FLAGS
                    .report(
                        second,
                        format!("`uv {subcommand}` cannot take both `--locked` and `--frozen`; uv stops with an error"),
                    )
                    .with_fix(remove_flag_fix(ctx.text, frozen, "Remove `--frozen` (keep the lockfile check)"))
                    .with_fix(remove_flag_fix(ctx.text, locked, "Remove `--locked` (install the lockfile as is)"));
                acc.push(diagnostic);
            }
            (Some(flag), None) | (None, Some(flag)) => {
                let (flag_name, env) =
                    if Some(flag) == locked_flag { ("--locked", &frozen_env) } else { ("--frozen", &locked_env) };
                let Some(env) = env else { continue };
                let env_name = if flag_name == "--locked" { "UV_FROZEN" } else { "UV_LOCKED" };
                let mut diagnostic = CONFLICTING_LOCK_FLAGS
                    .report(
                        flag,
                        format!(
                            "`{flag_name}` conflicts with `{env_name}` set for this command; uv stops with an error"
                        ),
                    )
                    .with_fix(remove_flag_fix(ctx.text, flag, &format!("Remove `{flag_name}`")));
                if let Some(range) = env.range {
                    diagnostic = diagnostic.with_related(RelatedLocation {
                        path: None,
                        text: None,
                        range,
                        message: format!("`{env_name}` is set here"),
                    });
                }
                acc.push(diagnostic);
            }
            (None, None) => {
                let (Some(locked), Some(frozen)) = (&locked_env, &frozen_env) else { continue };
                let range = uv.subcommand_range().unwrap_or(site.command.range);
                let mut diagnostic = CONFLICTING_LOCK_FLAGS.report(
                    range,
                    format!("both `UV_LOCKED` and `UV_FROZEN` are set for `uv {subcommand}`; uv stops with an error"),
                );
                for (env, name) in [(locked, "UV_LOCKED"), (frozen, "UV_FROZEN")] {
                    if let Some(range) = env.range {
                        diagnostic = diagnostic.with_related(RelatedLocation {
                            path: None,
                            text: None,
                            range,
                            message: format!("`{name}` is set here"),
                        });
                    }
                }
                acc.push(diagnostic);
            }
        }
    }
}

/// Deletes a flag word together with the whitespace before it.
fn remove_flag_fix(text: &str, flag: TextRange, title: &str) -> Fix {
    let before = text.get(..flag.start).unwrap_or("");
    let trimmed = before.trim_end_matches([' ', '\t']);
    let start = if trimmed.len() < before.len() { trimmed.len() } else { flag.start };
    Fix {
        title: title.to_owned(),
        applicability: Applicability::Unsafe,
        edits: vec![Edit { path: None, range: TextRange::new(start, flag.end), new_text: String::new() }],
    }
}
