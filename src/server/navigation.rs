//! Navigation and structure requests: definition, references, highlights, rename, outline,
//! folding, semantic tokens, document links and inlay hints.
//!
//! Each handler converts the client's positions to byte offsets, calls the pure function in
//! [`crate::ide`] and converts the answer back in the negotiated position encoding. The only IO
//! here is asking whether a file of the build context exists (for file definitions and links).
//! Handlers log their own running time at `debug` level (`BERTH_LOG=berth=debug`).

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;

use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types as lsp;

use crate::ide::hints::{self, LinkTarget};
use crate::ide::navigation::{self, Role};
use crate::ide::symbols::{self, FoldKind, SymbolKind};
use crate::ide::tokens::{self, MODIFIER_NAMES, TokenKind};
use crate::server::backend::Shared;
use crate::server::convert::{self, write_json, write_number, write_range, write_str};
use crate::server::features::{guarded, structure};
use crate::server::session::{Structure, micros};
use crate::server::transport::FastAnswer;
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
            full: Some(lsp::SemanticTokensFullOptions::Delta { delta: Some(true) }),
        }));
}

fn legend() -> lsp::SemanticTokensLegend {
    lsp::SemanticTokensLegend {
        token_types: TokenKind::LEGEND.iter().map(|it| lsp::SemanticTokenType::new(it.as_str())).collect(),
        token_modifiers: MODIFIER_NAMES.iter().map(|it| lsp::SemanticTokenModifier::new(it)).collect(),
    }
}

/// The error a refused rename answers with; editors show its message.
fn request_failed(message: String) -> Error {
    Error { code: ErrorCode::ServerError(-32803), message: message.into(), data: None }
}

/// Converts byte offsets to LSP positions like [`LineIndex::line_col`](crate::text::LineIndex::line_col),
/// faster for offsets that come mostly in order: it remembers the current line and whether that
/// line is ASCII (where every encoding counts bytes).
struct Positions<'a> {
    text: &'a str,
    index: &'a crate::text::LineIndex,
    encoding: PositionEncoding,
    /// The current line, its start and content end, and whether it is ASCII.
    line: Option<(usize, usize, usize, bool)>,
}

impl<'a> Positions<'a> {
    fn new(text: &'a str, index: &'a crate::text::LineIndex, encoding: PositionEncoding) -> Positions<'a> {
        Positions { text, index, encoding, line: None }
    }

    fn position(&mut self, offset: usize) -> lsp::Position {
        let text = self.text;
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let (line, start, end, ascii) = match self.line {
            Some(current @ (line, start, _, _))
                if start <= offset && offset < self.index.line_start(line + 1).max(start + 1) =>
            {
                current
            }
            current => {
                // Offsets mostly move forward a line at a time; look there before searching.
                let next = current.map(|it| it.0 + 1).filter(|next| {
                    if *next >= self.index.line_count() {
                        return false;
                    }
                    let next_start = self.index.line_start(*next);
                    next_start <= offset && offset < self.index.line_start(next + 1).max(next_start + 1)
                });
                let line = next.unwrap_or_else(|| self.index.line_of(offset));
                let start = self.index.line_start(line);
                let end = self.index.line_end(text, line);
                let ascii = text.get(start..end).is_some_and(|it| it.is_ascii());
                self.line = Some((line, start, end, ascii));
                (line, start, end, ascii)
            }
        };
        // An offset between the `\r` and `\n` of a line break is the end of the line.
        let offset = offset.min(end).max(start);
        let col = match self.encoding {
            PositionEncoding::Utf8 => offset - start,
            _ if ascii => offset - start,
            PositionEncoding::Utf16 => text[start..offset].chars().map(char::len_utf16).sum(),
            PositionEncoding::Utf32 => text[start..offset].chars().count(),
        };
        lsp::Position { line: line as u32, character: col as u32 }
    }

    fn range(&mut self, range: TextRange) -> lsp::Range {
        lsp::Range { start: self.position(range.start), end: self.position(range.end) }
    }
}

fn offset(structure: &Structure, position: lsp::Position, encoding: PositionEncoding) -> usize {
    structure.index.offset(&structure.text, convert::line_col(position), encoding)
}

