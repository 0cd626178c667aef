//! `DF103 inconsistent-instruction-casing`: instruction keywords in a case other than the file's majority.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_df::keyword_text;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::{Instruction, Keyword};

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

/// The keyword has an upper-case letter.
const HAS_UPPER: u8 = 1;
/// The keyword has a lower-case letter.
const HAS_LOWER: u8 = 2;
/// The instruction is not a known one: its case is not judged.
const NOT_A_KEYWORD: u8 = 4;

/// Which cases the keyword of `instruction` is written in.
fn case_of(instruction: &Instruction) -> u8 {
    if instruction.keyword == Keyword::Unknown {
        return NOT_A_KEYWORD;
    }
    let case = instruction.keyword_case;
    (if case.has_upper { HAS_UPPER } else { 0 }) | (if case.has_lower { HAS_LOWER } else { 0 })
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let instructions = &ctx.parse.file.instructions;
    // Counted in one walk: the cases for the majority, and how many keywords have an upper- or
    // a lower-case letter, so that a consistent file (most files) is not walked again.
    let (mut lower, mut upper) = (0usize, 0usize);
    let (mut with_upper, mut with_lower) = (0usize, 0usize);
    for instruction in instructions {
        let case = case_of(instruction);
        if case & NOT_A_KEYWORD != 0 {
            continue;
        }
        if case & HAS_UPPER == 0 {
            lower += 1;
        } else if case & HAS_LOWER == 0 {
            upper += 1;
        }
        with_upper += usize::from(case & HAS_UPPER != 0);
        with_lower += usize::from(case & HAS_LOWER != 0);
    }
    let majority_lower = lower > upper;
    let (odd_one_out, odd_count) = if majority_lower { (HAS_UPPER, with_upper) } else { (HAS_LOWER, with_lower) };
    if odd_count == 0 {
        return;
    }
    for instruction in instructions {
        if case_of(instruction) & (NOT_A_KEYWORD | odd_one_out) != odd_one_out {
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
