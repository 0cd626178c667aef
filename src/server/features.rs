//! Hover and code actions, and how every request finds the current analysis of its document.
//!
//! The analysis behind published diagnostics is cached per document. A request about a version
//! just edited waits for the analysis already queued for publishing (code actions, which need the
//! findings) or only for its structure, handed over before the rules run (everything else); when
//! none is coming it runs the analysis itself. Either way answers describe the text the client has.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types as lsp;

use crate::diagnostic::{Applicability, Edit};
use crate::ide::code_actions::{self, ActionKind};
use crate::server::backend::{Shared, run_job};
use crate::server::convert;
use crate::server::session::{Analyzed, Structure, Wanted};
use crate::server::workspace::OverlayFs;
use crate::text::{LineIndex, PositionEncoding, TextRange};

/// The code action kind of "fix all safe findings".
const FIX_ALL_KIND: &str = "source.fixAll.berth";

pub(crate) fn code_action_capability() -> lsp::CodeActionProviderCapability {
    lsp::CodeActionProviderCapability::Options(lsp::CodeActionOptions {
        code_action_kinds: Some(vec![
            lsp::CodeActionKind::QUICKFIX,
            lsp::CodeActionKind::REFACTOR_REWRITE,
            lsp::CodeActionKind::REFACTOR_EXTRACT,
            lsp::CodeActionKind::new(FIX_ALL_KIND),
        ]),
        work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
        // Pinning an image to a digest computes its edit on resolve.
        resolve_provider: Some(true),
    })
}

/// The current analysis of `uri`: cached, or computed now. `None` for documents that are not open
/// Dockerfiles.
pub(crate) async fn analyzed(shared: &Shared, uri: &lsp::Uri) -> Option<Arc<Analyzed>> {
    let encoding = shared.negotiated().encoding;
    let job = loop {
        let progress = shared.publish_progress();
        let job = {
            let mut session = shared.session();
            if let Some(current) = session.current_analysis(uri) {
                return Some(current);
            }
            // The publishing task is about to analyse this document (a request right after an
            // edit): wait for its analysis rather than run the same one a second time.
            match shared.awaiting_publish(uri) {
                true => None,
                false => Some(session.analysis_job(uri, encoding, Wanted::Nothing)),
            }
        };
        match job {
            Some(job) => break job?,
            None => progress.await,
        }
    };
    let output = run_job(job, |_| ()).await?;
    shared.remember_project(&output);
    Some(output.analyzed)
}

/// The current structure of `uri` (syntax tree and semantic model): like [`analyzed`], except
/// that right after an edit it is ready as soon as the publishing task has parsed the new text,
/// without waiting for the rules. `None` for documents that are not open Dockerfiles.
pub(crate) async fn structure(shared: &Shared, uri: &lsp::Uri) -> Option<Arc<Structure>> {
    loop {
        let progress = shared.publish_progress();
        if let Some(current) = shared.session().current_structure(uri) {
            return Some(current);
        }
        if !shared.awaiting_publish(uri) {
            break;
        }
        progress.await;
    }
    Some(analyzed(shared, uri).await?.structure.clone())
}

/// Runs `work`, turning a panic into an internal error so the server keeps serving.
pub(crate) fn guarded<T>(what: &str, work: impl FnOnce() -> T) -> Result<T> {
    let started = std::time::Instant::now();
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|_| {
        tracing::error!("{what} panicked");
        let mut error = Error::internal_error();
        error.message = format!("berth: {what} failed; see the server log").into();
        error
    });
    tracing::debug!(request = what, micros = started.elapsed().as_micros() as u64, "handled");
    res
}

pub(crate) async fn hover(shared: &Shared, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
    let position = params.text_document_position_params;
    let Some(structure) = structure(shared, &position.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("hover", || {
        let offset = structure.index.offset(&structure.text, convert::line_col(position.position), encoding);
        let found = crate::ide::hover::hover(&structure.model, &structure.text, &structure.project, offset)?;
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: found.markdown,
            }),
            range: Some(range(&structure, found.range, encoding)),
        })
    })
}

