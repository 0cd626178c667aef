//! Completion and signature help: the LSP side of `ide::completion` and `ide::signature`.
//!
//! The pure functions never read the disk, so build-context paths are listed here: the folder
//! the pure layer asks for is read with `std::fs`, bounded in size, and symlinks that lead out of
//! the workspace are left out.

use std::path::{Path, PathBuf};

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types as lsp;

use crate::ide::completion::{self, CompletionItem, CompletionKind, ContextEntry};
use crate::ide::signature;
use crate::server::backend::Shared;
use crate::server::convert;
use crate::server::features::{guarded, structure};
use crate::server::session::Structure;
use crate::server::workspace;
use crate::text::{PositionEncoding, TextRange};

/// Characters after which editors should ask for completions without waiting for a word.
const COMPLETION_TRIGGERS: [&str; 8] = ["-", "=", "$", "{", ":", "/", " ", ","];

/// Characters after which editors should ask for signature help.
const SIGNATURE_TRIGGERS: [&str; 3] = [" ", "=", ","];

/// At most this many entries of one context folder are offered.
const MAX_ENTRIES: usize = 500;

pub(crate) fn completion_capability() -> lsp::CompletionOptions {
    lsp::CompletionOptions {
        trigger_characters: Some(COMPLETION_TRIGGERS.iter().map(|it| (*it).to_owned()).collect()),
        resolve_provider: Some(false),
        ..lsp::CompletionOptions::default()
    }
}

pub(crate) fn signature_help_capability() -> lsp::SignatureHelpOptions {
    lsp::SignatureHelpOptions {
        trigger_characters: Some(SIGNATURE_TRIGGERS.iter().map(|it| (*it).to_owned()).collect()),
        retrigger_characters: None,
        work_done_progress_options: lsp::WorkDoneProgressOptions::default(),
    }
}

pub(crate) async fn completion(
    shared: &Shared,
    params: lsp::CompletionParams,
) -> Result<Option<lsp::CompletionResponse>> {
    let position = params.text_document_position;
    let uri = position.text_document.uri;
    let Some(structure) = structure(shared, &uri).await else { return Ok(None) };
    let negotiated = shared.negotiated();
    let encoding = negotiated.encoding;
    let root = {
        let session = shared.session();
        let dockerfile = convert::uri_to_path(&uri);
        dockerfile.and_then(|path| workspace::workspace_root(session.folders(), &path).map(Path::to_path_buf))
    };
    guarded("completion", || {
        let text = &structure.text;
        let offset = structure.index.offset(text, convert::line_col(position.position), encoding);
        let analysis = &structure.model;
        let entries = match (completion::context_folder(analysis, text, offset), &structure.project.context) {
            (Some(folder), Some(context)) => read_dir(context, &folder, root.as_deref()),
            _ => Vec::new(),
        };
        let found = completion::completions(analysis, text, &structure.project, offset, &entries);
        let items = found
            .into_iter()
            .enumerate()
            .map(|(idx, item)| to_lsp_item(&structure, idx, item, offset, encoding, negotiated.snippet_support))
            .collect();
        Some(lsp::CompletionResponse::List(lsp::CompletionList { is_incomplete: false, items }))
    })
}

pub(crate) async fn signature_help(
    shared: &Shared,
    params: lsp::SignatureHelpParams,
) -> Result<Option<lsp::SignatureHelp>> {
    let position = params.text_document_position_params;
    let Some(structure) = structure(shared, &position.text_document.uri).await else { return Ok(None) };
    let encoding = shared.negotiated().encoding;
    guarded("signatureHelp", || {
        let text = &structure.text;
        let offset = structure.index.offset(text, convert::line_col(position.position), encoding);
        let help = signature::signature_help(&structure.model, text, offset)?;
        let parameters = help
            .parameters
            .iter()
            .map(|parameter| {
                // Offsets into the label count UTF-16 units, whatever the position encoding.
                let utf16 = |end: usize| help.label.get(..end).map_or(0, |it| it.encode_utf16().count()) as u32;
                lsp::ParameterInformation {
                    label: lsp::ParameterLabel::LabelOffsets([
                        utf16(parameter.range.start),
                        utf16(parameter.range.end),
                    ]),
                    documentation: parameter.documentation.clone().map(markdown),
                }
            })
            .collect();
        let active = help.active_parameter.map(|it| it as u32);
        Some(lsp::SignatureHelp {
            signatures: vec![lsp::SignatureInformation {
                label: help.label.clone(),
                documentation: help.documentation.clone().map(markdown),
                parameters: Some(parameters),
                active_parameter: active,
            }],
            active_signature: Some(0),
            active_parameter: active,
        })
    })
}

fn markdown(value: String) -> lsp::Documentation {
    lsp::Documentation::MarkupContent(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value })
}

