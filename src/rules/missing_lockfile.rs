//! `UV005 missing-lockfile`: `--locked`/`--frozen` when no uv.lock can be in the image.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::facts::FastMap;
use crate::rules::support_uv::{Carries, changes_directory, elsewhere, has_long_flag, resolve_ref};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, uv_env_flag};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// `uv sync`, `uv run` or `uv export` with `--locked` or `--frozen` (or `UV_LOCKED` /
    /// `UV_FROZEN`) when uv.lock cannot be there: the project has no uv.lock, `.dockerignore`
    /// keeps it out of the build context, or nothing copies or bind-mounts it into the working
    /// directory before the command. A Dockerfile built from a folder above its project may
    /// name the lockfile by the project's folder (`COPY worker/uv.lock ./` for the project in
    /// `worker/`); that counts as the project's uv.lock.
    /// ## Why it matters
    /// Both flags promise to use an existing lockfile. Without one, uv stops with "Unable to
    /// find lockfile" and the build (or the container start) fails. The usual cause is a
    /// dependency layer that copies only pyproject.toml.
    /// ## Example
    /// ```dockerfile
    /// COPY pyproject.toml ./
    /// RUN uv sync --locked --no-install-project
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY pyproject.toml uv.lock ./
    /// RUN uv sync --locked --no-install-project
    /// ```
    pub(crate) static MISSING_LOCKFILE = {
        code: "UV005",
        name: "missing-lockfile",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    // Only for a project we can see, and not for a workspace member whose lock sits above it.
    if ctx.project.pyproject.is_none() || ctx.project.uv_workspace.is_some() {
        return;
    }
    // `uv lock` earlier in the same stage, or in a stage it is built on, makes a lockfile there.
    let locks: Vec<(usize, usize)> = ctx
        .uv_commands()
        .filter(|(_, uv)| uv.is("lock"))
        .filter_map(|(site, _)| Some((site.stage?, site.instruction)))
        .collect();
    let locked_before = |stage: usize, instruction: usize| {
        !locks.is_empty()
            && crate::rules::support_df::stage_chain(ctx.semantics, stage)
                .any(|it| locks.iter().any(|(lock_stage, at)| *lock_stage == it.index && *at <= instruction))
    };
    // The .dockerignore pattern that keeps uv.lock out, looked up once.
    let lock_pattern = std::cell::OnceCell::new();
    // Per stage, folder and kind of copy: the first COPY that may bring uv.lock there, so each
    // command compares positions instead of walking every earlier COPY again.
    let mut carriers: FastMap<(usize, &str, bool), Option<usize>> = FastMap::default();
    for (site, uv) in ctx.uv_commands() {
        if !matches!(uv.subcommand(), "sync" | "run" | "export")
            || has_long_flag(uv, "--script")
            || has_long_flag(uv, "--no-project")
        {
            continue;
        }
        let mode = if has_long_flag(uv, "--frozen") {
            "--frozen"
        } else if has_long_flag(uv, "--locked") {
            "--locked"
        } else if uv_env_flag(ctx, site, "UV_FROZEN").is_some() {
            "UV_FROZEN"
        } else if uv_env_flag(ctx, site, "UV_LOCKED").is_some() {
            "UV_LOCKED"
        } else {
            continue;
        };
        if uv.is("run") && has_long_flag(uv, "--no-sync") {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        if locked_before(stage, site.instruction) {
            continue;
        }
        if elsewhere(uv) || changes_directory(ctx, site) {
            continue;
        }
        let layout = ctx.uv_layout();
        let Some(dir) = ctx.workdir_at(site.instruction) else { continue };
        let subcommand = uv.subcommand();
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        if ctx.project.uv_lock.is_none() {
            let carried = first_carrier(&mut carriers, (stage, dir, true), || {
                layout
                    .copies_before(ctx.semantics, stage, usize::MAX)
                    .filter(|event| event.from.is_some() && event.carries(ctx, "uv.lock", dir) != Carries::No)
                    .map(|event| event.instruction)
                    .min()
            })
            .is_some_and(|it| it < site.instruction);
            if carried || mount_brings_lock(ctx, site.instruction, dir, true) {
                continue;
            }
            acc.push(MISSING_LOCKFILE.report(
                range,
                format!(
                    "`uv {subcommand}` with {} needs uv.lock, but the project has none; uv stops with \"Unable to find \
                     lockfile\" (run `uv lock` and commit the file)",
                    describe(mode)
                ),
            ));
            continue;
        }
        let carried = first_carrier(&mut carriers, (stage, dir, false), || {
            layout
                .copies_before(ctx.semantics, stage, usize::MAX)
                .filter(|event| event.carries(ctx, "uv.lock", dir) != Carries::No)
                .map(|event| event.instruction)
                .min()
        })
        .is_some_and(|it| it < site.instruction);
        if carried || mount_brings_lock(ctx, site.instruction, dir, false) {
            continue;
        }
        if let Some(ignore) = &ctx.project.dockerignore
            && let Some(pattern) = *lock_pattern
                .get_or_init(|| ignore.matching_pattern(&ctx.project.in_context("uv.lock")).filter(|it| !it.negated))
        {
            let diagnostic = MISSING_LOCKFILE
                .report(
                    range,
                    format!(
                        "`uv {subcommand}` with {} needs uv.lock, but .dockerignore keeps it out of the build context \
                         (pattern `{}`); uv stops with \"Unable to find lockfile\"",
                        describe(mode),
                        pattern.text.value
                    ),
                )
                .with_related(RelatedLocation {
                    path: Some(ignore.file.path.clone()),
                    text: Some(ignore.file.text.clone()),
                    range: pattern.text.range,
                    message: "this pattern excludes uv.lock".to_owned(),
                });
            acc.push(diagnostic);
            continue;
        }
        acc.push(MISSING_LOCKFILE.report(
            range,
            format!(
                "`uv {subcommand}` with {} needs uv.lock, but nothing copies or mounts it into {dir} before this; uv \
                 stops with \"Unable to find lockfile\"",
                describe(mode)
            ),
        ));
    }
}

fn first_carrier<'k>(
    known: &mut FastMap<(usize, &'k str, bool), Option<usize>>,
    key: (usize, &'k str, bool),
    compute: impl FnOnce() -> Option<usize>,
) -> Option<usize> {
    *known.entry(key).or_insert_with(compute)
}

fn describe(mode: &str) -> String {
    if mode.starts_with("--") { format!("`{mode}`") } else { format!("`{mode}` set") }
}

/// Whether a bind mount of the same RUN puts uv.lock into `dir` (or a parent of it).
fn mount_brings_lock(ctx: &RuleContext<'_>, idx: usize, dir: &str, only_other_sources: bool) -> bool {
    let Some(instruction) = ctx.parse.file.instructions.get(idx) else { return false };
    if instruction.keyword != Keyword::Run {
        return false;
    }
    ctx.mounts_of(idx).iter().any(|mount| {
        if mount.kind != "bind" {
            return false;
        }
        if mount.from.is_some() {
            return true;
        }
        if only_other_sources {
            return false;
        }
        let source = mount.source.as_deref().unwrap_or(".");
        let clean = crate::rules::support_uv::without_dot_slashes(source).trim_end_matches('/');
        let Some(target) = mount.target.as_ref().and_then(|it| resolve_ref(dir, &it.value)) else { return true };
        if let Some(landing) = ctx.project_landing(clean, &target) {
            return !ctx.is_project_file_excluded("uv.lock") && crate::rules::support_uv::is_within(dir, &landing);
        }
        if clean.contains('$') {
            return true;
        }
        if ctx.names_project_file(clean, "uv.lock") {
            let landing = target.strip_suffix("/uv.lock").unwrap_or(&target);
            let landing = if landing.is_empty() { "/" } else { landing };
            return !ctx.is_excluded(clean) && crate::rules::support_uv::is_within(dir, landing);
        }
        // A folder mounted straight onto the project folder may hold a lockfile of its own.
        !clean.contains('.') && target == dir
    })
}
