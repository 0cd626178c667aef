//! Navigation and structure requests: definition, references, highlights, rename, outline,
//! folding, semantic tokens, document links and inlay hints.
//!
//! Each handler converts the client's positions to byte offsets, calls the pure function in
//! [`crate::ide`] and converts the answer back in the negotiated position encoding. The only IO
//! here is asking whether a file of the build context exists (for file definitions and links).
//! Handlers log their own running time at `debug` level (`BERTH_LOG=berth=debug`).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types as lsp;

use crate::ide::hints::{self, LinkTarget};
use crate::ide::navigation::{self, Role};
use crate::ide::symbols::{self, FoldKind, SymbolKind};
use crate::ide::tokens::{self, MODIFIER_NAMES, TokenKind};
use crate::server::backend::{Shared, run_job};
use crate::server::convert;
use crate::server::session::Analyzed;
use crate::text::{PositionEncoding, TextRange};

/// The capabilities these handlers provide.
pub(crate) fn add_capabilities(capabilities: &mut lsp::ServerCapabilities) {
    capabilities.definition_provider = Some(lsp::OneOf::Left(true));
    capabilities.references_provider = Some(lsp::OneOf::Left(true));
    capabilities.document_highlight_provider = Some(lsp::OneOf::Left(true));
    capabilities.document_symbol_provider = Some(lsp::OneOf::Left(true));
    capabilities.rename_provider = Some(lsp::OneOf::Right(lsp::RenameOptions {
        prepare_provider: Some(true),
        work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
    }));
    capabilities.folding_range_provider = Some(lsp::FoldingRangeProviderCapability::Simple(true));
    capabilities.document_link_provider = Some(lsp::DocumentLinkOptions {
        resolve_provider: Some(false),
        work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
    });
    capabilities.inlay_hint_provider = Some(lsp::OneOf::Left(true));
    capabilities.semantic_tokens_provider =
        Some(lsp::SemanticTokensServerCapabilities::SemanticTokensOptions(lsp::SemanticTokensOptions {
            work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
            legend: legend(),
            range: Some(true),
            full: Some(lsp::SemanticTokensFullOptions::Bool(true)),
        }));
}

fn legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: TokenKind::LEGEND.iter().map(|it| lsp::SemanticTokenType::new(it.as_str())).collect(),
        token_modifiers: MODIFIER_NAMES.iter().map(|it| lsp::SemanticTokenModifier::new(*it)).collect(),
    }
}

/// The current analysis of `uri`, cached or computed now; `None` unless it is an open Dockerfile.
async fn analyzed(shared: &Shared, uri: &lsp::Uri) -> Option<Arc<Analyzed>> {
    let encoding = shared.negotiated().encoding;
    let job = {
        let session = shared.session();
        if let Some(current) = session.current_analysis(uri) {
            return Some(current);
        }
        session.analysis_job(uri, encoding)?
    };
    let output = run_job(job).await?;
    shared.remember_project(&output);
    Some(output.analyzed)
}

/// Runs `work`, turning a panic into an internal error, and logs how long it took.
fn guarded<T>(what: &str, work: impl FnOnce() -> T) -> Result<T> {
    let started = Instant::now();
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|_| {
        tracing::error!("{what} panicked");
        let mut error = Error::internal_error();
        error.message = format!("berth: {what} failed; see the server log").into();
        error
    });
    tracing::debug!(request = what, micros = started.elapsed().as_micros() as u64, "handled");
    res
}

/// The error a refused rename answers with; editors show its message.
fn request_failed(message: String) -> Error {
    Error { code: ErrorCode::ServerError(-32803), message: message.into(), data: None }
}

fn range(analyzed: &Analyzed, range: TextRange, encoding: PositionEncoding) -> lsp::Range {
    lsp::Range {
        start: convert::position(analyzed.index.line_col(&analyzed.text, range.start, encoding)),
        end: convert::position(analyzed.index.line_col(&analyzed.text, range.end, encoding)),
    }
}

fn offset(analyzed: &Analyzed, position: lsp::Position, encoding: PositionEncoding) -> usize {
    analyzed.index.offset(&analyzed.text, convert::line_col(position), encoding)
}

fn byte_range(analyzed: &Analyzed, range: lsp::Range, encoding: PositionEncoding) -> TextRange {
    let start = offset(analyzed, range.start, encoding);
    let end = offset(analyzed, range.end, encoding);
    TextRange::new(start, end.max(start))
}

fn is_file(path: &Path) -> bool {
    path.is_file()
}

