//! The editing session the product exists for, end to end over stdio against the built binary:
//! open a Dockerfile, see berth's findings, edit a line with non-ASCII text, change the project's
//! `.python-version` on disk, and shut down cleanly.

mod support;

use serde_json::{Value, json};

use support::{TestServer, Workspace};

const DOCKERFILE: &str = "# café ☕ image for the 🐍 app
FROM python:3.11-slim
COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /uvx /bin/
WORKDIR /app
COPY . .
RUN echo \"naïve 🐍\" && uv sync
";

/// Codes of the warnings and errors (informational findings come and go with new rules).
fn codes(diagnostics: &Value) -> Vec<String> {
    diagnostics["diagnostics"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|it| it["severity"].as_u64().is_some_and(|severity| severity <= 2))
        .map(|it| it["code"].as_str().unwrap_or("").to_owned())
        .collect()
}

fn find<'a>(diagnostics: &'a Value, code: &str) -> &'a Value {
    diagnostics["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|it| it["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {diagnostics:#}"))
}

#[test]
fn open_edit_project_change_shutdown() {
    let ws = Workspace::new();
    ws.write("pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.10\"\n");
    ws.write(".python-version", "3.12\n");
    ws.write("uv.lock", "version = 1\n");
    ws.write("Dockerfile", DOCKERFILE);
    let uri = ws.uri("Dockerfile");

    let mut server = TestServer::spawn();
    let init = server.initialize_in(
        &ws.root(),
        json!({
            "general": { "positionEncodings": ["utf-16"] },
            "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } },
        }),
    );
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    let registration = server.await_server_request("client/registerCapability");
    let watchers = registration["params"]["registrations"][0]["registerOptions"]["watchers"].to_string();
    assert!(watchers.contains(".python-version") && watchers.contains("pyproject.toml"), "{watchers}");

    // Open: the image's Python does not match the pin, and the sync is unlocked.
    server.open(&uri, DOCKERFILE);
    let published = server.await_diagnostics(&uri, 1);
    assert_eq!(published["version"], 1);
    assert_eq!(codes(&published), ["PY001", "UV001"], "{published:#}");
    let mismatch = find(&published, "PY001");
    assert_eq!(
        mismatch["range"],
        json!({ "start": { "line": 1, "character": 5 }, "end": { "line": 1, "character": 21 } })
    );
    assert_eq!(mismatch["severity"], 2);
    assert_eq!(mismatch["source"], "berth");
    assert!(mismatch["codeDescription"]["href"].as_str().unwrap().contains("py001"));
    assert!(
        mismatch["message"]
            .as_str()
            .unwrap()
            .contains("python:3.11-slim provides Python 3.11, but .python-version pins 3.12")
    );
    let related = &mismatch["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], ws.uri(".python-version"));
    assert_eq!(related["location"]["range"]["start"], json!({ "line": 0, "character": 0 }));
    // UTF-16 columns on a line with `ï` (one unit) and `🐍` (two units): `uv` starts at 23.
    let unlocked = find(&published, "UV001");
    assert_eq!(
        unlocked["range"],
        json!({ "start": { "line": 5, "character": 23 }, "end": { "line": 5, "character": 30 } })
    );

    // An incremental edit on that line, placed by UTF-16 column: add `--locked` after `sync`.
    let version = server.edit(&uri, (5, 30), (5, 30), " --locked");
    let published = server.await_diagnostics(&uri, version);
    assert_eq!(published["version"], version);
    assert_eq!(codes(&published), ["PY001"], "{published:#}");
    let text = server.server_text(&uri).expect("the server has the document");
    assert!(text.ends_with("RUN echo \"naïve 🐍\" && uv sync --locked\n"), "{text}");

    // The pin changes on disk; the watcher notification re-lints the open Dockerfile.
    ws.write(".python-version", "3.11\n");
    server.file_changed_on_disk(&ws.uri(".python-version"), 2);
    let published = server.await_diagnostics(&uri, version);
    assert_eq!(codes(&published), Vec::<String>::new(), "{published:#}");

    let status = server.shutdown_and_exit();
    assert_eq!(status.code(), Some(0));
}

/// A Dockerfile in docker/ whose project is the context compose.yaml gives it: the project is
/// found there, and editing compose.yaml (an open buffer first, then the disk) moves it.
#[test]
fn compose_file_gives_the_project() {
    let ws = Workspace::new();
    ws.write(
        "backend/pyproject.toml",
        "[project]\nname = \"api\"\nversion = \"0.1.0\"\nrequires-python = \">=3.13\"\n",
    );
    ws.write("backend/uv.lock", "version = 1\n");
    let compose =
        "services:\n  api:\n    build:\n      context: ./backend\n      dockerfile: ../docker/api.Dockerfile\n";
    ws.write("compose.yaml", compose);
    let dockerfile = "FROM python:3.12-slim-trixie\nRUN echo built\n";
    ws.write("docker/api.Dockerfile", dockerfile);
    let uri = ws.uri("docker/api.Dockerfile");

    let mut server = TestServer::spawn();
    server.initialize_in(
        &ws.root(),
        json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } }),
    );
    let registration = server.await_server_request("client/registerCapability");
    let watchers = registration["params"]["registrations"][0]["registerOptions"]["watchers"].to_string();
    assert!(watchers.contains("**/compose.yaml") && watchers.contains("**/docker-compose.yml"), "{watchers}");

    server.open(&uri, dockerfile);
    let published = server.await_diagnostics(&uri, 1);
    assert_eq!(codes(&published), ["PY001"], "{published:#}");
    let related = &find(&published, "PY001")["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], ws.uri("backend/pyproject.toml"));

    // An unsaved edit of compose.yaml that builds another Dockerfile: no project any more.
    let compose_uri = ws.uri("compose.yaml");
    server.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": compose_uri, "languageId": "yaml", "version": 1, "text": compose } }),
    );
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": compose_uri, "version": 2 },
            "contentChanges": [{ "text": compose.replace("api.Dockerfile", "web.Dockerfile") }],
        }),
    );
    let published = server.await_diagnostics(&uri, 1);
    assert_eq!(codes(&published), Vec::<String>::new(), "{published:#}");

    // The buffer is closed and the file on disk (still naming api.Dockerfile) counts again.
    server.notify("textDocument/didClose", json!({ "textDocument": { "uri": compose_uri } }));
    let published = server.await_diagnostics(&uri, 1);
    assert_eq!(codes(&published), ["PY001"], "{published:#}");

    // On disk, the service moves to a context without a project.
    ws.write("compose.yaml", &compose.replace("./backend", "./docker"));
    server.file_changed_on_disk(&compose_uri, 2);
    let published = server.await_diagnostics(&uri, 1);
    assert_eq!(codes(&published), Vec::<String>::new(), "{published:#}");

    let status = server.shutdown_and_exit();
    assert_eq!(status.code(), Some(0));
}
