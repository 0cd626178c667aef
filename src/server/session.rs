//! Server state behind one `std::sync::Mutex`: open documents, workspace folders, and the
//! per-Dockerfile project cache.
//!
//! Handlers mutate the session synchronously and never hold the lock across an `.await`, so
//! edits are applied in the order the client sent them even though tower-lsp-server runs
//! handlers concurrently. Work that takes time (discovery, analysis) runs on an
//! [`AnalysisJob`] built from a snapshot, outside the lock.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tower_lsp_server::ls_types as lsp;

use crate::analysis::{Analysis, PreviousVersion};
use crate::config::{ConfigFile, Options, Settings};
use crate::project::ProjectFacts;
use crate::rules::incremental::RuleFindings;
use crate::semantics::Semantics;
use crate::server::convert;
use crate::server::document::{Change, Document};
use crate::server::workspace::{self, FileKind, OverlayFs};
use crate::syntax::Parse;
use crate::text::{LineIndex, PositionEncoding};

#[derive(Default)]
pub(crate) struct Session {
    documents: HashMap<lsp::Uri, OpenDocument>,
    folders: Vec<PathBuf>,
    /// Source of `revision` and `project_epoch` stamps; only ever grows.
    counter: u64,
    /// Editor settings, layered over each Dockerfile's configuration file.
    settings: Arc<Options>,
}

pub(crate) struct OpenDocument {
    pub(crate) doc: Document,
    pub(crate) path: Option<PathBuf>,
    pub(crate) kind: FileKind,
    /// Changes on every edit. Unlike the client's version, it never goes backwards.
    pub(crate) revision: u64,
    /// Changes whenever the cached project facts become stale.
    pub(crate) project_epoch: u64,
    /// Discovery result for a Dockerfile, valid for `project_epoch`.
    pub(crate) project: Option<Arc<ProjectFacts>>,
    /// The configuration file found with `project` (cached and cleared together with it).
    pub(crate) config: Option<Arc<ConfigFile>>,
    /// The latest analysis (its structure for every request, its findings for code actions);
    /// current when its stamp matches.
    pub(crate) analyzed: Option<Arc<Analyzed>>,
    /// The structure of a version whose rules are still running (requests that need no findings
    /// are answered from it); current when its stamp matches.
    structure: Option<Arc<Structure>>,
    /// The semantic tokens last sent in full or as a delta, with their `resultId`: the base a
    /// client's next `semanticTokens/full/delta` request refers to.
    sent_tokens: Option<(String, Arc<[u32]>)>,
}

impl OpenDocument {
    /// The state the document is in now; results stamped otherwise describe an older one.
    fn stamp(&self) -> Stamp {
        Stamp { revision: self.revision, project_epoch: self.project_epoch }
    }
}

/// One analysed version of a Dockerfile: its structure and its findings, for code actions.
pub(crate) struct Analyzed {
    /// Its text and model, with the stamp of the version.
    pub(crate) structure: Arc<Structure>,
    /// The parse and semantic model (the same as the structure's) with the findings.
    pub(crate) analysis: Analysis,
    /// The configuration file and editor settings the rules ran with: the next version reuses
    /// findings only when it runs with the same.
    inputs: RuleInputs,
}

/// What besides the text decides the rules' findings: the project facts, the configuration
/// file and the editor settings. Held, not copied, so that comparing by address is sound.
#[derive(Clone)]
struct RuleInputs {
    project: Arc<ProjectFacts>,
    config: Option<Arc<ConfigFile>>,
    settings: Arc<Options>,
}

impl RuleInputs {
    fn same_as(&self, other: &RuleInputs) -> bool {
        let same_config = match (&self.config, &other.config) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (None, None) => true,
            _ => false,
        };
        Arc::ptr_eq(&self.project, &other.project) && same_config && Arc::ptr_eq(&self.settings, &other.settings)
    }
}

