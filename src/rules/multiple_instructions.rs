//! `DF111 multiple-instructions`: more than one CMD, ENTRYPOINT or HEALTHCHECK in a stage.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, RelatedLocation, Tag};
use crate::rules::support_df::instruction_removal;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// A `CMD`, `ENTRYPOINT` or `HEALTHCHECK` that a later instruction of the same kind in the
    /// same stage replaces.
    /// ## Why it matters
    /// Only the last one of each takes effect; the earlier ones do nothing. Often someone
    /// expected both commands to run, or edited the wrong one.
    /// ## Example
    /// ```dockerfile
    /// CMD ["python", "-m", "migrate"]
    /// CMD ["python", "-m", "app"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// CMD ["sh", "-c", "python -m migrate && exec python -m app"]
    /// ```
    /// ## Fix safety
    /// Removing the ignored instruction is safe: the image's configuration stays the same.
    pub(crate) static MULTIPLE_INSTRUCTIONS = {
        code: "DF111",
        name: "multiple-instructions",
        severity: Warning,
        fix: Always,
        hadolint: "DL4003",
        hadolint_also: ["DL4004", "DL3012"],
        buildkit: "MultipleInstructionsDisallowed",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let instructions = &ctx.parse.file.instructions;
    for stage in ctx.stages() {
        for keyword in [Keyword::Cmd, Keyword::Entrypoint, Keyword::Healthcheck] {
            let found = || ctx.instructions_with_in(&[keyword], stage.instructions.clone());
            let Some((last, _)) = found().next_back() else { continue };
            for (_, instruction) in found().take_while(|(idx, _)| *idx != last) {
                let name = keyword.as_str();
                acc.push(
                    MULTIPLE_INSTRUCTIONS
                        .report(
                            instruction.keyword_range,
                            format!("this `{name}` has no effect: a later `{name}` in the same stage replaces it"),
                        )
                        .with_tag(Tag::Unnecessary)
                        .with_related(RelatedLocation {
                            path: None,
                            text: None,
                            range: instructions[last].keyword_range,
                            message: format!("the `{name}` that takes effect"),
                        })
                        .with_fix(Fix {
                            title: format!("Remove the ignored `{name}`"),
                            applicability: Applicability::Safe,
                            edits: vec![Edit {
                                path: None,
                                range: instruction_removal(ctx.text, instruction),
                                new_text: String::new(),
                            }],
                        }),
                );
            }
        }
    }
}
