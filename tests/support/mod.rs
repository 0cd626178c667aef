//! A synchronous LSP test client that drives the real `berth server` binary over stdio.
//!
//! ```ignore
//! let ws = Workspace::new();
//! let dockerfile = ws.write("Dockerfile", "FROM python:3.12\n");
//! let mut server = TestServer::spawn();
//! server.initialize(json!({}));
//! let uri = file_uri(&dockerfile);
//! server.open(&uri, "FROM python:3.12\n");
//! let diags = server.await_diagnostics(&uri, 1);
//! assert_eq!(diags["diagnostics"], json!([]));
//! assert!(server.shutdown_and_exit().success());
//! ```
//!
//! Messages are read on a background thread, so a server that hangs or dies fails the test
//! with its stderr instead of blocking it. Requests from the server (`client/registerCapability`,
//! `workspace/diagnostic/refresh`, ...) are answered with `null` at once unless
//! [`TestServer::set_auto_reply`] turns that off; they are still recorded for
//! [`TestServer::await_server_request`]. Anything on stdout that is not a framed JSON message
//! fails the test.

// Each test crate uses a different subset of this module.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any single wait lasts before the test fails (debug builds on a busy machine).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `berth server` and the client half of its connection.
pub struct TestServer {
    child: Child,
    /// `None` once closed.
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    incoming: mpsc::Receiver<Result<Value, String>>,
    /// Messages read but not yet consumed by a wait.
    backlog: VecDeque<Value>,
    stderr: Arc<Mutex<String>>,
    auto_reply: Arc<AtomicBool>,
    next_id: i64,
    /// Per-document version counters for [`TestServer::open`] / [`TestServer::edit`].
    versions: Vec<(String, i32)>,
    pub timeout: Duration,
}

impl TestServer {
    /// Starts `berth server` with `BERTH_LOG=info` (so failures show the server's log).
    pub fn spawn() -> TestServer {
        TestServer::spawn_with_env(&[("BERTH_LOG", "info")])
    }

    /// Starts `berth server` with extra environment variables.
    pub fn spawn_with_env(env: &[(&str, &str)]) -> TestServer {
        TestServer::spawn_configured(Path::new(env!("CARGO_BIN_EXE_berth")), env, |_| {})
    }

