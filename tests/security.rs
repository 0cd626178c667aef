//! Security properties of `berth server`, tested over stdio against the built binary: it never
//! runs programs from the workspace, never reads project files through symlinks that leave the
//! workspace, opens no network connection while the network setting is off, and never writes a
//! secret's value into its log.

#[path = "support/robust.rs"]
mod robust;
mod support;

use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use robust::{assert_healthy, every_request};
use support::{TestServer, Workspace};

/// Creates an executable shell script at `path` that leaves `marker` behind when it runs.
fn trap(path: &Path, marker: &Path) {
    let script = format!("#!/bin/sh\ntouch '{}'\n", marker.display());
    std::fs::write(path, script).expect("write a trap script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("make it executable");
}

fn full_capabilities() -> Value {
    json!({
        "general": { "positionEncodings": ["utf-16"] },
        "workspace": {
            "didChangeWatchedFiles": { "dynamicRegistration": true },
            "configuration": true,
            "workspaceEdit": { "resourceOperations": ["create"] },
        },
        "textDocument": {
            "completion": { "completionItem": { "snippetSupport": true } },
            "codeAction": { "codeActionLiteralSupport": { "codeActionKind": { "valueSet": ["quickfix", "source"] } } },
        },
    })
}

/// Every request kind at several places, every code action's command (if any) executed, and
/// every command the server advertises run with plausible arguments.
fn exercise_everything(server: &mut TestServer, uri: &str, text: &str, advertised_commands: &[String]) {
    let lines = text.lines().count() as u32;
    let mut commands: Vec<Value> = Vec::new();
    for line in 0..lines {
        for character in [0, 5, 12] {
            for (method, params) in every_request(uri, (line, character), (line + 1, 0)) {
                let response = server.request_raw(method, params);
                if method == "textDocument/codeAction" {
                    for action in response["result"].as_array().into_iter().flatten() {
                        let command = if action["command"].is_object() { &action["command"] } else { action };
                        if command["command"].is_string() {
                            commands.push(command.clone());
                        }
                    }
                }
            }
        }
    }
    for command in commands {
        server.request_raw(
            "workspace/executeCommand",
            json!({ "command": command["command"], "arguments": command["arguments"].as_array().cloned().unwrap_or_default() }),
        );
    }
    for command in advertised_commands {
        for arguments in [json!([]), json!([uri]), json!([{ "uri": uri }]), json!([{ "textDocument": { "uri": uri } }])]
        {
            server.request_raw("workspace/executeCommand", json!({ "command": command, "arguments": arguments }));
        }
    }
}

#[test]
fn never_runs_programs_from_the_workspace() {
    let ws = Workspace::new();
    let marker = ws.root().join("..").join(format!("berth-trap-ran-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    for name in ["uv", "uvx", "python", "python3", "git", "docker", "sh", "bash", "hadolint", "pip"] {
        trap(&ws.path(name), &marker);
        std::fs::create_dir_all(ws.path("bin")).expect("create bin");
        trap(&ws.path(&format!("bin/{name}")), &marker);
        trap(&ws.path(&format!(".venv/bin/{name}")).tap_parent(), &marker);
    }
    ws.write("pyproject.toml", "[project]\nname = \"app\"\nrequires-python = \">=3.12\"\n[tool.uv]\npackage = true\n");
    ws.write(".python-version", "3.12\n");
    ws.write(".dockerignore", ".git\n");
    let text = "# syntax=docker/dockerfile:1\nFROM python:3.12-slim AS build\nARG TOKEN\nENV UV_COMPILE_BYTECODE=1\nCOPY . /app\nWORKDIR app\nRUN pip install uv && uv sync\nRUN --mount=type=cache,target=/root/.cache/uv uv pip install requests\nFROM build\nUSER root\nCMD uv run python -m app\n";
    ws.write("Dockerfile", text);
    let uri = ws.uri("Dockerfile");

    // The workspace's own bin folders come first on PATH, as a hostile checkout would arrange.
    let path = format!(
        "{}:{}:{}:{}",
        ws.root().display(),
        ws.path("bin").display(),
        ws.path(".venv/bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut server = TestServer::spawn_with_env(&[("PATH", path.as_str()), ("BERTH_LOG", "info")]);
    let init = server.initialize_in(&ws.root(), full_capabilities());
    let advertised: Vec<String> = init["capabilities"]["executeCommandProvider"]["commands"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|it| it.as_str().map(str::to_owned))
        .collect();
    server.open(&uri, text);
    server.await_diagnostics(&uri, 1);
    // Project files opened, edited and saved, and watched-file events for each.
    let pyproject = ws.uri("pyproject.toml");
    server.open_with(&pyproject, "toml", 1, "[project]\nname = \"app\"\n");
    server.edit(&pyproject, (1, 8), (1, 11), "other");
    server.notify("textDocument/didSave", json!({ "textDocument": { "uri": pyproject } }));
    for name in ["pyproject.toml", ".python-version", "uv.lock", ".dockerignore"] {
        server.file_changed_on_disk(&ws.uri(name), 2);
    }
    server.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "berth": { "network": { "enabled": false } } } }),
    );
    exercise_everything(&mut server, &uri, text, &advertised);
    server.edit(&uri, (6, 4), (6, 4), "uv ");
    let edited = server.server_text(&uri).unwrap_or_default();
    exercise_everything(&mut server, &uri, &edited, &advertised);
    assert_healthy(&server, 200);
    assert!(server.shutdown_and_exit().success());
    assert!(!marker.exists(), "a program from the workspace ran");

    // `berth check` and `berth check --fix` with the same PATH.
    for args in [&["check"][..], &["check", "--fix", "--unsafe-fixes"][..]] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
            .args(args)
            .arg(ws.root())
            .current_dir(ws.root())
            .env("PATH", &path)
            .output()
            .expect("run berth check");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
        assert!(!marker.exists(), "berth {args:?} ran a program from the workspace");
    }
}

