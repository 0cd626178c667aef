//! Completion and signature help over stdio against the built binary, with positions in UTF-16
//! and UTF-8 on lines that hold non-ASCII text before the cursor.

mod support;

use std::time::{Duration, Instant};

use berth::text::{LineIndex, PositionEncoding};
use serde_json::{Value, json};

use support::{TestServer, Workspace};

const DOCKERFILE: &str = "# syntax=docker/dockerfile:1.7
FROM python:3.12-slim AS builder
ENV GREETING=\"héllo 🐍\" UV_LINK_MODE=co
RUN echo \"naïve 🐍\" && uv sync --no-dev --lo
RUN echo \"🐍\" && uv p
RUN --mount=type=secret,id=é🐍 --mount=type=cache,
ENV NAME=\"🐍\" OTHER=$GR
COPY --chown=é:🐍 src/
FROM python:
COPY --chown=é --from=bu
COPY --chown=é --from=ghcr.io/astral-sh/uv:
COPY --chown=é🐍 src/app.py 
";

fn workspace() -> Workspace {
    let ws = Workspace::new();
    ws.write("pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.11\"\n");
    ws.write(".python-version", "3.12\n");
    ws.write("uv.lock", "version = 1\n");
    ws.write(".dockerignore", "src/secret.txt\n");
    ws.write("src/app.py", "print('hi')\n");
    ws.write("src/secret.txt", "x\n");
    ws.write("src/pkg/__init__.py", "");
    ws.write("Dockerfile", DOCKERFILE);
    ws
}

fn encoding_of(name: &str) -> PositionEncoding {
    match name {
        "utf-8" => PositionEncoding::Utf8,
        _ => PositionEncoding::Utf16,
    }
}

/// The LSP position of byte `offset` of `text`.
fn position_at(text: &str, offset: usize, encoding: &str) -> Value {
    let at = LineIndex::new(text).line_col(text, offset, encoding_of(encoding));
    json!({ "line": at.line, "character": at.col })
}

/// The cursor at the end of the line that contains `needle`, and where `word` starts on it.
fn cursor_after(text: &str, needle: &str, word: &str, encoding: &str) -> (Value, Value) {
    let line_start = text.find(needle).expect("needle in text");
    let line_end = line_start + text[line_start..].find('\n').unwrap_or(text.len() - line_start);
    let word_start = line_start + text[line_start..line_end].rfind(word).expect("word on the line");
    (position_at(text, line_end, encoding), position_at(text, word_start, encoding))
}

fn start(encoding: &str) -> (Workspace, TestServer, String) {
    let ws = workspace();
    let mut server = TestServer::spawn();
    let capabilities = json!({
        "general": { "positionEncodings": [encoding] },
        "textDocument": { "completion": { "completionItem": { "snippetSupport": true } } },
    });
    let init = server.initialize_in(&ws.root(), capabilities);
    assert_eq!(init["capabilities"]["positionEncoding"], encoding);
    let triggers = &init["capabilities"]["completionProvider"]["triggerCharacters"];
    for trigger in ["-", "=", "$", "{", ":", "/", " ", ","] {
        assert!(triggers.as_array().is_some_and(|it| it.contains(&json!(trigger))), "{triggers}");
    }
    assert_eq!(init["capabilities"]["signatureHelpProvider"]["triggerCharacters"], json!([" ", "=", ","]));
    let uri = ws.uri("Dockerfile");
    server.open(&uri, DOCKERFILE);
    (ws, server, uri)
}

fn complete(server: &mut TestServer, uri: &str, position: &Value) -> Vec<Value> {
    let result =
        server.request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": position }));
    assert_eq!(result["isIncomplete"], false, "{result}");
    result["items"].as_array().cloned().unwrap_or_default()
}

fn labels(items: &[Value]) -> Vec<&str> {
    items.iter().filter_map(|it| it["label"].as_str()).collect()
}

/// Finds the item labelled `label` and checks its text edit replaces `from..cursor`.
#[track_caller]
fn assert_item(items: &[Value], label: &str, from: &Value, cursor: &Value) -> Value {
    let item = items.iter().find(|it| it["label"] == label).unwrap_or_else(|| panic!("{label} in {:?}", labels(items)));
    assert_eq!(item["textEdit"]["range"]["start"], *from, "{label}");
    assert_eq!(item["textEdit"]["range"]["end"], *cursor, "{label}");
    item.clone()
}

