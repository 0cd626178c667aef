//! "Pin image to digest": a code action on FROM and `COPY --from` images whose edit is computed
//! in `codeAction/resolve`, where the registry is asked on a blocking thread.
//!
//! Network access is off unless the editor setting `berth.network.enabled` is true; a workspace's
//! own configuration file cannot turn it on, so opening a repository never makes berth reach
//! out. With it off the action is only shown disabled (when the client can show that), with the
//! reason, and resolving it opens no socket.

use std::sync::LazyLock;

use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types as lsp;

use crate::ide::code_actions::pin_targets;
use crate::registry::{ManifestKind, Pinned, Resolver};
use crate::server::backend::Shared;
use crate::server::convert;
use crate::server::features::analyzed;
use crate::text::TextRange;

/// The resolver of this server process, with its cache of resolved digests.
static RESOLVER: LazyLock<Resolver> = LazyLock::new(Resolver::default);

/// The key in a code action's `data` that marks a pin to resolve.
const PIN_DATA: &str = "berthPin";

const NETWORK_OFF: &str = "network access is off: set `berth.network.enabled` to true to look up image digests";

/// The pin actions for the images in `params.range`, when refactorings were asked for.
pub(crate) async fn pin_actions(shared: &Shared, params: &lsp::CodeActionParams) -> Vec<lsp::CodeActionOrCommand> {
    let negotiated = shared.negotiated();
    let kind = lsp::CodeActionKind::REFACTOR_REWRITE;
    let wanted = match params.context.only.as_deref() {
        None => true,
        Some(only) => only
            .iter()
            .any(|it| kind.as_str() == it.as_str() || kind.as_str().starts_with(&format!("{}.", it.as_str()))),
    };
    // Without `codeAction/resolve` for edits the action could not carry its edit.
    if !wanted || !negotiated.code_action_resolve {
        return Vec::new();
    }
    let network = shared.session().network_enabled();
    if !network && !negotiated.disabled_actions {
        return Vec::new();
    }
    let uri = &params.text_document.uri;
    let Some(analyzed) = analyzed(shared, uri).await else { return Vec::new() };
    let encoding = negotiated.encoding;
    let (text, index) = (&analyzed.structure.text, &analyzed.structure.index);
    let start = index.offset(text, convert::line_col(params.range.start), encoding);
    let end = index.offset(text, convert::line_col(params.range.end), encoding).max(start);
    let indexed = convert::IndexedText::new(text, index);
    pin_targets(&analyzed.analysis, text, TextRange::new(start, end))
        .into_iter()
        .map(|target| {
            let range = indexed.range(target.range, encoding);
            lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                title: format!("Pin `{}` to its digest", target.reference),
                kind: Some(kind.clone()),
                disabled: (!network).then(|| lsp::CodeActionDisabled { reason: NETWORK_OFF.to_owned() }),
                data: Some(json!({
                    "applicability": "safe",
                    PIN_DATA: { "uri": uri.as_str(), "range": range, "reference": target.reference },
                })),
                ..lsp::CodeAction::default()
            })
        })
        .collect()
}

/// `codeAction/resolve`: looks the digest up for a pin action; other actions come back as they are.
pub(crate) async fn resolve(shared: &Shared, mut action: lsp::CodeAction) -> Result<lsp::CodeAction> {
    let Some(pin) = action.data.as_ref().and_then(|data| data.get(PIN_DATA)).cloned() else { return Ok(action) };
    let (uri, range, reference) = parse_pin(&pin).ok_or_else(|| failed("berth: the pin action's data is malformed"))?;
    if !shared.session().network_enabled() {
        return Err(failed(&format!("berth: {NETWORK_OFF}")));
    }
    // The reference must still be where the action found it.
    let analyzed = analyzed(shared, &uri).await.ok_or_else(|| failed("berth: the document is not open"))?;
    let encoding = shared.negotiated().encoding;
    let (text, index) = (&analyzed.structure.text, &analyzed.structure.index);
    let start = index.offset(text, convert::line_col(range.start), encoding);
    let end = index.offset(text, convert::line_col(range.end), encoding);
    if text.get(start..end) != Some(reference.as_str()) {
        return Err(failed("berth: the document changed; ask for code actions again"));
    }
    let lookup = reference.clone();
    let pinned = tokio::task::spawn_blocking(move || RESOLVER.resolve(&lookup))
        .await
        .map_err(|err| {
            tracing::error!("digest lookup of {reference} failed: {err}");
            failed("berth: the digest lookup failed; see the server log")
        })?
        .map_err(|err| failed(&format!("berth: cannot pin `{reference}`: {err}")))?;
    action.title = resolved_title(&reference, &pinned);
    let insert = lsp::Range { start: range.end, end: range.end };
    let edit = lsp::TextEdit { range: insert, new_text: format!("@{}", pinned.digest) };
    action.edit = Some(lsp::WorkspaceEdit {
        changes: Some([(uri, vec![edit])].into_iter().collect()),
        ..lsp::WorkspaceEdit::default()
    });
    if let Some(Value::Object(data)) = action.data.as_mut() {
        data.insert("digest".to_owned(), Value::String(pinned.digest.clone()));
        data.insert("manifest".to_owned(), Value::String(kind_name(pinned.kind).to_owned()));
    }
    Ok(action)
}

/// The title once the digest is known: it says whether the pin covers every platform.
fn resolved_title(reference: &str, pinned: &Pinned) -> String {
    match pinned.kind {
        ManifestKind::Index => {
            format!("Pin `{reference}` to its multi-platform index digest (works on every platform)")
        }
        ManifestKind::Manifest => format!("Pin `{reference}` to its digest (a single-platform manifest)"),
        ManifestKind::Unknown => format!("Pin `{reference}` to its digest"),
    }
}

fn kind_name(kind: ManifestKind) -> &'static str {
    match kind {
        ManifestKind::Index => "index",
        ManifestKind::Manifest => "manifest",
        ManifestKind::Unknown => "unknown",
    }
}

fn parse_pin(pin: &Value) -> Option<(lsp::Uri, lsp::Range, String)> {
    let uri = pin.get("uri")?.as_str()?.parse().ok()?;
    let range = serde_json::from_value(pin.get("range")?.clone()).ok()?;
    let reference = pin.get("reference")?.as_str()?.to_owned();
    Some((uri, range, reference))
}

fn failed(message: &str) -> Error {
    Error { code: ErrorCode::ServerError(-32803), message: message.to_owned().into(), data: None }
}
