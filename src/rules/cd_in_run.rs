//! `DF201 cd-in-run`: `cd` inside RUN instead of WORKDIR.

use crate::diagnostic::Diagnostic;
use crate::rules::facts::Program;
use crate::rules::{RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A `cd` command in a `RUN` instruction.
    /// ## Why it matters
    /// The directory change ends with the `RUN`, so later instructions still run where they
    /// did before; readers easily assume otherwise. `WORKDIR` changes the directory for every
    /// following instruction and creates it when missing.
    /// ## Example
    /// ```dockerfile
    /// RUN cd /app && uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// WORKDIR /app
    /// RUN uv sync --locked
    /// ```
    pub(crate) static CD_IN_RUN = {
        code: "DF201",
        name: "cd-in-run",
        severity: Info,
        fix: None,
        hadolint: "DL3003",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, site) in ctx.runs_of(&[Program::Cd]) {
        let Some(word) = site.command.program() else { continue };
        if word.basename() != "cd" {
            continue;
        }
        acc.push(CD_IN_RUN.report(word.range, "`cd` only lasts for this `RUN`; use `WORKDIR` to change directory"));
    }
}
