//! `DF014 unused-suppression`: a `# berth:` suppression with no finding to suppress.

use crate::rules::declare_rule;

declare_rule! {
    /// ## What it flags
    /// A `# berth: ignore=CODE` comment when the next instruction has no CODE finding, or a
    /// `# berth: ignore-file=CODE` comment when the file has none.
    /// ## Why it matters
    /// Suppressions outlive the problems they silenced. A stale one hides the next real finding
    /// of that rule in the same place without anyone noticing.
    /// ## Example
    /// ```dockerfile
    /// # berth: ignore=UV001
    /// RUN uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN uv sync --locked
    /// ```
    /// ## Fix safety
    /// Removing the comment (or the unused code from it) is safe: it changes nothing in the build.
    pub(crate) static UNUSED_SUPPRESSION = {
        code: "DF014",
        name: "unused-suppression",
        severity: Hint,
        fix: Always,
    };
}

// Reported by `crate::suppression` after every rule has run; nothing to do per rule.
pub(crate) use crate::rules::reported_after_rules as check;
