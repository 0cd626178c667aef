//! Pure facade over parsing, semantics and rules: text plus project facts in, diagnostics out.

use crate::diagnostic::Diagnostic;
use crate::project::ProjectFacts;
use crate::rules::RuleContext;
use crate::semantics::Semantics;
use crate::syntax::Parse;

/// Everything computed for one version of one Dockerfile.
pub struct Analysis {
    pub parse: Parse,
    pub semantics: Semantics,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `text`, builds its semantic model and runs every rule against it and `project`.
pub fn analyze(text: &str, project: &ProjectFacts) -> Analysis {
    let parse = crate::syntax::parse(text);
    let semantics = crate::semantics::analyze(&parse);
    let ctx = RuleContext::new(text, &parse, &semantics, project);
    let diagnostics = crate::rules::run_all(&ctx);
    Analysis { parse, semantics, diagnostics }
}
