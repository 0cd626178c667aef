//! The LSP handlers, and the task that publishes diagnostics.
//!
//! Ordering rules:
//! - Document notifications (`didOpen`, `didChange`, `didClose`) update the session before their
//!   first `.await`; tower-lsp-server starts handlers in arrival order, so edits are applied in
//!   order even though handlers run concurrently.
//! - Pushed diagnostics come from a single publishing task fed by a channel of URIs. It analyses
//!   the latest snapshot of each URI and drops a result whose document changed meanwhile (the
//!   change queued the URI again), so an older version's diagnostics can never follow a newer
//!   one's, and a close (which also goes through the channel) is never overtaken.

use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Instant;

use serde::Serialize;
use serde_json::json;
use tokio::sync::{Notify, mpsc};
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::{Client, LanguageServer};

use crate::server::document::Change;
use crate::server::session::{AnalysisJob, AnalysisOutput, Effect, Findings, Session, Structure, Wanted, micros};
use crate::server::settings;
use crate::server::workspace::{self, PROJECT_FILE_GLOBS};
use crate::server::{completion, convert, features, navigation, registry_actions, stdio, transport};
use crate::text::PositionEncoding;

/// What was agreed with the client in `initialize`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Negotiated {
    pub(crate) encoding: PositionEncoding,
    /// The client pulls diagnostics (`textDocument/diagnostic`), so the server does not push.
    pull_diagnostics: bool,
    /// The client accepts `workspace/diagnostic/refresh`.
    diagnostic_refresh: bool,
    /// The client lets the server register file watchers.
    watch_files: bool,
    /// The client answers `workspace/configuration`.
    configuration: bool,
    /// The client applies `CreateFile` operations in workspace edits.
    pub(crate) create_files: bool,
    /// The client accepts snippet syntax in completion items.
    pub(crate) snippet_support: bool,
    /// The client fills in a code action's edit through `codeAction/resolve`.
    pub(crate) code_action_resolve: bool,
    /// The client shows disabled code actions with their reason.
    pub(crate) disabled_actions: bool,
}

pub(crate) struct Backend {
    client: Client,
    pub(crate) shared: Arc<Shared>,
}

pub(crate) struct Shared {
    session: Mutex<Session>,
    negotiated: OnceLock<Negotiated>,
    shutdown_received: Arc<AtomicBool>,
    /// URIs to publish, with when they were queued (for the timing log).
    queue: mpsc::UnboundedSender<(lsp::Uri, Instant)>,
    /// Documents queued for publishing and not yet published, each with the number of the
    /// latest queueing: their analysis is on its way, and requests wait for it (see
    /// [`Shared::awaiting_publish`]) instead of running a second one.
    publish_pending: Mutex<HashMap<lsp::Uri, u64>>,
    publish_counter: AtomicU64,
    /// Woken whenever the publishing task stores an analysis or finishes with a document.
    publish_progress: Notify,
}

impl Shared {
    /// Locks the session. A panic while it was held must not take every later request down
    /// with it, so poisoning is ignored: the worst a panic mid-update leaves behind is one
    /// half-applied edit, which the client's next full sync or reopen repairs.
    pub(crate) fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Between the `initialize` answer and `shutdown`: the window in which requests are served.
    /// Requests the transport answers itself check it, as the library does for the others.
    pub(crate) fn serving(&self) -> bool {
        self.negotiated.get().is_some() && !self.shutdown_received.load(Ordering::SeqCst)
    }

    pub(crate) fn negotiated(&self) -> Negotiated {
        self.negotiated.get().copied().unwrap_or(Negotiated {
            encoding: PositionEncoding::Utf16,
            pull_diagnostics: false,
            diagnostic_refresh: false,
            watch_files: false,
            configuration: false,
            create_files: false,
            snippet_support: false,
            code_action_resolve: false,
            disabled_actions: false,
        })
    }

    fn pending(&self) -> MutexGuard<'_, HashMap<lsp::Uri, u64>> {
        self.publish_pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes that `uri` is queued for publishing.
    fn queue_publish(&self, uri: &lsp::Uri) {
        let turn = self.publish_counter.fetch_add(1, Ordering::Relaxed);
        self.pending().insert(uri.clone(), turn);
    }

