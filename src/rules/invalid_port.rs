//! `DF207 invalid-port`: an EXPOSE port outside 0–65535 or not a number.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::words;
use crate::rules::{RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// An `EXPOSE` port (or port range) that is not a number from 0 to 65535, or a protocol
    /// other than `tcp`, `udp` and `sctp`.
    /// ## Why it matters
    /// The builder rejects the instruction and the build fails.
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 80000
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// EXPOSE 8000
    /// ```
    pub(crate) static INVALID_PORT = {
        code: "DF207",
        name: "invalid-port",
        severity: Error,
        fix: None,
        hadolint: "DL3011",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::Expose]) {
        for word in words(instruction) {
            let value = word.value.as_str();
            if value.contains('$') {
                continue;
            }
            let (ports, proto) = match value.split_once('/') {
                Some((ports, proto)) => (ports, Some(proto)),
                None => (value, None),
            };
            if let Some(proto) = proto
                && !matches!(proto.to_ascii_lowercase().as_str(), "tcp" | "udp" | "sctp")
            {
                acc.push(
                    INVALID_PORT
                        .report(word.range, format!("`{proto}` is not a protocol Docker knows; use tcp, udp or sctp")),
                );
                continue;
            }
            // A host mapping has its own rule; the container port is the last part.
            let container = ports.rsplit(':').next().unwrap_or(ports);
            let valid = match container.split_once('-') {
                Some((low, high)) => matches!((port(low), port(high)), (Some(low), Some(high)) if low <= high),
                None => port(container).is_some(),
            };
            if !valid {
                acc.push(
                    INVALID_PORT.report(word.range, format!("`{value}` is not a valid port or port range (0-65535)")),
                );
            }
        }
    }
}

fn port(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) || text.len() > 6 {
        return None;
    }
    text.parse::<u32>().ok().filter(|it| *it <= 65535)
}
