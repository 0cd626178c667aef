//! Random LSP sessions against the built `berth server`: documents opened, edited, replaced and
//! closed; project files written and removed on disk; settings and workspace folders changing;
//! bursts of requests with cancellations; and every request kind, some with their params bent
//! out of shape (wrong types, huge numbers, missing members, text where a URI belongs). Every
//! request must get exactly the answer it is owed, never an internal error (a caught panic);
//! the server must not log a panic, and must shut down and exit with code 0.

#[path = "support/robust.rs"]
mod robust;
mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use robust::{assert_healthy, every_request};
use support::{TestServer, Workspace};

/// A `(line, character)` position; lines and characters run past the ends of the texts.
type Pos = (u32, u32);

/// Documents the sessions work on (relative ones live in the workspace).
const DOCUMENTS: [&str; 4] =
    ["Dockerfile", "sub/Dockerfile.dev", "untitled:Untitled-1", "file:///berth-random/Dockerfile"];

const TEXTS: [&str; 7] = [
    include_str!("../examples/fastapi-app/Dockerfile"),
    "FROM python:3.12-slim\nRUN <<EOF\nuv sync\nEOF\nCMD [\"uv\", \"run\", \"app\"]\n",
    "ARG V=3.12\nFROM python:${V} AS build\nCOPY --from=build /x /y\nRUN --mount=type=cache,target=/root/.cache/uv \\\n    uv sync --frozen --locked\n",
    "# escape=`\nFROM ghcr.io/astral-sh/uv:latest\nENV UV_COMPILE_BYTECODE=1 `\n  X=é😀\n",
    "\0\u{1}FROM\r\nRUN \u{2028}\n",
    "ONBUILD RUN uv pip install x\nHEALTHCHECK CMD\nFROM",
    "",
];

const INSERTS: [&str; 14] =
    ["", "x", "\n", " --locked", "é", "😀", "\\\n", "<<EOF\n", "RUN uv sync\n", "\"", "${A:-b}", "\r\n", "\t", "`"];

/// Values that replace a member of a request's params.
fn hostile(idx: usize) -> Value {
    match idx % 12 {
        0 => Value::Null,
        1 => json!(-1),
        2 => json!(4_294_967_301_u64),
        3 => json!(1.5e300),
        4 => json!(""),
        5 => json!("\u{0}"),
        6 => json!("x".repeat(5_000)),
        7 => json!([]),
        8 => json!({}),
        9 => json!(true),
        10 => json!({ "line": -1, "character": "a" }),
        _ => json!("file:///%ZZ/Dockerfile"),
    }
}

/// Project files, and what may be written to them (valid, broken, binary).
const PROJECT_FILES: [&str; 6] =
    ["pyproject.toml", ".python-version", "uv.lock", ".dockerignore", "berth.toml", "sub/pyproject.toml"];
const PROJECT_TEXTS: [&str; 7] = [
    "[project]\nname = \"app\"\nrequires-python = \">=3.13\"\ndependencies = [\"fastapi\"]\n",
    "3.11\n",
    "[project\nname = ",
    "**\n!src\n.venv\n",
    "select = [\"ALL\"]\n[severity]\nUV001 = \"error\"\n",
    "\0\u{fffd}\u{1}",
    "version = 1\n",
];

#[derive(Clone, Debug)]
enum Step {
    Open {
        doc: usize,
        text: usize,
    },
    Edit {
        doc: usize,
        edits: Vec<(Pos, Pos, usize)>,
        bend: Option<(usize, usize)>,
    },
    Replace {
        doc: usize,
        text: usize,
    },
    Close {
        doc: usize,
    },
    Ask {
        kind: usize,
        doc: usize,
        at: Pos,
        end: Pos,
        bend: Option<(usize, usize)>,
    },
    /// Requests sent without waiting, some cancelled, with an edit in between.
    Burst {
        asks: Vec<(usize, Pos)>,
        doc: usize,
        cancel: Vec<usize>,
        edit_at: Pos,
    },
    Settings {
        bend: Option<(usize, usize)>,
    },
    ProjectFile {
        file: usize,
        text: Option<usize>,
    },
    Folders {
        add: bool,
    },
    /// A change that inserts an escaped lone surrogate, which JSON allows.
    LoneSurrogate {
        doc: usize,
        at: Pos,
    },
}

