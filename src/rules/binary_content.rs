//! `DF011 binary-content`: a file named like a Dockerfile whose content is binary.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// A file that contains NUL bytes, which no Dockerfile does: usually a binary or a file in a
    /// UTF-16 encoding saved under a Dockerfile name.
    /// ## Why it matters
    /// The builder cannot read it as instructions. When this rule fires, berth reports nothing else
    /// for the file, since every other finding would be noise.
    /// ## Example
    /// A `Dockerfile` saved as UTF-16 by an editor on Windows.
    /// Use instead: save it as UTF-8.
    pub(crate) static BINARY_CONTENT = {
        code: "DF011",
        name: "binary-content",
        severity: Error,
        fix: None,
    };
}

/// The offset of the first NUL byte, when the text is binary.
pub(crate) fn first_nul(text: &str) -> Option<usize> {
    // The memchr crate's search takes wide steps where std's takes a word at a time; this runs
    // over the whole file on every analysis.
    memchr::memchr(0, text.as_bytes())
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let Some(offset) = first_nul(ctx.text) else { return };
    acc.push(BINARY_CONTENT.report(
        TextRange::new(offset, offset + 1),
        "this file contains NUL bytes, so it is binary (or not UTF-8) rather than a Dockerfile",
    ));
}