/// The syntax tree and semantic model of one version of a Dockerfile, with the text they
/// describe and the project facts it was analysed with: everything the editor features other
/// than diagnostics and code actions need. It exists before the rules have run, so requests
/// about a version just typed (completion, hover, the outline, semantic tokens, ...) are answered
/// while its diagnostics are still being computed.
pub(crate) struct Structure {
    pub(crate) stamp: Stamp,
    /// A `String` in an `Arc` rather than an `Arc<str>`, which would copy a large file's text
    /// once more for every edit.
    pub(crate) text: Arc<String>,
    pub(crate) index: Arc<LineIndex>,
    /// The parse and the semantic model; its `diagnostics` are always empty.
    pub(crate) model: Analysis,
    pub(crate) project: Arc<ProjectFacts>,
    /// The encoded semantic tokens of the whole file, computed on the first request.
    pub(crate) semantic_tokens: OnceLock<Arc<[u32]>>,
    /// The outline (`documentSymbol` result) as JSON text, computed on the first request.
    pub(crate) outline_json: OnceLock<Arc<[u8]>>,
}

impl Structure {
    pub(crate) fn new(
        stamp: Stamp,
        text: Arc<String>,
        index: Arc<LineIndex>,
        model: &Analysis,
        project: Arc<ProjectFacts>,
    ) -> Structure {
        let model = Analysis { parse: model.parse.clone(), semantics: model.semantics.clone(), ..Analysis::default() };
        Structure {
            stamp,
            text,
            index,
            model,
            project,
            semantic_tokens: OnceLock::new(),
            outline_json: OnceLock::new(),
        }
    }
}

/// What a notification changed, so the caller knows what to re-analyse.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Effect {
    /// Dockerfiles to re-analyse (or, once closed, to clear).
    pub(crate) dockerfiles: Vec<lsp::Uri>,
}