    /// Starts `program server` (a berth binary) with extra environment variables, after
    /// `configure` has had its say on the command (for example to run it as another user).
    pub fn spawn_configured(program: &Path, env: &[(&str, &str)], configure: impl FnOnce(&mut Command)) -> TestServer {
        let mut command = Command::new(program);
        command.arg("server").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        command.env_remove("RUST_LOG");
        for (key, value) in env {
            command.env(key, value);
        }
        configure(&mut command);
        let mut child = command.spawn().expect("failed to spawn berth server");
        let stdin = Arc::new(Mutex::new(child.stdin.take()));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr_pipe = child.stderr.take().expect("piped stderr");

        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stderr_pipe);
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    stderr.lock().unwrap_or_else(|e| e.into_inner()).push_str(&line);
                    line.clear();
                }
            });
        }

        let auto_reply = Arc::new(AtomicBool::new(true));
        let (tx, incoming) = mpsc::channel();
        {
            let stdin = stdin.clone();
            let auto_reply = auto_reply.clone();
            std::thread::spawn(move || read_messages(stdout, &tx, &stdin, &auto_reply));
        }
        TestServer {
            child,
            stdin,
            incoming,
            backlog: VecDeque::new(),
            stderr,
            auto_reply,
            next_id: 1,
            versions: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The OS process id (e.g. to read `/proc/<pid>/status`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until the server's stderr contains `needle` (stderr is read on another thread).
    pub fn await_stderr(&self, needle: &str) {
        let deadline = Instant::now() + self.timeout;
        while !self.stderr().contains(needle) {
            if Instant::now() > deadline {
                self.fail(&format!("stderr never contained {needle:?}"));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether requests from the server are answered with `null` automatically (default: yes).
    pub fn set_auto_reply(&mut self, on: bool) {
        self.auto_reply.store(on, Ordering::SeqCst);
    }

    // ---- lifecycle -------------------------------------------------------------------------

    /// Sends `initialize` with these client capabilities (and no workspace folders), then
    /// `initialized`; returns the `InitializeResult`.
    pub fn initialize(&mut self, capabilities: Value) -> Value {
        self.initialize_with(json!({ "processId": null, "rootUri": null, "capabilities": capabilities }))
    }

    /// Like [`TestServer::initialize`] with one workspace folder.
    pub fn initialize_in(&mut self, root: &Path, capabilities: Value) -> Value {
        let uri = file_uri(root);
        self.initialize_with(json!({
            "processId": null,
            "rootUri": uri,
            "capabilities": capabilities,
            "workspaceFolders": [{ "uri": uri, "name": "root" }],
        }))
    }

    /// Sends `initialize` with full `params`, then `initialized`; returns the result.
    pub fn initialize_with(&mut self, params: Value) -> Value {
        let result = self.request("initialize", params);
        self.notify("initialized", json!({}));
        result
    }

    /// `shutdown`, then `exit`; returns the exit status.
    pub fn shutdown_and_exit(mut self) -> ExitStatus {
        let result = self.request("shutdown", Value::Null);
        assert_eq!(result, Value::Null, "shutdown result");
        self.exit()
    }

    /// Sends `exit` (whether or not `shutdown` came first) and waits for the process to end.
    pub fn exit(mut self) -> ExitStatus {
        self.notify("exit", Value::Null);
        self.wait_for_exit()
    }

    /// Closes the server's stdin and waits for the process to end.
    pub fn close_stdin(mut self) -> ExitStatus {
        drop(self.stdin.lock().unwrap_or_else(|e| e.into_inner()).take());
        self.wait_for_exit()
    }

    /// Waits for the process to end (failing the test after [`TestServer::timeout`]).
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + self.timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return status,
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(5)),
                Ok(None) => self.fail("the server did not exit"),
                Err(err) => self.fail(&format!("waiting for the server failed: {err}")),
            }
        }
    }

    // ---- documents -------------------------------------------------------------------------

    /// `didOpen` with version 1 and a language id guessed from the file name
    /// (`dockerfile` for Dockerfile names, else `plaintext`).
    pub fn open(&mut self, uri: &str, text: &str) {
        let name = uri.rsplit('/').next().unwrap_or(uri);
        let is_dockerfile = name == "Dockerfile"
            || name.starts_with("Dockerfile.")
            || name.ends_with(".Dockerfile")
            || name.ends_with(".dockerfile")
            || name.starts_with("Containerfile");
        let language_id = if is_dockerfile && !name.ends_with(".dockerignore") { "dockerfile" } else { "plaintext" };
        self.open_with(uri, language_id, 1, text);
    }

    /// `didOpen` with everything spelled out.
    pub fn open_with(&mut self, uri: &str, language_id: &str, version: i32, text: &str) {
        self.set_version(uri, version);
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": language_id, "version": version, "text": text } }),
        );
    }

    /// `didChange` with raw content changes (a JSON array of `TextDocumentContentChangeEvent`).
    pub fn change(&mut self, uri: &str, version: i32, changes: Value) {
        self.set_version(uri, version);
        self.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes }),
        );
    }

    /// One incremental edit replacing `start..end` (zero-based `(line, character)` in the
    /// negotiated encoding) with `text`, at the next version; returns that version.
    pub fn edit(&mut self, uri: &str, start: (u32, u32), end: (u32, u32), text: &str) -> i32 {
        let version = self.version(uri) + 1;
        self.change(uri, version, json!([{ "range": range(start, end), "text": text }]));
        version
    }

    /// Replaces the whole text at the next version; returns that version.
    pub fn replace_all(&mut self, uri: &str, text: &str) -> i32 {
        let version = self.version(uri) + 1;
        self.change(uri, version, json!([{ "text": text }]));
        version
    }

    pub fn close(&mut self, uri: &str) {
        self.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    }

    /// The last version this client sent for `uri` (0 when never opened).
    pub fn version(&self, uri: &str) -> i32 {
        self.versions.iter().find(|(u, _)| u == uri).map_or(0, |(_, v)| *v)
    }

    /// Records `version` as the last one sent for `uri` (for messages sent raw).
    pub fn set_version(&mut self, uri: &str, version: i32) {
        match self.versions.iter_mut().find(|(u, _)| u == uri) {
            Some(entry) => entry.1 = version,
            None => self.versions.push((uri.to_owned(), version)),
        }
    }

    /// The document's text as the server sees it (`berth/viewFileText`); `None` when not open.
    pub fn server_text(&mut self, uri: &str) -> Option<String> {
        let result = self.request("berth/viewFileText", json!({ "uri": uri }));
        result.get("text").and_then(Value::as_str).map(str::to_owned)
    }

    /// Sends `workspace/didChangeWatchedFiles` for one file (`kind`: 1 created, 2 changed, 3 deleted).
    pub fn file_changed_on_disk(&mut self, uri: &str, kind: u8) {
        self.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri, "type": kind }] }));
    }

    // ---- raw JSON-RPC ----------------------------------------------------------------------

    /// Sends a request and returns its `result`; fails the test on an error response.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.request_raw(method, params);
        if let Some(error) = response.get("error") {
            self.fail(&format!("{method} failed: {error}"));
        }
        response.get("result").cloned().unwrap_or(Value::Null)
    }

    /// Sends a request and returns the whole response (with `result` or `error`).
    pub fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.await_response(&json!(id))
    }

    /// Sends a request without waiting; returns its id (see [`TestServer::await_response`]).
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "jsonrpc": "2.0", "id": id, "method": method });
        if !params.is_null() {
            message["params"] = params;
        }
        self.send(&message);
        id
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        let mut message = json!({ "jsonrpc": "2.0", "method": method });
        if !params.is_null() {
            message["params"] = params;
        }
        self.send(&message);
    }

    /// Answers a request the server sent (when auto-reply is off).
    pub fn respond(&mut self, id: &Value, result: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "result": result }));
    }

    /// Sends one framed JSON message.
    pub fn send(&mut self, message: &Value) {
        self.send_body(message.to_string().as_bytes());
    }

    /// Sends `body` with a correct `Content-Length` header, whatever it contains.
    pub fn send_body(&mut self, body: &[u8]) {
        let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        frame.extend_from_slice(body);
        self.send_bytes(&frame);
    }

    /// Writes bytes to the server's stdin as they are (for malformed framing).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let result = match self.stdin.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            Some(stdin) => stdin.write_all(bytes).and_then(|()| stdin.flush()),
            None => Err(std::io::Error::other("stdin is closed")),
        };
        if let Err(err) = result {
            self.fail(&format!("writing to the server failed: {err}"));
        }
    }

    // ---- waiting ---------------------------------------------------------------------------

    /// Waits for the response with this id.
    pub fn await_response(&mut self, id: &Value) -> Value {
        let what = format!("response to request {id}");
        self.await_message(&what, self.timeout, |msg| msg.get("method").is_none() && msg.get("id") == Some(id))
    }

    /// Waits for a notification `method` whose params satisfy `predicate`; returns the params.
    pub fn await_notification(&mut self, method: &str, predicate: impl Fn(&Value) -> bool, timeout: Duration) -> Value {
        let what = format!("{method} notification");
        let message = self.await_message(&what, timeout, |msg| {
            msg.get("id").is_none() && msg["method"] == method && predicate(&msg["params"])
        });
        message["params"].clone()
    }

    /// Waits for `textDocument/publishDiagnostics` for `uri` with a version of at least
    /// `min_version` (or without a version, as after a close, when `min_version` is 0);
    /// returns the params.
    pub fn await_diagnostics(&mut self, uri: &str, min_version: i32) -> Value {
        let timeout = self.timeout;
        self.await_notification(
            "textDocument/publishDiagnostics",
            |params| {
                params["uri"] == uri
                    && match params["version"].as_i64() {
                        Some(version) => version >= i64::from(min_version),
                        None => min_version == 0,
                    }
            },
            timeout,
        )
    }

    /// Waits for a request from the server (e.g. `client/registerCapability`); returns it whole.
    pub fn await_server_request(&mut self, method: &str) -> Value {
        let what = format!("{method} request from the server");
        self.await_message(&what, self.timeout, |msg| msg.get("id").is_some() && msg["method"] == method)
    }

    /// Removes and returns every message read so far that satisfies `predicate`, after a
    /// round trip that makes sure the server handled everything sent before.
    pub fn drain_matching(&mut self, predicate: impl Fn(&Value) -> bool) -> Vec<Value> {
        self.sync();
        let (matching, rest): (VecDeque<Value>, VecDeque<Value>) =
            self.backlog.drain(..).partition(|msg| predicate(msg));
        self.backlog = rest;
        matching.into()
    }

    /// Notifications with this method read so far (after a round trip), removed from the backlog.
    pub fn drain_notifications(&mut self, method: &str) -> Vec<Value> {
        self.drain_matching(|msg| msg.get("id").is_none() && msg["method"] == method)
            .into_iter()
            .map(|msg| msg["params"].clone())
            .collect()
    }

    /// A request round trip: everything the server sent before answering it is in the backlog.
    pub fn sync(&mut self) {
        self.request_raw("berth/viewFileText", json!({ "uri": "berth-test:sync" }));
    }

    /// Waits for a message satisfying `predicate`, first looking at messages already read.
    pub fn await_message(&mut self, what: &str, timeout: Duration, predicate: impl Fn(&Value) -> bool) -> Value {
        if let Some(idx) = self.backlog.iter().position(&predicate) {
            return self.backlog.remove(idx).expect("index from position");
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(Ok(message)) if predicate(&message) => return message,
                Ok(Ok(message)) => self.backlog.push_back(message),
                Ok(Err(violation)) => self.fail(&format!("protocol violation while waiting for {what}: {violation}")),
                Err(mpsc::RecvTimeoutError::Timeout) => self.fail(&format!("timed out waiting for {what}")),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    self.fail(&format!("the server closed stdout while we waited for {what}"))
                }
            }
        }
    }

    /// Fails the test with the server's stderr and the unconsumed messages.
    pub fn fail(&self, reason: &str) -> ! {
        let backlog: Vec<String> = self.backlog.iter().map(|msg| truncate(&msg.to_string(), 300)).collect();
        panic!(
            "{reason}\n--- unconsumed messages ({}) ---\n{}\n--- server stderr ---\n{}",
            backlog.len(),
            backlog.join("\n"),
            self.stderr()
        );
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An LSP range from `(line, character)` pairs.
pub fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({
        "start": { "line": start.0, "character": start.1 },
        "end": { "line": end.0, "character": end.1 },
    })
}

