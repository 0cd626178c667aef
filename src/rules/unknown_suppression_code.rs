//! `DF013 unknown-suppression-code`: a `# berth:` suppression naming no berth rule.

use crate::rules::declare_rule;

declare_rule! {
    /// ## What it flags
    /// A `# berth: ignore=` or `# berth: ignore-file=` comment naming a code or name that no
    /// berth rule has, or a `# berth: ignore…` comment berth cannot read. Codes of other tools in
    /// their own comments (`# hadolint ignore=`, `# check=skip=`) are left alone.
    /// ## Why it matters
    /// A misspelt code suppresses nothing, so the finding it was meant to silence keeps coming
    /// back and the comment misleads the next reader.
    /// ## Example
    /// ```dockerfile
    /// # berth: ignore=UV01
    /// RUN uv sync
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// # berth: ignore=UV001
    /// RUN uv sync
    /// ```
    pub(crate) static UNKNOWN_SUPPRESSION_CODE = {
        code: "DF013",
        name: "unknown-suppression-code",
        severity: Hint,
        fix: None,
    };
}

// Reported by `crate::suppression` after every rule has run; nothing to do per rule.
pub(crate) use crate::rules::reported_after_rules as check;
