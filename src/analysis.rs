//! Pure facade over parsing, semantics and rules: text plus project facts in, diagnostics out.
//!
//! The order is fixed: every rule runs, then suppression comments remove what they name (and
//! berth's own comments get their hints), then the settings decide which rules report and at
//! which severity. Rules never look at selection or severities.

use std::sync::Arc;

use crate::config::{DEFAULT_SETTINGS, Settings};
use crate::diagnostic::Diagnostic;
use crate::project::ProjectFacts;
use crate::rules::RuleContext;
use crate::rules::incremental::RuleFindings;
use crate::semantics::Semantics;
use crate::syntax::{Parse, Splice};

/// Everything computed for one version of one Dockerfile.
///
/// The syntax tree and the semantic model are shared: the server hands them to the outline and
/// semantic tokens while the rules are still running (see [`analyze_staged`]).
#[derive(Default)]
pub struct Analysis {
    pub parse: Arc<Parse>,
    pub semantics: Arc<Semantics>,
    pub diagnostics: Vec<Diagnostic>,
    /// What the next version's rule run may reuse (see [`PreviousVersion::findings`]).
    pub rule_findings: RuleFindings,
}

/// Parses `text`, builds its semantic model and runs every rule against it and `project`, with
/// every rule at its default severity.
///
/// ```
/// use berth::project::ProjectFacts;
///
/// let text = "FROM python:3.12-slim-trixie\nRUN uv sync --no-dev\n";
/// let analysis = berth::analysis::analyze(text, &ProjectFacts::default());
/// let unlocked = analysis.diagnostics.iter().find(|it| it.code == "UV001").expect("an unlocked sync");
/// assert_eq!(&text[unlocked.range.start..unlocked.range.end], "uv sync");
/// assert_eq!(analysis.semantics.stages.len(), 1);
/// ```
pub fn analyze(text: &str, project: &ProjectFacts) -> Analysis {
    analyze_with(text, project, &DEFAULT_SETTINGS)
}

/// Like [`analyze`], with the rule selection, severities and options of `settings`.
pub fn analyze_with(text: &str, project: &ProjectFacts, settings: &Settings) -> Analysis {
    analyze_staged(text, project, settings, |_| ()).0
}

/// Like [`analyze_with`], calling `structure_ready` with the syntax tree and semantic model (an
/// analysis without findings) as soon as they exist, before any rule runs, so that features that
/// need only the structure of the file can answer while the rules are checked. Returns the
/// analysis and what `structure_ready` returned.
pub fn analyze_staged<T>(
    text: &str,
    project: &ProjectFacts,
    settings: &Settings,
    structure_ready: impl FnOnce(&Analysis) -> T,
) -> (Analysis, T) {
    analyze_edited_staged(text, None, project, settings, structure_ready)
}

/// The syntax tree and semantic model of an earlier version of a text, to build the next
/// version's from (see [`analyze_edited`]).
pub struct PreviousVersion<'a> {
    pub text: &'a str,
    pub parse: Parse,
    /// The semantic model of `parse`, when there is one to spare.
    pub semantics: Option<Semantics>,
    /// The rule findings of that version ([`Analysis::rule_findings`]), when it was analysed
    /// with the same project facts and settings: the rules then check again only the stages
    /// the edit can reach.
    pub findings: Option<RuleFindings>,
}

/// Like [`analyze_with`], for `text` edited from `previous`: only the instructions the edit
/// touched are parsed again, and their shell commands split again; the rest is taken from
/// `previous`. With the previous findings, the rules check only the stages the edit can reach.
/// The result is the same as [`analyze_with`] gives.
pub fn analyze_edited(
    text: &str,
    previous: PreviousVersion<'_>,
    project: &ProjectFacts,
    settings: &Settings,
) -> Analysis {
    analyze_edited_staged(text, Some(previous), project, settings, |_| ()).0
}

/// [`analyze_staged`] for `text` edited from `previous` (see [`analyze_edited`]); from scratch
/// when there is no previous version.
pub fn analyze_edited_staged<T>(
    text: &str,
    previous: Option<PreviousVersion<'_>>,
    project: &ProjectFacts,
    settings: &Settings,
    structure_ready: impl FnOnce(&Analysis) -> T,
) -> (Analysis, T) {
    let structured = structure_edited(text, previous);
    let ready = structure_ready(structured.structure());
    (structured.check(text, project, settings), ready)
}

/// A version's syntax tree and semantic model, before any rule has run: the first half of
/// [`analyze_edited_staged`], for callers that have something to do between the halves.
pub struct Structured {
    /// The analysis so far, without findings.
    analysis: Analysis,
    /// The edit and the previous version's findings, for the rules to build on.
    carried: Option<(Splice, RuleFindings)>,
}

/// Parses `text` (from `previous` when given, as [`analyze_edited`] does) and builds its
/// semantic model; [`Structured::check`] then runs the rules.
pub fn structure_edited(text: &str, previous: Option<PreviousVersion<'_>>) -> Structured {
    let (parse, semantics, carried) = match previous {
        None => {
            let parse = crate::syntax::parse(text);
            let semantics = crate::semantics::analyze(&parse);
            (parse, semantics, None)
        }
        Some(previous) => {
            let (parse, splice) = crate::syntax::reparse_spliced(previous.parse, previous.text, text);
            let semantics = match (splice, previous.semantics) {
                (Some(splice), Some(semantics)) => crate::semantics::analyze_after_edit(&parse, semantics, &splice),
                _ => crate::semantics::analyze(&parse),
            };
            (parse, semantics, splice.zip(previous.findings))
        }
    };
    let analysis = Analysis {
        parse: Arc::new(parse),
        semantics: Arc::new(semantics),
        diagnostics: Vec::new(),
        rule_findings: RuleFindings::default(),
    };
    Structured { analysis, carried }
}

impl Structured {
    /// The syntax tree and semantic model, as an analysis without findings.
    pub fn structure(&self) -> &Analysis {
        &self.analysis
    }

    /// Makes the rules check every stage instead of building on the previous version's
    /// findings, for when those were found with other project facts.
    pub fn forget_previous_findings(&mut self) {
        self.carried = None;
    }

    /// Runs the rules against `project` and `settings`; `text` is the text this was built from.
    pub fn check(self, text: &str, project: &ProjectFacts, settings: &Settings) -> Analysis {
        let Structured { mut analysis, carried } = self;
        let (parse, semantics) = (&*analysis.parse, &*analysis.semantics);
        let ctx = RuleContext::new(text, parse, semantics, project).with_settings(settings);
        let (found, rule_findings) = match carried {
            Some((splice, previous)) => crate::rules::incremental::run_after_edit(&ctx, previous, &splice),
            None => crate::rules::incremental::run_all_keeping(&ctx),
        };
        let mut diagnostics = crate::suppression::apply(text, parse, found);
        apply_settings(&mut diagnostics, settings);
        diagnostics.sort_by(|a, b| (a.range.start, a.range.end, a.code).cmp(&(b.range.start, b.range.end, b.code)));
        analysis.diagnostics = diagnostics;
        analysis.rule_findings = rule_findings;
        analysis
    }
}

/// Drops findings of rules that are off and gives the others their configured severity.
fn apply_settings(diagnostics: &mut Vec<Diagnostic>, settings: &Settings) {
    if !settings.changes_any_rule() {
        return;
    }
    diagnostics.retain_mut(|diagnostic| match settings.configured_level(diagnostic.code) {
        // Not configured: a rule may report below its default on purpose (`with_severity`).
        None => true,
        Some(Some(level)) => {
            diagnostic.severity = level;
            true
        }
        Some(None) => false,
    });
}
