//! `DF200 root-user`: the final image's last USER is root.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::{stage_chain, words};
use crate::rules::{RuleContext, declare_rule};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// A final image whose last `USER` instruction switches to `root` (or uid `0`).
    /// ## Why it matters
    /// The container's program then runs as root: a bug or a compromised dependency gets full
    /// control of the container and an easier path to the host. Switch to root for the steps
    /// that need it, then back to an unprivileged user.
    /// ## Example
    /// ```dockerfile
    /// USER root
    /// CMD ["python", "-m", "app"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// USER app
    /// CMD ["python", "-m", "app"]
    /// ```
    pub(crate) static ROOT_USER = {
        code: "DF200",
        name: "root-user",
        severity: Warning,
        fix: None,
        hadolint: "DL3002",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let Some(last) = ctx.semantics.final_stage() else { return };
    for stage in stage_chain(ctx.semantics, last.index) {
        let Some((_, user)) = ctx.instructions_with_in(&[Keyword::User], stage.instructions.clone()).next_back() else {
            continue;
        };
        let Some(word) = words(user).first() else { return };
        let name = word.value.split(':').next().unwrap_or("");
        if name == "root" || name == "0" {
            acc.push(ROOT_USER.report(
                word.range,
                format!("the image's last `USER` is `{}`, so the container runs as root", word.value),
            ));
        }
        return;
    }
}