pub(crate) async fn definition(
    shared: &Shared,
    params: lsp::GotoDefinitionParams,
) -> Result<Option<lsp::GotoDefinitionResponse>> {
    let position = params.text_document_position_params;
    let uri = position.text_document.uri;
    let Some(analyzed) = analyzed(shared, &uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("definition", || {
        let at = offset(&analyzed, position.position, encoding);
        let found = navigation::definition(&analyzed.analysis, &analyzed.text, at);
        if !found.is_empty() {
            let locations: Vec<lsp::Location> = found
                .into_iter()
                .map(|it| lsp::Location { uri: uri.clone(), range: range(&analyzed, it, encoding) })
                .collect();
            return Some(lsp::GotoDefinitionResponse::Array(locations));
        }
        let context = analyzed.project.context.as_deref()?;
        let (_, path) = navigation::file_target(&analyzed.analysis, &analyzed.text, context, at, &is_file)?;
        let target = convert::path_to_uri(&path)?;
        Some(lsp::GotoDefinitionResponse::Scalar(lsp::Location { uri: target, range: lsp::Range::default() }))
    })
}

pub(crate) async fn references(shared: &Shared, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
    let position = params.text_document_position;
    let uri = position.text_document.uri;
    let Some(analyzed) = analyzed(shared, &uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    let include_declaration = params.context.include_declaration;
    guarded("references", || {
        let at = offset(&analyzed, position.position, encoding);
        let found = navigation::references(&analyzed.analysis, &analyzed.text, at);
        if found.is_empty() {
            return None;
        }
        let locations = found
            .into_iter()
            .filter(|(_, role)| include_declaration || *role == Role::Reference)
            .map(|(it, _)| lsp::Location { uri: uri.clone(), range: range(&analyzed, it, encoding) })
            .collect();
        Some(locations)
    })
}

pub(crate) async fn document_highlight(
    shared: &Shared,
    params: lsp::DocumentHighlightParams,
) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
    let position = params.text_document_position_params;
    let Some(analyzed) = analyzed(shared, &position.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("documentHighlight", || {
        let at = offset(&analyzed, position.position, encoding);
        let found = navigation::references(&analyzed.analysis, &analyzed.text, at);
        if found.is_empty() {
            return None;
        }
        let highlights = found
            .into_iter()
            .map(|(it, role)| lsp::DocumentHighlight {
                range: range(&analyzed, it, encoding),
                kind: Some(match role {
                    Role::Definition => lsp::DocumentHighlightKind::WRITE,
                    Role::Reference => lsp::DocumentHighlightKind::READ,
                }),
            })
            .collect();
        Some(highlights)
    })
}

pub(crate) async fn prepare_rename(
    shared: &Shared,
    params: lsp::TextDocumentPositionParams,
) -> Result<Option<lsp::PrepareRenameResponse>> {
    let Some(analyzed) = analyzed(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    let answer = guarded("prepareRename", || {
        let at = offset(&analyzed, params.position, encoding);
        navigation::prepare_rename(&analyzed.analysis, &analyzed.text, at).map(|found| {
            found.map(|(it, placeholder)| lsp::PrepareRenameResponse::RangeWithPlaceholder {
                range: range(&analyzed, it, encoding),
                placeholder,
            })
        })
    })?;
    answer.map_err(|err| request_failed(err.0))
}

pub(crate) async fn rename(shared: &Shared, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
    let position = params.text_document_position;
    let uri = position.text_document.uri;
    let Some(analyzed) = analyzed(shared, &uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    let answer = guarded("rename", || {
        let at = offset(&analyzed, position.position, encoding);
        navigation::rename(&analyzed.analysis, &analyzed.text, at, &params.new_name).map(|edits| {
            let edits: Vec<lsp::TextEdit> = edits
                .into_iter()
                .map(|it| lsp::TextEdit { range: range(&analyzed, it.range, encoding), new_text: it.new_text })
                .collect();
            let changes = std::iter::once((uri.clone(), edits)).collect();
            lsp::WorkspaceEdit { changes: Some(changes), ..lsp::WorkspaceEdit::default() }
        })
    })?;
    match answer {
        Ok(edit) => Ok(Some(edit)),
        Err(err) => Err(request_failed(err.0)),
    }
}

pub(crate) async fn document_symbol(
    shared: &Shared,
    params: lsp::DocumentSymbolParams,
) -> Result<Option<lsp::DocumentSymbolResponse>> {
    let Some(analyzed) = analyzed(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("documentSymbol", || {
        let found = symbols::document_symbols(&analyzed.analysis, &analyzed.text);
        let converted = found.into_iter().map(|it| document_symbol_to_lsp(&analyzed, it, encoding)).collect();
        Some(lsp::DocumentSymbolResponse::Nested(converted))
    })
}

fn document_symbol_to_lsp(
    analyzed: &Analyzed,
    symbol: symbols::Symbol,
    encoding: PositionEncoding,
) -> lsp::DocumentSymbol {
    let kind = match symbol.kind {
        SymbolKind::Stage => lsp::SymbolKind::NAMESPACE,
        SymbolKind::Argument => lsp::SymbolKind::CONSTANT,
        SymbolKind::Environment => lsp::SymbolKind::VARIABLE,
        SymbolKind::Setting => lsp::SymbolKind::PROPERTY,
        SymbolKind::Command => lsp::SymbolKind::FUNCTION,
        SymbolKind::Files => lsp::SymbolKind::FILE,
        SymbolKind::Other => lsp::SymbolKind::KEY,
    };
    let children: Vec<lsp::DocumentSymbol> =
        symbol.children.into_iter().map(|it| document_symbol_to_lsp(analyzed, it, encoding)).collect();
    #[expect(deprecated, reason = "the `deprecated` field is required by the type; tags carry the information")]
    lsp::DocumentSymbol {
        name: symbol.name,
        detail: symbol.detail,
        kind,
        tags: symbol.deprecated.then(|| vec![lsp::SymbolTag::DEPRECATED]),
        deprecated: None,
        range: range(analyzed, symbol.range, encoding),
        selection_range: range(analyzed, symbol.selection, encoding),
        children: (!children.is_empty()).then_some(children),
    }
}

pub(crate) async fn folding_range(
    shared: &Shared,
    params: lsp::FoldingRangeParams,
) -> Result<Option<Vec<lsp::FoldingRange>>> {
    let Some(analyzed) = analyzed(shared, &params.text_document.uri).await else { return Ok(None) };
    guarded("foldingRange", || {
        let folds = symbols::folding_ranges(&analyzed.analysis, &analyzed.text, &analyzed.index);
        let converted = folds
            .into_iter()
            .map(|it| lsp::FoldingRange {
                start_line: it.start_line,
                end_line: it.end_line,
                kind: Some(match it.kind {
                    FoldKind::Comment => lsp::FoldingRangeKind::Comment,
                    FoldKind::Region => lsp::FoldingRangeKind::Region,
                }),
                ..lsp::FoldingRange::default()
            })
            .collect();
        Some(converted)
    })
}

pub(crate) async fn semantic_tokens_full(
    shared: &Shared,
    params: lsp::SemanticTokensParams,
) -> Result<Option<lsp::SemanticTokensResult>> {
    let Some(analyzed) = analyzed(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("semanticTokens/full", || {
        let data = encoded_tokens(&analyzed, encoding, None);
        Some(lsp::SemanticTokensResult::Tokens(lsp::SemanticTokens { result_id: None, data }))
    })
}

pub(crate) async fn semantic_tokens_range(
    shared: &Shared,
    params: lsp::SemanticTokensRangeParams,
) -> Result<Option<lsp::SemanticTokensRangeResult>> {
    let Some(analyzed) = analyzed(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("semanticTokens/range", || {
        let within = byte_range(&analyzed, params.range, encoding);
        let data = encoded_tokens(&analyzed, encoding, Some(within));
        Some(lsp::SemanticTokensRangeResult::Tokens(lsp::SemanticTokens { result_id: None, data }))
    })
}

fn encoded_tokens(
    analyzed: &Analyzed,
    encoding: PositionEncoding,
    within: Option<TextRange>,
) -> Vec<lsp::SemanticToken> {
    let found = tokens::semantic_tokens(&analyzed.analysis, &analyzed.text);
    let numbers = tokens::encode(&found, &analyzed.text, &analyzed.index, encoding, within);
    numbers
        .chunks_exact(5)
        .map(|it| lsp::SemanticToken {
            delta_line: it[0],
            delta_start: it[1],
            length: it[2],
            token_type: it[3],
            token_modifiers_bitset: it[4],
        })
        .collect()
}

pub(crate) async fn document_link(
    shared: &Shared,
    params: lsp::DocumentLinkParams,
) -> Result<Option<Vec<lsp::DocumentLink>>> {
    let Some(analyzed) = analyzed(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("documentLink", || {
        let context = analyzed.project.context.as_deref();
        let links = hints::document_links(&analyzed.analysis, context, &is_file);
        let converted = links
            .into_iter()
            .filter_map(|link| {
                let (target, tooltip) = match link.target {
                    LinkTarget::Url(url) => (url.parse::<lsp::Uri>().ok()?, "Open the image's registry page"),
                    LinkTarget::File(path) => (convert::path_to_uri(&path)?, "Open the file"),
                };
                Some(lsp::DocumentLink {
                    range: range(&analyzed, link.range, encoding),
                    target: Some(target),
                    tooltip: Some(tooltip.to_owned()),
                    data: None,
                })
            })
            .collect();
        Some(converted)
    })
}

pub(crate) async fn inlay_hint(shared: &Shared, params: lsp::InlayHintParams) -> Result<Option<Vec<lsp::InlayHint>>> {
    let Some(analyzed) = analyzed(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("inlayHint", || {
        let within = byte_range(&analyzed, params.range, encoding);
        let found = hints::inlay_hints(&analyzed.analysis, within);
        let converted = found
            .into_iter()
            .map(|hint| lsp::InlayHint {
                position: convert::position(analyzed.index.line_col(&analyzed.text, hint.offset, encoding)),
                label: lsp::InlayHintLabel::String(hint.label),
                kind: Some(lsp::InlayHintKind::TYPE),
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
            .collect();
        Some(converted)
    })
}
