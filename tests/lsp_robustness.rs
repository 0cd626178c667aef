//! Protocol robustness of `berth server` over stdio: malformed and misframed input, the
//! lifecycle, cancellation, documents that were never opened, positions outside the text,
//! huge and binary documents, and hostile project files. Each test checks the answer, that
//! nothing panicked, and that time and peak memory stay bounded.

#[path = "support/robust.rs"]
mod robust;
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use robust::{assert_healthy, assert_positions_valid, assert_within, every_request};
use support::{TestServer, Workspace};

/// Peak memory of a debug server doing ordinary work is about 20 MiB.
const ORDINARY_CEILING_MIB: u64 = 100;
/// The conventional unprivileged user and group id, for running the server without root.
const NOBODY: u32 = 65_534;

/// A `(line, character)` position.
type Pos = (u32, u32);

fn utf16() -> Value {
    json!({ "general": { "positionEncodings": ["utf-16"] } })
}

fn error_code(response: &Value) -> Option<i64> {
    response["error"]["code"].as_i64()
}

/// Whether `response` to `method` is an answer rather than a failure: a result, or for rename
/// the RequestFailed error it owes when there is nothing to rename.
fn answered(method: &str, response: &Value) -> bool {
    match error_code(response) {
        None => response.get("result").is_some(),
        Some(code) => method == "textDocument/rename" && code == -32803,
    }
}

fn short(value: &Value) -> String {
    value.to_string().chars().take(300).collect()
}