/// Creates the parent folder of a path and returns the path.
trait TapParent {
    fn tap_parent(self) -> Self;
}

impl TapParent for std::path::PathBuf {
    fn tap_parent(self) -> Self {
        if let Some(parent) = self.parent() {
            std::fs::create_dir_all(parent).expect("create a folder");
        }
        self
    }
}

#[test]
fn project_files_behind_symlinks_out_of_the_workspace_are_not_read() {
    let outside = Workspace::new();
    // Content that would change the findings and that must never show up in any answer.
    let secret_version = "3.99";
    let secret_text = "requires-python = \">=3.99\" # OUTSIDE-SECRET-b7f3";
    outside.write("secret.toml", &format!("[project]\nname = \"stolen-name-b7f3\"\n{secret_text}\n"));
    outside.write("secret-version", &format!("{secret_version}\n"));
    outside.write("secret-ignore", "OUTSIDE-SECRET-b7f3\n.venv\n");

    let ws = Workspace::new();
    ws.write("app/Dockerfile", "FROM python:3.12-slim\nCOPY . /app\nRUN uv sync --locked\n");
    symlink(outside.path("secret.toml"), ws.path("app/pyproject.toml")).expect("symlink");
    symlink(outside.path("secret-version"), ws.path("app/.python-version")).expect("symlink");
    symlink(outside.path("secret-ignore"), ws.path("app/.dockerignore")).expect("symlink");
    // A folder symlinked out of the workspace, with a project inside.
    outside.write("proj/pyproject.toml", &format!("[project]\nname = \"x\"\n{secret_text}\n"));
    symlink(outside.path("proj"), ws.path("linked")).expect("symlink");

    let mut server = TestServer::spawn_with_env(&[("BERTH_LOG", "trace")]);
    server.initialize_in(&ws.root(), full_capabilities());
    let mut answers = String::new();
    for relative in ["app/Dockerfile", "linked/Dockerfile"] {
        let uri = ws.uri(relative);
        let text = "FROM python:3.12-slim\nCOPY . /app\nRUN uv sync --locked\n";
        server.open(&uri, text);
        let published = server.await_diagnostics(&uri, 1);
        answers.push_str(&published.to_string());
        for line in 0..3 {
            for (method, params) in every_request(&uri, (line, 6), (line + 1, 0)) {
                answers.push_str(&server.request_raw(method, params).to_string());
            }
        }
    }
    for needle in ["OUTSIDE-SECRET-b7f3", "stolen-name-b7f3", ">=3.99", "3.99"] {
        assert!(!answers.contains(needle), "{needle:?} leaked into an answer");
    }
    // The skipped files are reported, not silently treated as absent.
    assert!(answers.contains("outside the workspace folder"), "{answers}");
    assert_healthy(&server, 200);
    let stderr = server.stderr();
    assert!(!stderr.contains("OUTSIDE-SECRET-b7f3"), "the log shows the outside file's content");
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn no_network_connection_while_the_network_setting_is_off() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen on loopback");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("address").port();
    let registry = format!("127.0.0.1:{port}");
    let ws = Workspace::new();
    ws.write("pyproject.toml", "[project]\nname = \"app\"\n[[tool.uv.index]]\nname = \"local\"\n");
    ws.write("berth.toml", "[network]\nenabled = false\n");
    let text = format!(
        "FROM {registry}/library/python:3.12-slim AS base\nCOPY --from={registry}/astral-sh/uv:0.9.0 /uv /bin/\nADD http://{registry}/get-uv.sh /tmp/\nENV UV_INDEX_URL=http://{registry}/simple\nRUN uv pip install --index-url http://{registry}/simple requests\nFROM localhost:{port}/python:latest\n"
    );
    let uri = ws.uri("Dockerfile");
    ws.write("Dockerfile", &text);

    let mut server = TestServer::spawn();
    server.initialize_with(json!({
        "processId": null,
        "rootUri": ws.uri(""),
        "capabilities": full_capabilities(),
        "workspaceFolders": [{ "uri": support::file_uri(&ws.root()), "name": "root" }],
        "initializationOptions": { "berth": { "network": { "enabled": false } } },
    }));
    server.open(&uri, &text);
    server.await_diagnostics(&uri, 1);
    exercise_everything(&mut server, &uri, &text, &[]);
    server.edit(&uri, (0, 5), (0, 5), " ");
    server.await_diagnostics(&uri, 2);
    // Give anything started in the background time to dial out.
    std::thread::sleep(Duration::from_millis(500));
    match listener.accept() {
        Ok((_, peer)) => panic!("the server connected to the test registry from {peer}"),
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "{err}"),
    }
    assert_healthy(&server, 200);
    assert!(server.shutdown_and_exit().success());
    match listener.accept() {
        Ok((_, peer)) => panic!("the server connected to the test registry from {peer}"),
        Err(err) => assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock, "{err}"),
    }
}