fn to_lsp_item(
    structure: &Structure,
    idx: usize,
    item: CompletionItem,
    offset: usize,
    encoding: PositionEncoding,
    snippet_support: bool,
) -> lsp::CompletionItem {
    let text = &structure.text;
    // A text edit must stay on the cursor's line and contain the cursor.
    let line_start = structure.index.line_start(structure.index.line_of(offset));
    let range = TextRange::new(item.range.start.clamp(line_start, offset), offset);
    let lsp_range = lsp::Range {
        start: convert::position(structure.index.line_col(text, range.start, encoding)),
        end: convert::position(structure.index.line_col(text, range.end, encoding)),
    };
    let (new_text, format) = match (item.snippet, snippet_support) {
        (true, true) => (item.insert_text, lsp::InsertTextFormat::SNIPPET),
        (true, false) => (snippet_to_plain(&item.insert_text), lsp::InsertTextFormat::PLAIN_TEXT),
        (false, _) => (item.insert_text, lsp::InsertTextFormat::PLAIN_TEXT),
    };
    lsp::CompletionItem {
        label: item.label,
        kind: Some(kind(item.kind)),
        detail: item.detail,
        documentation: item.documentation.map(markdown),
        preselect: item.preselect.then_some(true),
        // The pure layer returns items best first; the index keeps that order in every client.
        sort_text: Some(format!("{idx:04}")),
        filter_text: item.filter_text,
        insert_text_format: Some(format),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit { range: lsp_range, new_text })),
        tags: item.deprecated.then(|| vec![lsp::CompletionItemTag::DEPRECATED]),
        command: item.retrigger.then(|| lsp::Command {
            title: "Suggest".to_owned(),
            command: "editor.action.triggerSuggest".to_owned(),
            arguments: None,
        }),
        ..lsp::CompletionItem::default()
    }
}

fn kind(kind: CompletionKind) -> lsp::CompletionItemKind {
    match kind {
        CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
        CompletionKind::Snippet => lsp::CompletionItemKind::SNIPPET,
        CompletionKind::Flag => lsp::CompletionItemKind::PROPERTY,
        CompletionKind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Variable => lsp::CompletionItemKind::VARIABLE,
        CompletionKind::Command => lsp::CompletionItemKind::FUNCTION,
        CompletionKind::Stage => lsp::CompletionItemKind::REFERENCE,
        CompletionKind::Image => lsp::CompletionItemKind::MODULE,
        CompletionKind::File => lsp::CompletionItemKind::FILE,
        CompletionKind::Folder => lsp::CompletionItemKind::FOLDER,
    }
}

/// The text a snippet inserts with its placeholders filled by their defaults, for clients
/// without snippet support.
fn snippet_to_plain(snippet: &str) -> String {
    let mut res = String::with_capacity(snippet.len());
    let mut chars = snippet.chars().peekable();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => {
                if let Some(next) = chars.next() {
                    res.push(next);
                }
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                // `${1:default}`: skip the number and the colon, keep the default.
                for next in chars.by_ref() {
                    if next == ':' || next == '}' {
                        break;
                    }
                }
            }
            '$' if chars.peek().is_some_and(char::is_ascii_digit) => {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
            }
            '}' => {}
            other => res.push(other),
        }
    }
    res
}

/// The entries of `context/folder`, sorted by name, at most [`MAX_ENTRIES`]. Entries that are
/// symlinks pointing outside `root` (the workspace folder, else the context) are left out, and
/// so is a folder that itself resolves outside it.
fn read_dir(context: &Path, folder: &str, root: Option<&Path>) -> Vec<ContextEntry> {
    let Ok(bound) = std::fs::canonicalize(root.unwrap_or(context)) else { return Vec::new() };
    let dir: PathBuf = context.join(folder);
    let Ok(real_dir) = std::fs::canonicalize(&dir) else { return Vec::new() };
    if !real_dir.starts_with(&bound) {
        return Vec::new();
    }
    let Ok(listing) = std::fs::read_dir(&real_dir) else { return Vec::new() };
    let mut acc = Vec::new();
    for entry in listing.flatten().take(MAX_ENTRIES * 2) {
        let Ok(name) = entry.file_name().into_string() else { continue };
        let Ok(file_type) = entry.file_type() else { continue };
        let is_dir = if file_type.is_symlink() {
            match std::fs::canonicalize(entry.path()) {
                Ok(target) if target.starts_with(&bound) => target.is_dir(),
                _ => continue,
            }
        } else {
            file_type.is_dir()
        };
        acc.push(ContextEntry { name, is_dir });
        if acc.len() == MAX_ENTRIES {
            break;
        }
    }
    acc.sort_by(|a, b| a.name.cmp(&b.name));
    acc
}

#[cfg(test)]
mod tests {
    #[test]
    fn snippets_become_their_default_text() {
        let plain =
            super::snippet_to_plain("RUN --mount=type=cache,target=/root/.cache/uv \\\\\n    uv sync ${1:--locked}$0");
        assert_eq!(plain, "RUN --mount=type=cache,target=/root/.cache/uv \\\n    uv sync --locked");
        assert_eq!(super::snippet_to_plain("FROM ${1:python:3.12} AS ${2:builder}"), "FROM python:3.12 AS builder");
    }

    #[test]
    fn listing_stays_inside_the_workspace() {
        let outside = tempfile::tempdir().expect("temp dir");
        let ws = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(ws.path().join("src")).expect("mkdir");
        std::fs::write(ws.path().join("pyproject.toml"), "").expect("write");
        std::fs::write(outside.path().join("secret.txt"), "").expect("write");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path(), ws.path().join("escape")).expect("symlink");
            std::os::unix::fs::symlink(ws.path().join("src"), ws.path().join("inside")).expect("symlink");
        }
        let entries = super::read_dir(ws.path(), "", None);
        let names: Vec<(&str, bool)> = entries.iter().map(|it| (it.name.as_str(), it.is_dir)).collect();
        #[cfg(unix)]
        assert_eq!(names, [("inside", true), ("pyproject.toml", false), ("src", true)]);
        #[cfg(unix)]
        assert!(super::read_dir(ws.path(), "escape/", None).is_empty());
        assert!(super::read_dir(ws.path(), "missing/", None).is_empty());
    }
}
