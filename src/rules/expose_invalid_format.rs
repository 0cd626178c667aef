//! `DF118 expose-invalid-format`: EXPOSE with an IP address or a host port mapping.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::words;
use crate::rules::{RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// An `EXPOSE` entry with a `:` in it, such as `8080:80` or `127.0.0.1:80:80`.
    /// ## Why it matters
    /// `EXPOSE` only documents which container ports the program listens on. Host ports and
    /// addresses are chosen when the container is run (`docker run -p 8080:80`); in a
    /// Dockerfile Docker ignores them today and has announced it will reject them.
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 8080:8000
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// EXPOSE 8000
    /// ```
    pub(crate) static EXPOSE_INVALID_FORMAT = {
        code: "DF118",
        name: "expose-invalid-format",
        severity: Warning,
        fix: None,
        buildkit: "ExposeInvalidFormat",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::Expose]) {
        for word in words(instruction) {
            if !word.value.contains(':') || word.value.contains('$') {
                continue;
            }
            acc.push(EXPOSE_INVALID_FORMAT.report(
                word.range,
                format!(
                    "`EXPOSE {}` names a host address or port; EXPOSE takes only container ports, map host ports with `docker run -p`",
                    word.value
                ),
            ));
        }
    }
}
