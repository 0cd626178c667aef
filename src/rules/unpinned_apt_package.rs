//! `DF205 unpinned-apt-package`: `apt-get install` of packages without a version.

use crate::diagnostic::Diagnostic;
use crate::rules::facts::Program;
use crate::rules::support_df::apt_get_install;
use crate::rules::{RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// `apt-get install` of a package without `=version`.
    /// ## Why it matters
    /// The installed version is whatever the archive has on the day of the build. Pinning makes
    /// builds repeatable, at the price of updating pins when the archive drops old versions;
    /// many teams prefer to pin the base image instead, so this is only a hint.
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get install -y --no-install-recommends curl
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get install -y --no-install-recommends curl=7.88.1-10+deb12u8
    /// ```
    pub(crate) static UNPINNED_APT_PACKAGE = {
        code: "DF205",
        name: "unpinned-apt-package",
        severity: Hint,
        fix: None,
        hadolint: "DL3008",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, site) in ctx.runs_of(&[Program::Apt]) {
        let Some(install) = apt_get_install(&site.command) else { continue };
        let unpinned: Vec<_> = install
            .args
            .iter()
            .filter(|it| {
                let value = it.value.as_str();
                !value.starts_with('-')
                    && !value.contains(['=', '/', '$'])
                    && !value.ends_with(".deb")
                    && !it.has_expansion
            })
            .collect();
        let (Some(first), Some(last)) = (unpinned.first(), unpinned.last()) else { continue };
        let names: Vec<&str> = unpinned.iter().map(|it| it.value.as_str()).collect();
        acc.push(UNPINNED_APT_PACKAGE.report(
            first.range.cover(last.range),
            format!("apt packages without a pinned version: {}", names.join(", ")),
        ));
    }
}