fn pos() -> impl Strategy<Value = Pos> {
    (0u32..30, prop_oneof![0u32..90, Just(u32::MAX)])
}

/// Which member of the params to bend (counted in a walk of the JSON) and with what.
fn bend() -> impl Strategy<Value = Option<(usize, usize)>> {
    prop_oneof![3 => Just(None), 1 => (any::<usize>(), any::<usize>()).prop_map(Some)]
}

fn step() -> impl Strategy<Value = Step> {
    let doc = 0..DOCUMENTS.len();
    let burst_doc = doc.clone();
    prop_oneof![
        2 => (doc.clone(), 0..TEXTS.len()).prop_map(|(doc, text)| Step::Open { doc, text }),
        6 => (doc.clone(), proptest::collection::vec((pos(), pos(), 0..INSERTS.len()), 1..4), bend())
            .prop_map(|(doc, edits, bend)| Step::Edit { doc, edits, bend }),
        1 => (doc.clone(), 0..TEXTS.len()).prop_map(|(doc, text)| Step::Replace { doc, text }),
        1 => doc.clone().prop_map(|doc| Step::Close { doc }),
        10 => (any::<usize>(), doc.clone(), pos(), pos(), bend())
            .prop_map(|(kind, doc, at, end, bend)| Step::Ask { kind, doc, at, end, bend }),
        1 => (proptest::collection::vec((any::<usize>(), pos()), 2..8), burst_doc, proptest::collection::vec(any::<usize>(), 0..4), pos())
            .prop_map(|(asks, doc, cancel, edit_at)| Step::Burst { asks, doc, cancel, edit_at }),
        1 => bend().prop_map(|bend| Step::Settings { bend }),
        1 => (0..PROJECT_FILES.len(), proptest::option::of(0..PROJECT_TEXTS.len()))
            .prop_map(|(file, text)| Step::ProjectFile { file, text }),
        1 => any::<bool>().prop_map(|add| Step::Folders { add }),
        1 => (doc, pos()).prop_map(|(doc, at)| Step::LoneSurrogate { doc, at }),
    ]
}

/// Replaces the `selector`-th value of `params` (in a walk of the tree, the root included) with
/// a hostile value, or removes it when it is a member and `with` says so.
fn bend_params(params: &mut Value, (selector, with): (usize, usize)) {
    fn count(value: &Value) -> usize {
        1 + match value {
            Value::Array(items) => items.iter().map(count).sum(),
            Value::Object(members) => members.values().map(count).sum(),
            _ => 0,
        }
    }
    fn bend_nth(value: &mut Value, mut nth: usize, with: usize) {
        match value {
            Value::Array(items) => {
                for item in items {
                    let size = count(item);
                    if nth < size {
                        return if nth == 0 { *item = hostile(with) } else { bend_nth(item, nth - 1, with) };
                    }
                    nth -= size;
                }
            }
            Value::Object(members) => {
                let mut remove = None;
                for (key, member) in members.iter_mut() {
                    let size = count(member);
                    if nth < size {
                        if nth > 0 {
                            return bend_nth(member, nth - 1, with);
                        }
                        // One time in five the member goes missing instead.
                        match with % 5 {
                            0 => remove = Some(key.clone()),
                            _ => *member = hostile(with / 5),
                        }
                        break;
                    }
                    nth -= size;
                }
                if let Some(key) = remove {
                    members.remove(&key);
                }
            }
            _ => {}
        }
    }
    let total = count(params);
    match selector % total {
        0 => *params = hostile(with),
        nth => bend_nth(params, nth - 1, with),
    }
}

/// The answer a request got, checked: one response, with a result or an error the protocol
/// allows, never an internal error.
fn check_answer(method: &str, params: &Value, response: &Value) -> Result<(), TestCaseError> {
    let has_result = response.get("result").is_some();
    let code = response["error"]["code"].as_i64();
    prop_assert!(has_result || code.is_some(), "{method} got no answer: {response}");
    prop_assert!(code != Some(-32603), "{method} failed inside the server: {response}\nparams: {params}");
    Ok(())
}

struct Session {
    server: TestServer,
    workspace: Workspace,
    open: Vec<bool>,
    /// Code actions seen, for `codeAction/resolve`.
    actions: Vec<Value>,
}

