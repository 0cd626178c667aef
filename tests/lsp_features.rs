//! Hover and code actions over stdio against the built binary, with positions in UTF-16 and
//! UTF-8 on lines that hold non-ASCII text.

mod support;

use berth::text::{LineCol, LineIndex, PositionEncoding};
use serde_json::{Value, json};

use support::{TestServer, Workspace};

const DOCKERFILE: &str = "# syntax=docker/dockerfile:1.7
FROM python:3.11-slim
COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /uvx /bin/
ENV GREETING=\"héllo 🐍\" UV_LINK_MODE=copy
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv echo \"naïve 🐍\" && uv sync --frozen
RUN echo \"🐍\" && uv sync --no-dev
";

fn workspace() -> Workspace {
    let ws = Workspace::new();
    ws.write("pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.12\"\n");
    ws.write(".python-version", "3.12\n");
    ws.write("uv.lock", "version = 1\n");
    ws.write("Dockerfile", DOCKERFILE);
    ws
}

fn encoding_of(name: &str) -> PositionEncoding {
    match name {
        "utf-8" => PositionEncoding::Utf8,
        "utf-32" => PositionEncoding::Utf32,
        _ => PositionEncoding::Utf16,
    }
}

/// The LSP position of the first occurrence of `needle` (plus `skip` bytes) in `text`.
fn position_of(text: &str, needle: &str, skip: usize, encoding: &str) -> Value {
    let offset = text.find(needle).expect("needle in text") + skip;
    let at = LineIndex::new(text).line_col(text, offset, encoding_of(encoding));
    json!({ "line": at.line, "character": at.col })
}

fn start(encoding: &str) -> (Workspace, TestServer, String, Value) {
    let ws = workspace();
    let mut server = TestServer::spawn();
    let init = server.initialize_in(&ws.root(), json!({ "general": { "positionEncodings": [encoding] } }));
    assert_eq!(init["capabilities"]["positionEncoding"], encoding);
    assert_eq!(init["capabilities"]["hoverProvider"], true);
    let uri = ws.uri("Dockerfile");
    server.open(&uri, DOCKERFILE);
    let published = server.await_diagnostics(&uri, 1);
    (ws, server, uri, published)
}

fn hover(server: &mut TestServer, uri: &str, position: Value) -> Value {
    server.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": position }))
}

