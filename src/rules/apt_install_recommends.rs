//! `DF209 apt-install-recommends`: `apt-get install` without `--no-install-recommends`.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::facts::Program;
use crate::rules::support_df::apt_get_install;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `apt-get install` without `--no-install-recommends`.
    /// ## Why it matters
    /// By default apt also installs every "recommended" package, which in images is mostly
    /// documentation, extra tools and their libraries: a bigger image and more to patch.
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get install -y build-essential
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get install -y --no-install-recommends build-essential
    /// ```
    /// ## Fix safety
    /// Unsafe: a package the build relied on may have come in only as a recommendation.
    pub(crate) static APT_INSTALL_RECOMMENDS = {
        code: "DF209",
        name: "apt-install-recommends",
        severity: Info,
        fix: Always,
        hadolint: "DL3015",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, site) in ctx.runs_of(&[Program::Apt]) {
        let Some(install) = apt_get_install(&site.command) else { continue };
        let words = &site.command.words;
        let disabled = words.iter().any(|it| {
            it.value == "--no-install-recommends" || it.value.to_ascii_lowercase().contains("install-recommends=false")
        });
        if disabled {
            continue;
        }
        let start = site.command.program().map_or(install.word.range.start, |it| it.range.start);
        acc.push(
            APT_INSTALL_RECOMMENDS
                .report(
                    TextRange::new(start, install.word.range.end),
                    "`apt-get install` without `--no-install-recommends` also installs recommended packages",
                )
                .with_fix(Fix {
                    title: "Add `--no-install-recommends`".to_owned(),
                    applicability: Applicability::Unsafe,
                    edits: vec![Edit {
                        path: None,
                        range: TextRange::empty(install.word.range.end),
                        new_text: " --no-install-recommends".to_owned(),
                    }],
                }),
        );
    }
}