#[test]
fn malformed_input_gets_errors_and_the_session_goes_on() {
    let started = Instant::now();
    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    let uri = "file:///berth-test/Dockerfile";
    server.open(uri, "FROM python:3.12\n");

    // Not JSON.
    server.send_body(b"{\"jsonrpc\":\"2.0\",\"id\":1,");
    assert_eq!(error_code(&server.await_response(&Value::Null)), Some(-32700));
    // Unknown request: MethodNotFound; unknown notification: ignored, nothing comes back.
    let response = server.request_raw("berth/doesNotExist", json!({}));
    assert_eq!(error_code(&response), Some(-32601), "{response}");
    server.notify("custom/notification", json!({ "x": 1 }));
    assert!(server.drain_matching(|msg| msg.get("error").is_some()).is_empty());

    // Content-Length too long: the body swallows the filler after it and is not JSON. The
    // `shutdown` inside must not run: a request afterwards is still served normally.
    let shutdown = br#"{"jsonrpc":"2.0","id":9001,"method":"shutdown"}"#;
    let mut frame = format!("Content-Length: {}\r\n\r\n", shutdown.len() + 16).into_bytes();
    frame.extend_from_slice(shutdown);
    frame.extend_from_slice(b"################");
    server.send_bytes(&frame);
    assert_eq!(error_code(&server.await_response(&Value::Null)), Some(-32700));
    assert_eq!(server.server_text(uri).as_deref(), Some("FROM python:3.12\n"));

    // Content-Length too short: the cut body is not JSON, and the rest of it runs into the next
    // message's header. The server must find its feet again and answer the next request.
    let mut frame = b"Content-Length: 10\r\n\r\n".to_vec();
    frame.extend_from_slice(br#"{"jsonrpc":"2.0","id":9002,"method":"shutdown"}"#);
    server.send_bytes(&frame);
    assert_eq!(error_code(&server.await_response(&Value::Null)), Some(-32700));
    let response = server.request_raw("berth/viewFileText", json!({ "uri": uri }));
    assert_eq!(response["result"]["text"], "FROM python:3.12\n", "{response}");

    // A header block without Content-Length, then one with a number that is not one.
    server.send_bytes(b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n");
    assert_eq!(error_code(&server.await_response(&Value::Null)), Some(-32700));
    server.send_bytes(b"Content-Length: lots\r\n\r\n");
    assert_eq!(error_code(&server.await_response(&Value::Null)), Some(-32700));

    // Nothing was answered for the swallowed `shutdown` requests.
    let answered = server.drain_matching(|msg| msg["id"] == 9001 || msg["id"] == 9002);
    assert!(answered.is_empty(), "{answered:?}");
    assert_eq!(server.server_text(uri).as_deref(), Some("FROM python:3.12\n"));
    assert_healthy(&server, ORDINARY_CEILING_MIB);
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
    assert_within(started, Duration::from_secs(30), "the malformed-input session");
}

/// JSON allows escaped surrogates that are not half of a pair; a JavaScript client sends them
/// for text that holds one. Each reads as U+FFFD, one UTF-16 unit like the surrogate, so the
/// document stays in step with the editor and later positions still fit.
#[test]
fn lone_surrogates_read_as_replacement_characters() {
    let mut server = TestServer::spawn();
    server.initialize(utf16());
    let uri = "file:///berth-test/Dockerfile";
    let open = br#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///berth-test/Dockerfile","languageId":"dockerfile","version":1,"text":"FROM python:3.12\nLABEL a=\ud83d!\n"}}}"#;
    server.send_body(open);
    assert_eq!(server.server_text(uri).as_deref(), Some("FROM python:3.12\nLABEL a=\u{fffd}!\n"));
    // After the surrogate, in UTF-16 units: `LABEL a=` is 8, the surrogate 1, `!` at 9.
    server.edit(uri, (1, 9), (1, 10), "?");
    assert_eq!(server.server_text(uri).as_deref(), Some("FROM python:3.12\nLABEL a=\u{fffd}?\n"));
    // A change that brings one, a stray high surrogate after a pair, and one in a member
    // nobody reads.
    let change = br#"{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///berth-test/Dockerfile","version":9},"contentChanges":[{"range":{"start":{"line":1,"character":10},"end":{"line":1,"character":10}},"text":"\ude00\ud83d\ude00\ud83d"}]},"note":"\udc00"}"#;
    server.send_body(change);
    assert_eq!(
        server.server_text(uri).as_deref(),
        Some("FROM python:3.12\nLABEL a=\u{fffd}?\u{fffd}\u{1f600}\u{fffd}\n")
    );
    // A client's answer that holds one: a response to nothing the server asked, so ignored.
    server.send_body(br#"{"jsonrpc":"2.0","id":77,"result":["\ud83d"]}"#);
    assert!(server.drain_matching(|msg| msg.get("error").is_some()).is_empty());
    server.await_diagnostics(uri, 9);
    assert_healthy(&server, ORDINARY_CEILING_MIB);
    assert_eq!(server.shutdown_and_exit().code(), Some(0));
}

#[test]
fn lifecycle_after_shutdown_and_without_it() {
    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    let uri = "file:///berth-test/Dockerfile";
    server.open(uri, "FROM x\n");
    assert_eq!(server.request("shutdown", Value::Null), Value::Null);
    // After shutdown every request is InvalidRequest, and notifications change nothing.
    for (method, params) in every_request(uri, (0, 1), (0, 2)) {
        let response = server.request_raw(method, params);
        assert_eq!(error_code(&response), Some(-32600), "{method}: {response}");
    }
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": "FROM y\n" }],
        }),
    );
    let response = server.request_raw("berth/viewFileText", json!({ "uri": uri }));
    assert_eq!(error_code(&response), Some(-32600), "{response}");
    assert_healthy(&server, ORDINARY_CEILING_MIB);
    assert_eq!(server.exit().code(), Some(0), "exit after shutdown");

    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    server.open(uri, "FROM x\n");
    assert_eq!(server.exit().code(), Some(1), "exit without shutdown");

    // `shutdown` takes no params; one that brings some (`{}`) still shuts down, and says so.
    let mut server = TestServer::spawn();
    server.initialize(json!({}));
    assert_eq!(server.request("shutdown", json!({})), Value::Null);
    let response = server.request_raw("textDocument/hover", json!({}));
    assert_eq!(error_code(&response), Some(-32600), "{response}");
    assert_eq!(server.exit().code(), Some(0), "exit after a shutdown with params");
}

