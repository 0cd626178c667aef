//! End-to-end LSP session benchmark over stdio against the release binary.
//!
//! Run with `cargo bench --bench lsp_session` (add `-- --quick`, or set `BERTH_BENCH_QUICK=1`,
//! for a shorter run with fewer samples). It measures, on
//! `berth::syntax::sample::sample_large_dockerfile(5000)`:
//! - spawn → `initialize` response (median of fresh processes);
//! - `didOpen` → first diagnostics;
//! - single-character edits, one at a time, each timed from sending `didChange` to receiving the
//!   `publishDiagnostics` for that version (p50 / p95 / max);
//! - requests on the analysed file (p50 / p95): hover, completion, definition, documentSymbol,
//!   semanticTokens (full, full/delta and range) and codeAction; completion, documentSymbol,
//!   semanticTokens/full and codeAction sent right after an edit (all but codeAction wait only for
//!   that version's syntax tree and semantic model, not for its rules);
//! - the server's resident memory (`VmRSS`, and the peak `VmHWM`) from `/proc/<pid>/status`, after
//!   the edits and again after the requests.
//!
//! Every time is given twice: round trip as the client sees it (including the client's own JSON
//! parsing), and server-side as the server logs it under `berth_timing` (from dispatch to the
//! response ready to be written, or from `didChange` to `publishDiagnostics` handed to the writer).
//!
//! Targets: didChange → diagnostics < 2 ms p95, didOpen < 5 ms, requests < 1 ms p95 server-side,
//! memory < 20 MiB, initialize < 10 ms.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use support::{TestServer, Workspace};

const TARGET_LINES: usize = 5_000;

/// Server log filter: warnings, plus the per-message timings this benchmark reads.
const TIMING_LOG: (&str, &str) = ("BERTH_LOG", "warn,berth_timing=debug");

fn main() {
    // `cargo bench` passes `--bench`. Without it (`cargo test --benches`) a short smoke run
    // checks that the benchmark still works.
    let full = std::env::args().any(|arg| arg == "--bench");
    let quick = std::env::args().any(|arg| arg == "--quick") || std::env::var_os("BERTH_BENCH_QUICK").is_some();
    let (n_spawns, n_edits, n_requests) = match (full, quick) {
        (true, false) => (20, 300, 100),
        (true, true) => (5, 60, 20),
        (false, _) => (2, 20, 3),
    };
    let startup = measure_startup(n_spawns);
    let session = measure_session(n_edits, n_requests);

    println!();
    println!("berth LSP session benchmark ({} build)", if cfg!(debug_assertions) { "debug" } else { "release" });
    println!("{:<44} {:>12} {:>12}", "measure", "round trip", "server-side");
    println!("{}", "-".repeat(70));
    row("spawn -> initialize response, median", fmt_ms(percentile(&startup, 50)), String::new());
    row("spawn -> initialize response, p95", fmt_ms(percentile(&startup, 95)), String::new());
    row(&format!("document size ({} lines)", session.lines), format!("{} KiB", session.bytes / 1024), String::new());
    row("findings on the document", session.findings.to_string(), String::new());
    row("didOpen -> first diagnostics", fmt_ms(session.open.0), fmt_opt(session.open.1));
    let (trips, servers): (Vec<_>, Vec<_>) = session.edits.iter().copied().unzip();
    let servers: Vec<Duration> = servers.into_iter().flatten().collect();
    for (label, pct) in [("p50", 50), ("p95", 95), ("max", 100)] {
        let name = match pct {
            50 => format!("didChange -> diagnostics, p50 (n={n_edits})"),
            _ => format!("didChange -> diagnostics, {label}"),
        };
        row(&name, fmt_ms(percentile(&trips, pct)), fmt_ms(percentile(&servers, pct)));
    }
    for (method, samples) in &session.requests {
        let (trips, servers): (Vec<_>, Vec<_>) = samples.iter().copied().unzip();
        let servers: Vec<Duration> = servers.into_iter().flatten().collect();
        row(
            &format!("{method}, p50 (n={n_requests})"),
            fmt_ms(percentile(&trips, 50)),
            fmt_ms(percentile(&servers, 50)),
        );
        row(&format!("{method}, p95"), fmt_ms(percentile(&trips, 95)), fmt_ms(percentile(&servers, 95)));
        row(&format!("{method}, max"), fmt_ms(percentile(&trips, 100)), fmt_ms(percentile(&servers, 100)));
    }
    for (name, value) in &session.memory {
        row(name, value.clone(), String::new());
    }
    println!();
    println!("note: numbers rise as the parser and rules grow; re-run after changes to analysis.");
}

fn row(name: &str, value: String, server_side: String) {
    println!("{name:<44} {value:>12} {server_side:>12}");
}

fn fmt_opt(duration: Option<Duration>) -> String {
    duration.map_or("n/a".to_owned(), fmt_ms)
}

fn fmt_ms(duration: Duration) -> String {
    format!("{:.3} ms", duration.as_secs_f64() * 1000.0)
}

fn percentile(samples: &[Duration], pct: usize) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() - 1) * pct).div_ceil(100);
    sorted[idx.min(sorted.len() - 1)]
}