impl Session {
    fn stamp(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    pub(crate) fn folders(&self) -> &[PathBuf] {
        &self.folders
    }

    pub(crate) fn set_folders(&mut self, folders: Vec<PathBuf>) {
        self.folders = folders;
    }

    /// Whether the editor settings turned network access on (configuration files cannot).
    pub(crate) fn network_enabled(&self) -> bool {
        self.settings.network_enabled == Some(true)
    }

    pub(crate) fn document(&self, uri: &lsp::Uri) -> Option<&OpenDocument> {
        self.documents.get(uri)
    }

    pub(crate) fn open(&mut self, uri: lsp::Uri, text: impl Into<String>, version: i32, language_id: &str) -> Effect {
        let path = convert::uri_to_path(&uri);
        let kind = workspace::classify(Some(language_id), path.as_deref());
        let revision = self.stamp();
        let mut doc = Document::new(text, version, language_id);
        if kind != FileKind::Dockerfile {
            doc.forget_received_text();
        }
        let open = OpenDocument {
            doc,
            path: path.clone(),
            kind,
            revision,
            project_epoch: revision,
            project: None,
            config: None,
            analyzed: None,
            structure: None,
            sent_tokens: None,
        };
        let previous = self.documents.insert(uri.clone(), open);
        if previous.is_some() {
            tracing::warn!("{} was opened twice; the new text replaces the old", uri.as_str());
        }
        let was_dockerfile = previous.is_some_and(|previous| previous.kind == FileKind::Dockerfile);
        match kind {
            // Queued either way: a Dockerfile for analysis, a former one to clear its diagnostics.
            FileKind::Dockerfile => Effect { dockerfiles: vec![uri] },
            _ if was_dockerfile => Effect { dockerfiles: vec![uri] },
            FileKind::ProjectFile => self.project_files_changed(path.as_slice()),
            FileKind::Other => Effect::default(),
        }
    }

    pub(crate) fn change(
        &mut self,
        uri: &lsp::Uri,
        version: i32,
        changes: &[Change<'_>],
        encoding: PositionEncoding,
    ) -> Effect {
        let revision = self.stamp();
        let Some(open) = self.documents.get_mut(uri) else {
            tracing::warn!("ignoring a change to {}, which is not open", uri.as_str());
            return Effect::default();
        };
        if version <= open.doc.version() {
            tracing::warn!(
                "version of {} went from {} to {}; applying the change anyway",
                uri.as_str(),
                open.doc.version(),
                version
            );
        }
        open.doc.apply_changes(version, changes, encoding);
        open.revision = revision;
        match open.kind {
            FileKind::Dockerfile => Effect { dockerfiles: vec![uri.clone()] },
            FileKind::ProjectFile => {
                let path = open.path.clone();
                self.project_files_changed(path.as_slice())
            }
            FileKind::Other => Effect::default(),
        }
    }

    pub(crate) fn close(&mut self, uri: &lsp::Uri) -> Effect {
        let Some(open) = self.documents.remove(uri) else {
            tracing::warn!("ignoring the close of {}, which is not open", uri.as_str());
            return Effect::default();
        };
        match open.kind {
            FileKind::Dockerfile => Effect { dockerfiles: vec![uri.clone()] },
            // The disk version takes over from the buffer.
            FileKind::ProjectFile => self.project_files_changed(open.path.as_slice()),
            FileKind::Other => Effect::default(),
        }
    }

    /// Marks the project facts of every Dockerfile that `changed` may affect as stale.
    pub(crate) fn project_files_changed(&mut self, changed: &[PathBuf]) -> Effect {
        let epoch = self.stamp();
        let mut effect = Effect::default();
        for (uri, open) in &mut self.documents {
            let Some(path) = &open.path else { continue };
            if open.kind != FileKind::Dockerfile {
                continue;
            }
            if changed.iter().any(|changed| workspace::affects(changed, path, open.project.as_deref())) {
                open.project = None;
                open.config = None;
                open.project_epoch = epoch;
                effect.dockerfiles.push(uri.clone());
            }
        }
        effect
    }

    /// Replaces the editor settings; every Dockerfile is analysed again.
    pub(crate) fn set_settings(&mut self, settings: Options) -> Effect {
        self.settings = Arc::new(settings);
        self.all_projects_changed()
    }

    /// Marks every Dockerfile's project as stale (workspace folders changed).
    pub(crate) fn all_projects_changed(&mut self) -> Effect {
        let epoch = self.stamp();
        let mut effect = Effect::default();
        for (uri, open) in &mut self.documents {
            if open.kind == FileKind::Dockerfile {
                open.project = None;
                open.config = None;
                open.project_epoch = epoch;
                effect.dockerfiles.push(uri.clone());
            }
        }
        effect
    }

    /// A snapshot for analysing the Dockerfile at `uri`; `None` when it is not an open Dockerfile.
    pub(crate) fn analysis_job(
        &mut self,
        uri: &lsp::Uri,
        encoding: PositionEncoding,
        wanted: Wanted,
    ) -> Option<AnalysisJob> {
        let open = self.documents.get_mut(uri)?;
        if open.kind != FileKind::Dockerfile {
            return None;
        }
        // An analysis of an older state serves nobody any more; the job frees it on the analysis
        // thread before building the new one (see `backend::run_job`).
        let current = open.stamp();
        let stale = open.analyzed.take_if(|analyzed| analyzed.structure.stamp != current);
        let stale_structure = open.structure.take_if(|structure| structure.stamp != current);
        let text = open.doc.take_text();
        let open = self.documents.get(uri)?;
        // Buffers only matter to discovery; skip copying them when the facts are cached.
        let fs = match open.project {
            Some(_) => OverlayFs::default(),
            None => self.overlay(),
        };
        let workspace_root =
            open.path.as_deref().and_then(|path| workspace::workspace_root(&self.folders, path)).map(Path::to_path_buf);
        Some(AnalysisJob {
            uri: uri.clone(),
            text,
            version: open.doc.version(),
            stamp: open.stamp(),
            path: open.path.clone(),
            workspace_root,
            project: open.project.clone(),
            config: open.config.clone(),
            settings: self.settings.clone(),
            fs,
            encoding,
            wanted,
            stale: (stale, stale_structure),
        })
    }

    /// Whether results computed from a snapshot with `stamp` still describe the document.
    pub(crate) fn is_current(&self, uri: &lsp::Uri, stamp: Stamp) -> bool {
        self.documents.get(uri).is_some_and(|open| open.stamp() == stamp)
    }

    /// The structure of `uri` when it still describes the document: from its current analysis,
    /// or from an analysis whose rules are still running.
    pub(crate) fn current_structure(&self, uri: &lsp::Uri) -> Option<Arc<Structure>> {
        let open = self.documents.get(uri)?;
        let current = open.stamp();
        match (&open.analyzed, &open.structure) {
            (Some(analyzed), _) if analyzed.structure.stamp == current => Some(analyzed.structure.clone()),
            (_, Some(structure)) if structure.stamp == current => Some(structure.clone()),
            _ => None,
        }
    }

    /// Keeps the structure of a version whose rules are running, unless the document moved on.
    pub(crate) fn store_structure(&mut self, uri: &lsp::Uri, structure: Arc<Structure>) {
        if let Some(open) = self.documents.get_mut(uri)
            && open.stamp() == structure.stamp
        {
            open.structure = Some(structure);
        }
    }

    /// The cached analysis of `uri` when it still describes the document.
    pub(crate) fn current_analysis(&self, uri: &lsp::Uri) -> Option<Arc<Analyzed>> {
        let open = self.documents.get(uri)?;
        let analyzed = open.analyzed.as_ref()?;
        (analyzed.structure.stamp == open.stamp()).then(|| analyzed.clone())
    }

    /// Keeps an analysis for the editor features unless the document moved on meanwhile.
    pub(crate) fn store_analysis(&mut self, uri: &lsp::Uri, analyzed: Arc<Analyzed>) {
        if let Some(open) = self.documents.get_mut(uri)
            && open.stamp() == analyzed.structure.stamp
        {
            // The analysis holds the same structure.
            open.structure = None;
            open.analyzed = Some(analyzed);
        }
    }

    /// Records the semantic tokens sent to the client under `result_id`.
    pub(crate) fn remember_sent_tokens(&mut self, uri: &lsp::Uri, result_id: String, data: Arc<[u32]>) {
        if let Some(open) = self.documents.get_mut(uri) {
            open.sent_tokens = Some((result_id, data));
        }
    }

    /// The semantic tokens last sent under `result_id`, if those are still remembered.
    pub(crate) fn sent_tokens(&self, uri: &lsp::Uri, result_id: &str) -> Option<Arc<[u32]>> {
        let (id, data) = self.documents.get(uri)?.sent_tokens.as_ref()?;
        (id == result_id).then(|| data.clone())
    }

    /// Caches discovered facts unless they went stale while being computed. Facts of the same
    /// epoch replace cached ones: a document's jobs run in order, and a later one discovers
    /// again only when the Dockerfile's own copies of pyproject.toml changed.
    pub(crate) fn store_project(&mut self, uri: &lsp::Uri, project_epoch: u64, facts: Arc<ProjectFacts>) {
        if let Some(open) = self.documents.get_mut(uri)
            && open.project_epoch == project_epoch
        {
            open.project = Some(facts);
        }
    }

    /// Caches the configuration found with the project facts (see [`Session::store_project`]).
    pub(crate) fn store_config(&mut self, uri: &lsp::Uri, project_epoch: u64, config: Option<Arc<ConfigFile>>) {
        if let Some(open) = self.documents.get_mut(uri)
            && open.project_epoch == project_epoch
        {
            open.config = config;
        }
    }

    fn overlay(&self) -> OverlayFs {
        let buffers = self
            .documents
            .values()
            .filter(|open| open.kind == FileKind::ProjectFile)
            .filter_map(|open| Some((open.path.clone()?, open.doc.text())))
            .collect();
        OverlayFs::new(buffers)
    }
}

/// Whole microseconds, for debug logs.
pub(crate) fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// Identifies the state a result was computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) revision: u64,
    pub(crate) project_epoch: u64,
}

impl Stamp {
    /// A `resultId` for pull diagnostics.
    pub(crate) fn result_id(self) -> String {
        format!("{}-{}", self.revision, self.project_epoch)
    }
}

/// Everything needed to analyse one Dockerfile without the session lock.
pub(crate) struct AnalysisJob {
    pub(crate) uri: lsp::Uri,
    pub(crate) text: String,
    pub(crate) version: i32,
    pub(crate) stamp: Stamp,
    path: Option<PathBuf>,
    workspace_root: Option<PathBuf>,
    project: Option<Arc<ProjectFacts>>,
    config: Option<Arc<ConfigFile>>,
    settings: Arc<Options>,
    fs: OverlayFs,
    encoding: PositionEncoding,
    wanted: Wanted,
    /// The document's previous analysis and structure: the job re-parses from them and frees
    /// the rest.
    pub(crate) stale: (Option<Arc<Analyzed>>, Option<Arc<Structure>>),
}

/// The text, line index, syntax tree and semantic model of a document's previous version, to
/// build the next one from.
struct Reusable {
    text: Arc<String>,
    index: Arc<LineIndex>,
    parse: Parse,
    semantics: Option<Semantics>,
    /// The rule findings of the same version, with what they were computed from.
    findings: Option<(RuleFindings, RuleInputs)>,
}

/// What can be reused of the newest of a document's stale versions, when nothing else holds
/// it any more; everything else of them is freed. (Freeing after the diagnostics are sent was
/// measured slower: the free then competes with writing them.)
fn reusable(stale: (Option<Arc<Analyzed>>, Option<Arc<Structure>>)) -> Option<Reusable> {
    let (analyzed, structure) = stale;
    let (structure, findings) = match structure {
        // A structure without its analysis is newer than any analysis kept; the analysis may
        // hold it too, so it goes first.
        Some(structure) => {
            drop(analyzed);
            (structure, None)
        }
        None => {
            let Analyzed { structure, analysis, inputs } = Arc::try_unwrap(analyzed?).ok()?;
            let Analysis { rule_findings, .. } = analysis;
            (structure, Some((rule_findings, inputs)))
        }
    };
    // A request still answering from the old version holds it: start from scratch instead.
    let Structure { text, index, model, .. } = Arc::try_unwrap(structure).ok()?;
    let Analysis { parse, semantics, .. } = model;
    let semantics = Arc::try_unwrap(semantics).ok();
    Some(Reusable { text, index, parse: Arc::try_unwrap(parse).ok()?, semantics, findings })
}

/// The form a job's caller wants the diagnostics in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Wanted {
    /// LSP values, for a pull-diagnostics report.
    Values,
    /// The JSON text of the list, for `publishDiagnostics`.
    Json,
    /// None: the caller only needs the analysis (a request arrived before the push).
    Nothing,
}

