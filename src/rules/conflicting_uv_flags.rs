//! `UV003 conflicting-uv-flags`: two uv flags that uv refuses to take together.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::facts::FastMap;
use crate::rules::support_uv::written;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::shell::UvFlag;

declare_rule! {
    /// ## What it flags
    /// A uv command given two flags that exclude each other, such as `--locked` or `--frozen`
    /// with `--upgrade` (`-U`), or `--frozen` with `--no-sources`. `--locked` with `--frozen` is
    /// left to `conflicting-lock-flags`.
    /// ## Why it matters
    /// uv's argument parser rejects the combination before doing anything, so the RUN fails.
    /// The pairs contradict each other: `--upgrade` asks for a new resolution while `--locked`
    /// and `--frozen` promise to keep the lockfile as it is, and `--no-sources` needs a fresh
    /// resolution that `--frozen` forbids.
    /// ## Example
    /// ```dockerfile
    /// RUN uv sync --locked --upgrade
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv sync --locked
    /// ```
    pub(crate) static CONFLICTING_UV_FLAGS = {
        code: "UV003",
        name: "conflicting-uv-flags",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (at, (_, uv)) in ctx.uv_commands().enumerate() {
        let known_flags = ctx.known_uv_flags(at);
        // Most commands have no flag with a conflict at all: skip the map below for them.
        if !known_flags.iter().flatten().any(|known| !known.conflicts.is_empty()) {
            continue;
        }
        let subcommand = uv.subcommand();
        let mut seen: Vec<(String, String)> = Vec::new();
        // The last occurrence of each flag by name: looking each conflict up by scanning the
        // flags would make a command with thousands of flags quadratic, while for the usual
        // handful a scan is cheaper than building a map.
        let last: Option<FastMap<&str, &UvFlag<'_>>> =
            (uv.flags.len() > 16).then(|| uv.flags.iter().map(|flag| (&*flag.name, flag)).collect());
        let find_last = |name: &str| match &last {
            Some(last) => last.get(name).copied(),
            None => uv.flags.iter().rev().find(|flag| flag.name == name),
        };
        for (flag, known) in uv.flags.iter().zip(known_flags) {
            let Some(known) = known else { continue };
            for other_name in &known.conflicts {
                // The lock pair has its own rule with its own fixes.
                let pair = [&*flag.name, other_name.as_str()];
                if pair.contains(&"--locked") && pair.contains(&"--frozen") {
                    continue;
                }
                let Some(other) = find_last(uv.canonical_name(other_name).as_ref()) else { continue };
                let key = if flag.name < other.name {
                    (flag.name.to_string(), other.name.to_string())
                } else {
                    (other.name.to_string(), flag.name.to_string())
                };
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                let (first, second) = if flag.range.start <= other.range.start { (flag, other) } else { (other, flag) };
                let message = format!(
                    "`uv {subcommand}` does not accept `{}` together with `{}`; uv stops with an error",
                    written(second),
                    written(first)
                );
                acc.push(CONFLICTING_UV_FLAGS.report(second.word.range, message).with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: first.word.range,
                    message: format!("`{}` is given here", written(first)),
                }));
            }
        }
    }
}