#[test]
fn every_cancelled_request_gets_exactly_one_answer() {
    let started = Instant::now();
    let mut server = TestServer::spawn();
    server.initialize(utf16());
    let uri = "file:///berth-test/Dockerfile";
    // Big enough that the analysis the requests wait for is still running when they are cancelled.
    let text = format!("FROM python:3.12-slim\n{}", "RUN uv pip install --system requests && echo ok\n".repeat(4000));
    server.open(uri, &text);
    let mut ids = Vec::new();
    for (method, params) in every_request(uri, (1, 8), (3, 0)) {
        ids.push(server.send_request(method, params));
    }
    // Cancel every other request, the last ones first (those still queued behind the others).
    let cancelled: Vec<i64> = ids.iter().copied().rev().step_by(2).collect();
    for id in &cancelled {
        server.notify("$/cancelRequest", json!({ "id": id }));
    }
    // Cancelling what does not exist (or no longer exists) is ignored.
    server.notify("$/cancelRequest", json!({ "id": 987_654 }));
    server.notify("$/cancelRequest", json!({ "id": "not-a-request" }));
    let mut answered_cancelled = 0;
    for id in &ids {
        let response = server.await_response(&json!(id));
        answered_cancelled += usize::from(error_code(&response) == Some(-32800));
        match error_code(&response) {
            None | Some(-32803) => assert!(answered("textDocument/rename", &response), "{response}"),
            Some(code) => {
                assert_eq!(code, -32800, "only a cancelled request may fail: {response}");
                assert!(cancelled.contains(id), "request {id} was not cancelled: {response}");
            }
        }
    }
    // The cancellations were read while the requests waited for the analysis, which takes far
    // longer than reading a few messages, so they took effect rather than arriving too late.
    assert!(answered_cancelled * 2 >= cancelled.len(), "{answered_cancelled} of {} were cancelled", cancelled.len());
    // No second answer for any of them.
    let extra = server.drain_matching(|msg| msg.get("method").is_none() && ids.iter().any(|id| msg["id"] == *id));
    assert!(extra.is_empty(), "{extra:?}");
    server.await_diagnostics(uri, 1);
    // Several requests each hold an analysis of the 200 KB document at the same time.
    assert_healthy(&server, 400);
    assert!(server.shutdown_and_exit().success());
    assert_within(started, Duration::from_secs(60), "the cancellation session");
}

#[test]
fn documents_that_were_never_opened() {
    let mut server = TestServer::spawn();
    server.initialize(utf16());
    let uri = "file:///berth-test/never/Dockerfile";
    server.change(uri, 2, json!([{ "range": support::range((0, 0), (0, 0)), "text": "FROM x\n" }]));
    server.close(uri);
    for (method, params) in every_request(uri, (0, 0), (0, 4)) {
        let response = server.request_raw(method, params);
        assert!(answered(method, &response), "{method}: {response}");
        let result = &response["result"];
        let empty = result.is_null()
            || result.as_array().is_some_and(Vec::is_empty)
            || result["data"].as_array().is_some_and(Vec::is_empty)
            || result["items"].as_array().is_some_and(Vec::is_empty);
        assert!(empty, "{method} answered about a document it does not have: {result}");
    }
    // Other URI schemes and odd paths too.
    for uri in ["untitled:Untitled-1", "file:///%FF%FE/Dockerfile", "file:///", "http://example.com/Dockerfile"] {
        server.open_with(uri, "dockerfile", 1, "FROM python:3.12\n");
        for (method, params) in every_request(uri, (0, 5), (0, 9)) {
            let response = server.request_raw(method, params);
            assert!(answered(method, &response), "{uri} {method}: {response}");
        }
        server.close(uri);
    }
    assert_eq!(server.server_text(uri), None);
    assert_healthy(&server, ORDINARY_CEILING_MIB);
    assert!(server.shutdown_and_exit().success());
}

/// The text after replacing `start..end` (UTF-16 positions, clamped the way the server clamps:
/// past a line's end is its end, past the last line is the end of the text, and inside a
/// surrogate pair is the start of the character).
fn apply_clamped(text: &str, start: (u32, u32), end: (u32, u32), new_text: &str) -> String {
    let offset = |(line, character): (u32, u32)| -> usize {
        let mut line_start = 0;
        for _ in 0..line {
            match text[line_start..].find('\n') {
                Some(idx) => line_start += idx + 1,
                None => return text.len(),
            }
        }
        let line_end = text[line_start..].find('\n').map_or(text.len(), |idx| line_start + idx);
        let mut units = 0;
        for (idx, ch) in text[line_start..line_end].char_indices() {
            units += ch.len_utf16() as u32;
            if units > character {
                return line_start + idx;
            }
        }
        line_end
    };
    let (start, end) = (offset(start), offset(end));
    let (start, end) = (start.min(end), end.max(start));
    format!("{}{}{}", &text[..start], new_text, &text[end..])
}

