//! End-to-end LSP session benchmark over stdio against the release binary.
//!
//! Run with `cargo bench --bench lsp_session`. It measures:
//! - spawn → `initialize` response (median of 20 fresh processes);
//! - `didOpen` of a generated 5,000-line multi-stage uv Dockerfile → first diagnostics;
//! - 300 single-character edits, one at a time, each timed from sending `didChange` to
//!   receiving the `publishDiagnostics` for that version (p50 / p95 / max);
//! - requests on the analysed file, each timed from sending to its response (p50 / p95): hover,
//!   completion, definition, documentSymbol, semanticTokens/full and codeAction;
//! - the server's resident memory (`VmRSS`, and the peak `VmHWM`) from `/proc/<pid>/status`.
//!
//! Targets: didChange → diagnostics < 2 ms p95, memory < 20 MiB, initialize < 10 ms.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use serde_json::json;

use support::{TestServer, Workspace};

const TARGET_LINES: usize = 5_000;

fn main() {
    // `cargo bench` passes `--bench`. Without it (`cargo test --benches`) a short smoke run
    // checks that the benchmark still works.
    let full = std::env::args().any(|arg| arg == "--bench");
    let (n_spawns, n_edits, n_requests) = if full { (20, 300, 100) } else { (2, 20, 3) };
    let startup = measure_startup(n_spawns);
    let session = measure_session(n_edits, n_requests);

    println!();
    println!("berth LSP session benchmark ({} build)", if cfg!(debug_assertions) { "debug" } else { "release" });
    println!("{:<44} {:>12}", "measure", "value");
    println!("{}", "-".repeat(57));
    row("spawn -> initialize response, median", fmt_ms(percentile(&startup, 50)));
    row("spawn -> initialize response, p95", fmt_ms(percentile(&startup, 95)));
    row(&format!("document size ({} lines)", session.lines), format!("{} KiB", session.bytes / 1024));
    row("findings on the document", session.findings.to_string());
    row("didOpen -> first diagnostics", fmt_ms(session.open));
    row(&format!("didChange -> diagnostics, p50 (n={n_edits})"), fmt_ms(percentile(&session.edits, 50)));
    row("didChange -> diagnostics, p95", fmt_ms(percentile(&session.edits, 95)));
    row("didChange -> diagnostics, max", fmt_ms(percentile(&session.edits, 100)));
    for (method, samples) in &session.requests {
        row(&format!("{method}, p50 (n={n_requests})"), fmt_ms(percentile(samples, 50)));
        row(&format!("{method}, p95"), fmt_ms(percentile(samples, 95)));
    }
    row("resident memory after edits (VmRSS)", session.rss.clone());
    row("peak resident memory (VmHWM)", session.hwm.clone());
    println!();
    println!("note: numbers rise as the parser and rules grow; re-run after changes to analysis.");
}

fn row(name: &str, value: String) {
    println!("{name:<44} {value:>12}");
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
        let mut server = TestServer::spawn_with_env(&[]);
        server.initialize(json!({ "general": { "positionEncodings": ["utf-16"] } }));
        samples.push(start.elapsed());
        let status = server.shutdown_and_exit();
        assert!(status.success(), "server exited with {status}");
    }
    samples
}

