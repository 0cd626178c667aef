//! `DF112 legacy-key-value-format`: `ENV key value` / `LABEL key value` without `=`.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::{Args, Keyword};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `ENV NAME value` (and `LABEL name value`): the old form with a space instead of `=`.
    /// ## Why it matters
    /// The legacy form takes everything after the name as the value, spaces included, and
    /// allows only one variable per line; it is easy to misread `ENV A B=c` and Docker has
    /// deprecated it in favour of `NAME=value`.
    /// ## Example
    /// ```dockerfile
    /// ENV PYTHONUNBUFFERED 1
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ENV PYTHONUNBUFFERED=1
    /// ```
    /// ## Fix safety
    /// Offered when the value has no quotes, escapes or variables; it is safe, the value stays
    /// the same.
    pub(crate) static LEGACY_KEY_VALUE_FORMAT = {
        code: "DF112",
        name: "legacy-key-value-format",
        severity: Info,
        fix: Sometimes,
        buildkit: "LegacyKeyValueFormat",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::Env, Keyword::Label]) {
        let Args::KeyValues(pairs) = &instruction.args else { continue };
        for pair in pairs.iter().filter(|it| it.legacy) {
            let name = instruction.keyword.as_str();
            let mut diagnostic = LEGACY_KEY_VALUE_FORMAT.report(
                pair.key.range,
                format!(
                    "`{name} {} <value>` is the deprecated form; write `{name} {}=<value>`",
                    pair.key.value, pair.key.value
                ),
            );
            if let Some(value) = &pair.value
                && value.range.start >= pair.key.range.end
                && let Some(written) = ctx.text.get(value.range.as_range())
                && !written.contains(['"', '\'', '\\', '$', '\n', '\r', '`'])
            {
                let new_text = if written.contains(char::is_whitespace) {
                    format!("=\"{written}\"")
                } else {
                    format!("={written}")
                };
                diagnostic = diagnostic.with_fix(Fix {
                    title: "Use `NAME=value`".to_owned(),
                    applicability: Applicability::Safe,
                    edits: vec![Edit {
                        path: None,
                        range: TextRange::new(pair.key.range.end, value.range.end),
                        new_text,
                    }],
                });
            }
            acc.push(diagnostic);
        }
    }
}
