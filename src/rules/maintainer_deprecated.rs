//! `DF107 maintainer-deprecated`: the MAINTAINER instruction.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Tag};
use crate::rules::support_df::words;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// A `MAINTAINER` instruction.
    /// ## Why it matters
    /// `MAINTAINER` has been deprecated for years; it fills a legacy image field that most tools
    /// no longer read. The `org.opencontainers.image.authors` label carries the same
    /// information where registries and scanners look for it.
    /// ## Example
    /// ```dockerfile
    /// MAINTAINER Jane Doe <jane@example.com>
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// LABEL org.opencontainers.image.authors="Jane Doe <jane@example.com>"
    /// ```
    /// ## Fix safety
    /// Unsafe: the image's legacy `Author` field is no longer set.
    pub(crate) static MAINTAINER_DEPRECATED = {
        code: "DF107",
        name: "maintainer-deprecated",
        severity: Info,
        fix: Sometimes,
        hadolint: "DL4000",
        buildkit: "MaintainerDeprecated",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::Maintainer]) {
        let mut diagnostic = MAINTAINER_DEPRECATED
            .report(
                instruction.keyword_range,
                "`MAINTAINER` is deprecated; use `LABEL org.opencontainers.image.authors=...`",
            )
            .with_tag(Tag::Deprecated);
        let args = words(instruction);
        if let (Some(first), Some(last)) = (args.first(), args.last())
            && let Some(value) = ctx.text.get(first.range.start..last.range.end)
            && !value.contains(['\n', '\r', '"', '\\', '$'])
        {
            diagnostic = diagnostic.with_fix(Fix {
                title: "Replace with an authors label".to_owned(),
                applicability: Applicability::Unsafe,
                edits: vec![Edit {
                    path: None,
                    range: instruction.range,
                    new_text: format!("LABEL org.opencontainers.image.authors=\"{value}\""),
                }],
            });
        }
        acc.push(diagnostic);
    }
}
