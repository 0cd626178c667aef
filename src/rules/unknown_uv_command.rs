//! `UV007 unknown-uv-command`: a word in a uv command's place that uv has no command for.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::knowledge;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::shell::{ShellWord, UvLauncher};

declare_rule! {
    /// ## What it flags
    /// A uv command line whose command is not one uv has: a typo (`uv snyc`, `uv pip instal`)
    /// or a command of another tool (`uv install`). berth knows every command and subcommand uv
    /// parses, the hidden ones and aliases included.
    /// ## Why it matters
    /// uv stops with `unrecognized subcommand` before doing anything, so the build fails at
    /// this step (or the container at start).
    /// ## Example
    /// ```dockerfile
    /// RUN uv pip instal --system requests==2.32.3
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv pip install --system requests==2.32.3
    /// ```
    /// ## Fix safety
    /// The fix writes the closest command uv has; it may not be the intended one, so it is
    /// unsafe.
    pub(crate) static UNKNOWN_UV_COMMAND = {
        code: "UV007",
        name: "unknown-uv-command",
        severity: Error,
        fix: Sometimes,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, uv) in ctx.uv_commands() {
        if uv.launcher == UvLauncher::Uvx {
            continue;
        }
        let is_known = |group: &str, word: &ShellWord| {
            knowledge::uv_subcommands(group).iter().any(|it| it.as_str() == word.value.as_str())
        };
        // The first word names a command or a group; in a group the second names its command.
        let (group, word) = match uv.subcommand_words.as_slice() {
            [first, ..] if !is_known("", first) => ("", *first),
            [first, second, ..] => (first.value.as_str(), *second),
            _ => continue,
        };
        let known = knowledge::uv_subcommands(group);
        if known.is_empty() || word.has_expansion || is_known(group, word) {
            continue;
        }
        if !ctx.wanted_at(word.range.start) {
            continue;
        }
        report(acc, group, word, known);
    }
}

fn report(acc: &mut Vec<Diagnostic>, group: &str, word: &ShellWord, known: &'static [String]) {
    let written = word.value.as_str();
    let closest = crate::syntax::suggest::closest(written, known.iter().map(String::as_str));
    let owner = if group.is_empty() { "uv".to_owned() } else { format!("`uv {group}`") };
    // `uv install` for `uv pip install`: the word is a command of some group.
    let groups: Vec<String> = if closest.is_none() && group.is_empty() {
        knowledge::uv_subcommands("")
            .iter()
            .filter(|it| knowledge::uv_subcommands(it).iter().any(|name| name == written))
            .map(|it| format!("`uv {it} {written}`"))
            .collect()
    } else {
        Vec::new()
    };
    let hint = match (closest, groups.as_slice()) {
        (Some(closest), _) => format!(" (did you mean `{closest}`?)"),
        (None, []) => String::new(),
        (None, groups) => format!(" (did you mean {}?)", groups.join(" or ")),
    };
    let message = format!("{owner} has no command `{written}`{hint}, so uv stops with \"unrecognized subcommand\"");
    // Inside the quotes of an exec-form element, or the whole word when it maps to no exact text.
    let range = word.value_subrange(0, written.len());
    let mut diagnostic = UNKNOWN_UV_COMMAND.report(range, message);
    if let Some(closest) = closest
        && range.len() == written.len()
    {
        diagnostic = diagnostic.with_fix(Fix {
            title: format!("Replace with `{closest}`"),
            applicability: Applicability::Unsafe,
            edits: vec![Edit { path: None, range, new_text: closest.to_owned() }],
        });
    }
    acc.push(diagnostic);
}