/// A job's diagnostics, in the form its caller wanted.
pub(crate) enum Findings {
    Values(Vec<lsp::Diagnostic>),
    Json(Vec<u8>),
    Nothing,
}

pub(crate) struct AnalysisOutput {
    pub(crate) uri: lsp::Uri,
    pub(crate) version: i32,
    pub(crate) stamp: Stamp,
    pub(crate) project: Arc<ProjectFacts>,
    /// The configuration file found with `project`.
    pub(crate) config: Option<Arc<ConfigFile>>,
    /// True when `project` was discovered by this job (and may be cached).
    pub(crate) discovered: bool,
    pub(crate) findings: Findings,
    pub(crate) analyzed: Arc<Analyzed>,
}

impl AnalysisJob {
    /// Whether this job only follows up an edit: the document has an analysis to build on and
    /// its project facts are cached, so the job reads no files and re-checks only what the edit
    /// reached. Such jobs are short enough to run where they are asked for (see
    /// `backend::run_job`); a text this large may still cost a full parse, and does not.
    pub(crate) fn is_follow_up(&self) -> bool {
        const FOLLOW_UP_MAX_LEN: usize = 1024 * 1024;
        self.stale.0.is_some() && self.project.is_some() && self.text.len() <= FOLLOW_UP_MAX_LEN
    }

