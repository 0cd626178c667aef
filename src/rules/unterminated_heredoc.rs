//! `DF006 unterminated-heredoc`: a heredoc whose terminator line never comes.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule, report_syntax_errors};
use crate::syntax::SyntaxErrorKind;

declare_rule! {
    /// ## What it flags
    /// A heredoc (`<<EOF`) on RUN, COPY or ADD with no line that consists of the delimiter alone.
    /// ## Why it matters
    /// Everything up to the end of the file becomes the heredoc body, so the instructions after it
    /// silently disappear, or the builder rejects the file.
    /// ## Example
    /// ```dockerfile
    /// RUN <<EOF
    /// uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN <<EOF
    /// uv sync --locked
    /// EOF
    /// ```
    pub(crate) static UNTERMINATED_HEREDOC = {
        code: "DF006",
        name: "unterminated-heredoc",
        severity: Error,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    report_syntax_errors(acc, ctx, &UNTERMINATED_HEREDOC, |kind| matches!(kind, SyntaxErrorKind::UnterminatedHeredoc));
}