    /// Whether the publishing task will analyse `uri` (a request may wait for that analysis).
    pub(crate) fn awaiting_publish(&self, uri: &lsp::Uri) -> bool {
        self.pending().contains_key(uri)
    }

    /// A future that completes at the publishing task's next progress; create it before checking
    /// the state it is to wait on, so that no progress falls in between.
    pub(crate) fn publish_progress(&self) -> tokio::sync::futures::Notified<'_> {
        self.publish_progress.notified()
    }

    /// What a publishing job does with the structure of its version, ready before the rules
    /// have run: keep it for the requests that need no findings, and wake those waiting.
    fn keep_structure(self: &Arc<Self>, uri: &lsp::Uri) -> impl FnOnce(Arc<Structure>) + Send + 'static {
        let (shared, uri) = (self.clone(), uri.clone());
        move |structure| {
            shared.session().store_structure(&uri, structure);
            shared.publish_progress.notify_waiters();
        }
    }

    /// Caches discovered project facts and the analysis when they are still current.
    pub(crate) fn remember_project(&self, output: &AnalysisOutput) {
        let mut session = self.session();
        if output.discovered {
            session.store_project(&output.uri, output.stamp.project_epoch, output.project.clone());
            session.store_config(&output.uri, output.stamp.project_epoch, output.config.clone());
        }
        session.store_analysis(&output.uri, output.analyzed.clone());
    }
}

impl Backend {
    /// Creates the backend and starts its publishing task (which needs a Tokio runtime).
    pub(crate) fn new(client: Client, shutdown_received: Arc<AtomicBool>) -> Backend {
        let (queue, jobs) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            session: Mutex::new(Session::default()),
            negotiated: OnceLock::new(),
            shutdown_received,
            queue,
            publish_pending: Mutex::new(HashMap::new()),
            publish_counter: AtomicU64::new(0),
            publish_progress: Notify::new(),
        });
        tokio::spawn(publish_diagnostics(shared.clone(), jobs));
        Backend { client, shared }
    }

    /// Acts on what a notification changed: queue pushes, or ask a pulling client to re-pull.
    fn schedule(&self, effect: Effect, project_changed: bool) {
        if effect.dockerfiles.is_empty() {
            return;
        }
        let negotiated = self.shared.negotiated();
        if !negotiated.pull_diagnostics {
            for uri in effect.dockerfiles {
                self.shared.queue_publish(&uri);
                // The receiver lives as long as the runtime; a send can only fail during teardown.
                let _ = self.shared.queue.send((uri, Instant::now()));
            }
            return;
        }
        if project_changed && negotiated.diagnostic_refresh {
            let client = self.client.clone();
            tokio::spawn(async move {
                if let Err(err) = client.workspace_diagnostic_refresh().await {
                    tracing::warn!("workspace/diagnostic/refresh failed: {err}");
                }
            });
        }
    }

    /// Asks the client for the `berth` section (`workspace/configuration`) and applies it.
    fn pull_configuration(&self) {
        if !self.shared.negotiated().configuration {
            return;
        }
        let backend = Backend { client: self.client.clone(), shared: self.shared.clone() };
        tokio::spawn(async move {
            let item = lsp::ConfigurationItem { scope_uri: None, section: Some("berth".to_owned()) };
            let values = match backend.client.configuration(vec![item]).await {
                Ok(values) => values,
                Err(err) => {
                    tracing::warn!("workspace/configuration failed: {err}");
                    return;
                }
            };
            // A client without berth settings answers `null`; the earlier settings then stay.
            let Some(options) = values.first().and_then(settings::options_from_json) else { return };
            let effect = backend.shared.session().set_settings(options);
            backend.schedule(effect, true);
        });
    }

    /// `berth/viewFileText`: the text of an open document as the server sees it (like
    /// rust-analyzer's "View File Text"), for diagnosing synchronisation problems.
    pub(crate) async fn view_file_text(&self, params: lsp::TextDocumentIdentifier) -> Result<Option<ViewFileText>> {
        let session = self.shared.session();
        Ok(session.document(&params.uri).map(|open| ViewFileText {
            version: open.doc.version(),
            language_id: open.doc.language_id().to_owned(),
            text: open.doc.text(),
        }))
    }
}

