//! `UV016 symlink-link-mode`: symlinks into a cache that is not in the image.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_uv::{cache_dir, installs_packages, is_uv_cache_mount, link_mode, no_cache, run_groups};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// `UV_LINK_MODE=symlink` or `--link-mode symlink` on a uv install whose cache is a cache
    /// mount or is disabled with `--no-cache` / `UV_NO_CACHE`.
    /// ## Why it matters
    /// In symlink mode the environment's files are links into uv's cache. A cache mount is
    /// absent from the image and a disabled cache is a temporary folder deleted after the
    /// command, so every installed package points at nothing and imports fail.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_LINK_MODE=symlink
    /// RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_LINK_MODE=copy
    /// RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked
    /// ```
    /// ## Fix safety
    /// Switching to `copy` is safe: it is the only mode that works here, and it installs the
    /// same files.
    pub(crate) static SYMLINK_LINK_MODE = {
        code: "UV016",
        name: "symlink-link-mode",
        severity: Error,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let mut reported = Vec::new();
    for group in run_groups(ctx) {
        for (site, uv) in group.commands() {
            if !installs_packages(uv) {
                continue;
            }
            let Some(mode) = link_mode(ctx, site, uv) else { continue };
            if mode.value != "symlink" {
                continue;
            }
            let cache = cache_dir(ctx, site, uv);
            let why = if no_cache(ctx, site, uv).is_some() {
                "the cache is disabled, so it is deleted right after the install"
            } else if group.mounts.iter().any(|mount| is_uv_cache_mount(mount, cache.as_deref())) {
                "the cache is a cache mount, which is not part of the image"
            } else {
                continue;
            };
            let range = mode.range.unwrap_or(site.command.range);
            if reported.contains(&range.start) {
                continue;
            }
            reported.push(range.start);
            let mut diagnostic = SYMLINK_LINK_MODE.report(
                range,
                format!("symlink mode links the installed packages into uv's cache, but {why}; the environment is left with dangling links"),
            );
            if ctx.text.get(range.as_range()) == Some("symlink") {
                diagnostic = diagnostic.with_fix(Fix {
                    title: "Use `copy`".to_owned(),
                    applicability: Applicability::Safe,
                    edits: vec![Edit { path: None, range, new_text: "copy".to_owned() }],
                });
            }
            acc.push(diagnostic);
        }
    }
}