fn hover_text(result: &Value) -> String {
    result["contents"]["value"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn hover_explains_uv_variables_flags_images_and_keywords_in_both_encodings() {
    for encoding in ["utf-16", "utf-8"] {
        let (_ws, mut server, uri, _) = start(encoding);

        // A UV_* key after a value holding `é` and `🐍`: the range must be in the client's units.
        let result = hover(&mut server, &uri, position_of(DOCKERFILE, "UV_LINK_MODE", 3, encoding));
        let text = hover_text(&result);
        assert!(text.contains("UV_LINK_MODE") && text.contains("copy"), "{encoding}: {text}");
        assert_eq!(result["range"]["start"], position_of(DOCKERFILE, "UV_LINK_MODE", 0, encoding), "{encoding}");
        assert_eq!(result["range"]["end"], position_of(DOCKERFILE, "UV_LINK_MODE", 12, encoding), "{encoding}");

        // A uv flag after non-ASCII text on the same line: `--frozen` explained next to `--locked`.
        let result = hover(&mut server, &uri, position_of(DOCKERFILE, "--frozen", 4, encoding));
        let text = hover_text(&result);
        assert!(text.contains("--frozen") && text.contains("--locked"), "{encoding}: {text}");
        assert_eq!(result["range"]["start"], position_of(DOCKERFILE, "--frozen", 0, encoding));

        // The base image against the project's pin.
        let text = hover_text(&hover(&mut server, &uri, position_of(DOCKERFILE, "python:3.11", 3, encoding)));
        assert!(text.contains("Python **3.11**"), "{encoding}: {text}");
        assert!(text.contains("`.python-version` pins `3.12`: this image does **not** match"), "{encoding}: {text}");
        assert!(text.contains("does **not** allow Python 3.11"), "{encoding}: {text}");

        // A `--mount` option, and an instruction keyword.
        let text = hover_text(&hover(&mut server, &uri, position_of(DOCKERFILE, "target=/root", 2, encoding)));
        assert!(text.to_lowercase().contains("target"), "{encoding}: {text}");
        let text = hover_text(&hover(&mut server, &uri, position_of(DOCKERFILE, "WORKDIR", 2, encoding)));
        assert!(text.contains("WORKDIR"), "{encoding}: {text}");

        // Nothing to say about a comment word.
        let result = hover(&mut server, &uri, position_of(DOCKERFILE, "syntax", 1, encoding));
        assert!(result.is_null() || hover_text(&result).contains("syntax"), "{encoding}: {result}");
        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn hover_on_a_suppression_code_shows_the_rule() {
    let ws = workspace();
    let text = "FROM python:3.12-slim\n# berth: ignore=UV001\nRUN uv sync\n";
    ws.write("Dockerfile", text);
    let mut server = TestServer::spawn();
    server.initialize_in(&ws.root(), json!({}));
    let uri = ws.uri("Dockerfile");
    server.open(&uri, text);
    let result = hover(&mut server, &uri, position_of(text, "UV001", 2, "utf-16"));
    let markdown = hover_text(&result);
    assert!(markdown.contains("unlocked-uv-sync") && markdown.contains("## What it flags"), "{markdown}");
    assert!(server.shutdown_and_exit().success());
}

/// Applies LSP text edits (in `encoding`) to `text`, as an editor would.
fn apply(text: &str, edits: &[Value], encoding: &str) -> String {
    let index = LineIndex::new(text);
    let offset = |pos: &Value| {
        let at = LineCol { line: pos["line"].as_u64().unwrap() as u32, col: pos["character"].as_u64().unwrap() as u32 };
        index.offset(text, at, encoding_of(encoding))
    };
    let mut spans: Vec<(usize, usize, &str)> = edits
        .iter()
        .map(|edit| (offset(&edit["range"]["start"]), offset(&edit["range"]["end"]), edit["newText"].as_str().unwrap()))
        .collect();
    spans.sort_by_key(|it| std::cmp::Reverse(it.0));
    let mut out = text.to_owned();
    for (start, end, new_text) in spans {
        out.replace_range(start..end, new_text);
    }
    out
}

fn codes(published: &Value) -> Vec<String> {
    published["diagnostics"].as_array().unwrap().iter().map(|it| it["code"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn quick_fix_round_trip_removes_the_finding_in_both_encodings() {
    for encoding in ["utf-16", "utf-8"] {
        let (_ws, mut server, uri, published) = start(encoding);
        let unlocked = published["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|it| it["code"] == "UV001")
            .cloned()
            .unwrap_or_else(|| panic!("UV001 in {published:#}"));
        let actions = server.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": unlocked["range"], "context": { "diagnostics": [unlocked] } }),
        );
        let actions = actions.as_array().expect("a list of actions");
        let titles: Vec<&str> = actions.iter().map(|it| it["title"].as_str().unwrap()).collect();
        assert!(
            titles.contains(&"Add `--locked`") && titles.contains(&"Ignore UV001 for this instruction"),
            "{titles:?}"
        );
        assert!(actions.iter().all(|it| it["kind"] == "quickfix"), "fix-all only when asked: {actions:#?}");
        let fix = actions.iter().find(|it| it["title"] == "Add `--locked`").unwrap();
        assert_eq!(fix["diagnostics"][0]["code"], "UV001");
        let edits = fix["edit"]["changes"][uri.as_str()].as_array().expect("edits for the Dockerfile").clone();
        let fixed = apply(DOCKERFILE, &edits, encoding);
        assert!(fixed.contains("RUN echo \"🐍\" && uv sync --locked --no-dev\n"), "{encoding}: {fixed}");

        let version = server.replace_all(&uri, &fixed);
        let published = server.await_diagnostics(&uri, version);
        assert!(!codes(&published).contains(&"UV001".to_owned()), "{published:#}");
        // Applying the fix again is not offered: the finding is gone.
        let again = server.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": unlocked["range"], "context": { "diagnostics": [] } }),
        );
        assert!(again.as_array().unwrap().iter().all(|it| it["title"] != "Add `--locked`"), "{again:#}");
        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn fix_all_applies_every_safe_fix_when_the_client_asks_for_source_actions() {
    let (_ws, mut server, uri, published) = start("utf-16");
    let whole = json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 99, "character": 0 } });
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": whole, "context": { "diagnostics": [], "only": ["source.fixAll"] } }),
    );
    let actions = actions.as_array().expect("a list");
    assert_eq!(actions.len(), 1, "{actions:#?}");
    assert_eq!(actions[0]["kind"], "source.fixAll.berth");
    let edits = actions[0]["edit"]["changes"][uri.as_str()].as_array().expect("edits").clone();
    let fixed = apply(DOCKERFILE, &edits, "utf-16");
    assert_ne!(fixed, DOCKERFILE);

    // Every finding that had a safe fix is gone, nothing new appears, and the unsafe ones stay.
    let safe_codes: Vec<String> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|it| it["code"] != "UV001" && it["code"] != "PY001")
        .map(|it| it["code"].as_str().unwrap().to_owned())
        .collect();
    let before = codes(&published);
    let version = server.replace_all(&uri, &fixed);
    let after = codes(&server.await_diagnostics(&uri, version));
    assert!(after.iter().all(|code| before.contains(code)), "new findings after fix-all: {before:?} -> {after:?}");
    assert!(after.contains(&"UV001".to_owned()) && after.contains(&"PY001".to_owned()), "{after:?}");
    assert!(
        after.len() < before.len(),
        "fix-all fixed nothing: {before:?} -> {after:?} (safe-fixable: {safe_codes:?})"
    );

    // Quick fixes only, when only quick fixes are asked for.
    let actions = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": whole, "context": { "diagnostics": [], "only": ["quickfix"] } }),
    );
    assert!(actions.as_array().unwrap().iter().all(|it| it["kind"] == "quickfix"));
    assert!(server.shutdown_and_exit().success());
}
