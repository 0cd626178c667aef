//! `UV006 unknown-uv-flag`: a long flag the uv command does not accept.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::knowledge;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};

declare_rule! {
    /// ## What it flags
    /// A `--flag` after a uv command that the command does not parse: a typo (`uv sync --froze`),
    /// a flag of another command (`uv sync --system`, which belongs to `uv pip install`;
    /// `uv pip install --locked`, which belongs to the project commands), or a flag uv never
    /// had. berth knows every long flag uv parses for the commands it describes, the hidden
    /// pip-compatibility ones included, from the releases up to the newest it knows.
    /// ## Why it matters
    /// uv checks its arguments before it does anything and stops with `unexpected argument`,
    /// so the build fails at this step.
    /// ## Example
    /// ```dockerfile
    /// RUN uv sync --system --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv sync --locked
    /// ```
    /// ## Fix safety
    /// For a likely typo the fix writes the closest flag the command accepts; it may not be the
    /// intended one, so it is unsafe.
    pub(crate) static UNKNOWN_UV_FLAG = {
        code: "UV006",
        name: "unknown-uv-flag",
        severity: Error,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, uv) in ctx.uv_commands() {
        let subcommand = uv.subcommand();
        let accepted = knowledge::uv_accepted_flags(subcommand);
        if accepted.is_empty() {
            continue;
        }
        // Flags before the subcommand are uv's global ones, which clap reads differently.
        let after = uv.subcommand_end();
        for flag in &uv.flags {
            let word = flag.word;
            if word.range.start < after || word.has_expansion || !word.value.starts_with("--") {
                continue;
            }
            let written = word.value.split_once('=').map_or(word.value.as_str(), |it| it.0);
            // The command's sorted list is in hand: no second lookup of the command per flag.
            if written.len() <= 2 || accepted.binary_search_by(|it| it.as_str().cmp(written)).is_ok() {
                continue;
            }
            if !ctx.wanted_at(word.range.start) {
                continue;
            }
            let name_range = word.value_subrange(0, written.len());
            let elsewhere: Vec<&str> = knowledge::uv_commands_accepting(written).collect();
            let typo = if elsewhere.is_empty() {
                crate::syntax::suggest::closest(written, accepted.iter().map(String::as_str))
            } else {
                None
            };
            let named =
                |commands: &[&str]| commands.iter().map(|it| format!("`uv {it}`")).collect::<Vec<_>>().join(", ");
            let hint = match (&typo, elsewhere.as_slice()) {
                (Some(closest), _) => format!(" (did you mean `{closest}`?)"),
                (None, []) => String::new(),
                (None, few @ [_, ..]) if few.len() <= 3 => format!(" (it is a flag of {})", named(few)),
                (None, many) => format!(" (it is a flag of {}, among others)", named(&many[..3])),
            };
            let message = format!(
                "`uv {subcommand}` does not accept `{written}`{hint}, so uv stops with \"unexpected argument\""
            );
            let mut diagnostic = UNKNOWN_UV_FLAG.report(name_range, message);
            if let Some(closest) = typo
                && name_range.len() == written.len()
            {
                diagnostic = diagnostic.with_fix(Fix {
                    title: format!("Replace with `{closest}`"),
                    applicability: Applicability::Unsafe,
                    edits: vec![Edit { path: None, range: name_range, new_text: closest.to_owned() }],
                });
            }
            acc.push(diagnostic);
        }
    }
}
