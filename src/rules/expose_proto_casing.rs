//! `DF117 expose-proto-casing`: `EXPOSE 80/TCP` with an upper-case protocol.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_df::{word_subrange, words};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// An `EXPOSE` port whose protocol is not lower-case (`80/TCP`).
    /// ## Why it matters
    /// Docker accepts it, but the protocol is recorded as written; tools that compare with
    /// `tcp`/`udp` may not match it. BuildKit's build checks warn about it.
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 8000/TCP
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// EXPOSE 8000/tcp
    /// ```
    /// ## Fix safety
    /// Lower-casing the protocol is safe.
    pub(crate) static EXPOSE_PROTO_CASING = {
        code: "DF117",
        name: "expose-proto-casing",
        severity: Info,
        fix: Always,
        buildkit: "ExposeProtoCasing",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::Expose]) {
        for word in words(instruction) {
            let Some(slash) = word.raw.rfind('/') else { continue };
            let proto = &word.raw[slash + 1..];
            if proto.contains('$') || proto == proto.to_ascii_lowercase() {
                continue;
            }
            let range = word_subrange(word, slash + 1, word.raw.len());
            let lower = proto.to_ascii_lowercase();
            let mut diagnostic =
                EXPOSE_PROTO_CASING.report(range, format!("protocol `{proto}` should be lower-case: `{lower}`"));
            if range.len() == proto.len() {
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("Write `{lower}`"),
                    applicability: Applicability::Safe,
                    edits: vec![Edit { path: None, range, new_text: lower }],
                });
            }
            acc.push(diagnostic);
        }
    }
}