impl Session {
    fn uri(&self, doc: usize) -> String {
        match DOCUMENTS[doc] {
            absolute if absolute.contains(':') => absolute.to_owned(),
            relative => self.workspace.uri(relative),
        }
    }

    fn next_version(&self, uri: &str) -> i32 {
        self.server.version(uri) + 1
    }

    fn run(&mut self, step: &Step) -> Result<(), TestCaseError> {
        match step {
            Step::Open { doc, text } => {
                let uri = self.uri(*doc);
                let version = self.next_version(&uri);
                self.server.open_with(&uri, "dockerfile", version, TEXTS[*text]);
                self.open[*doc] = true;
            }
            Step::Edit { doc, edits, bend } => {
                let uri = self.uri(*doc);
                let version = self.next_version(&uri);
                let changes: Vec<Value> = edits
                    .iter()
                    .map(|(start, end, text)| json!({ "range": support::range(*start, *end), "text": INSERTS[*text] }))
                    .collect();
                match bend {
                    None => self.server.change(&uri, version, Value::Array(changes)),
                    Some(bend) => {
                        let mut params =
                            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": changes });
                        bend_params(&mut params, *bend);
                        self.server.notify("textDocument/didChange", params);
                    }
                }
            }
            Step::Replace { doc, text } => {
                let uri = self.uri(*doc);
                let version = self.next_version(&uri);
                self.server.change(&uri, version, json!([{ "text": TEXTS[*text] }]));
            }
            Step::Close { doc } => {
                let uri = self.uri(*doc);
                self.server.close(&uri);
                self.open[*doc] = false;
            }
            Step::Ask { kind, doc, at, end, bend } => {
                let uri = self.uri(*doc);
                let (method, mut params) = self.request(*kind, &uri, *at, *end);
                if let Some(bend) = bend {
                    bend_params(&mut params, *bend);
                }
                let response = self.server.request_raw(method, params.clone());
                check_answer(method, &params, &response)?;
                if method == "textDocument/codeAction"
                    && let Some(actions) = response["result"].as_array()
                    && !actions.is_empty()
                {
                    self.actions = actions.iter().take(4).cloned().collect();
                }
            }
            Step::Burst { asks, doc, cancel, edit_at } => {
                let uri = self.uri(*doc);
                let mut ids = Vec::new();
                for (idx, (kind, at)) in asks.iter().enumerate() {
                    let (method, params) = self.request(*kind, &uri, *at, *edit_at);
                    ids.push((self.server.send_request(method, params.clone()), method, params));
                    if idx == asks.len() / 2 {
                        self.server.edit(&uri, *edit_at, *edit_at, "x");
                    }
                }
                for which in cancel {
                    let id = ids[which % ids.len()].0;
                    self.server.notify("$/cancelRequest", json!({ "id": id }));
                }
                for (id, method, params) in &ids {
                    let response = self.server.await_response(&json!(id));
                    let cancelled = response["error"]["code"].as_i64() == Some(-32800);
                    if !cancelled {
                        check_answer(method, params, &response)?;
                    }
                }
                // One answer each: nothing more arrives for these ids.
                self.server.sync();
                let again = self.server.drain_matching(|msg| {
                    msg.get("method").is_none() && ids.iter().any(|(id, _, _)| msg["id"] == json!(id))
                });
                prop_assert!(again.is_empty(), "answered twice: {again:?}");
            }
            Step::Settings { bend } => {
                let mut params = json!({ "settings": { "berth": {
                    "select": ["ALL"], "ignore": ["DF102"], "severity": { "UV001": "error" },
                    "failureThreshold": "info", "trustedRegistries": ["docker.io"],
                } } });
                if let Some(bend) = bend {
                    bend_params(&mut params, *bend);
                }
                self.server.notify("workspace/didChangeConfiguration", params);
            }
            Step::ProjectFile { file, text } => {
                let relative = PROJECT_FILES[*file];
                let path = self.workspace.path(relative);
                let kind = match text {
                    Some(text) => {
                        let created = !path.exists();
                        self.workspace.write(relative, PROJECT_TEXTS[*text]);
                        if created { 1 } else { 2 }
                    }
                    None => {
                        let _ = std::fs::remove_file(&path);
                        3
                    }
                };
                let uri = self.workspace.uri(relative);
                self.server.file_changed_on_disk(&uri, kind);
            }
            Step::LoneSurrogate { doc, at } => {
                let uri = self.uri(*doc);
                let version = self.next_version(&uri);
                let change = json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [
                    { "range": support::range(*at, *at), "text": "LONE" },
                ] });
                self.server.set_version(&uri, version);
                let body = change.to_string().replace("LONE", "\\ud83d");
                let body = format!(r#"{{"jsonrpc":"2.0","method":"textDocument/didChange","params":{body}}}"#);
                self.server.send_body(body.as_bytes());
            }
            Step::Folders { add } => {
                let folder = json!([{ "uri": self.workspace.uri("sub"), "name": "sub" }]);
                let (added, removed) = if *add { (folder, json!([])) } else { (json!([]), folder) };
                self.server.notify(
                    "workspace/didChangeWorkspaceFolders",
                    json!({ "event": { "added": added, "removed": removed } }),
                );
            }
        }
        Ok(())
    }

    /// Request number `kind` of those the server answers about a document, plus the ones
    /// `every_request` leaves out.
    fn request(&self, kind: usize, uri: &str, at: Pos, end: Pos) -> (&'static str, Value) {
        let mut all = every_request(uri, at, end);
        let doc = json!({ "uri": uri });
        let position = json!({ "line": at.0, "character": at.1 });
        all.push(("textDocument/signatureHelp", json!({ "textDocument": doc, "position": position })));
        all.push(("textDocument/rename", json!({ "textDocument": doc, "position": position, "newName": "" })));
        all.push((
            "textDocument/semanticTokens/full/delta",
            json!({ "textDocument": doc, "previousResultId": (kind % 3).to_string() }),
        ));
        all.push(("textDocument/diagnostic", json!({ "textDocument": doc, "previousResultId": "1" })));
        all.push(("berth/viewFileText", json!({ "uri": uri })));
        let resolve = self.actions.get(kind % 4).cloned().unwrap_or_else(|| json!({ "title": "nothing" }));
        all.push(("codeAction/resolve", resolve));
        all.swap_remove(kind % all.len())
    }
}