    /// Discovers the project if needed, analyses, and converts to LSP diagnostics. The structure
    /// goes to `structure_ready` as soon as it exists, before the rules run.
    pub(crate) fn run(self, structure_ready: impl FnOnce(Arc<Structure>)) -> AnalysisOutput {
        let structured = self.structure();
        structure_ready(structured.structure.clone());
        structured.finish()
    }

    /// The first half of [`AnalysisJob::run`]: discovers the project if needed, then builds the
    /// syntax tree and semantic model. [`StructuredJob::finish`] runs the rules.
    pub(crate) fn structure(mut self) -> StructuredJob {
        // Phase timings at debug level (`BERTH_LOG=berth=debug`), to see where an edit's
        // latency goes without a profiler.
        let started = Instant::now();
        // The new version is re-parsed from the previous one's syntax tree; the rest of the
        // previous version is freed here, where the analysis runs.
        let previous = reusable(std::mem::take(&mut self.stale));
        let unpacked = Instant::now();
        let (mut project, config, mut discovered) = match (&self.project, &self.path) {
            (Some(project), _) => (project.clone(), self.config.clone(), false),
            (None, Some(path)) => {
                let root = self.workspace_root.as_deref();
                let project = Arc::new(crate::project::discover_with_text(&self.fs, path, root, &self.text));
                // Where the project and the context were found is the first question when a
                // finding looks wrong, and nothing else shows it.
                tracing::debug!(
                    root = ?project.root,
                    context = ?project.context,
                    compose_file = ?project.compose_file,
                    "project of {}",
                    path.display()
                );
                (project, crate::config::find_config(&self.fs, path, root).map(Arc::new), true)
            }
            (None, None) => (Arc::new(ProjectFacts::default()), None, true),
        };
        let discovery_done = Instant::now();
        let settings = Settings::resolve(config.clone(), &[&self.settings], self.path.as_deref());
        let text = Arc::new(self.text);
        let index = Arc::new(match &previous {
            Some(previous) => LineIndex::edited(&previous.index, &previous.text, &text),
            None => LineIndex::new(&text),
        });
        let reused = previous.is_some();
        let mut inputs =
            RuleInputs { project: project.clone(), config: config.clone(), settings: self.settings.clone() };
        let (old_text, previous) = match previous {
            Some(Reusable { text, parse, semantics, findings, .. }) => {
                // Findings computed with other project facts or settings are not reused.
                let findings = findings.filter(|(_, old)| old.same_as(&inputs)).map(|(findings, _)| findings);
                (Some(text), Some((parse, semantics, findings)))
            }
            None => (None, None),
        };
        let findings_reused = previous.as_ref().is_some_and(|(_, _, findings)| findings.is_some());
        let previous = old_text.as_deref().zip(previous).map(|(text, (parse, semantics, findings))| PreviousVersion {
            text,
            parse,
            semantics,
            findings,
        });
        let mut structured = crate::analysis::structure_edited(&text, previous);
        // Facts that the Dockerfile's copies of pyproject.toml decided follow those COPY lines: when
        // an edit changed them, the project is discovered again, and nothing found with the old
        // facts is carried over. (With facts cached, `fs` holds no editor buffers: an unsaved
        // pyproject.toml is seen from the next change to a project file on.)
        if let (Some(before), Some(path)) = (&project.copied_pyprojects, &self.path) {
            let now = crate::project::copied_pyprojects(&structured.structure().parse);
            if now != *before {
                let root = self.workspace_root.as_deref();
                project = Arc::new(crate::project::discover_with_copies(&self.fs, path, root, &now));
                discovered = true;
                structured.forget_previous_findings();
                inputs.project = project.clone();
            }
        }
        let structure =
            Arc::new(Structure::new(self.stamp, text.clone(), index.clone(), structured.structure(), project.clone()));
        StructuredJob {
            uri: self.uri,
            version: self.version,
            stamp: self.stamp,
            project,
            config,
            discovered,
            settings,
            inputs,
            encoding: self.encoding,
            wanted: self.wanted,
            fs: self.fs,
            text,
            index,
            structured,
            structure,
            timings: JobTimings {
                free_us: micros(unpacked - started),
                discovery_us: micros(discovery_done - unpacked),
                structure_us: micros(discovery_done.elapsed()),
                reused,
                findings_reused,
            },
        }
    }
}