#[test]
fn positions_past_the_end_and_inside_surrogate_pairs() {
    let mut server = TestServer::spawn();
    server.initialize(utf16());
    let uri = "file:///berth-test/Dockerfile";
    let mut text = String::from("FROM python:3.12 AS 🐍\nRUN echo \"🐍🐍\" && uv sync\nENV A=😀 B=$A\nCMD [\"🐍\"]\n");
    server.open(uri, &text);
    let edits: [(Pos, Pos, &str); 7] = [
        ((1, 11), (1, 11), "x"),            // between the halves of the first snake
        ((1, 12), (1, 14), "é"),            // from the middle of one snake into the next
        ((2, 7), (2, 400), "1"),            // from inside the emoji to past the line end
        ((0, 21), (0, 22), "🐍"),           // the stage name's snake, split at both ends
        ((40, 0), (50, 3), "\nLABEL z=🐍"), // lines past the end
        ((3, 1_000_000), (2, 0), ""),       // end before start
        ((u32::MAX, u32::MAX), (u32::MAX, u32::MAX), "\n"),
    ];
    for (start, end, new_text) in edits {
        let version = server.edit(uri, start, end, new_text);
        text = apply_clamped(&text, start, end, new_text);
        assert_eq!(server.server_text(uri).as_deref(), Some(text.as_str()), "after {start:?}..{end:?}");
        let published = server.await_diagnostics(uri, version);
        assert_positions_valid(&text, &published, "publishDiagnostics");
    }
    // Requests at the same kinds of positions answer with positions that exist.
    let probes: [((u32, u32), (u32, u32)); 6] = [
        ((0, 21), (0, 22)),
        ((1, 11), (1, 13)),
        ((1, 999), (2, 999)),
        ((99, 0), (999, 9)),
        ((2, 7), (2, 8)),
        ((u32::MAX, u32::MAX), (u32::MAX, u32::MAX)),
    ];
    for (at, end) in probes {
        for (method, params) in every_request(uri, at, end) {
            let response = server.request_raw(method, params);
            assert!(answered(method, &response), "{method} at {at:?}: {response}");
            if method != "textDocument/semanticTokens/full" && method != "textDocument/semanticTokens/range" {
                assert_positions_valid(&text, &response["result"], method);
            }
        }
    }
    assert_healthy(&server, ORDINARY_CEILING_MIB);
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn a_two_megabyte_line() {
    let started = Instant::now();
    let mut server = TestServer::spawn();
    // Debug builds on a busy machine take seconds per analysis of 2 MB.
    server.timeout = Duration::from_secs(120);
    server.initialize(utf16());
    let uri = "file:///berth-test/Dockerfile";
    // Words, variables, quotes, flags and non-ASCII text, repeated to 2 MB on one line.
    let unit = "uv pip install \"pkg==1.0\" $HOME ${X:-é} '🐍' --no-cache && ";
    let line = format!("RUN {}true", unit.repeat(2_000_000 / unit.len()));
    let text = format!("FROM python:3.12-slim\n{line}\nCMD [\"x\"]\n");
    assert!(line.len() >= 2_000_000);
    server.open(uri, &text);
    let published = server.await_diagnostics(uri, 1);
    assert_positions_valid(&text, &published, "publishDiagnostics");
    let middle = (line.encode_utf16().count() / 2) as u32;
    for (method, params) in every_request(uri, (1, middle), (1, middle + 40)) {
        let response = server.request_raw(method, params);
        assert!(answered(method, &response), "{method}: {}", short(&response));
    }
    // An edit in the middle of the line, then one at its end.
    let version = server.edit(uri, (1, middle), (1, middle + 3), "🐍");
    let text = apply_clamped(&text, (1, middle), (1, middle + 3), "🐍");
    server.await_diagnostics(uri, version);
    let version = server.edit(uri, (1, u32::MAX), (1, u32::MAX), " && uv sync");
    let text = apply_clamped(&text, (1, u32::MAX), (1, u32::MAX), " && uv sync");
    server.await_diagnostics(uri, version);
    assert_eq!(server.server_text(uri).map(|it| it.len()), Some(text.len()));
    assert_healthy(&server, 1024);
    assert!(server.shutdown_and_exit().success());
    assert_within(started, Duration::from_secs(120), "the 2 MB line session");
}

#[test]
fn names_a_megabyte_long() {
    let started = Instant::now();
    let mut server = TestServer::spawn();
    server.timeout = Duration::from_secs(60);
    server.initialize(utf16());
    let uri = "file:///berth-test/Dockerfile";
    // Unknown names are compared with known ones for a did-you-mean: an unknown uv setting,
    // a variable, a stage and a mount option, each a megabyte long.
    let long = |prefix: &str| format!("{prefix}{}", "Q".repeat(1_000_000));
    let text = format!(
        "ARG {arg}\nFROM python:3.12-slim-trixie AS {stage}\nENV {uv}=1 X=${var}\n\
         COPY --from={other} /a /b\nRUN --mount=type=cache,{option}=1 uv sync\n",
        arg = long("A"),
        stage = long("S"),
        uv = long("UV_"),
        var = long("V"),
        other = long("T"),
        option = long("o"),
    );
    server.open(uri, &text);
    let published = server.await_diagnostics(uri, 1);
    assert_positions_valid(&text, &published, "publishDiagnostics");
    let version = server.edit(uri, (2, 8), (2, 8), "Z");
    server.await_diagnostics(uri, version);
    assert_healthy(&server, 1024);
    assert!(server.shutdown_and_exit().success());
    // Comparing the megabyte-long uv setting with every known name took minutes in a debug build.
    assert_within(started, Duration::from_secs(60), "the long names session");
}

#[test]
fn nul_bytes_and_binary_content_as_a_dockerfile() {
    let ws = Workspace::new();
    let mut server = TestServer::spawn();
    server.initialize_in(&ws.root(), utf16());
    let uri = ws.uri("Dockerfile");
    let text = "FROM python:3.12\u{0}\nRUN echo \u{0}\u{0} && uv sync\u{0}\n\u{0}ENV A=\u{0}\n";
    server.open(&uri, text);
    let published = server.await_diagnostics(&uri, 1);
    assert_positions_valid(text, &published, "publishDiagnostics");
    for (method, params) in every_request(&uri, (1, 10), (2, 3)) {
        let response = server.request_raw(method, params);
        assert!(answered(method, &response), "{method}: {response}");
    }

    // What an editor sends for a binary file it was told is a Dockerfile: bytes decoded lossily.
    let mut bytes = Vec::new();
    let mut seed = 0x2545_f491_u32;
    for _ in 0..200_000 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        bytes.push((seed >> 24) as u8);
    }
    let binary = String::from_utf8_lossy(&bytes).into_owned();
    let uri = ws.uri("image.png");
    server.open_with(&uri, "dockerfile", 1, &binary);
    let published = server.await_diagnostics(&uri, 1);
    assert_positions_valid(&binary, &published, "publishDiagnostics");
    let codes: Vec<&str> =
        published["diagnostics"].as_array().into_iter().flatten().filter_map(|d| d["code"].as_str()).collect();
    assert!(codes.len() < 50, "a binary file should get a handful of findings, not {}", codes.len());
    for (method, params) in every_request(&uri, (3, 2), (40, 0)) {
        let response = server.request_raw(method, params);
        assert!(answered(method, &response), "{method}: {}", short(&response));
    }
    assert_healthy(&server, 300);
    assert!(server.shutdown_and_exit().success());
}