fn measure_startup(n_spawns: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n_spawns);
    for _ in 0..n_spawns {
        let start = Instant::now();
        let mut server = TestServer::spawn_with_env(&[TIMING_LOG]);
        server.initialize(json!({ "general": { "positionEncodings": ["utf-16"] } }));
        samples.push(start.elapsed());
        let status = server.shutdown_and_exit();
        assert!(status.success(), "server exited with {status}");
    }
    samples
}

/// A round-trip time and, when the server logged it, the server-side time.
type Sample = (Duration, Option<Duration>);

struct Session {
    lines: usize,
    bytes: usize,
    findings: usize,
    open: Sample,
    edits: Vec<Sample>,
    /// Times per request kind, on the analysed document after the edits.
    requests: Vec<(&'static str, Vec<Sample>)>,
    /// `(what, value)` memory readings.
    memory: Vec<(String, String)>,
}

/// The server-side times logged so far: `(method, id or version) -> time`.
fn server_times(server: &TestServer) -> HashMap<(String, String), Duration> {
    let mut res = HashMap::new();
    for line in server.stderr().lines().filter(|line| line.contains("berth_timing")) {
        let field = |name: &str| {
            line.split_whitespace().find_map(|word| word.strip_prefix(name)).map(|it| it.trim_matches('"').to_owned())
        };
        let (Some(method), Some(micros)) = (field("method="), field("micros=")) else { continue };
        let Some(key) = field("id=").or_else(|| field("version=")) else { continue };
        let Ok(micros) = micros.parse() else { continue };
        res.insert((method, key), Duration::from_micros(micros));
    }
    res
}

/// Waits until the server has logged the time of `method` for `key` (the log is read on another
/// thread, shortly after the message that it times).
fn server_time(server: &TestServer, method: &str, key: &str) -> Option<Duration> {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        if let Some(time) = server_times(server).remove(&(method.to_owned(), key.to_owned())) {
            return Some(time);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn memory(server: &TestServer, when: &str) -> Vec<(String, String)> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap_or_default();
    let field = |name: &str| {
        status.lines().find_map(|line| line.strip_prefix(name)).map_or("n/a".to_owned(), |v| v.trim().to_owned())
    };
    vec![
        (format!("resident memory {when} (VmRSS)"), field("VmRSS:")),
        (format!("peak resident memory {when} (VmHWM)"), field("VmHWM:")),
    ]
}

fn measure_session(n_edits: usize, n_requests: usize) -> Session {
    let ws = Workspace::new();
    ws.write(
        "pyproject.toml",
        "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.12\"\ndependencies = [\"fastapi\", \"uvicorn\"]\n",
    );
    ws.write("uv.lock", "version = 1\nrequires-python = \">=3.12\"\n");
    ws.write(".python-version", "3.12\n");
    ws.write(".dockerignore", ".venv\n__pycache__\n");
    let text = berth::syntax::sample::sample_large_dockerfile(TARGET_LINES);
    ws.write("Dockerfile", &text);
    let uri = ws.uri("Dockerfile");

    let mut server = TestServer::spawn_with_env(&[TIMING_LOG]);
    server.initialize_in(&ws.root(), json!({ "general": { "positionEncodings": ["utf-16"] } }));
    // Let the warm-up started with the server finish, as it would while an editor loads the file.
    std::thread::sleep(Duration::from_millis(50));
    let publish = "textDocument/publishDiagnostics";
    let start = Instant::now();
    server.open(&uri, &text);
    let published = server.await_diagnostics(&uri, 1);
    let open = (start.elapsed(), server_time(&server, publish, "1"));
    let findings = published["diagnostics"].as_array().map_or(0, Vec::len);

    // Type at the end of a comment, and now and then at the end of some other line.
    let lines: Vec<&str> = text.lines().collect();
    let comment_line = lines.iter().position(|line| line.starts_with("# Install")).expect("a comment line");
    let safe_lines: Vec<usize> =
        lines.iter().enumerate().filter(|(_, line)| !line.ends_with('\\')).map(|(idx, _)| idx).collect();
    let mut comment_len = lines[comment_line].chars().count() as u32;
    let mut edits = Vec::with_capacity(n_edits);
    for k in 0..n_edits {
        let (line, col) = if k % 10 == 9 {
            let line = safe_lines[(k * 7919) % safe_lines.len()];
            (line as u32, u32::MAX)
        } else {
            comment_len += 1;
            (comment_line as u32, comment_len - 1)
        };
        let start = Instant::now();
        let version = server.edit(&uri, (line, col), (line, col), "x");
        server.await_diagnostics(&uri, version);
        edits.push((start.elapsed(), None));
    }
    // Server-side times are collected afterwards, so that reading the log does not slow the edits.
    let times = server_times(&server);
    for (k, sample) in edits.iter_mut().enumerate() {
        sample.1 = times.get(&(publish.to_owned(), (k + 2).to_string())).copied();
    }
    // Memory is read before the requests too: a large response raises the peak on its own, which
    // is a separate problem from the cost of editing.
    let mut memory_readings = memory(&server, "after edits");
    let requests = measure_requests(&mut server, &uri, &lines, n_requests);
    memory_readings.extend(memory(&server, "after requests"));
    let status = server.shutdown_and_exit();
    assert!(status.success(), "server exited with {status}");
    Session { lines: lines.len(), bytes: text.len(), findings, open, edits, memory: memory_readings, requests }
}

/// Times editor requests in the middle of the document. The edits above only touched a comment
/// and the ends of lines, so positions near the start of a line are still where the text put them.
fn measure_requests(server: &mut TestServer, uri: &str, lines: &[&str], n: usize) -> Vec<(&'static str, Vec<Sample>)> {
    let find = |prefix: &str| {
        let matching: Vec<usize> =
            lines.iter().enumerate().filter(|(_, line)| line.starts_with(prefix)).map(|(idx, _)| idx).collect();
        let middle = matching.get(matching.len() / 2).copied();
        middle.unwrap_or_else(|| panic!("the generated Dockerfile has no line starting with {prefix:?}")) as u32
    };
    let sync_line = find("    uv sync --locked --no-dev");
    let copy_from = find("COPY --from=builder");
    let blank = find("WORKDIR /app") + 1;
    let run_line = find("RUN groupadd");
    let doc = json!({ "uri": uri });
    let at = |line: u32, character: u32| json!({ "textDocument": doc, "position": { "line": line, "character": character } });
    let base = server.request("textDocument/semanticTokens/full", json!({ "textDocument": doc }));
    let result_id = base["resultId"].as_str().unwrap_or_default().to_owned();
    let screen = json!({ "start": { "line": sync_line - 30, "character": 0 }, "end": { "line": sync_line + 30, "character": 0 } });
    let requests: [(&'static str, &str, Value); 8] = [
        ("hover on `uv sync`", "textDocument/hover", at(sync_line, 6)),
        ("completion at a line start", "textDocument/completion", at(blank, 0)),
        ("definition of a stage name", "textDocument/definition", at(copy_from, 14)),
        ("documentSymbol", "textDocument/documentSymbol", json!({ "textDocument": doc })),
        ("semanticTokens/full", "textDocument/semanticTokens/full", json!({ "textDocument": doc })),
        (
            "semanticTokens/full/delta",
            "textDocument/semanticTokens/full/delta",
            json!({ "textDocument": doc, "previousResultId": result_id }),
        ),
        (
            "semanticTokens/range (60 lines)",
            "textDocument/semanticTokens/range",
            json!({ "textDocument": doc, "range": screen }),
        ),
        (
            "codeAction on a RUN line",
            "textDocument/codeAction",
            json!({
                "textDocument": doc,
                "range": { "start": { "line": run_line, "character": 0 }, "end": { "line": run_line, "character": 10 } },
                "context": { "diagnostics": [] },
            }),
        ),
    ];
    let code_action_params = requests.iter().find(|it| it.1 == "textDocument/codeAction").map(|it| it.2.clone());
    let code_action_params = code_action_params.expect("a codeAction request");
    let mut out = Vec::new();
    for (name, method, params) in requests {
        let mut samples = Vec::with_capacity(n);
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let start = Instant::now();
            let id = server.send_request(method, params.clone());
            let response = server.await_response(&json!(id));
            samples.push((start.elapsed(), None));
            ids.push(id);
            assert!(response.get("error").is_none(), "{method} failed: {response}");
            let result = &response["result"];
            assert!(!result.is_null() || method == "textDocument/codeAction", "{method} answered null");
        }
        for (sample, id) in samples.iter_mut().zip(ids) {
            sample.1 = server_time(server, method, &id.to_string());
        }
        out.push((name, samples));
    }
    // What an editor does while the user types: ask for completions, the outline and the tokens of
    // the version just edited, which wait for that version's syntax tree and semantic model; code
    // actions need its findings too, so they wait for the rules as well.
    let last_line = lines.len().saturating_sub(1) as u32;
    let just_edited = [
        ("completion right after an edit", "textDocument/completion", at(blank, 0)),
        ("documentSymbol right after an edit", "textDocument/documentSymbol", json!({ "textDocument": doc })),
        ("semanticTokens/full right after an edit", "textDocument/semanticTokens/full", json!({ "textDocument": doc })),
        ("codeAction right after an edit", "textDocument/codeAction", code_action_params),
    ];
    for (name, method, params) in just_edited {
        let rounds = (n / 5).max(3);
        let mut samples = Vec::with_capacity(rounds);
        let mut ids = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            let version = server.edit(uri, (last_line, u32::MAX), (last_line, u32::MAX), "x");
            let start = Instant::now();
            let id = server.send_request(method, params.clone());
            let response = server.await_response(&json!(id));
            samples.push((start.elapsed(), None));
            ids.push(id);
            assert!(!response["result"].is_null(), "{method} answered null: {response}");
            server.await_diagnostics(uri, version);
        }
        for (sample, id) in samples.iter_mut().zip(ids) {
            sample.1 = server_time(server, method, &id.to_string());
        }
        out.push((name, samples));
    }
    out
}
