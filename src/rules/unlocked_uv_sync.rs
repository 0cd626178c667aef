//! `UV001 unlocked-uv-sync`: `uv sync` or `uv export` that may rewrite uv.lock during the build.

use crate::diagnostic::RelatedLocation;
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_uv::expansion_may_supply;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, uv_env_flag};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `uv sync` or `uv export` in a Dockerfile with neither `--locked` nor `--frozen`, and with
    /// neither `UV_LOCKED` nor `UV_FROZEN` set for the command. Flags may come from a variable
    /// (`uv sync $SYNC_FLAGS`): its value is read when it is known (an `ARG` default, an `ENV`, an
    /// assignment earlier in the same `RUN`), and when it is not, nothing is reported.
    /// ## Why it matters
    /// Without either, uv checks uv.lock against pyproject.toml and, when they disagree, resolves
    /// again from the package index and rewrites the lockfile inside the image. The image then
    /// contains versions nobody reviewed, two builds of one commit can differ, and a read-only
    /// bind mount of uv.lock makes the build fail. `--locked` turns a stale lockfile into a build
    /// error instead; `--frozen` installs exactly what the lockfile says without checking.
    ///
    /// When the RUN bind-mounts uv.lock (read-only unless `rw` is given), a stale lockfile cannot
    /// be rewritten and the step fails with a less obvious error; the message says so.
    /// ## Example
    /// ```dockerfile
    /// RUN uv sync --no-dev
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv sync --locked --no-dev
    /// ```
    /// ## Fix safety
    /// Adding `--locked` is unsafe: a build that used to refresh a stale lockfile now fails until
    /// `uv lock` is run and committed.
    pub(crate) static UNLOCKED_UV_SYNC = {
        code: "UV001",
        name: "unlocked-uv-sync",
        severity: Warning,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (site, uv) in ctx.uv_commands() {
        let subcommand = uv.subcommand();
        if !matches!(subcommand, "sync" | "export") {
            continue;
        }
        // A dry run or a check writes nothing; a PEP 723 script has no project lockfile.
        let exempt = ["--locked", "--frozen", "--check", "--dry-run", "--script"];
        if exempt.iter().any(|flag| uv.flag(flag).is_some()) || expansion_may_supply(ctx, site, uv, &exempt) {
            continue;
        }
        if uv_env_flag(ctx, site, "UV_LOCKED").is_some() || uv_env_flag(ctx, site, "UV_FROZEN").is_some() {
            continue;
        }
        let Some(subcommand_range) = uv.subcommand_range() else { continue };
        let range = TextRange::new(
            site.command.words.first().map_or(subcommand_range.start, |it| it.range.start),
            subcommand_range.end,
        );
        // A read-only bind mount of uv.lock turns a rewrite into a failure.
        let lock_mount = ctx.mounts_of(site.instruction).iter().find(|mount| {
            mount.kind == "bind"
                && !mount.writable
                && mount.source.as_deref().is_some_and(|it| it.rsplit('/').next() == Some("uv.lock"))
        });
        // Without a project in sight (no pyproject.toml found), whether a lockfile exists is unknown.
        let lock_known_missing = ctx.project.uv_lock.is_none() && ctx.project.pyproject.is_some();
        let lock_note = match (lock_known_missing, &lock_mount) {
            (_, Some(_)) => {
                "would rewrite uv.lock if it is stale, but uv.lock is bind-mounted read-only here, so the step fails"
            }
            (false, None) => "may resolve again and rewrite uv.lock during the build",
            (true, None) => "resolves from scratch on every build, and the project has no uv.lock to pin it",
        };
        let mut diagnostic =
            UNLOCKED_UV_SYNC.report(range, format!("`uv {subcommand}` without `--locked` or `--frozen` {lock_note}"));
        if let Some(mount) = &lock_mount {
            diagnostic = diagnostic.with_related(RelatedLocation {
                path: None,
                text: None,
                range: mount.range,
                message: "uv.lock is mounted read-only here".to_owned(),
            });
        }
        if ctx.project.uv_lock.is_some() {
            diagnostic = diagnostic.with_fix(Fix {
                title: "Add `--locked`".to_owned(),
                applicability: Applicability::Unsafe,
                edits: vec![Edit {
                    path: None,
                    range: TextRange::empty(subcommand_range.end),
                    new_text: " --locked".to_owned(),
                }],
            });
        }
        acc.push(diagnostic);
    }
}