fn codes(published: &Value) -> Vec<String> {
    published["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|it| it["code"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn hostile_project_files_in_the_workspace() {
    use std::os::unix::fs::{PermissionsExt, symlink};

    let started = Instant::now();
    let ws = Workspace::new();
    let dockerfile = "FROM python:3.11-slim\nCOPY . /app\nRUN uv sync --locked\n";

    // A 10 MB pyproject.toml: read, in bounded time and memory.
    let mut huge = String::from("[project]\nname = \"huge\"\nrequires-python = \">=3.12\"\ndependencies = [\n");
    while huge.len() < 10 * 1024 * 1024 {
        huge.push_str("  \"package-with-a-long-name==1.0.0\",\n");
    }
    huge.push_str("]\n");
    ws.write("huge/pyproject.toml", &huge);
    ws.write("huge/Dockerfile", dockerfile);

    // Invalid UTF-8 in every project file, read lossily: the pin and the ignore rules still count.
    let lossy = ws.path("lossy");
    std::fs::create_dir_all(&lossy).expect("create a folder");
    std::fs::write(lossy.join("pyproject.toml"), b"[project]\nname = \"caf\xe9\"\ndescription = \"\xff\xfe\"\n")
        .expect("write");
    std::fs::write(lossy.join(".python-version"), b"# \xc3\x28 invalid\n3.12\n").expect("write");
    std::fs::write(lossy.join(".dockerignore"), b"\xff\xfe\n.venv\n").expect("write");
    ws.write("lossy/Dockerfile", dockerfile);

    // A symlink loop where the project files would be, and an unreadable folder.
    let looped = ws.path("looped");
    std::fs::create_dir_all(looped.join("sub")).expect("create a folder");
    symlink("pyproject.toml", looped.join("pyproject.toml")).expect("symlink");
    symlink("b", looped.join(".python-version")).expect("symlink");
    symlink(".python-version", looped.join("b")).expect("symlink");
    symlink("..", looped.join("sub/up")).expect("symlink");
    ws.write("looped/Dockerfile", dockerfile);
    let locked = ws.path("locked");
    ws.write("locked/pyproject.toml", "[project]\nname = \"locked\"\nrequires-python = \">=3.12\"\n");
    ws.write("locked/Dockerfile", dockerfile);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // Root reads through chmod 000. When the tests run as root (as in CI containers), the server
    // runs as an unprivileged user instead, for whom the folder really is unreadable; the rest of
    // the workspace is made readable to it.
    let privileged = std::fs::read_dir(&locked).is_ok();
    let mut program = PathBuf::from(env!("CARGO_BIN_EXE_berth"));
    if privileged {
        std::fs::set_permissions(ws.root(), std::fs::Permissions::from_mode(0o755)).expect("chmod the workspace");
        // The build folder may be out of the unprivileged user's reach; a copy in the workspace
        // is not.
        program = robust::reachable_copy(&program, &ws.root());
    }
    let mut server = TestServer::spawn_configured(&program, &[("BERTH_LOG", "info")], |command| {
        if privileged {
            use std::os::unix::process::CommandExt;
            command.uid(NOBODY).gid(NOBODY);
        }
    });
    server.timeout = Duration::from_secs(60);
    server.initialize_in(&ws.root(), utf16());
    let mut results = Vec::new();
    for folder in ["huge", "lossy", "looped", "locked"] {
        let uri = ws.uri(&format!("{folder}/Dockerfile"));
        server.open(&uri, dockerfile);
        let published = server.await_diagnostics(&uri, 1);
        for (method, params) in every_request(&uri, (0, 8), (1, 0)) {
            let response = server.request_raw(method, params);
            assert!(answered(method, &response), "{folder} {method}: {}", short(&response));
        }
        results.push((folder, published));
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod back");

    let (_, huge_published) = &results[0];
    assert!(codes(huge_published).contains(&"PY001".to_owned()), "requires-python was read: {huge_published}");

    let (_, lossy_published) = &results[1];
    let lossy_codes = codes(lossy_published);
    assert!(lossy_codes.contains(&"PY001".to_owned()), "the 3.12 pin was read: {lossy_published}");
    assert!(!lossy_codes.contains(&"UV017".to_owned()), ".venv is ignored: {lossy_published}");

    let (_, looped_published) = &results[2];
    assert!(looped_published.to_string().contains("does not resolve"), "{looped_published}");

    // The unreadable project is not read: no Python mismatch from its requires-python.
    let (_, locked_published) = &results[3];
    assert!(!codes(locked_published).contains(&"PY001".to_owned()), "{locked_published}");
    // The 10 MB file's text and parsed dependency list are held while it is analysed.
    assert_healthy(&server, 512);
    assert!(server.shutdown_and_exit().success());
    assert_within(started, Duration::from_secs(60), "the hostile project files session");
}