#[test]
fn completion_in_both_encodings_on_non_ascii_lines() {
    for encoding in ["utf-16", "utf-8"] {
        let (_ws, mut server, uri) = start(encoding);

        // UV_* values after `UV_X=`.
        let (cursor, word) = cursor_after(DOCKERFILE, "UV_LINK_MODE=co", "co", encoding);
        let items = complete(&mut server, &uri, &cursor);
        assert_item(&items, "copy", &word, &cursor);

        // uv flags: `--locked` first, flags already written left out.
        let (cursor, word) = cursor_after(DOCKERFILE, "--no-dev --lo", "--lo", encoding);
        let items = complete(&mut server, &uri, &cursor);
        assert_eq!(items[0]["label"], "--locked", "{encoding}");
        assert_eq!(items[0]["preselect"], true);
        assert_eq!(items[0]["sortText"], "0000");
        assert!(!labels(&items).contains(&"--no-dev"));
        assert_item(&items, "--locked", &word, &cursor);

        // uv subcommands.
        let (cursor, word) = cursor_after(DOCKERFILE, "&& uv p", "p", encoding);
        let items = complete(&mut server, &uri, &cursor);
        let item = assert_item(&items, "pip install", &word, &cursor);
        assert!(item["documentation"]["value"].as_str().is_some_and(|it| !it.is_empty()));

        // Mount options for the type, uv's cache folder first when the RUN runs uv.
        let (cursor, word) = cursor_after(DOCKERFILE, "--mount=type=cache,", "cache,", encoding);
        let items = complete(&mut server, &uri, &cursor);
        let after_comma = {
            let mut it = word.clone();
            it["character"] = json!(it["character"].as_u64().unwrap_or(0) + 6);
            it
        };
        assert_item(&items, "sharing=", &after_comma, &cursor);

        // Variables in scope, with their values.
        let (cursor, word) = cursor_after(DOCKERFILE, "OTHER=$GR", "GR", encoding);
        let items = complete(&mut server, &uri, &cursor);
        let item = assert_item(&items, "GREETING", &word, &cursor);
        assert_eq!(item["detail"], "ENV = héllo 🐍");

        // Build-context paths, .dockerignore respected.
        let (cursor, _) = cursor_after(DOCKERFILE, "COPY --chown=é:🐍 src/", "src/", encoding);
        let items = complete(&mut server, &uri, &cursor);
        assert_eq!(labels(&items), ["app.py", "pkg"], "{encoding}");
        assert_item(&items, "app.py", &cursor, &cursor);
        assert_eq!(items[1]["textEdit"]["newText"], "pkg/");

        // Earlier stages after `--from=`.
        let (cursor, word) = cursor_after(DOCKERFILE, "--from=bu", "bu", encoding);
        let items = complete(&mut server, &uri, &cursor);
        assert_item(&items, "builder", &word, &cursor);

        // uv image tags, a pinned release first.
        let (cursor, _) = cursor_after(DOCKERFILE, "--from=ghcr.io/astral-sh/uv:", ":", encoding);
        let items = complete(&mut server, &uri, &cursor);
        assert_eq!(items[0]["label"], "0.12.5");

        // Python tags matching .python-version.
        let (cursor, _) = cursor_after(DOCKERFILE, "FROM python:\n", ":", encoding);
        let items = complete(&mut server, &uri, &cursor);
        assert_eq!(&labels(&items)[..4], ["3.12-slim-trixie", "3.12-slim", "3.12-alpine3.22", "3.12"]);

        // Signature help: the destination of a COPY after a non-ASCII flag value.
        let (cursor, _) = cursor_after(DOCKERFILE, "COPY --chown=é🐍 src/app.py ", " ", encoding);
        let help =
            server.request("textDocument/signatureHelp", json!({ "textDocument": { "uri": uri }, "position": cursor }));
        let signature = &help["signatures"][0];
        let label = signature["label"].as_str().unwrap_or_default();
        let active = help["activeParameter"].as_u64().expect("an active parameter") as usize;
        let offsets = &signature["parameters"][active]["label"];
        let (start, end) = (offsets[0].as_u64().unwrap_or(0) as usize, offsets[1].as_u64().unwrap_or(0) as usize);
        let utf16: Vec<u16> = label.encode_utf16().collect();
        assert_eq!(String::from_utf16_lossy(&utf16[start..end]), "<dest>", "{label}");

        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn keywords_and_snippets_in_an_empty_file() {
    let ws = workspace();
    let mut server = TestServer::spawn();
    server.initialize_in(
        &ws.root(),
        json!({ "textDocument": { "completion": { "completionItem": { "snippetSupport": true } } } }),
    );
    let uri = ws.uri("Dockerfile");
    server.open(&uri, "");
    let items = complete(&mut server, &uri, &json!({ "line": 0, "character": 0 }));
    assert_eq!(items[0]["label"], "FROM");
    assert_eq!(items[0]["kind"], 14);
    let snippet = items.iter().find(|it| it["label"] == "FROM … AS …").expect("FROM snippet");
    assert_eq!(snippet["insertTextFormat"], 2);
    assert_eq!(snippet["textEdit"]["newText"], "FROM ${1:python:3.12-slim-trixie} AS ${2:builder}");
    assert!(server.shutdown_and_exit().success());

    // Without snippet support the same item inserts plain text.
    let mut server = TestServer::spawn();
    server.initialize_in(&ws.root(), json!({}));
    server.open(&uri, "FROM python:3.12\n");
    let items = complete(&mut server, &uri, &json!({ "line": 1, "character": 0 }));
    let snippet = items.iter().find(|it| it["label"] == "RUN uv sync (cached)").expect("RUN snippet");
    assert_eq!(snippet["insertTextFormat"], 1);
    assert_eq!(
        snippet["textEdit"]["newText"],
        "RUN --mount=type=cache,target=/root/.cache/uv \\\n    uv sync --locked --no-install-project"
    );
    assert!(server.shutdown_and_exit().success());
}

/// The pure completion and signature functions over the 5,000-line sample, at many cursor
/// positions: what one request costs the server once the analysis is cached.
#[test]
fn completion_is_fast_on_a_large_file() {
    let text = berth::syntax::sample::sample_large_dockerfile(5_000);
    let project = berth::project::ProjectFacts::default();
    let analysis = berth::analysis::analyze(&text, &project);
    let index = LineIndex::new(&text);
    let mut samples = Vec::new();
    for line in (0..index.line_count()).step_by(7) {
        let offset = index.line_end(&text, line);
        let started = Instant::now();
        let items = berth::ide::completion::completions(&analysis, &text, &project, offset, &[]);
        let _ = berth::ide::signature::signature_help(&analysis, &text, offset);
        samples.push(started.elapsed());
        assert!(items.len() < 1_000);
    }
    samples.sort();
    let p95 = samples[samples.len() * 95 / 100];
    eprintln!(
        "completion + signature help, {} positions: p50 {:?}, p95 {:?}",
        samples.len(),
        samples[samples.len() / 2],
        p95
    );
    // Debug builds are several times slower than release; release runs well under 1 ms.
    let limit = if cfg!(debug_assertions) { Duration::from_millis(20) } else { Duration::from_millis(1) };
    assert!(p95 < limit, "p95 {p95:?}");
}

/// Typing a new line one character at a time, asking for completions after every keystroke
/// without waiting for diagnostics (as editors do): each answer describes the text just typed.
#[test]
fn completion_and_hover_right_after_each_keystroke_see_the_new_text() {
    for encoding in ["utf-16", "utf-8"] {
        let (_ws, mut server, uri) = start(encoding);
        let last_line = DOCKERFILE.lines().count() as u32;
        let typed = "RUN uv sync --fro";
        for (idx, ch) in typed.char_indices() {
            server.edit(&uri, (last_line, idx as u32), (last_line, idx as u32), &ch.to_string());
            let cursor = json!({ "line": last_line, "character": idx + 1 });
            let items = complete(&mut server, &uri, &cursor);
            if idx + 1 == typed.len() {
                // The edit replaces the `--fro` just typed: the answer saw the whole line.
                let word = json!({ "line": last_line, "character": typed.len() - "--fro".len() });
                assert_item(&items, "--frozen", &word, &cursor);
            }
        }
        server.edit(&uri, (last_line, typed.len() as u32), (last_line, typed.len() as u32), "zen");
        let on_flag = json!({ "line": last_line, "character": typed.len() });
        let hover =
            server.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": on_flag }));
        assert!(hover["contents"]["value"].as_str().is_some_and(|it| it.contains("--frozen")), "{hover}");
        assert!(server.shutdown_and_exit().success());
    }
}