/// The result of `berth/viewFileText`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ViewFileText {
    version: i32,
    language_id: String,
    text: String,
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let caps = &params.capabilities;
        let encoding = convert::negotiate_encoding(
            caps.general.as_ref().and_then(|general| general.position_encodings.as_deref()),
        );
        let pull_diagnostics = caps.text_document.as_ref().is_some_and(|text| text.diagnostic.is_some());
        let workspace = caps.workspace.as_ref();
        let code_action_caps = caps.text_document.as_ref().and_then(|text| text.code_action.as_ref());
        let negotiated = Negotiated {
            encoding,
            pull_diagnostics,
            diagnostic_refresh: workspace
                .and_then(|w| w.diagnostics.as_ref())
                .and_then(|d| d.refresh_support)
                .unwrap_or(false),
            watch_files: workspace
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|w| w.dynamic_registration)
                .unwrap_or(false),
            configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
            create_files: workspace
                .and_then(|w| w.workspace_edit.as_ref())
                .and_then(|w| w.resource_operations.as_ref())
                .is_some_and(|ops| ops.contains(&lsp::ResourceOperationKind::Create)),
            snippet_support: caps
                .text_document
                .as_ref()
                .and_then(|text| text.completion.as_ref())
                .and_then(|completion| completion.completion_item.as_ref())
                .and_then(|item| item.snippet_support)
                .unwrap_or(false),
            code_action_resolve: code_action_caps
                .and_then(|it| it.resolve_support.as_ref())
                .is_some_and(|it| it.properties.iter().any(|property| property == "edit")),
            disabled_actions: code_action_caps.and_then(|it| it.disabled_support).unwrap_or(false),
        };
        if self.shared.negotiated.set(negotiated).is_err() {
            // tower-lsp-server rejects a second `initialize` before it gets here.
            return Err(Error::invalid_request());
        }

        let folders: Vec<_> = match &params.workspace_folders {
            Some(folders) => folders.iter().filter_map(|folder| convert::uri_to_path(&folder.uri)).collect(),
            #[expect(deprecated, reason = "rootUri is the fallback for clients without workspace folders")]
            None => params.root_uri.as_ref().and_then(convert::uri_to_path).into_iter().collect(),
        };
        tracing::info!(?encoding, pull_diagnostics, ?folders, "initialize");
        self.shared.session().set_folders(folders);
        if let Some(options) = params.initialization_options.as_ref().and_then(settings::options_from_json) {
            self.shared.session().set_settings(options);
        }

        let diagnostic_provider = pull_diagnostics.then(|| {
            lsp::DiagnosticServerCapabilities::Options(lsp::DiagnosticOptions {
                identifier: Some("berth".to_owned()),
                inter_file_dependencies: true,
                workspace_diagnostics: false,
                work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
            })
        });
        let mut capabilities = lsp::ServerCapabilities {
            position_encoding: Some(convert::encoding_kind(encoding)),
            text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                ..lsp::TextDocumentSyncOptions::default()
            })),
            diagnostic_provider,
            hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
            code_action_provider: Some(features::code_action_capability()),
            completion_provider: Some(completion::completion_capability()),
            signature_help_provider: Some(completion::signature_help_capability()),
            workspace: Some(lsp::WorkspaceServerCapabilities {
                workspace_folders: Some(lsp::WorkspaceFoldersServerCapabilities {
                    supported: Some(true),
                    change_notifications: Some(lsp::OneOf::Left(true)),
                }),
                file_operations: None,
            }),
            ..lsp::ServerCapabilities::default()
        };
        navigation::add_capabilities(&mut capabilities);
        Ok(lsp::InitializeResult {
            capabilities,
            server_info: Some(lsp::ServerInfo {
                name: "berth".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        self.pull_configuration();
        if !self.shared.negotiated().watch_files {
            return;
        }
        let watchers: Vec<_> = PROJECT_FILE_GLOBS
            .iter()
            .map(|glob| lsp::FileSystemWatcher {
                glob_pattern: lsp::GlobPattern::String((*glob).to_owned()),
                kind: None,
            })
            .collect();
        let registration = lsp::Registration {
            id: "berth-project-files".to_owned(),
            method: "workspace/didChangeWatchedFiles".to_owned(),
            register_options: Some(json!(lsp::DidChangeWatchedFilesRegistrationOptions { watchers })),
        };
        // Waiting for the client's answer here would hold one of the library's few concurrent
        // handler slots for as long as the client takes.
        let client = self.client.clone();
        tokio::spawn(async move {
            if let Err(err) = client.register_capability(vec![registration]).await {
                tracing::warn!("could not register file watchers: {err}");
            }
        });
    }

    async fn shutdown(&self) -> Result<()> {
        self.shared.shutdown_received.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let effect = self.shared.session().open(doc.uri.clone(), doc.text, doc.version, &doc.language_id);
        // Opening a Dockerfile names only itself; opening a project file names its Dockerfiles.
        let project_changed = !effect.dockerfiles.contains(&doc.uri);
        self.schedule(effect, project_changed);
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        let encoding = self.shared.negotiated().encoding;
        let changes: Vec<Change<'_>> = params
            .content_changes
            .iter()
            .map(|change| Change {
                range: change.range.map(|range| (convert::line_col(range.start), convert::line_col(range.end))),
                text: &change.text,
            })
            .collect();
        let uri = &params.text_document.uri;
        let effect = self.shared.session().change(uri, params.text_document.version, &changes, encoding);
        let project_changed = !effect.dockerfiles.contains(uri);
        self.schedule(effect, project_changed);
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        let effect = self.shared.session().close(&uri);
        // A closed Dockerfile is queued so its diagnostics get cleared; a pulling client
        // forgets pulled diagnostics on close by itself.
        let project_changed = !effect.dockerfiles.contains(&uri);
        self.schedule(effect, project_changed);
    }

    async fn did_change_watched_files(&self, params: lsp::DidChangeWatchedFilesParams) {
        let changed: Vec<_> = params
            .changes
            .iter()
            .filter_map(|event| convert::uri_to_path(&event.uri))
            .filter(|path| path.file_name().and_then(|name| name.to_str()).is_some_and(workspace::is_project_file_name))
            .collect();
        if changed.is_empty() {
            return;
        }
        let effect = self.shared.session().project_files_changed(&changed);
        self.schedule(effect, true);
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        // Push-style clients send the settings along; pull-style ones send `null` and expect
        // the server to ask.
        match settings::options_from_json(&params.settings) {
            Some(options) if params.settings.get("berth").is_some() || !self.shared.negotiated().configuration => {
                let effect = self.shared.session().set_settings(options);
                self.schedule(effect, true);
            }
            _ => self.pull_configuration(),
        }
    }

    async fn did_change_workspace_folders(&self, params: lsp::DidChangeWorkspaceFoldersParams) {
        let effect = {
            let mut session = self.shared.session();
            let removed: Vec<_> =
                params.event.removed.iter().filter_map(|folder| convert::uri_to_path(&folder.uri)).collect();
            let mut folders: Vec<_> =
                session.folders().iter().filter(|folder| !removed.contains(folder)).cloned().collect();
            for added in params.event.added.iter().filter_map(|folder| convert::uri_to_path(&folder.uri)) {
                if !folders.contains(&added) {
                    folders.push(added);
                }
            }
            session.set_folders(folders);
            session.all_projects_changed()
        };
        self.schedule(effect, true);
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        features::hover(&self.shared, params).await
    }

    async fn code_action(&self, params: lsp::CodeActionParams) -> Result<Option<lsp::CodeActionResponse>> {
        let pins = registry_actions::pin_actions(&self.shared, &params).await;
        let mut response = features::code_action(&self.shared, params).await?;
        if let Some(actions) = response.as_mut() {
            actions.extend(pins);
        }
        Ok(response)
    }

    async fn code_action_resolve(&self, action: lsp::CodeAction) -> Result<lsp::CodeAction> {
        registry_actions::resolve(&self.shared, action).await
    }

    async fn completion(&self, params: lsp::CompletionParams) -> Result<Option<lsp::CompletionResponse>> {
        completion::completion(&self.shared, params).await
    }

    async fn signature_help(&self, params: lsp::SignatureHelpParams) -> Result<Option<lsp::SignatureHelp>> {
        completion::signature_help(&self.shared, params).await
    }

    async fn goto_definition(&self, params: lsp::GotoDefinitionParams) -> Result<Option<lsp::GotoDefinitionResponse>> {
        navigation::definition(&self.shared, params).await
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        navigation::references(&self.shared, params).await
    }

    async fn document_highlight(
        &self,
        params: lsp::DocumentHighlightParams,
    ) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
        navigation::document_highlight(&self.shared, params).await
    }

    async fn prepare_rename(
        &self,
        params: lsp::TextDocumentPositionParams,
    ) -> Result<Option<lsp::PrepareRenameResponse>> {
        navigation::prepare_rename(&self.shared, params).await
    }

    async fn rename(&self, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
        navigation::rename(&self.shared, params).await
    }

    async fn document_symbol(&self, params: lsp::DocumentSymbolParams) -> Result<Option<lsp::DocumentSymbolResponse>> {
        navigation::document_symbol(&self.shared, params).await
    }

    async fn folding_range(&self, params: lsp::FoldingRangeParams) -> Result<Option<Vec<lsp::FoldingRange>>> {
        navigation::folding_range(&self.shared, params).await
    }

    async fn semantic_tokens_full(
        &self,
        params: lsp::SemanticTokensParams,
    ) -> Result<Option<lsp::SemanticTokensResult>> {
        navigation::semantic_tokens_full(&self.shared, params).await
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: lsp::SemanticTokensDeltaParams,
    ) -> Result<Option<lsp::SemanticTokensFullDeltaResult>> {
        navigation::semantic_tokens_full_delta(&self.shared, params).await
    }

    async fn semantic_tokens_range(
        &self,
        params: lsp::SemanticTokensRangeParams,
    ) -> Result<Option<lsp::SemanticTokensRangeResult>> {
        navigation::semantic_tokens_range(&self.shared, params).await
    }

    async fn document_link(&self, params: lsp::DocumentLinkParams) -> Result<Option<Vec<lsp::DocumentLink>>> {
        navigation::document_link(&self.shared, params).await
    }

    async fn inlay_hint(&self, params: lsp::InlayHintParams) -> Result<Option<Vec<lsp::InlayHint>>> {
        navigation::inlay_hint(&self.shared, params).await
    }

    async fn diagnostic(&self, params: lsp::DocumentDiagnosticParams) -> Result<lsp::DocumentDiagnosticReportResult> {
        let encoding = self.shared.negotiated().encoding;
        let job = self.shared.session().analysis_job(&params.text_document.uri, encoding, Wanted::Values);
        let Some(job) = job else {
            return Ok(full_report(None, Vec::new()));
        };
        let result_id = job.stamp.result_id();
        if params.previous_result_id.as_deref() == Some(result_id.as_str()) {
            return Ok(lsp::DocumentDiagnosticReportResult::Report(lsp::DocumentDiagnosticReport::Unchanged(
                lsp::RelatedUnchangedDocumentDiagnosticReport {
                    related_documents: None,
                    unchanged_document_diagnostic_report: lsp::UnchangedDocumentDiagnosticReport { result_id },
                },
            )));
        }
        let output = run_job(job, |_| ()).await.ok_or_else(Error::internal_error)?;
        self.shared.remember_project(&output);
        let Findings::Values(items) = output.findings else { return Err(Error::internal_error()) };
        Ok(full_report(Some(result_id), items))
    }
}

fn full_report(result_id: Option<String>, items: Vec<lsp::Diagnostic>) -> lsp::DocumentDiagnosticReportResult {
    lsp::DocumentDiagnosticReportResult::Report(lsp::DocumentDiagnosticReport::Full(
        lsp::RelatedFullDocumentDiagnosticReport {
            related_documents: None,
            full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport { result_id, items },
        },
    ))
}

/// Runs an analysis; `None` when it panicked (already logged).
///
/// A follow-up of an edit ([`AnalysisJob::is_follow_up`]) runs right here on the runtime
/// thread: it takes about a millisecond even on a file of thousands of lines, while handing it
/// to another thread and back costs two thread wake-ups, and on a busy or virtualised machine a
/// wake-up of an idle thread is measured to wait up to a scheduler tick (4 ms) about one time in
/// four. Everything else (first analyses, new project facts: file reads and full runs) goes to
/// the blocking pool so that messages keep being handled meanwhile.
///
/// The document's previous analysis (a syntax tree and semantic model of the whole file) is freed
/// on the blocking thread just before the new one is built: two analyses of a large file alive at
/// once would double the server's resident memory, while freeing costs a fraction of the analysis,
/// and the new analysis reuses the memory just freed in the same allocator arena.
pub(crate) async fn run_job(
    job: AnalysisJob,
    structure_ready: impl FnOnce(Arc<Structure>) + Send + 'static,
) -> Option<AnalysisOutput> {
    let uri = job.uri.clone();
    if job.is_follow_up() {
        tracing::debug!(queued_us = 0, "analysis started");
        let structured = unless_panicked(&uri, || job.structure())?;
        structure_ready(structured.structure.clone());
        // Requests that came in with the edit (completion, the outline, semantic tokens) need
        // only the structure: they are answered now, before the rules run.
        tokio::task::yield_now().await;
        return unless_panicked(&uri, || structured.finish());
    }
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let queued = Instant::now();
    let spawned = tokio::task::spawn_blocking(move || {
        tracing::debug!(queued_us = micros(queued.elapsed()), "analysis started");
        // The receiver only goes away when the request that wanted this was cancelled.
        let _ = sender.send(job.run(structure_ready));
    });
    match receiver.await {
        Ok(output) => Some(output),
        Err(_) => {
            // The sender was dropped without sending: `run` panicked. The join error says how.
            match spawned.await {
                Err(err) => tracing::error!("analysis of {} failed: {err}", uri.as_str()),
                Ok(()) => tracing::error!("analysis of {} ended without a result", uri.as_str()),
            }
            None
        }
    }
}

/// Runs one part of the analysis of `uri`; `None` when it panicked. The panic hook has written
/// the panic's message to stderr; here it ends the job.
fn unless_panicked<T>(uri: &lsp::Uri, part: impl FnOnce() -> T) -> Option<T> {
    let result = catch_unwind(AssertUnwindSafe(part));
    if result.is_err() {
        tracing::error!("analysis of {} panicked", uri.as_str());
    }
    result.ok()
}

/// The publishing task: the only place that sends `textDocument/publishDiagnostics`.
async fn publish_diagnostics(shared: Arc<Shared>, mut jobs: mpsc::UnboundedReceiver<(lsp::Uri, Instant)>) {
    let mut batch = Vec::new();
    let mut seen = HashSet::new();
    while let Some(job) = jobs.recv().await {
        batch.push(job);
        // Everything queued meanwhile is handled together, each URI once, at its latest state
        // (timed from its first request).
        while let Ok(job) = jobs.try_recv() {
            batch.push(job);
        }
        seen.clear();
        batch.retain(|(uri, _)| seen.insert(uri.clone()));
        for (uri, queued) in batch.drain(..) {
            publish_one(&shared, uri, queued).await;
        }
    }
}

/// Runs a tiny analysis on the blocking thread so that the knowledge tables and other lazily
/// built data are ready before the first document arrives, instead of being paid for by the
/// first `didOpen`. Started with the server, it runs while the client and the server exchange
/// `initialize`. (A larger file would also warm the allocator and caches for a first large
/// document, but an editor that opens a small file at once would wait for it.)
pub(crate) fn warm_up() {
    tokio::task::spawn_blocking(|| {
        let started = Instant::now();
        let text = crate::syntax::sample::sample_large_dockerfile(40);
        let analysis = crate::analysis::analyze(&text, &crate::project::ProjectFacts::default());
        let codes: HashSet<&str> = analysis.diagnostics.iter().map(|it| it.code).collect();
        let urls = codes.iter().map(|code| crate::rules::doc_url(code).len()).sum::<usize>();
        tracing::debug!(micros = micros(started.elapsed()), urls, "warmed up");
    });
}

/// Marks the end of one document's turn in the publishing task, however it ends: the document
/// is no longer pending unless it was queued again meanwhile, and waiting requests look again.
struct PublishTurn<'a> {
    shared: &'a Shared,
    uri: lsp::Uri,
    turn: Option<u64>,
}

