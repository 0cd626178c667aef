//! `DF109 relative-workdir`: the first WORKDIR of a stage is a relative path.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::words;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::Base;
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// A relative `WORKDIR` (`WORKDIR app`) in a stage where no absolute `WORKDIR` came before,
    /// in the stage itself or in a stage it is built on.
    /// ## Why it matters
    /// A relative `WORKDIR` is resolved against the base image's working directory, which this
    /// file does not control and which can change between image versions. Later relative
    /// `WORKDIR`s after an absolute one are fine.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// WORKDIR app
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// WORKDIR /app
    /// ```
    pub(crate) static RELATIVE_WORKDIR = {
        code: "DF109",
        name: "relative-workdir",
        severity: Info,
        fix: None,
        hadolint: "DL3000",
        buildkit: "WorkdirRelativePath",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let stages = &ctx.semantics.stages;
    // Whether a WORKDIR was set by the end of each stage (parents come before children).
    let mut workdir_set = vec![false; stages.len()];
    for stage in ctx.stages() {
        let mut set = match stage.base {
            Base::Stage(parent) if parent < stage.index => workdir_set[parent],
            _ => false,
        };
        for (_, instruction) in ctx.instructions_with_in(&[Keyword::Workdir], stage.instructions.clone()) {
            let Some(path) = words(instruction).first() else { continue };
            if !set && !is_absolute(&path.value) {
                acc.push(RELATIVE_WORKDIR.report(
                    path.range,
                    format!(
                        "`WORKDIR {}` is relative to the base image's working directory; use an absolute path",
                        path.value
                    ),
                ));
            }
            set = true;
        }
        workdir_set[stage.index] = set;
    }
}

fn is_absolute(path: &str) -> bool {
    let bytes = path.as_bytes();
    // A variable may hold an absolute path; Windows paths start with a drive letter.
    path.starts_with('/')
        || path.starts_with('$')
        || path.starts_with('\\')
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
}