/// An analysis job halfway: the syntax tree and semantic model are built, the rules have not run.
pub(crate) struct StructuredJob {
    uri: lsp::Uri,
    version: i32,
    stamp: Stamp,
    project: Arc<ProjectFacts>,
    config: Option<Arc<ConfigFile>>,
    discovered: bool,
    settings: Settings,
    inputs: RuleInputs,
    encoding: PositionEncoding,
    wanted: Wanted,
    fs: OverlayFs,
    text: Arc<String>,
    index: Arc<LineIndex>,
    structured: crate::analysis::Structured,
    /// The structure of this version, for the requests that need no findings.
    pub(crate) structure: Arc<Structure>,
    timings: JobTimings,
}

/// What the first half of a job measured, logged with the second half's.
struct JobTimings {
    free_us: u64,
    discovery_us: u64,
    structure_us: u64,
    reused: bool,
    findings_reused: bool,
}

impl StructuredJob {
    /// The second half of [`AnalysisJob::run`]: runs the rules and converts the findings.
    pub(crate) fn finish(self) -> AnalysisOutput {
        let started = Instant::now();
        let analysis = self.structured.check(&self.text, &self.project, &self.settings);
        let analysis_done = Instant::now();
        let dockerfile = convert::IndexedText::new(&self.text, &self.index);
        let (found, encoding, fs) = (&analysis.diagnostics, self.encoding, &self.fs);
        let findings = match self.wanted {
            Wanted::Values => Findings::Values(convert::diagnostics(&self.uri, &dockerfile, found, encoding, fs)),
            Wanted::Json => Findings::Json(convert::diagnostics_json(&self.uri, &dockerfile, found, encoding, fs)),
            Wanted::Nothing => Findings::Nothing,
        };
        let timings = &self.timings;
        let rules_us = micros(analysis_done - started);
        tracing::debug!(
            free_us = timings.free_us,
            discovery_us = timings.discovery_us,
            reused = timings.reused,
            findings_reused = timings.findings_reused,
            structure_us = timings.structure_us,
            rules_us,
            analysis_us = timings.structure_us + rules_us,
            convert_us = micros(analysis_done.elapsed()),
            findings = found.len(),
            "analysed {}",
            self.uri.as_str()
        );
        let analyzed = Arc::new(Analyzed { structure: self.structure, analysis, inputs: self.inputs });
        AnalysisOutput {
            uri: self.uri,
            version: self.version,
            stamp: self.stamp,
            project: self.project,
            config: self.config,
            discovered: self.discovered,
            findings,
            analyzed,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use crate::text::LineCol;

    use super::*;

    fn uri(s: &str) -> lsp::Uri {
        lsp::Uri::from_str(s).unwrap()
    }

    #[test]
    fn edits_bump_the_revision_and_keep_the_cache() {
        let mut session = Session::default();
        let dockerfile = uri("file:///w/Dockerfile");
        let effect = session.open(dockerfile.clone(), "FROM x\n", 1, "dockerfile");
        assert_eq!(effect.dockerfiles, vec![dockerfile.clone()]);
        let job = session.analysis_job(&dockerfile, PositionEncoding::Utf16, Wanted::Nothing).unwrap();
        session.store_project(&dockerfile, job.stamp.project_epoch, Arc::new(ProjectFacts::default()));
        let change = Change { range: Some((LineCol { line: 0, col: 5 }, LineCol { line: 0, col: 6 })), text: "y" };
        session.change(&dockerfile, 2, &[change], PositionEncoding::Utf16);
        assert!(!session.is_current(&dockerfile, job.stamp));
        let open = session.document(&dockerfile).unwrap();
        assert_eq!(open.doc.text(), "FROM y\n");
        assert!(open.project.is_some(), "a Dockerfile edit keeps the project facts");
    }

    #[test]
    fn project_files_invalidate_nearby_dockerfiles_only() {
        let mut session = Session::default();
        let near = uri("file:///w/app/Dockerfile");
        let far = uri("file:///w/other/Dockerfile");
        session.open(near.clone(), "", 1, "dockerfile");
        session.open(far.clone(), "", 1, "dockerfile");
        let effect = session.open(uri("file:///w/app/pyproject.toml"), "[project]\n", 1, "toml");
        assert_eq!(effect.dockerfiles, vec![near.clone()]);
        let effect = session.project_files_changed(&[PathBuf::from("/w/.dockerignore")]);
        assert_eq!(effect.dockerfiles.len(), 2);
    }

    #[test]
    fn discovery_sees_open_buffers() {
        let mut session = Session::default();
        let dockerfile = uri("file:///w/Dockerfile");
        session.open(dockerfile.clone(), "", 1, "dockerfile");
        session.open(uri("file:///w/.python-version"), "3.13\n", 1, "plaintext");
        let job = session.analysis_job(&dockerfile, PositionEncoding::Utf8, Wanted::Nothing).unwrap();
        use crate::project::FileSystem;
        assert_eq!(job.fs.read_to_string(Path::new("/w/.python-version")).unwrap(), "3.13\n");
    }

    #[test]
    fn a_stale_discovery_is_not_cached() {
        let mut session = Session::default();
        let dockerfile = uri("file:///w/Dockerfile");
        session.open(dockerfile.clone(), "", 1, "dockerfile");
        let job = session.analysis_job(&dockerfile, PositionEncoding::Utf8, Wanted::Nothing).unwrap();
        session.project_files_changed(&[PathBuf::from("/w/pyproject.toml")]);
        session.store_project(&dockerfile, job.stamp.project_epoch, Arc::new(ProjectFacts::default()));
        assert!(session.document(&dockerfile).unwrap().project.is_none());
    }

    #[test]
    fn the_structure_is_current_before_the_rules_finish_and_never_after_an_edit() {
        let mut session = Session::default();
        let dockerfile = uri("file:///w/Dockerfile");
        session.open(dockerfile.clone(), "FROM python:3.12 AS build\nRUN uv sync\n", 1, "dockerfile");
        let job = session.analysis_job(&dockerfile, PositionEncoding::Utf8, Wanted::Nothing).unwrap();
        let mut handed_over = None;
        let output = job.run(|structure| handed_over = Some(structure));
        let structure = handed_over.expect("the structure is handed over");
        assert!(structure.model.diagnostics.is_empty());
        assert_eq!(structure.model.semantics.stages.len(), 1);
        assert!(!output.analyzed.analysis.diagnostics.is_empty(), "the analysis has the findings");
        assert!(Arc::ptr_eq(&structure, &output.analyzed.structure), "one structure per version");

        // Handed over while the rules run: current for the outline, no analysis yet.
        session.store_structure(&dockerfile, structure.clone());
        assert!(session.current_structure(&dockerfile).is_some_and(|it| Arc::ptr_eq(&it, &structure)));
        assert!(session.current_analysis(&dockerfile).is_none());
        // The analysis arrives and carries the same structure.
        session.store_analysis(&dockerfile, output.analyzed.clone());
        assert!(session.current_structure(&dockerfile).is_some_and(|it| Arc::ptr_eq(&it, &structure)));

        // After an edit neither describes the text, and a late structure of the old version is
        // not kept.
        let change = Change { range: None, text: "FROM scratch\n" };
        session.change(&dockerfile, 2, &[change], PositionEncoding::Utf8);
        assert!(session.current_structure(&dockerfile).is_none());
        session.store_structure(&dockerfile, structure);
        assert!(session.current_structure(&dockerfile).is_none());
        let next = session.analysis_job(&dockerfile, PositionEncoding::Utf8, Wanted::Nothing).unwrap();
        assert!(next.stale.0.is_some(), "the job frees the previous analysis");
    }

    #[test]
    fn only_edits_of_an_analysed_document_with_known_project_facts_are_follow_ups() {
        let mut session = Session::default();
        let dockerfile = uri("file:///w/Dockerfile");
        session.open(dockerfile.clone(), "FROM python:3.12\nRUN uv sync\n", 1, "dockerfile");
        let first = session.analysis_job(&dockerfile, PositionEncoding::Utf8, Wanted::Nothing).unwrap();
        assert!(!first.is_follow_up(), "a first analysis discovers the project and runs every rule");
        let stamp = first.stamp;
        let output = first.run(|_| ());
        session.store_project(&dockerfile, stamp.project_epoch, output.project.clone());
        session.store_analysis(&dockerfile, output.analyzed);

        // Edits the document and analyses it as the server would; says whether that was a
        // follow-up.
        let edit_and_analyse = |session: &mut Session, version, text| {
            let change = Change { range: Some((LineCol { line: 1, col: 11 }, LineCol { line: 1, col: 11 })), text };
            session.change(&dockerfile, version, &[change], PositionEncoding::Utf8);
            let job = session.analysis_job(&dockerfile, PositionEncoding::Utf8, Wanted::Nothing).unwrap();
            let (follow_up, built_on_previous) = (job.is_follow_up(), job.stale.0.is_some());
            let output = job.run(|_| ());
            session.store_project(&dockerfile, output.stamp.project_epoch, output.project.clone());
            session.store_analysis(&dockerfile, output.analyzed.clone());
            (follow_up, built_on_previous, output)
        };
        let (follow_up, _, output) = edit_and_analyse(&mut session, 2, " --locked");
        assert!(follow_up);
        assert!(output.analyzed.analysis.diagnostics.iter().all(|it| it.code != "UV001"), "the edit is analysed");
        assert!(edit_and_analyse(&mut session, 3, " ").0, "the next edit builds on the stored analysis");

        // New project facts are discovered again, off the runtime thread.
        session.project_files_changed(&[PathBuf::from("/w/pyproject.toml")]);
        let (follow_up, built_on_previous, _) = edit_and_analyse(&mut session, 4, " ");
        assert!(built_on_previous && !follow_up);
        assert!(edit_and_analyse(&mut session, 5, " ").0, "the facts are cached again");
    }

    #[test]
    fn changes_to_unknown_documents_are_ignored() {
        let mut session = Session::default();
        let effect = session.change(
            &uri("file:///w/Dockerfile"),
            3,
            &[Change { range: None, text: "x" }],
            PositionEncoding::Utf16,
        );
        assert_eq!(effect, Effect::default());
        assert_eq!(session.close(&uri("file:///w/Dockerfile")), Effect::default());
    }
}