/// The `file://` URI of an absolute path, percent-encoded like the server encodes it.
pub fn file_uri(path: &Path) -> String {
    let mut uri = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => uri.push(byte as char),
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

/// A temporary folder to put project files in; removed on drop.
pub struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        let dir = tempfile::tempdir().expect("create a temporary folder");
        Workspace { dir }
    }

    /// The folder, canonicalised (so it matches what the server derives from URIs).
    pub fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().expect("canonicalise the temporary folder")
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    pub fn uri(&self, relative: &str) -> String {
        file_uri(&self.path(relative))
    }

    /// Writes a file (creating folders); returns its path.
    pub fn write(&self, relative: &str, text: &str) -> PathBuf {
        let path = self.path(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, text).expect("write a workspace file");
        path
    }
}

impl Default for Workspace {
    fn default() -> Workspace {
        Workspace::new()
    }
}

/// Reads framed messages from the server's stdout until it closes.
fn read_messages(
    stdout: impl Read,
    tx: &mpsc::Sender<Result<Value, String>>,
    stdin: &Mutex<Option<ChildStdin>>,
    auto_reply: &AtomicBool,
) {
    let mut reader = BufReader::new(stdout);
    loop {
        let message = match read_frame(&mut reader) {
            Ok(Some(message)) => message,
            Ok(None) => return,
            Err(violation) => {
                let _ = tx.send(Err(violation));
                return;
            }
        };
        let is_server_request = message.get("method").is_some() && message.get("id").is_some();
        if is_server_request && auto_reply.load(Ordering::SeqCst) {
            let reply = json!({ "jsonrpc": "2.0", "id": message["id"], "result": null }).to_string();
            if let Some(stdin) = stdin.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                let _ = write!(stdin, "Content-Length: {}\r\n\r\n{reply}", reply.len());
                let _ = stdin.flush();
            }
        }
        if tx.send(Ok(message)).is_err() {
            return;
        }
    }
}

/// One message; `Ok(None)` at a clean end of stream, `Err` for anything that is not a framed
/// JSON-RPC message.
pub fn read_frame(reader: &mut impl BufRead) -> Result<Option<Value>, String> {
    let mut content_len = None;
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) if content_len.is_none() => return Ok(None),
            Ok(0) => return Err("stdout ended inside a header".to_owned()),
            Ok(_) => {}
            Err(err) => return Err(format!("reading stdout failed: {err}")),
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            return Err(format!("not a header on stdout: {header:?}"));
        };
        if name.eq_ignore_ascii_case("content-length") {
            content_len = Some(value.trim().parse::<usize>().map_err(|err| format!("bad Content-Length: {err}"))?);
        }
    }
    let len = content_len.ok_or("a message without Content-Length")?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body).map_err(|err| format!("stdout ended inside a body: {err}"))?;
    let message: Value = serde_json::from_slice(&body).map_err(|err| format!("a body that is not JSON: {err}"))?;
    if message["jsonrpc"] != "2.0" {
        return Err(format!("not JSON-RPC 2.0: {message}"));
    }
    Ok(Some(message))
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((idx, _)) => format!("{}…", &text[..idx]),
        None => text.to_owned(),
    }
}