#[test]
fn secrets_never_reach_the_log() {
    let secret = "hunter2-Sup3rS3cret-Value-9f1c";
    let ws = Workspace::new();
    let text = format!(
        "FROM python:3.12-slim\nENV AWS_SECRET_ACCESS_KEY={secret}\nARG API_TOKEN={secret}\nENV UV_INDEX_URL=https://user:{secret}@pypi.example.com/simple\nRUN echo ok\n"
    );
    ws.write("Dockerfile", &text);
    let uri = ws.uri("Dockerfile");
    let mut server = TestServer::spawn_with_env(&[("BERTH_LOG", "trace"), ("RUST_LOG", "trace")]);
    server.initialize_in(&ws.root(), full_capabilities());
    server.notify("$/setTrace", json!({ "value": "verbose" }));
    server.open(&uri, &text);
    let published = server.await_diagnostics(&uri, 1);
    let codes: Vec<&str> =
        published["diagnostics"].as_array().into_iter().flatten().filter_map(|it| it["code"].as_str()).collect();
    assert!(codes.contains(&"SEC001"), "the secret is flagged: {codes:?}");
    exercise_everything(&mut server, &uri, &text, &[]);
    server.edit(&uri, (1, 30), (1, 31), "X");
    server.await_diagnostics(&uri, 2);
    // A malformed message that carries the secret is logged as malformed, not echoed.
    server.send_body(format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"secret\":\"{secret}\"").as_bytes());
    server.await_response(&Value::Null);
    assert_healthy(&server, 200);
    let stderr = server.stderr();
    assert!(stderr.len() > 1000, "trace logging was on, yet the log is nearly empty:\n{stderr}");
    assert!(!stderr.contains(secret), "the secret value is in the server's log");
    assert!(!stderr.contains("Sup3rS3cret"), "part of the secret value is in the server's log");
    assert!(server.shutdown_and_exit().success());
}
