//! `UV013 cache-mount-wrong-target`: a uv cache mount where uv does not keep its cache.

use crate::diagnostic::Diagnostic;
use crate::rules::support_uv::{cache_dir, installs_packages, is_uv_cache_mount, no_cache, run_groups};
use crate::rules::{RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A cache mount that looks meant for uv (its target ends in `uv`) on a RUN whose uv
    /// commands keep their cache somewhere else: in `UV_CACHE_DIR`, `--cache-dir`,
    /// `$XDG_CACHE_HOME/uv`, or the home folder of a non-root `USER`.
    /// ## Why it matters
    /// uv never reads or writes the mounted folder. Every build downloads everything again and
    /// the real cache ends up inside the image layer.
    /// ## Example
    /// ```dockerfile
    /// ENV UV_CACHE_DIR=/opt/uv-cache
    /// RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV UV_CACHE_DIR=/opt/uv-cache
    /// RUN --mount=type=cache,target=/opt/uv-cache uv sync --locked
    /// ```
    pub(crate) static CACHE_MOUNT_WRONG_TARGET = {
        code: "UV013",
        name: "cache-mount-wrong-target",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for group in run_groups(ctx) {
        let Some((site, uv)) = group.commands().find(|(_, uv)| installs_packages(uv)) else { continue };
        if no_cache(ctx, site, uv).is_some() {
            continue;
        }
        let candidates = || group.mounts.iter().filter(|mount| is_uv_cache_mount(mount, None));
        if candidates().next().is_none() {
            continue;
        }
        let user = ctx.user_at(site.instruction);
        let cache = cache_dir(ctx, site, uv);
        let mismatch = candidates().all(|mount| {
            let Some(target) = &mount.target else { return false };
            if target.value.contains('$') {
                return false;
            }
            let target = target.value.trim_end_matches('/');
            match (&cache, &user) {
                (Some(cache), _) => *cache != target,
                // A non-root user's home is not /root, whatever else it is.
                (None, Some(_)) => target.starts_with("/root/"),
                (None, None) => false,
            }
        });
        if !mismatch {
            continue;
        }
        let Some(mount) = candidates().next() else { continue };
        let Some(target) = &mount.target else { continue };
        let where_uv = match (&cache, &user) {
            (Some(cache), Some(user)) => format!("{cache} (as user {user})"),
            (Some(cache), None) => cache.clone().into_owned(),
            (None, Some(user)) => format!("the home folder of user {user}"),
            (None, None) => "another folder".to_owned(),
        };
        acc.push(CACHE_MOUNT_WRONG_TARGET.report(
            target.range,
            format!(
                "uv keeps its cache in {where_uv} for this command, so the cache mount at {} is never used",
                target.value
            ),
        ));
    }
}