impl Drop for PublishTurn<'_> {
    fn drop(&mut self) {
        {
            let mut pending = self.shared.pending();
            if pending.get(&self.uri).copied() == self.turn {
                pending.remove(&self.uri);
            }
        }
        self.shared.publish_progress.notify_waiters();
    }
}

async fn publish_one(shared: &Arc<Shared>, uri: lsp::Uri, queued: Instant) {
    let started = Instant::now();
    let turn = shared.pending().get(&uri).copied();
    let _turn = PublishTurn { shared, uri: uri.clone(), turn };
    let encoding = shared.negotiated().encoding;
    let job = shared.session().analysis_job(&uri, encoding, Wanted::Json);
    let Some(job) = job else {
        // Closed, or reopened as something that is not a Dockerfile: clear what was published.
        publish(&lsp::PublishDiagnosticsParams { uri, diagnostics: Vec::new(), version: None });
        return;
    };
    let Some(output) = run_job(job, shared.keep_structure(&uri)).await else {
        return;
    };
    let analysed = Instant::now();
    shared.remember_project(&output);
    shared.publish_progress.notify_waiters();
    if !shared.session().is_current(&output.uri, output.stamp) {
        // The document changed (or closed) meanwhile and is queued again.
        return;
    }
    let version = output.version;
    match output.findings {
        Findings::Json(text) => publish_json(&output.uri, &text, version),
        Findings::Values(diagnostics) => {
            publish(&lsp::PublishDiagnosticsParams { uri: output.uri, diagnostics, version: Some(version) });
        }
        Findings::Nothing => return,
    }
    tracing::debug!(
        target: transport::TIMING_TARGET,
        method = "textDocument/publishDiagnostics",
        version,
        micros = micros(queued.elapsed()),
        "handled"
    );
    tracing::debug!(job_us = micros(analysed - started), publish_us = micros(analysed.elapsed()), version, "published");
}

