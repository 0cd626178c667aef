//! `DF103 inconsistent-instruction-casing`: instruction keywords in a case other than the file's majority.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_df::keyword_text;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// An instruction keyword that is mixed-case (`Run`), or upper-case in a file whose
    /// instructions are mostly lower-case (and the other way round).
    /// ## Why it matters
    /// Keywords are case-insensitive, so this is only about reading the file: one consistent
    /// spelling makes instructions easy to spot and search. BuildKit's build checks warn about it.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// run pip install flask
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// RUN pip install flask
    /// ```
    /// ## Fix safety
    /// Changing the case of a keyword is safe.
    pub(crate) static INCONSISTENT_INSTRUCTION_CASING = {
        code: "DF103",
        name: "inconsistent-instruction-casing",
        severity: Info,
        fix: Always,
        buildkit: "ConsistentInstructionCasing",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let instructions = &ctx.parse.file.instructions;
    // Per instruction: its keyword has no upper-case letter, no lower-case letter (each read
    // once, in place: no cased copies per instruction).
    let casing: Vec<(bool, bool)> = instructions
        .iter()
        .map(|instruction| {
            let text = keyword_text(ctx, instruction);
            let (mut has_upper, mut has_lower) = (false, false);
            for byte in text.bytes() {
                has_upper |= byte.is_ascii_uppercase();
                has_lower |= byte.is_ascii_lowercase();
            }
            (!has_upper, !has_lower)
        })
        .collect();
    let (mut lower, mut upper) = (0usize, 0usize);
    for (instruction, (no_upper, no_lower)) in instructions.iter().zip(&casing) {
        if instruction.keyword == Keyword::Unknown {
            continue;
        }
        if *no_upper {
            lower += 1;
        } else if *no_lower {
            upper += 1;
        }
    }
    let majority_lower = lower > upper;
    for (instruction, (no_upper, no_lower)) in instructions.iter().zip(&casing) {
        if instruction.keyword == Keyword::Unknown {
            continue;
        }
        let consistent = if majority_lower { *no_upper } else { *no_lower };
        if consistent {
            continue;
        }
        let text = keyword_text(ctx, instruction);
        let wanted = if majority_lower { text.to_ascii_lowercase() } else { text.to_ascii_uppercase() };
        let casing = if majority_lower { "lower-case" } else { "upper-case" };
        acc.push(
            INCONSISTENT_INSTRUCTION_CASING
                .report(
                    instruction.keyword_range,
                    format!("`{text}` should be {casing} like most instructions in this file: `{wanted}`"),
                )
                .with_fix(Fix {
                    title: format!("Write `{wanted}`"),
                    applicability: Applicability::Safe,
                    edits: vec![Edit { path: None, range: instruction.keyword_range, new_text: wanted }],
                }),
        );
    }
}
