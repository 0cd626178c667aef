//! `DF202 sudo-in-run`: `sudo` in RUN.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A `sudo` command in a `RUN` instruction.
    /// ## Why it matters
    /// Build steps run as the current `USER`; `sudo` is usually not installed in base images
    /// (the step fails), and where it is, it hides which user a step really needs. Use
    /// `USER root` for the steps that need it and switch back afterwards.
    /// ## Example
    /// ```dockerfile
    /// RUN sudo apt-get update
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// USER root
    /// RUN apt-get update
    /// USER app
    /// ```
    pub(crate) static SUDO_IN_RUN = {
        code: "DF202",
        name: "sudo-in-run",
        severity: Warning,
        fix: None,
        hadolint: "DL3004",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, site) in ctx.runs_with_sudo() {
        let end = site.command.program_index().map_or(site.command.words.len(), |it| it + 1);
        let Some(word) = site.command.words[..end].iter().find(|it| it.basename() == "sudo") else { continue };
        acc.push(SUDO_IN_RUN.report(word.range, "`sudo` in a build step; switch with `USER` instead"));
    }
}