fn run_session(encoding: &str, steps: &[Step], shutdown_params: Value) -> Result<(), TestCaseError> {
    let workspace = Workspace::new();
    workspace.write("pyproject.toml", PROJECT_TEXTS[0]);
    workspace.write(".python-version", "3.12\n");
    let mut server = TestServer::spawn();
    server.initialize_in(
        &workspace.root(),
        json!({
            "general": { "positionEncodings": [encoding] },
            "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true }, "configuration": true },
            "textDocument": { "codeAction": { "resolveSupport": { "properties": ["edit"] } } },
        }),
    );
    let mut session = Session { server, workspace, open: vec![false; DOCUMENTS.len()], actions: Vec::new() };
    for step in steps {
        session.run(step)?;
    }
    // Whatever happened, every open document still answers.
    for doc in 0..DOCUMENTS.len() {
        let uri = session.uri(doc);
        let response =
            session.server.request_raw("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
        check_answer("textDocument/documentSymbol", &json!(uri), &response)?;
        prop_assert!(!session.open[doc] || session.server.server_text(&uri).is_some(), "{uri} was lost");
    }
    assert_healthy(&session.server, 200);
    // The spec gives `shutdown` no params; some clients send an empty object.
    let response = session.server.request_raw("shutdown", shutdown_params);
    prop_assert_eq!(&response["result"], &Value::Null, "{}", response);
    prop_assert!(response.get("error").is_none(), "{}", response);
    let status = session.server.exit();
    prop_assert_eq!(status.code(), Some(0));
    Ok(())
}

#[test]
fn random_sessions_are_answered_and_end_cleanly() {
    // Few cases, each a long session: a case spawns a server.
    let config = Config { cases: 16, max_shrink_iters: 200, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let session = (
        prop_oneof![Just("utf-8"), Just("utf-16"), Just("utf-32")],
        proptest::collection::vec(step(), 100..250),
        prop_oneof![Just(Value::Null), Just(json!({}))],
    );
    if let Err(err) = runner.run(&session, |(encoding, steps, shutdown)| run_session(encoding, &steps, shutdown)) {
        panic!("{err}");
    }
}
