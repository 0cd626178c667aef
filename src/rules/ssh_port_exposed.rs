//! `SEC005 ssh-port-exposed`: EXPOSE 22.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::words;
use crate::rules::{RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// `EXPOSE 22` (the SSH port).
    /// ## Why it matters
    /// Running an SSH server in a container adds a service to secure, keys to manage and a way
    /// in for attackers; `docker exec` (or `kubectl exec`) gives a shell without it.
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 22 8000
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// EXPOSE 8000
    /// ```
    pub(crate) static SSH_PORT_EXPOSED = {
        code: "SEC005",
        name: "ssh-port-exposed",
        severity: Info,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::Expose]) {
        for word in words(instruction) {
            let port = word.value.split('/').next().unwrap_or("");
            let port = port.rsplit(':').next().unwrap_or(port);
            if port == "22" {
                acc.push(
                    SSH_PORT_EXPOSED
                        .report(word.range, "port 22 is SSH; containers rarely need an SSH server (use `docker exec`)"),
                );
            }
        }
    }
}