/// Sends `textDocument/publishDiagnostics` for `diagnostics`, the JSON text of the list (see
/// [`convert::diagnostics_json`]): the same message as [`publish`], pieced together.
fn publish_json(uri: &lsp::Uri, diagnostics: &[u8], version: i32) {
    let mut head = br#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"uri":"#.to_vec();
    // A URI as a JSON string cannot fail to serialise.
    let _ = serde_json::to_writer(&mut head, uri);
    head.extend_from_slice(br#","diagnostics":"#);
    let tail = format!(r#","version":{version}}}}}"#);
    if let Err(err) = stdio::write_frame_parts(&[&head, diagnostics, tail.as_bytes()]) {
        tracing::warn!("could not write diagnostics to stdout: {err}");
    }
}

/// A notification as JSON-RPC frames it.
#[derive(Serialize)]
struct Notification<'a, P> {
    jsonrpc: &'static str,
    method: &'a str,
    params: P,
}

/// Sends `textDocument/publishDiagnostics`, serialised straight to text and written to stdout.
///
/// The library's `Client` would first build a `serde_json::Value` tree of the whole message (for a
/// file with hundreds of findings, about as costly as writing the text), then pass it through two
/// more tasks. Every push goes through here, from the one publishing task, so pushes keep their
/// order.
fn publish(params: &lsp::PublishDiagnosticsParams) {
    let method = "textDocument/publishDiagnostics";
    let body = match serde_json::to_vec(&Notification { jsonrpc: "2.0", method, params }) {
        Ok(body) => body,
        Err(err) => {
            tracing::error!("could not serialise diagnostics: {err}");
            return;
        }
    };
    if let Err(err) = stdio::write_frame(&body) {
        // The client is gone; stdin will end too and the server with it.
        tracing::warn!("could not write diagnostics to stdout: {err}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panicking_part_of_an_analysis_ends_the_job_without_ending_the_server() {
        let uri: lsp::Uri = "file:///w/Dockerfile".parse().expect("a URI");
        assert_eq!(unless_panicked(&uri, || 7), Some(7));
        let panicked: Option<()> = unless_panicked(&uri, || panic!("a rule broke"));
        assert_eq!(panicked, None);
        // And the next analysis runs as usual.
        assert_eq!(unless_panicked(&uri, || "next"), Some("next"));
    }
}