fn byte_range(structure: &Structure, range: lsp::Range, encoding: PositionEncoding) -> TextRange {
    let start = offset(structure, range.start, encoding);
    let end = offset(structure, range.end, encoding);
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
    let Some(structure) = structure(shared, &uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("definition", || {
        let at = offset(&structure, position.position, encoding);
        let found = navigation::definition(&structure.model, &structure.text, at);
        if !found.is_empty() {
            let mut positions = Positions::new(&structure.text, &structure.index, encoding);
            let locations: Vec<lsp::Location> =
                found.into_iter().map(|it| lsp::Location { uri: uri.clone(), range: positions.range(it) }).collect();
            return Some(lsp::GotoDefinitionResponse::Array(locations));
        }
        let context = structure.project.context.as_deref()?;
        let (_, path) = navigation::file_target(&structure.model, &structure.text, context, at, &is_file)?;
        let target = convert::path_to_uri(&path)?;
        Some(lsp::GotoDefinitionResponse::Scalar(lsp::Location { uri: target, range: lsp::Range::default() }))
    })
}

pub(crate) async fn references(shared: &Shared, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
    let position = params.text_document_position;
    let uri = position.text_document.uri;
    let Some(structure) = structure(shared, &uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    let include_declaration = params.context.include_declaration;
    guarded("references", || {
        let at = offset(&structure, position.position, encoding);
        let found = navigation::references(&structure.model, &structure.text, at);
        if found.is_empty() {
            return None;
        }
        let mut positions = Positions::new(&structure.text, &structure.index, encoding);
        let locations = found
            .into_iter()
            .filter(|(_, role)| include_declaration || *role == Role::Reference)
            .map(|(it, _)| lsp::Location { uri: uri.clone(), range: positions.range(it) })
            .collect();
        Some(locations)
    })
}

pub(crate) async fn document_highlight(
    shared: &Shared,
    params: lsp::DocumentHighlightParams,
) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
    let position = params.text_document_position_params;
    let Some(structure) = structure(shared, &position.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("documentHighlight", || {
        let at = offset(&structure, position.position, encoding);
        let found = navigation::references(&structure.model, &structure.text, at);
        if found.is_empty() {
            return None;
        }
        let mut positions = Positions::new(&structure.text, &structure.index, encoding);
        let highlights = found
            .into_iter()
            .map(|(it, role)| lsp::DocumentHighlight {
                range: positions.range(it),
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
    let Some(structure) = structure(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    let answer = guarded("prepareRename", || {
        let at = offset(&structure, params.position, encoding);
        navigation::prepare_rename(&structure.model, &structure.text, at).map(|found| {
            found.map(|(it, placeholder)| lsp::PrepareRenameResponse::RangeWithPlaceholder {
                range: Positions::new(&structure.text, &structure.index, encoding).range(it),
                placeholder,
            })
        })
    })?;
    answer.map_err(|err| request_failed(err.0))
}

pub(crate) async fn rename(shared: &Shared, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
    let position = params.text_document_position;
    let uri = position.text_document.uri;
    let Some(structure) = structure(shared, &uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    let answer = guarded("rename", || {
        let at = offset(&structure, position.position, encoding);
        navigation::rename(&structure.model, &structure.text, at, &params.new_name).map(|edits| {
            let mut positions = Positions::new(&structure.text, &structure.index, encoding);
            let edits: Vec<lsp::TextEdit> = edits
                .into_iter()
                .map(|it| lsp::TextEdit { range: positions.range(it.range), new_text: it.new_text })
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
    let Some(structure) = structure(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("documentSymbol", || Some(lsp::DocumentSymbolResponse::Nested(outline(&structure, encoding))))
}

fn outline(structure: &Structure, encoding: PositionEncoding) -> Vec<lsp::DocumentSymbol> {
    let found = symbols::document_symbols(&structure.model, &structure.text);
    let mut positions = Positions::new(&structure.text, &structure.index, encoding);
    found.into_iter().map(|it| document_symbol_to_lsp(&mut positions, it)).collect()
}

/// Answers `textDocument/documentSymbol` with the whole response as JSON text, for the transport
/// to write as is; `None` when the request is not one this path serves (the library answers it).
///
/// The outline of a large file has thousands of entries. Through the library, the result would
/// first become a `serde_json::Value` tree and only then text, which costs several times the
/// work of writing the text directly; the text is also kept per analysed version, so asking
/// again (editors do, on focus and for breadcrumbs) only writes it.
pub(crate) fn document_symbol_response(
    shared: &Arc<Shared>,
    request: &tower_lsp_server::jsonrpc::Request,
) -> Option<Pin<Box<dyn Future<Output = FastAnswer> + Send>>> {
    let (id, params) = fast_request::<lsp::DocumentSymbolParams>(shared, request, "textDocument/documentSymbol")?;
    let shared = shared.clone();
    Some(Box::pin(async move {
        let result = match structure(&shared, &params.text_document.uri).await {
            Some(structure) => {
                let encoding = shared.negotiated().encoding;
                let json = structure.outline_json.get_or_init(|| {
                    let started = std::time::Instant::now();
                    let json = outline_json(&structure, encoding);
                    tracing::debug!(micros = micros(started.elapsed()), bytes = json.len(), "outline built");
                    json.into()
                });
                Some(json.clone())
            }
            None => None,
        };
        let prefix = response_prefix(&id);
        FastAnswer { prefix, result: result.unwrap_or_else(|| Arc::from(&b"null"[..])), suffix: b"}" }
    }))
}

/// The outline as the JSON text of a `DocumentSymbol[]`, written directly: the same text serde
/// would give for `outline`, without building thousands of `DocumentSymbol` values first.
fn outline_json(structure: &Structure, encoding: PositionEncoding) -> Vec<u8> {
    let found = symbols::document_symbols(&structure.model, &structure.text);
    let mut positions = Positions::new(&structure.text, &structure.index, encoding);
    // About 230 bytes per entry on typical files.
    let mut out = Vec::with_capacity(256 * (found.len() + found.iter().map(|it| it.children.len()).sum::<usize>()));
    write_symbols(&mut out, &mut positions, &found);
    out
}

fn write_symbols(out: &mut Vec<u8>, positions: &mut Positions<'_>, symbols: &[symbols::Symbol]) {
    out.push(b'[');
    for (idx, symbol) in symbols.iter().enumerate() {
        if idx > 0 {
            out.push(b',');
        }
        write_symbol(out, positions, symbol);
    }
    out.push(b']');
}

/// One `DocumentSymbol`, fields in the order serde writes them.
fn write_symbol(out: &mut Vec<u8>, positions: &mut Positions<'_>, symbol: &symbols::Symbol) {
    out.extend_from_slice(b"{\"name\":");
    write_str(out, &symbol.name);
    if let Some(detail) = &symbol.detail {
        out.extend_from_slice(b",\"detail\":");
        write_str(out, detail);
    }
    out.extend_from_slice(b",\"kind\":");
    write_json(out, &symbol_kind(symbol.kind));
    if symbol.deprecated {
        out.extend_from_slice(b",\"tags\":");
        write_json(out, &[lsp::SymbolTag::DEPRECATED]);
    }
    // Converted in source order (the end of a stage comes after its children), which keeps the
    // position cursor moving forward.
    let start = positions.position(symbol.range.start);
    let selection = positions.range(symbol.selection);
    let mut children = Vec::new();
    if !symbol.children.is_empty() {
        write_symbols(&mut children, positions, &symbol.children);
    }
    let end = positions.position(symbol.range.end);
    out.extend_from_slice(b",\"range\":");
    write_range(out, lsp::Range { start, end });
    out.extend_from_slice(b",\"selectionRange\":");
    write_range(out, selection);
    if !children.is_empty() {
        out.extend_from_slice(b",\"children\":");
        out.extend_from_slice(&children);
    }
    out.push(b'}');
}

fn symbol_kind(kind: SymbolKind) -> lsp::SymbolKind {
    match kind {
        SymbolKind::Stage => lsp::SymbolKind::NAMESPACE,
        SymbolKind::Argument => lsp::SymbolKind::CONSTANT,
        SymbolKind::Environment => lsp::SymbolKind::VARIABLE,
        SymbolKind::Setting => lsp::SymbolKind::PROPERTY,
        SymbolKind::Command => lsp::SymbolKind::FUNCTION,
        SymbolKind::Files => lsp::SymbolKind::FILE,
        SymbolKind::Other => lsp::SymbolKind::KEY,
    }
}

fn document_symbol_to_lsp(positions: &mut Positions<'_>, symbol: symbols::Symbol) -> lsp::DocumentSymbol {
    let kind = symbol_kind(symbol.kind);
    // Converted in source order (the end of a stage comes after its children), which keeps the
    // position cursor moving forward.
    let start = positions.position(symbol.range.start);
    let selection_range = positions.range(symbol.selection);
    let children: Vec<lsp::DocumentSymbol> =
        symbol.children.into_iter().map(|it| document_symbol_to_lsp(positions, it)).collect();
    let range = lsp::Range { start, end: positions.position(symbol.range.end) };
    #[expect(deprecated, reason = "the `deprecated` field is required by the type; tags carry the information")]
    lsp::DocumentSymbol {
        name: symbol.name,
        detail: symbol.detail,
        kind,
        tags: symbol.deprecated.then(|| vec![lsp::SymbolTag::DEPRECATED]),
        deprecated: None,
        range,
        selection_range,
        children: (!children.is_empty()).then_some(children),
    }
}

pub(crate) async fn folding_range(
    shared: &Shared,
    params: lsp::FoldingRangeParams,
) -> Result<Option<Vec<lsp::FoldingRange>>> {
    let Some(structure) = structure(shared, &params.text_document.uri).await else { return Ok(None) };
    guarded("foldingRange", || {
        let folds = symbols::folding_ranges(&structure.model, &structure.text, &structure.index);
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
    let uri = params.text_document.uri;
    let Some(structure) = structure(shared, &uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    let data = guarded("semanticTokens/full", || full_tokens(&structure, encoding))?;
    let result_id = structure.stamp.result_id();
    let tokens = lsp::SemanticTokens { result_id: Some(result_id.clone()), data: token_groups(&data) };
    shared.session().remember_sent_tokens(&uri, result_id, data);
    Ok(Some(lsp::SemanticTokensResult::Tokens(tokens)))
}

/// `semanticTokens/full/delta`: the edits from the tokens the client has (`previousResultId`) to
/// the current ones, as one edit replacing the part between their common start and common end;
/// the full tokens when the previous ones are no longer known.
pub(crate) async fn semantic_tokens_full_delta(
    shared: &Shared,
    params: lsp::SemanticTokensDeltaParams,
) -> Result<Option<lsp::SemanticTokensFullDeltaResult>> {
    let uri = params.text_document.uri;
    let Some(structure) = structure(shared, &uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    let data = guarded("semanticTokens/full/delta", || full_tokens(&structure, encoding))?;
    let result_id = structure.stamp.result_id();
    let previous = shared.session().sent_tokens(&uri, &params.previous_result_id);
    let result = match previous {
        Some(previous) => lsp::SemanticTokensFullDeltaResult::TokensDelta(lsp::SemanticTokensDelta {
            result_id: Some(result_id.clone()),
            edits: token_edits(&previous, &data).into_iter().collect(),
        }),
        None => lsp::SemanticTokensFullDeltaResult::Tokens(lsp::SemanticTokens {
            result_id: Some(result_id.clone()),
            data: token_groups(&data),
        }),
    };
    shared.session().remember_sent_tokens(&uri, result_id, data);
    Ok(Some(result))
}

pub(crate) async fn semantic_tokens_range(
    shared: &Shared,
    params: lsp::SemanticTokensRangeParams,
) -> Result<Option<lsp::SemanticTokensRangeResult>> {
    let Some(structure) = structure(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("semanticTokens/range", || {
        let (text, index) = (&structure.text, &structure.index);
        let within = byte_range(&structure, params.range, encoding);
        let found = tokens::semantic_tokens_within(&structure.model, text, Some(within));
        let data = tokens::encode(&found, text, index, encoding, Some(within));
        Some(lsp::SemanticTokensRangeResult::Tokens(lsp::SemanticTokens { result_id: None, data: token_groups(&data) }))
    })
}

/// Answers `textDocument/semanticTokens/full` with the whole response as JSON text, like
/// [`document_symbol_response`]: through the library, the tens of thousands of numbers of a large
/// file would each become a `serde_json::Value` first (megabytes, for a moment) before turning
/// into text.
pub(crate) fn semantic_tokens_full_response(
    shared: &Arc<Shared>,
    request: &tower_lsp_server::jsonrpc::Request,
) -> Option<Pin<Box<dyn Future<Output = FastAnswer> + Send>>> {
    let (id, params) = fast_request::<lsp::SemanticTokensParams>(shared, request, "textDocument/semanticTokens/full")?;
    let shared = shared.clone();
    Some(Box::pin(async move {
        let uri = params.text_document.uri;
        let result: Arc<[u8]> = match structure(&shared, &uri).await {
            Some(structure) => {
                let data = full_tokens(&structure, shared.negotiated().encoding);
                let result_id = structure.stamp.result_id();
                let json = semantic_tokens_json(&result_id, &data);
                shared.session().remember_sent_tokens(&uri, result_id, data);
                json.into()
            }
            None => Arc::from(&b"null"[..]),
        };
        FastAnswer { prefix: response_prefix(&id), result, suffix: b"}" }
    }))
}

/// The id (as JSON text) and parameters of `request` when it is a `method` request the fast path
/// may answer: while serving (before `shutdown`), with parameters of the right shape. Anything
/// else is left to the library, which answers errors by the protocol.
fn fast_request<P: serde::de::DeserializeOwned>(
    shared: &Shared,
    request: &tower_lsp_server::jsonrpc::Request,
    method: &str,
) -> Option<(Vec<u8>, P)> {
    if request.method() != method || !shared.serving() {
        return None;
    }
    let id = serde_json::to_vec(request.id()?).ok()?;
    let params = serde_json::from_value(request.params()?.clone()).ok()?;
    Some((id, params))
}

/// The start of a JSON-RPC response with `id` (JSON text), up to its result.
fn response_prefix(id: &[u8]) -> Vec<u8> {
    let mut prefix = Vec::with_capacity(id.len() + 40);
    prefix.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    prefix.extend_from_slice(id);
    prefix.extend_from_slice(b",\"result\":");
    prefix
}

/// `SemanticTokens` as JSON text, as serde writes it.
fn semantic_tokens_json(result_id: &str, data: &[u32]) -> Vec<u8> {
    // At most 10 digits and a comma per number; most are one or two digits.
    let mut out = Vec::with_capacity(result_id.len() + 32 + data.len() * 3);
    out.extend_from_slice(b"{\"resultId\":");
    write_json(&mut out, result_id);
    out.extend_from_slice(b",\"data\":[");
    for (idx, number) in data.iter().enumerate() {
        if idx > 0 {
            out.push(b',');
        }
        write_number(&mut out, *number);
    }
    out.extend_from_slice(b"]}");
    out
}

/// The encoded tokens of the whole file, computed once per analysed version.
fn full_tokens(structure: &Structure, encoding: PositionEncoding) -> Arc<[u32]> {
    structure
        .semantic_tokens
        .get_or_init(|| {
            let found = tokens::semantic_tokens(&structure.model, &structure.text);
            tokens::encode(&found, &structure.text, &structure.index, encoding, None).into()
        })
        .clone()
}

fn token_groups(numbers: &[u32]) -> Vec<lsp::SemanticToken> {
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

/// The edit turning `old` into `new` (both encoded token streams), or `None` when they are equal.
/// The edit starts and ends on whole five-number groups, as `SemanticTokensEdit` carries tokens.
fn token_edits(old: &[u32], new: &[u32]) -> Option<lsp::SemanticTokensEdit> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count() / 5 * 5;
    if prefix == old.len() && prefix == new.len() {
        return None;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let suffix = old.iter().rev().zip(new.iter().rev()).take(max_suffix).take_while(|(a, b)| a == b).count() / 5 * 5;
    let deleted = &old[prefix..old.len() - suffix];
    let inserted = &new[prefix..new.len() - suffix];
    Some(lsp::SemanticTokensEdit {
        start: u32::try_from(prefix).unwrap_or(u32::MAX),
        delete_count: u32::try_from(deleted.len()).unwrap_or(u32::MAX),
        data: (!inserted.is_empty()).then(|| token_groups(inserted)),
    })
}

pub(crate) async fn document_link(
    shared: &Shared,
    params: lsp::DocumentLinkParams,
) -> Result<Option<Vec<lsp::DocumentLink>>> {
    let Some(structure) = structure(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("documentLink", || {
        let context = structure.project.context.as_deref();
        let links = hints::document_links(&structure.model, context, &is_file);
        let mut positions = Positions::new(&structure.text, &structure.index, encoding);
        let converted = links
            .into_iter()
            .filter_map(|link| {
                let (target, tooltip) = match link.target {
                    LinkTarget::Url(url) => (url.parse::<lsp::Uri>().ok()?, "Open the image's registry page"),
                    LinkTarget::File(path) => (convert::path_to_uri(&path)?, "Open the file"),
                };
                Some(lsp::DocumentLink {
                    range: positions.range(link.range),
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
    let Some(structure) = structure(shared, &params.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("inlayHint", || {
        let within = byte_range(&structure, params.range, encoding);
        let found = hints::inlay_hints(&structure.model, within);
        let mut positions = Positions::new(&structure.text, &structure.index, encoding);
        let converted = found
            .into_iter()
            .map(|hint| lsp::InlayHint {
                position: positions.position(hint.offset),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::LineIndex;

    fn structure(text: &str) -> Structure {
        let stamp = crate::server::session::Stamp { revision: 1, project_epoch: 0 };
        let project = Arc::new(crate::project::ProjectFacts::default());
        let model = crate::analysis::analyze(text, &project);
        Structure::new(stamp, Arc::new(text.to_owned()), Arc::new(LineIndex::new(text)), &model, project)
    }

    #[test]
    fn the_tokens_text_is_what_serde_writes_for_the_tokens() {
        let text = crate::syntax::sample::sample_large_dockerfile(300);
        let structure = structure(&text);
        for data in
            [full_tokens(&structure, PositionEncoding::Utf16), Arc::from(&[][..]), Arc::from(&[u32::MAX; 5][..])]
        {
            let expected = lsp::SemanticTokens { result_id: Some("7-1".to_owned()), data: token_groups(&data) };
            let expected = String::from_utf8(serde_json::to_vec(&expected).unwrap()).unwrap();
            assert_eq!(String::from_utf8(semantic_tokens_json("7-1", &data)).unwrap(), expected);
        }
    }

    #[test]
    fn the_outline_text_is_what_serde_writes_for_the_outline() {
        let texts = [
            String::new(),
            "ARG PY=3.12\nFROM python:${PY}-slim AS build\nRUN uv sync \\\n    --locked\nFROM build\nMAINTAINER me\n"
                .to_owned(),
            "FROM scratch\n# é \"quoted\" \\ tab\t\nLABEL k=\"vé\\\"x\"\nRUN echo 😀 \\\n  ok\nFROOM x\n".to_owned(),
            crate::syntax::sample::sample_large_dockerfile(300),
        ];
        for text in &texts {
            let structure = structure(text);
            for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32] {
                let expected = serde_json::to_vec(&outline(&structure, encoding)).unwrap();
                let written = outline_json(&structure, encoding);
                assert_eq!(String::from_utf8(written).unwrap(), String::from_utf8(expected).unwrap(), "{text:?}");
            }
        }
    }

    /// Applies an edit the way a client does.
    fn apply(old: &[u32], edit: Option<lsp::SemanticTokensEdit>) -> Vec<u32> {
        let Some(edit) = edit else { return old.to_vec() };
        let start = edit.start as usize;
        let mut res = old[..start].to_vec();
        for token in edit.data.unwrap_or_default() {
            res.extend([
                token.delta_line,
                token.delta_start,
                token.length,
                token.token_type,
                token.token_modifiers_bitset,
            ]);
        }
        res.extend_from_slice(&old[start + edit.delete_count as usize..]);
        res
    }

    #[test]
    fn token_edits_reproduce_the_new_stream_on_whole_tokens() {
        let a = [0, 0, 4, 0, 0, 1, 0, 3, 0, 0, 0, 4, 2, 1, 0, 1, 0, 3, 0, 0];
        let cases: [(&[u32], &[u32]); 6] = [
            (&a, &a),
            (&a, &a[..15]),
            (&a[..15], &a),
            (&a, &[0, 0, 4, 0, 0, 1, 0, 3, 0, 0, 0, 5, 2, 1, 0, 1, 0, 3, 0, 0]),
            (&a, &[0, 0, 4, 0, 0, 1, 0, 3, 0, 0, 0, 4, 2, 1, 0, 0, 4, 2, 1, 0, 1, 0, 3, 0, 0]),
            (&[], &a),
        ];
        for (old, new) in cases {
            let edit = token_edits(old, new);
            if let Some(edit) = &edit {
                assert_eq!(edit.start % 5, 0);
                assert_eq!(edit.delete_count % 5, 0);
            }
            assert_eq!(edit.is_none(), old == new);
            assert_eq!(apply(old, edit), new, "{old:?} -> {new:?}");
        }
    }

    #[test]
    fn positions_agree_with_the_line_index_in_any_order() {
        let text = "FROM é AS a\r\nRUN 🐍 x \\\n  y\rCMD z\n\nENV ä=1";
        let index = LineIndex::new(text);
        let offsets: Vec<usize> =
            (0..=text.len() + 2).chain((0..=text.len()).rev()).chain([7, 30, 3, 18, 19]).collect();
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32] {
            let mut positions = Positions { text, index: &index, encoding, line: None };
            for &offset in &offsets {
                let expected = convert::position(index.line_col(text, offset, encoding));
                assert_eq!(positions.position(offset), expected, "{encoding:?} at {offset}");
            }
        }
    }
}
