//! Pure facade over parsing, semantics and rules: text plus project facts in, diagnostics out.

use crate::diagnostic::Diagnostic;
use crate::project::ProjectFacts;
use crate::syntax::Parse;

/// Everything computed for one version of one Dockerfile.
pub struct Analysis {
    pub parse: Parse,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn analyze(text: &str, _project: &ProjectFacts) -> Analysis {
    let parse = crate::syntax::parse(text);
    Analysis { parse, diagnostics: Vec::new() }
}