struct Session {
    lines: usize,
    bytes: usize,
    findings: usize,
    open: Duration,
    edits: Vec<Duration>,
    /// Request → response times per method, on the analysed document after the edits.
    requests: Vec<(&'static str, Vec<Duration>)>,
    rss: String,
    hwm: String,
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
    let text = generate_dockerfile(TARGET_LINES);
    ws.write("Dockerfile", &text);
    let uri = ws.uri("Dockerfile");

    let mut server = TestServer::spawn_with_env(&[]);
    server.initialize_in(&ws.root(), json!({ "general": { "positionEncodings": ["utf-16"] } }));
    let start = Instant::now();
    server.open(&uri, &text);
    let published = server.await_diagnostics(&uri, 1);
    let open = start.elapsed();
    let findings = published["diagnostics"].as_array().map_or(0, Vec::len);

    // Type into a comment at the top, and now and then at the end of some other line.
    let lines: Vec<&str> = text.lines().collect();
    let safe_lines: Vec<usize> =
        lines.iter().enumerate().filter(|(_, line)| !line.ends_with('\\')).map(|(idx, _)| idx).collect();
    let mut comment_len = lines[0].chars().count() as u32;
    let mut edits = Vec::with_capacity(n_edits);
    for k in 0..n_edits {
        let (line, col) = if k % 10 == 9 {
            let line = safe_lines[(k * 7919) % safe_lines.len()];
            (line as u32, u32::MAX)
        } else {
            comment_len += 1;
            (0, comment_len - 1)
        };
        let start = Instant::now();
        let version = server.edit(&uri, (line, col), (line, col), "x");
        server.await_diagnostics(&uri, version);
        edits.push(start.elapsed());
    }
    // Memory is read before the requests: a large response (documentSymbol is ~700 KiB of JSON)
    // raises the peak on its own, which is a separate problem from the cost of editing.
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap_or_default();
    let field = |name: &str| {
        status.lines().find_map(|line| line.strip_prefix(name)).map_or("n/a".to_owned(), |v| v.trim().to_owned())
    };
    let (rss, hwm) = (field("VmRSS:"), field("VmHWM:"));
    let requests = measure_requests(&mut server, &uri, &lines, n_requests);
    let status = server.shutdown_and_exit();
    assert!(status.success(), "server exited with {status}");
    Session { lines: lines.len(), bytes: text.len(), findings, open, edits, rss, hwm, requests }
}

/// Times editor requests in the middle of the document. The edits above only touched line 0 and
/// the ends of lines, so positions near the start of a line are still where the text put them.
fn measure_requests(
    server: &mut TestServer,
    uri: &str,
    lines: &[&str],
    n: usize,
) -> Vec<(&'static str, Vec<Duration>)> {
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
    let requests: [(&'static str, &str, serde_json::Value); 6] = [
        ("hover on `uv sync`", "textDocument/hover", at(sync_line, 6)),
        ("completion at a line start", "textDocument/completion", at(blank, 0)),
        ("definition of a stage name", "textDocument/definition", at(copy_from, 14)),
        ("documentSymbol", "textDocument/documentSymbol", json!({ "textDocument": doc })),
        ("semanticTokens/full", "textDocument/semanticTokens/full", json!({ "textDocument": doc })),
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
    let mut out = Vec::new();
    for (name, method, params) in requests {
        let mut samples = Vec::with_capacity(n);
        for _ in 0..n {
            let start = Instant::now();
            let result = server.request(method, params.clone());
            samples.push(start.elapsed());
            assert!(!result.is_null() || method == "textDocument/codeAction", "{method} answered null");
        }
        out.push((name, samples));
    }
    out
}

/// A realistic multi-stage uv Dockerfile, repeated (with unique stage names) to `target` lines.
fn generate_dockerfile(target: usize) -> String {
    let mut out = String::from("# bench: typing happens here \n# syntax=docker/dockerfile:1.7\n");
    let mut n = 0;
    while out.lines().count() < target {
        out.push_str(&format!(
            r#"FROM ghcr.io/astral-sh/uv:0.5.11 AS uv{n}

FROM python:3.12-slim-bookworm AS builder{n}
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=0
WORKDIR /app
# Install dependencies first so this layer is cached until uv.lock changes.
RUN --mount=from=uv{n},source=/uv,target=/bin/uv \
    --mount=type=cache,target=/root/.cache/uv \
    --mount=type=bind,source=uv.lock,target=uv.lock \
    --mount=type=bind,source=pyproject.toml,target=pyproject.toml \
    uv sync --locked --no-install-project --no-dev
COPY . /app
RUN --mount=from=uv{n},source=/uv,target=/bin/uv \
    --mount=type=cache,target=/root/.cache/uv \
    uv sync --locked --no-dev

FROM python:3.12-slim-bookworm AS runtime{n}
RUN groupadd --system app && useradd --system --gid app --create-home app
COPY --from=builder{n} --chown=app:app /app /app
ENV PATH="/app/.venv/bin:$PATH"
USER app
WORKDIR /app
EXPOSE 8000
HEALTHCHECK --interval=30s CMD python -c "import urllib.request; urllib.request.urlopen('http://localhost:8000/health')"
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]

"#
        ));
        n += 1;
    }
    out
}
