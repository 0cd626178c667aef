//! End-to-end tests of `berth server`: the real binary, spoken to over stdio.

mod support;

use std::time::Duration;

use serde_json::{Value, json};

use support::{TestServer, Workspace, file_uri};

const ENCODINGS: [&str; 3] = ["utf-8", "utf-16", "utf-32"];

fn capabilities_offering(encodings: &[&str]) -> Value {
    json!({ "general": { "positionEncodings": encodings } })
}

/// The LSP position of byte `offset` in `text` (lines end with `\n` only in these tests),
/// computed independently of the server.
fn position(text: &str, offset: usize, encoding: &str) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_text = &before[before.rfind('\n').map_or(0, |idx| idx + 1)..];
    let col = match encoding {
        "utf-8" => line_text.len(),
        "utf-16" => line_text.encode_utf16().count(),
        _ => line_text.chars().count(),
    };
    (line, col as u32)
}

/// The largest char boundary at or before `offset`.
fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[test]
fn negotiates_the_position_encoding() {
    let cases: [(Value, &str); 5] = [
        (json!({}), "utf-16"),
        (capabilities_offering(&["utf-16"]), "utf-16"),
        (capabilities_offering(&["utf-16", "utf-32"]), "utf-32"),
        (capabilities_offering(&["utf-32", "utf-16", "utf-8"]), "utf-8"),
        (capabilities_offering(&["utf-7"]), "utf-16"),
    ];
    for (capabilities, expected) in cases {
        let mut server = TestServer::spawn();
        let result = server.initialize(capabilities.clone());
        assert_eq!(result["capabilities"]["positionEncoding"], expected, "offered {capabilities}");
        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn advertises_incremental_sync_and_server_info() {
    let mut server = TestServer::spawn();
    let result = server.initialize(json!({}));
    let capabilities = &result["capabilities"];
    assert_eq!(capabilities["textDocumentSync"]["change"], 2);
    assert_eq!(capabilities["textDocumentSync"]["openClose"], true);
    assert_eq!(capabilities["diagnosticProvider"], Value::Null, "no pull diagnostics unless the client asks");
    assert_eq!(capabilities["workspace"]["workspaceFolders"]["supported"], true);
    assert_eq!(result["serverInfo"]["name"], "berth");
    assert_eq!(result["serverInfo"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn opening_a_dockerfile_publishes_diagnostics_for_that_version() {
    let ws = Workspace::new();
    let mut server = TestServer::spawn();
    server.initialize_in(&ws.root(), json!({}));
    let uri = ws.uri("Dockerfile");
    server.open_with(&uri, "dockerfile", 7, "FROM python:3.12-slim\nRUN uv sync\n");
    let params = server.await_diagnostics(&uri, 7);
    assert_eq!(params["version"], 7);
    assert!(params["diagnostics"].is_array());

    // Only Dockerfiles are analysed.
    let readme = ws.uri("README.md");
    server.open(&readme, "# hi\n");
    let other = server.drain_notifications("textDocument/publishDiagnostics");
    assert!(other.iter().all(|params| params["uri"] != readme.as_str()), "{other:?}");
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn dockerfiles_are_recognised_by_name_or_language() {
    let ws = Workspace::new();
    let mut server = TestServer::spawn();
    server.initialize_in(&ws.root(), json!({}));
    for name in ["Containerfile", "api.Dockerfile", "Dockerfile.dev", "build.dockerfile"] {
        let uri = ws.uri(name);
        server.open_with(&uri, "plaintext", 1, "FROM x\n");
        server.await_diagnostics(&uri, 1);
    }
    let uri = ws.uri("odd-name.txt");
    server.open_with(&uri, "dockerfile", 1, "FROM x\n");
    server.await_diagnostics(&uri, 1);
    // Reopened as plain text: no longer a Dockerfile, so its diagnostics are cleared.
    server.open_with(&uri, "plaintext", 2, "FROM x\n");
    let timeout = server.timeout;
    let cleared = server.await_notification(
        "textDocument/publishDiagnostics",
        |p| p["uri"] == uri.as_str() && p["version"].is_null(),
        timeout,
    );
    assert_eq!(cleared["diagnostics"], json!([]));
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn incremental_edits_on_non_ascii_lines_in_every_encoding() {
    for encoding in ENCODINGS {
        let mut server = TestServer::spawn();
        server.initialize(capabilities_offering(&[encoding]));
        let uri = "file:///berth-test/Dockerfile";
        let mut expected = String::from("FROM python:3.12 AS é\nRUN echo 日本 🐍 done\nCMD [\"x\"]\n");
        server.open(uri, &expected);

        // (byte start, byte end, new text) on the current text.
        let edits: [(usize, usize, &str); 6] = [
            (23, 23, "🐍"),        // insert at the start of line 1
            (27, 27, "x"),         // right after that snake (its end is a surrogate boundary)
            (37, 43, "中文"),      // replace 日本
            (20, 22, "e"),         // replace é
            (0, 4, "from"),        // ASCII
            (43, 48, "\nRUN é\n"), // replace the second snake and a space with new lines
        ];
        for (start, end, text) in edits {
            assert!(
                expected.is_char_boundary(start) && expected.is_char_boundary(end),
                "{start}..{end} in {expected:?}"
            );
            let start_pos = position(&expected, start, encoding);
            let end_pos = position(&expected, end, encoding);
            server.edit(uri, start_pos, end_pos, text);
            expected.replace_range(start..end, text);
        }
        assert_eq!(server.server_text(uri).as_deref(), Some(expected.as_str()), "{encoding}");
        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn out_of_range_positions_are_clamped_not_fatal() {
    let mut server = TestServer::spawn();
    server.initialize(capabilities_offering(&["utf-16"]));
    let uri = "file:///berth-test/Dockerfile";
    server.open(uri, "RUN 🐍x\nCMD y\n");
    // Character 5 is between the two UTF-16 units of the snake: it snaps to the snake's start.
    server.edit(uri, (0, 5), (0, 5), "|");
    assert_eq!(server.server_text(uri).as_deref(), Some("RUN |🐍x\nCMD y\n"));
    // A column past the end of the line is the end of the line (before its newline).
    server.edit(uri, (1, 400), (1, 999), "!");
    assert_eq!(server.server_text(uri).as_deref(), Some("RUN |🐍x\nCMD y!\n"));
    // A line past the end is the end of the document.
    server.edit(uri, (9, 0), (u32::MAX, u32::MAX), "EOF");
    assert_eq!(server.server_text(uri).as_deref(), Some("RUN |🐍x\nCMD y!\nEOF"));
    // A whole-document change after incremental ones.
    server.replace_all(uri, "FROM scratch\n");
    assert_eq!(server.server_text(uri).as_deref(), Some("FROM scratch\n"));
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn a_change_to_an_unopened_document_is_logged_and_ignored() {
    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    server.change("file:///nowhere/Dockerfile", 2, json!([{ "text": "FROM x\n" }]));
    assert_eq!(server.server_text("file:///nowhere/Dockerfile"), None);
    server.await_stderr("not open");
    // A version going backwards is applied, and logged.
    let uri = "file:///berth-test/Dockerfile";
    server.open_with(uri, "dockerfile", 5, "FROM a\n");
    server.change(uri, 3, json!([{ "text": "FROM b\n" }]));
    assert_eq!(server.server_text(uri).as_deref(), Some("FROM b\n"));
    server.await_stderr("went from 5 to 3");
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn two_hundred_changes_in_a_burst_apply_in_order() {
    let mut server = TestServer::spawn();
    server.initialize(capabilities_offering(&["utf-16"]));
    let uri = "file:///berth-test/Dockerfile";
    let mut expected = String::from("FROM python:3.12-slim AS build\nWORKDIR /app\n");
    server.open(uri, &expected);
    for i in 0..200usize {
        let (start, end, text) = match i % 4 {
            0 => (expected.len(), expected.len(), format!("RUN echo {i} 🐍 é\n")),
            1 => {
                let at = floor_boundary(&expected, i * 7919 % (expected.len() + 1));
                (at, at, "日".to_owned())
            }
            2 => {
                let start = floor_boundary(&expected, i * 104_729 % (expected.len() + 1));
                let end = floor_boundary(&expected, (start + 5).min(expected.len()));
                (start, end, String::new())
            }
            _ => (0, 0, format!("# {i}\n")),
        };
        let start_pos = position(&expected, start, "utf-16");
        let end_pos = position(&expected, end, "utf-16");
        server.edit(uri, start_pos, end_pos, &text);
        expected.replace_range(start..end, &text);
    }
    assert_eq!(server.server_text(uri).as_deref(), Some(expected.as_str()));

    // Diagnostics arrive in version order and end with the final version.
    let mut versions = Vec::new();
    while versions.last() != Some(&201) {
        let timeout = server.timeout;
        let params = server.await_notification("textDocument/publishDiagnostics", |p| p["uri"] == uri, timeout);
        versions.push(params["version"].as_i64().unwrap_or(-1));
    }
    assert!(versions.windows(2).all(|pair| pair[0] < pair[1]), "versions out of order: {versions:?}");
    let late = server.drain_notifications("textDocument/publishDiagnostics");
    assert!(late.is_empty(), "diagnostics after the final version: {late:?}");
    assert!(server.shutdown_and_exit().success());
}

/// Each version is re-parsed from the previous one; what it publishes must be what a fresh
/// document of the same text publishes. The edits split and join lines, open and close
/// continuations and heredocs, and turn comments into instructions and back.
#[test]
fn diagnostics_after_edits_equal_those_of_the_same_text_opened_fresh() {
    let mut server = TestServer::spawn();
    server.initialize(capabilities_offering(&["utf-16"]));
    let uri = "file:///berth-test/Dockerfile";
    let mut text = berth::syntax::sample::sample_large_dockerfile(300);
    server.open(uri, &text);
    server.await_diagnostics(uri, 1);
    let edits: [(&str, &str); 10] = [
        ("uv sync", "uv snyc"),
        ("\n", " \\\n"),
        ("RUN ", "RUN <<EOF "),
        ("\nFROM", "\n# FROM"),
        ("# FROM", "FROM"),
        ("--locked", "--locked --frozen"),
        ("COPY", "COPY --from=nowhere"),
        (" \\\n", "\n"),
        ("\n\n", "\nEOF\n\n"),
        ("é", "e"),
    ];
    for (round, (from, to)) in edits.iter().cycle().take(30).enumerate() {
        // A different occurrence each round, so edits land all over the file.
        let found: Vec<usize> = text.match_indices(from).map(|(at, _)| at).collect();
        let Some(&start) = found.get(round * 37 % found.len().max(1)) else { continue };
        let end = start + from.len();
        let version = server.edit(uri, position(&text, start, "utf-16"), position(&text, end, "utf-16"), to);
        text.replace_range(start..end, to);
        let edited = server.await_diagnostics(uri, version);
        let fresh_uri = format!("file:///berth-test/fresh-{round}/Dockerfile");
        server.open(&fresh_uri, &text);
        let fresh = server.await_diagnostics(&fresh_uri, 1);
        // Related information names the document it points into.
        let fresh = fresh["diagnostics"].to_string().replace(&fresh_uri, uri);
        assert_eq!(edited["diagnostics"].to_string(), fresh, "after edit {round}: {from:?} -> {to:?}");
        server.close(&fresh_uri);
    }
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn closing_a_dockerfile_clears_its_diagnostics() {
    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    let uri = "file:///berth-test/Dockerfile";
    server.open(uri, "FROM x\n");
    server.await_diagnostics(uri, 1);
    server.close(uri);
    let timeout = server.timeout;
    let params = server.await_notification(
        "textDocument/publishDiagnostics",
        |p| p["uri"] == uri && p["version"].is_null(),
        timeout,
    );
    assert_eq!(params["diagnostics"], json!([]));
    assert_eq!(server.server_text(uri), None);
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn exit_codes_follow_the_spec() {
    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    assert!(server.shutdown_and_exit().success(), "exit after shutdown is 0");

    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    assert_eq!(server.exit().code(), Some(1), "exit without shutdown is 1");

    let server = TestServer::spawn();
    assert_eq!(server.exit().code(), Some(1), "exit before initialize is 1");

    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    assert_eq!(server.close_stdin().code(), Some(1), "end of input without exit is 1");
}

#[test]
fn requests_after_shutdown_are_invalid() {
    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    let response = server.request_raw("berth/viewFileText", json!({ "uri": "file:///x/Dockerfile" }));
    assert_eq!(response["error"]["code"], -32600, "{response}");
    assert!(server.exit().success());
}

#[test]
fn requests_before_initialize_are_refused() {
    let mut server = TestServer::spawn();
    let response = server.request_raw("berth/viewFileText", json!({ "uri": "file:///x/Dockerfile" }));
    assert_eq!(response["error"]["code"], -32002, "{response}");
    server.initialize(json!({}));
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn malformed_messages_get_errors_and_the_server_keeps_serving() {
    let mut server = TestServer::spawn();
    server.initialize(json!({}));

    // A body that is not JSON: a parse error with a null id.
    server.send_body(b"{\"jsonrpc\": \"2.0\", oops");
    let response = server.await_response(&Value::Null);
    assert_eq!(response["error"]["code"], -32700, "{response}");

    // JSON that is not a JSON-RPC 2.0 message: an invalid request, with its id.
    server.send_body(br#"{"jsonrpc":"1.0","id":4242,"method":"shutdown"}"#);
    let response = server.await_response(&json!(4242));
    assert_eq!(response["error"]["code"], -32600, "{response}");

    // Not even UTF-8.
    server.send_body(b"\xff\xfe{}");
    let response = server.await_response(&Value::Null);
    assert_eq!(response["error"]["code"], -32700, "{response}");

    // Garbage between messages and a header block without Content-Length.
    server.send_bytes(b"this is not a header\r\n\r\nContent-Type: text/plain\r\n\r\n");
    let response = server.await_response(&Value::Null);
    assert_eq!(response["error"]["code"], -32700, "{response}");

    // Unknown methods: requests get MethodNotFound, notifications are ignored.
    let response = server.request_raw("berth/noSuchMethod", json!({}));
    assert_eq!(response["error"]["code"], -32601, "{response}");
    server.notify("berth/noSuchNotification", json!({}));
    server.notify("$/noSuchNotification", json!({}));

    // Params of the wrong shape: InvalidParams, and nothing else breaks.
    let response = server.request_raw("textDocument/diagnostic", json!({ "textDocument": 5 }));
    assert_eq!(response["error"]["code"], -32602, "{response}");

    let uri = "file:///berth-test/Dockerfile";
    server.open(uri, "FROM x\n");
    assert_eq!(server.server_text(uri).as_deref(), Some("FROM x\n"));
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn registers_file_watchers_when_the_client_allows_dynamic_registration() {
    let mut server = TestServer::spawn();
    server.initialize(json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } }));
    let request = server.await_server_request("client/registerCapability");
    let registration = &request["params"]["registrations"][0];
    assert_eq!(registration["method"], "workspace/didChangeWatchedFiles");
    let globs: Vec<&str> = registration["registerOptions"]["watchers"]
        .as_array()
        .map(|watchers| watchers.iter().filter_map(|w| w["globPattern"].as_str()).collect())
        .unwrap_or_default();
    for glob in ["**/pyproject.toml", "**/.python-version", "**/uv.lock", "**/.dockerignore", "**/*.dockerignore"] {
        assert!(globs.contains(&glob), "{glob} missing from {globs:?}");
    }
    assert!(server.shutdown_and_exit().success());

    let mut server = TestServer::spawn();
    server.initialize(json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": false } } }));
    let requests = server.drain_matching(|msg| msg["method"] == "client/registerCapability");
    assert!(requests.is_empty(), "{requests:?}");
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn project_file_changes_republish_open_dockerfiles() {
    let ws = Workspace::new();
    ws.write("app/pyproject.toml", "[project]\nname = \"app\"\nrequires-python = \">=3.12\"\n");
    let text = "FROM python:3.12-slim\nCOPY . /app\nRUN uv sync --locked\n";
    ws.write("app/Dockerfile", text);
    ws.write("other/Dockerfile", text);
    let mut server = TestServer::spawn();
    server.initialize_in(
        &ws.root(),
        json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } }),
    );
    server.await_server_request("client/registerCapability");

    let app = ws.uri("app/Dockerfile");
    let other = ws.uri("other/Dockerfile");
    server.open(&app, text);
    server.open(&other, text);
    server.await_diagnostics(&app, 1);
    server.await_diagnostics(&other, 1);

    // On disk.
    server.file_changed_on_disk(&ws.uri("app/pyproject.toml"), 2);
    server.await_diagnostics(&app, 1);
    server.file_changed_on_disk(&ws.uri("app/.python-version"), 1);
    server.await_diagnostics(&app, 1);
    // A file discovery never reads changes nothing.
    server.file_changed_on_disk(&ws.uri("app/README.md"), 2);

    // In the editor: open, edit, close.
    let pyproject = ws.uri("app/pyproject.toml");
    server.open_with(&pyproject, "toml", 1, "[project]\nname = \"app\"\n");
    server.await_diagnostics(&app, 1);
    server.edit(&pyproject, (1, 8), (1, 11), "renamed");
    server.await_diagnostics(&app, 1);
    server.close(&pyproject);
    server.await_diagnostics(&app, 1);

    // A project file at the workspace root may affect both.
    server.file_changed_on_disk(&ws.uri(".dockerignore"), 1);
    server.await_diagnostics(&app, 1);
    server.await_diagnostics(&other, 1);

    // `other` is not in `app`'s project, and README.md is not a project file.
    std::thread::sleep(Duration::from_millis(200));
    let extra = server.drain_notifications("textDocument/publishDiagnostics");
    assert!(extra.is_empty(), "unexpected republishing: {extra:?}");
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn workspace_folder_changes_republish_open_dockerfiles() {
    let ws = Workspace::new();
    let mut server = TestServer::spawn();
    server.initialize_in(&ws.path("a"), json!({}));
    let uri = ws.uri("b/Dockerfile");
    server.open(&uri, "FROM x\n");
    server.await_diagnostics(&uri, 1);
    server.notify(
        "workspace/didChangeWorkspaceFolders",
        json!({ "event": {
            "added": [{ "uri": file_uri(&ws.path("b")), "name": "b" }],
            "removed": [{ "uri": file_uri(&ws.path("a")), "name": "a" }],
        } }),
    );
    server.await_diagnostics(&uri, 1);
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn pull_diagnostics_when_the_client_supports_them() {
    let ws = Workspace::new();
    let mut server = TestServer::spawn();
    let result = server.initialize_in(
        &ws.root(),
        json!({
            "textDocument": { "diagnostic": { "dynamicRegistration": false } },
            "workspace": { "diagnostics": { "refreshSupport": true } },
        }),
    );
    assert_eq!(result["capabilities"]["diagnosticProvider"]["interFileDependencies"], true);

    let uri = ws.uri("Dockerfile");
    server.open(&uri, "FROM python:3.12\n");
    let report = server.request("textDocument/diagnostic", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(report["kind"], "full", "{report}");
    assert!(report["items"].is_array());
    let result_id = report["resultId"].as_str().unwrap_or_default().to_owned();
    assert!(!result_id.is_empty(), "{report}");

    let again = server
        .request("textDocument/diagnostic", json!({ "textDocument": { "uri": uri }, "previousResultId": result_id }));
    assert_eq!(again, json!({ "kind": "unchanged", "resultId": result_id }));

    server.edit(&uri, (0, 0), (0, 0), "# syntax=docker/dockerfile:1\n");
    let after_edit = server
        .request("textDocument/diagnostic", json!({ "textDocument": { "uri": uri }, "previousResultId": result_id }));
    assert_eq!(after_edit["kind"], "full", "{after_edit}");

    // A project file change asks the client to pull again instead of pushing.
    server.file_changed_on_disk(&ws.uri("pyproject.toml"), 1);
    server.await_server_request("workspace/diagnostic/refresh");

    // Nothing is pushed to a client that pulls.
    server.close(&uri);
    let pushed = server.drain_notifications("textDocument/publishDiagnostics");
    assert!(pushed.is_empty(), "{pushed:?}");

    // Unknown documents get an empty report.
    let report = server.request("textDocument/diagnostic", json!({ "textDocument": { "uri": ws.uri("nope") } }));
    assert_eq!(report, json!({ "kind": "full", "items": [] }));
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn stdout_carries_only_json_rpc_even_with_verbose_logs() {
    // The reader thread fails the test on anything on stdout that is not a framed message.
    let mut server = TestServer::spawn_with_env(&[("BERTH_LOG", "trace")]);
    server.initialize(json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } }));
    let uri = "file:///berth-test/Dockerfile";
    server.open(uri, "FROM x\n");
    server.edit(uri, (0, 5), (0, 6), "y");
    server.await_diagnostics(uri, 2);
    server.send_body(b"not json");
    server.await_response(&Value::Null);
    assert!(server.shutdown_and_exit().success());
    // Log lines went somewhere: stderr.
}

#[test]
fn a_project_named_only_by_a_copy_follows_edits_to_that_copy() {
    // No pyproject.toml above the Dockerfile: only its COPY lines say where the project is.
    let ws = Workspace::new();
    ws.write("backend/pyproject.toml", "[project]\nname = \"api\"\nrequires-python = \">=3.13\"\n");
    ws.write("backend/uv.lock", "version = 1\n");
    ws.write("worker/pyproject.toml", "[project]\nname = \"worker\"\nrequires-python = \">=3.11\"\n");
    let text = "FROM python:3.12-slim\nWORKDIR /app\nCOPY worker/pyproject.toml ./\n";
    ws.write("docker/api.Dockerfile", text);
    let mut server = TestServer::spawn();
    server.initialize_in(&ws.root(), json!({}));
    let uri = ws.uri("docker/api.Dockerfile");
    server.open(&uri, text);
    let codes = |published: &Value| -> Vec<String> {
        published["diagnostics"].as_array().expect("a list").iter().map(|it| it["code"].to_string()).collect()
    };
    // worker/ allows Python 3.12.
    let first = server.await_diagnostics(&uri, 1);
    assert!(!codes(&first).iter().any(|it| it.contains("PY001")), "{first}");
    // Now the copy names backend/, which wants 3.13: discovery runs again on this edit.
    let version = server.edit(&uri, (2, 5), (2, 11), "backend");
    let second = server.await_diagnostics(&uri, version);
    let mismatch = second["diagnostics"]
        .as_array()
        .expect("a list")
        .iter()
        .find(|it| it["code"] == "PY001")
        .unwrap_or_else(|| panic!("the Python mismatch with backend/: {second}"));
    assert!(mismatch["message"].as_str().is_some_and(|it| it.contains(">=3.13")), "{mismatch}");
    // And back.
    let version = server.edit(&uri, (2, 5), (2, 12), "worker");
    let third = server.await_diagnostics(&uri, version);
    assert!(!codes(&third).iter().any(|it| it.contains("PY001")), "{third}");
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn a_compose_file_written_elsewhere_in_the_workspace_gives_an_open_dockerfile_its_project() {
    let ws = Workspace::new();
    ws.write("backend/pyproject.toml", "[project]\nname = \"api\"\nrequires-python = \">=3.13\"\n");
    let text = "FROM python:3.12-slim\nWORKDIR /app\n";
    ws.write("docker/api.Dockerfile", text);
    let mut server = TestServer::spawn();
    server.initialize_in(&ws.root(), json!({}));
    let uri = ws.uri("docker/api.Dockerfile");
    server.open(&uri, text);
    let first = server.await_diagnostics(&uri, 1);
    assert!(!first.to_string().contains("PY001"), "{first}");
    // A compose file in a folder that is not above the Dockerfile now builds it from backend/.
    ws.write(
        "deploy/compose.yaml",
        "services:\n  api:\n    build:\n      context: ../backend\n      dockerfile: ../docker/api.Dockerfile\n",
    );
    server.file_changed_on_disk(&ws.uri("deploy/compose.yaml"), 1);
    let second = server.await_diagnostics(&uri, 1);
    assert!(second.to_string().contains("PY001"), "{second}");
    assert!(server.shutdown_and_exit().success());
}
