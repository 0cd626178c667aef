//! `UV014 cache-mount-with-no-cache`: a uv cache mount on a RUN that disables uv's cache.

use crate::diagnostic::{Diagnostic, RelatedLocation, Tag};
use crate::rules::support_uv::{cache_dir, installs_packages, is_uv_cache_mount, no_cache, run_groups};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A RUN with a cache mount for uv whose uv command runs with `--no-cache` or
    /// `UV_NO_CACHE` set.
    /// ## Why it matters
    /// With the cache disabled uv downloads into a temporary folder and deletes it, so the mount
    /// never holds anything and every build downloads all packages again. One of the two
    /// settings is a leftover; keep the mount for fast rebuilds, or drop it.
    /// ## Example
    /// ```dockerfile
    /// RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-cache
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked
    /// ```
    pub(crate) static CACHE_MOUNT_WITH_NO_CACHE = {
        code: "UV014",
        name: "cache-mount-with-no-cache",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for group in run_groups(ctx) {
        for (site, uv) in group.commands() {
            if !installs_packages(uv) {
                continue;
            }
            let Some(disabled) = no_cache(ctx, site, uv) else { continue };
            let cache = cache_dir(ctx, site, uv);
            let Some(mount) = group.mounts.iter().find(|mount| is_uv_cache_mount(mount, cache.as_deref())) else {
                continue;
            };
            acc.push(
                CACHE_MOUNT_WITH_NO_CACHE
                    .report(
                        mount.range,
                        "this cache mount is never filled: uv's cache is disabled for the command, so every build \
                         downloads all packages again; remove `--no-cache`/`UV_NO_CACHE` or the mount",
                    )
                    .with_tag(Tag::Unnecessary)
                    .with_related(RelatedLocation {
                        path: None,
                        text: None,
                        range: disabled,
                        message: "the cache is disabled here".to_owned(),
                    }),
            );
            break;
        }
    }
}
