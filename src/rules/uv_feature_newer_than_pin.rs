//! `UV065 uv-feature-newer-than-pin`: a variable or flag the pinned uv does not know yet.

use crate::diagnostic::Diagnostic;
use crate::knowledge::version_at_least;
use crate::rules::support_env::uv_settings;
use crate::rules::{RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A `UV_*` variable or a uv flag that first appeared in a uv release newer than the one
    /// the stage installs (`COPY --from=ghcr.io/astral-sh/uv:0.4.30 …` or a uv base image).
    /// ## Why it matters
    /// An older uv ignores a variable it does not know, so the setting quietly does nothing;
    /// an unknown flag is an error and the build fails. Either bump the uv image or use what
    /// the pinned release offers.
    /// ## Example
    /// ```dockerfile
    /// COPY --from=ghcr.io/astral-sh/uv:0.5.0 /uv /uvx /bin/
    /// ENV UV_NO_DEV=1
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY --from=ghcr.io/astral-sh/uv:0.8.7 /uv /uvx /bin/
    /// ENV UV_NO_DEV=1
    /// ```
    pub(crate) static UV_FEATURE_NEWER_THAN_PIN = {
        code: "UV065",
        name: "uv-feature-newer-than-pin",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let layout = ctx.uv_layout();
    let pinned = |stage: Option<usize>| stage.and_then(|it| layout.uv_version.get(it)).and_then(|it| it.as_deref());
    // The same pin is compared with the same few releases over and over; each comparison parses
    // both versions.
    let mut compared = Vec::new();
    for setting in uv_settings(ctx) {
        let Some(version) = pinned(setting.stage) else { continue };
        let Some(since) = setting.known.and_then(|it| it.since.as_deref()) else { continue };
        if at_least(&mut compared, version, since) {
            continue;
        }
        acc.push(UV_FEATURE_NEWER_THAN_PIN.report(
            setting.name_range,
            format!(
                "`{}` was added in uv {since}, but this stage installs uv {version}, which ignores it",
                setting.name
            ),
        ));
    }
    for (at, (site, uv)) in ctx.uv_commands().enumerate() {
        let Some(version) = pinned(site.stage) else { continue };
        for (flag, known) in uv.flags.iter().zip(ctx.known_uv_flags(at)) {
            let Some(since) = known.and_then(|it| it.since.as_deref()) else { continue };
            if at_least(&mut compared, version, since) {
                continue;
            }
            acc.push(UV_FEATURE_NEWER_THAN_PIN.report(
                flag.word.range,
                format!(
                    "`{}` was added in uv {since}, but this stage installs uv {version}, which rejects it and fails",
                    flag.name
                ),
            ));
        }
    }
}

/// [`version_at_least`], remembered per pair of versions.
fn at_least<'v>(compared: &mut Vec<(&'v str, &'v str, bool)>, version: &'v str, since: &'v str) -> bool {
    if let Some((_, _, res)) = compared.iter().find(|(have, need, _)| *have == version && *need == since) {
        return *res;
    }
    let res = version_at_least(version, since);
    compared.push((version, since, res));
    res
}