pub(crate) async fn code_action(
    shared: &Shared,
    params: lsp::CodeActionParams,
) -> Result<Option<lsp::CodeActionResponse>> {
    let uri = params.text_document.uri;
    let Some(analyzed) = analyzed(shared, &uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    let create_files = shared.negotiated().create_files;
    let only = params.context.only;
    guarded("codeAction", || {
        let structure = &analyzed.structure;
        let text = &structure.text;
        let start = structure.index.offset(text, convert::line_col(params.range.start), encoding);
        let end = structure.index.offset(text, convert::line_col(params.range.end), encoding);
        let diagnostics = &analyzed.analysis.diagnostics;
        let indexed = convert::IndexedText::new(text, &structure.index);
        let fix_all_kind = lsp::CodeActionKind::new(FIX_ALL_KIND);
        let fix_all = kind_requested(only.as_deref(), &fix_all_kind, ActionKind::FixAll);
        let range = TextRange::new(start, end.max(start));
        let actions = code_actions::actions_in(&analyzed.analysis, text, &structure.project, range, fix_all);
        let mut response = Vec::new();
        for action in actions {
            let kind = match action.kind {
                ActionKind::QuickFix => lsp::CodeActionKind::QUICKFIX,
                ActionKind::FixAll => lsp::CodeActionKind::new(FIX_ALL_KIND),
                ActionKind::Refactor => lsp::CodeActionKind::REFACTOR_REWRITE,
                ActionKind::Extract => lsp::CodeActionKind::REFACTOR_EXTRACT,
            };
            if !kind_requested(only.as_deref(), &kind, action.kind) {
                continue;
            }
            let fixed = action.diagnostic.and_then(|idx| diagnostics.get(idx)).map(|diagnostic| {
                convert::diagnostics(&uri, &indexed, std::slice::from_ref(diagnostic), encoding, &OverlayFs::default())
            });
            // An edit of a file that does not exist yet needs a `CreateFile` the client may not support.
            // Fix-all leaves out what the client cannot apply; a single action is then not offered.
            let partial = action.kind == ActionKind::FixAll;
            let Some(edit) = workspace_edit(&uri, structure, &action.edits, encoding, create_files, partial) else {
                continue;
            };
            let unsafe_fix = action.applicability == Applicability::Unsafe;
            let applicability = if unsafe_fix { "unsafe" } else { "safe" };
            response.push(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: action.title,
                kind: Some(kind),
                diagnostics: fixed,
                edit: Some(edit),
                is_preferred: (action.preferred && !unsafe_fix).then_some(true),
                data: Some(serde_json::json!({ "applicability": applicability })),
                ..lsp::CodeAction::default()
            }));
        }
        Some(response)
    })
}

/// Whether the client asked for actions of `kind` (`only` lists kinds or their prefixes).
/// Without `only`, source actions such as fix-all are offered only on request, like other
/// servers do, so they don't crowd the quick-fix menu.
fn kind_requested(only: Option<&[lsp::CodeActionKind]>, kind: &lsp::CodeActionKind, action: ActionKind) -> bool {
    match only {
        None => matches!(action, ActionKind::QuickFix | ActionKind::Refactor | ActionKind::Extract),
        Some(only) => only.iter().any(|wanted| {
            let wanted = wanted.as_str();
            kind.as_str() == wanted || kind.as_str().starts_with(&format!("{wanted}."))
        }),
    }
}

fn range(structure: &Structure, range: TextRange, encoding: PositionEncoding) -> lsp::Range {
    lsp::Range {
        start: convert::position(structure.index.line_col(&structure.text, range.start, encoding)),
        end: convert::position(structure.index.line_col(&structure.text, range.end, encoding)),
    }
}

/// Edits grouped by file: the Dockerfile's own, and those of project files (positions computed
/// from the text berth read them with). An edit of a file that does not exist yet becomes a
/// `CreateFile` operation followed by the text edit (`documentChanges`); `None` when the client
/// cannot create files.
fn workspace_edit(
    uri: &lsp::Uri,
    structure: &Structure,
    edits: &[Edit],
    encoding: PositionEncoding,
    create_files: bool,
    partial: bool,
) -> Option<lsp::WorkspaceEdit> {
    let mut changes: HashMap<lsp::Uri, Vec<lsp::TextEdit>> = HashMap::new();
    let mut created: Vec<lsp::Uri> = Vec::new();
    for edit in edits {
        let (target, lsp_range) = match &edit.path {
            None => (uri.clone(), range(structure, edit.range, encoding)),
            Some(path) => {
                let Some(target) = convert::path_to_uri(path) else { continue };
                let known = project_file_text(&structure.project, path);
                if known.is_none() && !path.exists() && !created.contains(&target) {
                    match (create_files, partial) {
                        (true, _) => created.push(target.clone()),
                        (false, true) => continue,
                        (false, false) => return None,
                    }
                }
                let text = known.unwrap_or_default();
                let index = LineIndex::new(&text);
                let lsp_range = lsp::Range {
                    start: convert::position(index.line_col(&text, edit.range.start, encoding)),
                    end: convert::position(index.line_col(&text, edit.range.end, encoding)),
                };
                (target, lsp_range)
            }
        };
        changes.entry(target).or_default().push(lsp::TextEdit { range: lsp_range, new_text: edit.new_text.clone() });
    }
    if created.is_empty() {
        return Some(lsp::WorkspaceEdit { changes: Some(changes), ..lsp::WorkspaceEdit::default() });
    }
    let mut operations = Vec::new();
    for target in &created {
        operations.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Create(lsp::CreateFile {
            uri: target.clone(),
            options: Some(lsp::CreateFileOptions { overwrite: Some(false), ignore_if_exists: Some(true) }),
            annotation_id: None,
        })));
    }
    for (target, edits) in changes {
        operations.push(lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
            text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri: target, version: None },
            edits: edits.into_iter().map(lsp::OneOf::Left).collect(),
        }));
    }
    Some(lsp::WorkspaceEdit {
        document_changes: Some(lsp::DocumentChanges::Operations(operations)),
        ..lsp::WorkspaceEdit::default()
    })
}

/// The text berth analysed a project file with, or an empty text for a file that does not exist
/// yet (an edit may create it).
fn project_file_text(project: &crate::project::ProjectFacts, path: &Path) -> Option<Arc<str>> {
    let files = [
        project.pyproject.as_ref().map(|it| &it.file),
        project.python_version.as_ref().map(|it| &it.file),
        project.dockerignore.as_ref().map(|it| &it.file),
    ];
    files.into_iter().flatten().find(|file| file.path == path).map(|file| file.text.clone())
}
