//! Side-by-side benchmark of Dockerfile language servers over stdio, plus `berth check` on 1,000 files.
//!
//! ```text
//! cargo bench --bench editor_compare -- [--quick] [--cap SECONDS] [--server 'NAME=COMMAND ARGS'...]
//! ```
//!
//! Every `--server` is a command line (split on whitespace) that speaks LSP on stdio; the first
//! one is the baseline the ratios divide by. Without `--server` only the berth binary cargo built
//! is driven, so the benchmark never needs the network or another server;
//! `scripts/bench-vs-incumbent.sh` adds the incumbent, `docker-langserver --stdio`.
//!
//! Each server works on generated Dockerfiles (`sample_large_dockerfile`) placed in a temporary
//! copy of `examples/fastapi-app`, so berth's project rules see a real project. Measured:
//! - spawn → `initialize` response (median of fresh processes);
//! - `didOpen` → first `publishDiagnostics` at 50, 500 and 5,000 lines (median, fresh process each);
//! - typing on the 5,000-line file: one-character edits paced at 20 ms; each timed from sending
//!   `didChange` to the diagnostics for that version. A server that publishes without a version
//!   (the incumbent) is matched on its next publish for the document instead. The next edit is
//!   sent at the next 20 ms tick after the previous one was answered, so slow answers do not queue
//!   up behind each other;
//! - hover, completion and `semanticTokens/full` round trips on that file (p50 / p95);
//! - peak resident memory (`VmHWM` from `/proc/<pid>/status`), read just before shutdown;
//! - wall time of `berth check` on a folder of 1,000 generated Dockerfiles of mixed sizes.
//!
//! Nothing here can hang: every wait gives up after `--cap` seconds (60 by default) and the table
//! then says `>60 s` for that figure; the typing session stops after five caps and each request
//! kind after one, and the table then marks the percentile with the number of samples (`n=`) it
//! rests on. A server that is still running when we are done is killed.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use berth::syntax::sample::sample_large_dockerfile;

/// File sizes for the open → diagnostics measurement; the last is the one typed into.
const OPEN_SIZES: [usize; 3] = [50, 500, 5_000];
const SESSION_LINES: usize = 5_000;
/// Pause between keystrokes in the typing session.
const TYPING_INTERVAL: Duration = Duration::from_millis(20);
/// Line counts cycled through for the `berth check` folder: mostly ordinary files, some large.
const CHECK_SIZES: [usize; 6] = [36, 36, 72, 108, 180, 360];
/// The typing session stops after this many wait caps (the requests after one cap), keeping
/// the samples it has: a server needing seconds per edit would otherwise take an hour.
const TYPING_BUDGET_CAPS: u32 = 5;
/// How long shutdown may take before the process is killed.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Stderr kept per server, for error messages.
const STDERR_TAIL: usize = 4_096;

fn main() {
    let options = match Options::parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("editor_compare: {message}");
            std::process::exit(2);
        }
    };
    let plan = Plan::new(options.quick);
    let workspace = match BenchWorkspace::create() {
        Ok(workspace) => workspace,
        Err(error) => {
            eprintln!("editor_compare: cannot prepare the workspace: {error}");
            std::process::exit(1);
        }
    };

    let load_before = load_average();
    let mut reports = Vec::new();
    for server in &options.servers {
        eprintln!("== {} ({})", server.name, server.command.join(" "));
        reports.push(measure_server(server, &workspace, &plan, options.cap));
    }
    eprintln!("== berth check on {} files", plan.check_files);
    let check = measure_check(&options.check_binary, &workspace, &plan, options.cap);

    print_table(&options, &plan, &reports, &check);
    // Other work on the machine inflates every wall-clock figure; say how busy it was.
    println!("load average (1, 5, 15 min): {load_before} before, {} after", load_average());

    // The baseline (berth, unless told otherwise) must answer everything: this is what makes the
    // smoke run under `cargo test --benches` fail when the server or `berth check` breaks. Other
    // servers only get their failures reported.
    let baseline_failures = reports.first().map_or_else(Vec::new, failures);
    let check_failed = matches!(check.wall.stopped, Some(Figure::Failed(_) | Figure::OverCap(_)));
    if !baseline_failures.is_empty() || check_failed {
        eprintln!("editor_compare: measures without an answer: {}", baseline_failures.join(", "));
        std::process::exit(1);
    }
}

/// The measures of a report that ended in a failure or a timeout.
fn failures(report: &Report) -> Vec<String> {
    let mut out = Vec::new();
    let mut note = |name: &str, samples: &Samples| {
        if matches!(samples.stopped, Some(Figure::Failed(_) | Figure::OverCap(_))) {
            out.push(name.to_owned());
        }
    };
    note("startup", &report.startup);
    for (lines, samples) in OPEN_SIZES.iter().zip(&report.open) {
        note(&format!("open at {lines} lines"), samples);
    }
    note("typing", &report.typing);
    for (name, samples) in &report.requests {
        note(name, samples);
    }
    if report.open.len() < OPEN_SIZES.len() {
        out.push("open (not reached)".to_owned());
    }
    if report.requests.is_empty() {
        out.push("requests (not reached)".to_owned());
    }
    if !matches!(report.peak_memory, Figure::Value(_)) {
        out.push("peak memory".to_owned());
    }
    out
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|text| text.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

// ---- options -------------------------------------------------------------------------------------

struct ServerSpec {
    name: String,
    command: Vec<String>,
}

struct Options {
    quick: bool,
    cap: Duration,
    servers: Vec<ServerSpec>,
    check_binary: PathBuf,
}

impl Options {
    fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
        // `cargo bench` passes `--bench`; `cargo test --benches` does not, and then a quick smoke
        // run checks that the benchmark still works.
        let mut saw_bench_flag = false;
        let mut quick = false;
        let mut cap = Duration::from_secs(60);
        let mut servers = Vec::new();
        let mut check_binary = PathBuf::from(env!("CARGO_BIN_EXE_berth"));
        let mut args = args.peekable();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--bench" => saw_bench_flag = true,
                "--quick" => quick = true,
                "--cap" => {
                    let value = args.next().ok_or("--cap needs a number of seconds")?;
                    let seconds: f64 = value.parse().map_err(|_| format!("--cap: not a number: {value}"))?;
                    if !(seconds.is_finite() && seconds > 0.0) {
                        return Err(format!("--cap must be positive, got {value}"));
                    }
                    cap = Duration::from_secs_f64(seconds);
                }
                "--server" => {
                    let value = args.next().ok_or("--server needs NAME=COMMAND")?;
                    let (name, command) =
                        value.split_once('=').ok_or_else(|| format!("--server wants NAME=COMMAND, got {value}"))?;
                    let command: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
                    if name.trim().is_empty() || command.is_empty() {
                        return Err(format!("--server wants NAME=COMMAND, got {value}"));
                    }
                    servers.push(ServerSpec { name: name.trim().to_owned(), command });
                }
                "--check-binary" => {
                    check_binary = PathBuf::from(args.next().ok_or("--check-binary needs a path")?);
                }
                "-h" | "--help" => {
                    println!(
                        "usage: editor_compare [--quick] [--cap SECONDS] [--server 'NAME=COMMAND ARGS']... \
                         [--check-binary PATH]"
                    );
                    std::process::exit(0);
                }
                // libtest-style filters and flags cargo may pass along; nothing here is filtered.
                _ => {}
            }
        }
        if servers.is_empty() {
            let berth = env!("CARGO_BIN_EXE_berth").to_owned();
            servers.push(ServerSpec { name: "berth".to_owned(), command: vec![berth, "server".to_owned()] });
        }
        Ok(Options { quick: quick || !saw_bench_flag, cap, servers, check_binary })
    }
}

/// How many samples each measure takes.
struct Plan {
    quick: bool,
    spawns: usize,
    opens_per_size: usize,
    edits: usize,
    requests: usize,
    check_files: usize,
    check_runs: usize,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        if quick {
            Plan { quick, spawns: 2, opens_per_size: 1, edits: 30, requests: 5, check_files: 100, check_runs: 1 }
        } else {
            Plan { quick, spawns: 10, opens_per_size: 3, edits: 300, requests: 100, check_files: 1_000, check_runs: 3 }
        }
    }
}

// ---- workspace -----------------------------------------------------------------------------------

/// A temporary copy of the example project with the generated Dockerfiles next to it.
struct BenchWorkspace {
    dir: tempfile::TempDir,
    /// `(lines, path, text)` for each open size.
    files: Vec<(usize, PathBuf, String)>,
    check_dir: PathBuf,
    check_lines: usize,
}

impl BenchWorkspace {
    fn create() -> std::io::Result<BenchWorkspace> {
        let dir = tempfile::TempDir::new()?;
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/fastapi-app");
        copy_project(&example, dir.path())?;
        let mut files = Vec::new();
        for lines in OPEN_SIZES {
            let path = dir.path().join(format!("Dockerfile.{lines}"));
            let text = sample_large_dockerfile(lines);
            std::fs::write(&path, &text)?;
            files.push((lines, path, text));
        }
        // The check folder is a project of its own so every file gets the project rules too.
        let check_dir = dir.path().join("many");
        std::fs::create_dir(&check_dir)?;
        copy_project(&example, &check_dir)?;
        let mut check_lines = 0;
        for index in 0..Plan::new(false).check_files {
            let lines = CHECK_SIZES[index % CHECK_SIZES.len()];
            std::fs::write(check_dir.join(format!("Dockerfile.{index:04}")), sample_large_dockerfile(lines))?;
            check_lines += lines;
        }
        Ok(BenchWorkspace { dir, files, check_dir, check_lines })
    }

    fn file(&self, lines: usize) -> (&Path, &str) {
        let (_, path, text) =
            self.files.iter().find(|(n, _, _)| *n == lines).expect("every size in OPEN_SIZES is generated");
        (path, text)
    }
}

/// Copies the project files (not the example's own Dockerfiles) from `from` into `to`.
fn copy_project(from: &Path, to: &Path) -> std::io::Result<()> {
    for name in ["pyproject.toml", "uv.lock", ".python-version", ".dockerignore"] {
        std::fs::copy(from.join(name), to.join(name))?;
    }
    let app = to.join("app");
    std::fs::create_dir_all(&app)?;
    for entry in std::fs::read_dir(from.join("app"))? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            std::fs::copy(entry.path(), app.join(entry.file_name()))?;
        }
    }
    Ok(())
}

fn file_uri(path: &Path) -> String {
    // Temporary directories have plain ASCII names; only spaces would need escaping here.
    format!("file://{}", path.display().to_string().replace(' ', "%20"))
}

// ---- figures -------------------------------------------------------------------------------------

/// One measured figure, or why there is none.
#[derive(Clone)]
enum Figure {
    /// Milliseconds (or MiB for memory).
    Value(f64),
    /// A percentile over fewer samples than planned, because the time budget ran out.
    Few {
        value: f64,
        n: usize,
    },
    /// The wait gave up after this long.
    OverCap(Duration),
    Failed(String),
    Missing,
}

impl Figure {
    fn value(&self) -> Option<f64> {
        match self {
            Figure::Value(value) | Figure::Few { value, .. } => Some(*value),
            _ => None,
        }
    }

    fn show(&self, unit: &str) -> String {
        match self {
            Figure::Value(value) if unit == "ms" => format!("{} ms", fmt_ms(*value)),
            Figure::Value(value) => format!("{value:.1} {unit}"),
            Figure::Few { value, n } => format!("{} (n={n})", Figure::Value(*value).show(unit)),
            Figure::OverCap(cap) => format!(">{} s", cap.as_secs_f64()),
            Figure::Failed(_) => "failed".to_owned(),
            Figure::Missing => "—".to_owned(),
        }
    }
}

fn fmt_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else if ms >= 1.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.3}")
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Nearest-rank percentile (`pct` in 0..=100) of samples, as a figure in milliseconds.
fn percentile(samples: &[Duration], pct: usize) -> Figure {
    let mut sorted = samples.to_vec();
    sorted.sort();
    if sorted.is_empty() {
        return Figure::Missing;
    }
    let rank = (sorted.len() * pct).div_ceil(100).max(1);
    Figure::Value(ms(sorted[rank.min(sorted.len()) - 1]))
}

/// Samples of a repeated measure, and how the sampling ended if it ended early.
#[derive(Default)]
struct Samples {
    samples: Vec<Duration>,
    /// Set when a wait timed out or failed; the samples before it are kept.
    stopped: Option<Figure>,
    /// Set when the time budget ended sampling before the planned count.
    cut_short: bool,
}

impl Samples {
    /// The percentile, unless sampling stopped early: then the stop reason, because the slowest
    /// samples are exactly the ones missing.
    fn percentile(&self, pct: usize) -> Figure {
        match (&self.stopped, percentile(&self.samples, pct)) {
            (Some(reason), _) => reason.clone(),
            (None, Figure::Value(value)) if self.cut_short => Figure::Few { value, n: self.samples.len() },
            (None, figure) => figure,
        }
    }
}

// ---- a generic LSP client ------------------------------------------------------------------------

/// A message from the server with the moment it was read.
struct Incoming {
    at: Instant,
    message: Value,
}

/// Why a wait ended without its message.
enum WaitError {
    Timeout,
    Closed(String),
}

impl WaitError {
    fn figure(self, cap: Duration) -> Figure {
        match self {
            WaitError::Timeout => Figure::OverCap(cap),
            WaitError::Closed(reason) => Figure::Failed(reason),
        }
    }
}

/// A running language server driven over stdio. Reading and writing happen on threads, so a
/// server that stops reading or writing can only make a wait time out, never block the benchmark.
struct Client {
    child: Child,
    outgoing: Option<mpsc::Sender<Vec<u8>>>,
    incoming: mpsc::Receiver<Incoming>,
    /// Messages read but not consumed by a wait yet.
    backlog: Vec<Incoming>,
    stderr: Arc<Mutex<String>>,
    next_id: i64,
    cap: Duration,
}

impl Client {
    /// Starts the server in the benchmark's own working directory, so relative paths in its
    /// command line mean what they meant to whoever typed them.
    fn spawn(spec: &ServerSpec, cap: Duration) -> Result<Client, String> {
        let mut command = Command::new(&spec.command[0]);
        command
            .args(&spec.command[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env_remove("RUST_LOG")
            .env_remove("BERTH_LOG");
        let mut child = command.spawn().map_err(|error| format!("cannot start {}: {error}", spec.command[0]))?;
        let (Some(mut stdin), Some(stdout), Some(stderr_pipe)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            return Err("the child's pipes were not created".to_owned());
        };

        let (outgoing, to_write) = mpsc::channel::<Vec<u8>>();
        std::thread::spawn(move || {
            for bytes in to_write {
                if stdin.write_all(&bytes).and_then(|()| stdin.flush()).is_err() {
                    break;
                }
            }
        });

        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr_sink = stderr.clone();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stderr_pipe);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                let mut tail = stderr_sink.lock().unwrap_or_else(|e| e.into_inner());
                tail.push_str(&line);
                if tail.len() > STDERR_TAIL {
                    let cut = tail.len() - STDERR_TAIL;
                    let cut = (cut..tail.len()).find(|&i| tail.is_char_boundary(i)).unwrap_or(tail.len());
                    tail.drain(..cut);
                }
                line.clear();
            }
        });

        let (deliver, incoming) = mpsc::channel();
        let replies = outgoing.clone();
        std::thread::spawn(move || read_messages(stdout, &deliver, &replies));

        Ok(Client { child, outgoing: Some(outgoing), incoming, backlog: Vec::new(), stderr, next_id: 1, cap })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stderr_tail(&self) -> String {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).trim().to_owned()
    }

    fn send(&self, message: &Value) {
        if let Some(outgoing) = &self.outgoing {
            // A closed channel means the writer gave up (the server closed stdin); the next wait
            // reports that.
            let _ = outgoing.send(frame(message));
        }
    }

    fn notify(&self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its id.
    fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        id
    }

    /// Sends a request and waits for its response; returns the response and when it was read.
    fn request(&mut self, method: &str, params: Value) -> Result<Incoming, WaitError> {
        let id = json!(self.send_request(method, params));
        self.wait_for(|msg| msg.get("method").is_none() && msg.get("id") == Some(&id))
    }

    /// Waits (up to the cap) for a message satisfying `predicate`, looking at the backlog first.
    fn wait_for(&mut self, predicate: impl Fn(&Value) -> bool) -> Result<Incoming, WaitError> {
        if let Some(idx) = self.backlog.iter().position(|incoming| predicate(&incoming.message)) {
            return Ok(self.backlog.remove(idx));
        }
        let deadline = Instant::now() + self.cap;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.incoming.recv_timeout(left) {
                Ok(incoming) if predicate(&incoming.message) => return Ok(incoming),
                Ok(incoming) => self.backlog.push(incoming),
                Err(mpsc::RecvTimeoutError::Timeout) => return Err(WaitError::Timeout),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let tail = self.stderr_tail();
                    return Err(WaitError::Closed(format!("the server closed stdout; stderr: {tail}")));
                }
            }
        }
    }

    /// Drops everything read so far (e.g. diagnostics for earlier versions).
    fn clear_backlog(&mut self) {
        while let Ok(incoming) = self.incoming.try_recv() {
            self.backlog.push(incoming);
        }
        self.backlog.clear();
    }

    fn initialize(&mut self, root: &Path) -> Result<Incoming, WaitError> {
        let root_uri = file_uri(root);
        let params = json!({
            "processId": std::process::id(),
            "rootUri": root_uri,
            "workspaceFolders": [{ "uri": root_uri, "name": "bench" }],
            "capabilities": {
                "general": { "positionEncodings": ["utf-16"] },
                "textDocument": {
                    "synchronization": { "didSave": true },
                    "publishDiagnostics": { "versionSupport": true, "relatedInformation": true },
                    "hover": { "contentFormat": ["markdown", "plaintext"] },
                    "completion": { "completionItem": { "snippetSupport": true, "documentationFormat": ["markdown"] } },
                    "semanticTokens": {
                        "requests": { "full": true },
                        "tokenTypes": ["keyword", "comment", "parameter", "property", "namespace", "class",
                                       "macro", "string", "variable", "operator", "number", "function"],
                        "tokenModifiers": ["declaration", "definition", "deprecated", "readonly"],
                        "formats": ["relative"],
                    },
                },
            },
        });
        let response = self.request("initialize", params)?;
        self.notify("initialized", json!({}));
        Ok(response)
    }

    fn open(&self, uri: &str, text: &str) {
        let document = json!({ "uri": uri, "languageId": "dockerfile", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": document }));
    }

    /// Polite shutdown, then a kill if the server does not exit within the grace period.
    fn shutdown(mut self) {
        let cap = std::mem::replace(&mut self.cap, SHUTDOWN_GRACE);
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        self.cap = cap;
        self.outgoing = None;
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        // Drop kills it.
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn frame(message: &Value) -> Vec<u8> {
    let body = message.to_string();
    let mut bytes = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Reads framed messages until stdout closes or is malformed. Requests from the server are
/// answered at once, as an editor would: `workspace/configuration` with one `null` per item
/// (defaults), anything else with `null`.
fn read_messages(stdout: impl Read, deliver: &mpsc::Sender<Incoming>, replies: &mpsc::Sender<Vec<u8>>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let Some(length) = length else { return };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let at = Instant::now();
        let Ok(message) = serde_json::from_slice::<Value>(&body) else { return };
        if let (Some(id), Some(method)) = (message.get("id"), message.get("method").and_then(Value::as_str)) {
            let result = match method {
                "workspace/configuration" => {
                    let items = message["params"]["items"].as_array().map_or(0, Vec::len);
                    Value::Array(vec![Value::Null; items])
                }
                _ => Value::Null,
            };
            let _ = replies.send(frame(&json!({ "jsonrpc": "2.0", "id": id, "result": result })));
        }
        if deliver.send(Incoming { at, message }).is_err() {
            return;
        }
    }
}

fn is_publish_for(message: &Value, uri: &str) -> bool {
    message.get("id").is_none()
        && message["method"] == "textDocument/publishDiagnostics"
        && message["params"]["uri"] == uri
}

// ---- measures ------------------------------------------------------------------------------------

struct Report {
    name: String,
    startup: Samples,
    /// Per entry of `OPEN_SIZES`.
    open: Vec<Samples>,
    typing: Samples,
    /// Whether the server put document versions on its diagnostics.
    versioned: Option<bool>,
    /// Findings the server reported on the freshly opened 5,000-line file.
    findings: Option<usize>,
    requests: Vec<(&'static str, Samples)>,
    peak_memory: Figure,
    /// Problems worth printing under the table.
    notes: Vec<String>,
}

fn measure_server(spec: &ServerSpec, workspace: &BenchWorkspace, plan: &Plan, cap: Duration) -> Report {
    let mut report = Report {
        name: spec.name.clone(),
        startup: Samples::default(),
        open: Vec::new(),
        typing: Samples::default(),
        versioned: None,
        findings: None,
        requests: Vec::new(),
        peak_memory: Figure::Missing,
        notes: Vec::new(),
    };
    let root = workspace.dir.path();

    for _ in 0..plan.spawns {
        let start = Instant::now();
        let mut client = match Client::spawn(spec, cap) {
            Ok(client) => client,
            Err(error) => {
                report.notes.push(error.clone());
                report.startup.stopped = Some(Figure::Failed(error));
                return report;
            }
        };
        match client.initialize(root) {
            Ok(response) => report.startup.samples.push(response.at - start),
            Err(error) => {
                report.startup.stopped = Some(error.figure(cap));
                report.notes.push(format!("initialize did not answer; stderr: {}", client.stderr_tail()));
                return report;
            }
        }
        client.shutdown();
    }

    for lines in OPEN_SIZES {
        let (path, text) = workspace.file(lines);
        let uri = file_uri(path);
        let mut samples = Samples::default();
        for _ in 0..plan.opens_per_size {
            match open_fresh(spec, root, &uri, text, cap) {
                Ok((_, elapsed, _)) => samples.samples.push(elapsed),
                Err(figure) => {
                    samples.stopped = Some(figure);
                    break;
                }
            }
        }
        report.open.push(samples);
    }

    // The session: open the large file, type, ask, read memory.
    let (path, text) = workspace.file(SESSION_LINES);
    let uri = file_uri(path);
    let mut client = match open_fresh(spec, root, &uri, text, cap) {
        Ok((client, _, published)) => {
            report.versioned = Some(published["version"].is_number());
            report.findings = published["diagnostics"].as_array().map(Vec::len);
            client
        }
        Err(figure) => {
            report.typing.stopped = Some(figure);
            return report;
        }
    };
    let versioned = report.versioned.unwrap_or(false);
    report.typing = type_into(&mut client, &uri, text, versioned, plan.edits, cap);
    report.requests = measure_requests(&mut client, &uri, text, plan.requests, &mut report.notes);
    report.peak_memory = peak_memory_mib(client.pid());
    client.shutdown();
    report
}

/// Starts a server, initializes it in the workspace and opens one document; returns the client,
/// the time from `didOpen` to the first diagnostics for it, and those diagnostics.
fn open_fresh(
    spec: &ServerSpec,
    root: &Path,
    uri: &str,
    text: &str,
    cap: Duration,
) -> Result<(Client, Duration, Value), Figure> {
    let mut client = Client::spawn(spec, cap).map_err(Figure::Failed)?;
    client.initialize(root).map_err(|error| error.figure(cap))?;
    let start = Instant::now();
    client.open(uri, text);
    let published = client.wait_for(|msg| is_publish_for(msg, uri)).map_err(|error| error.figure(cap))?;
    let elapsed = published.at - start;
    Ok((client, elapsed, published.message["params"].clone()))
}

/// Lines to type at: a comment in the middle of the file takes nine keystrokes in ten; the tenth
/// goes to the end of an instruction elsewhere, which changes what the rules see.
fn typing_targets(text: &str) -> (u32, Vec<u32>) {
    let lines: Vec<&str> = text.lines().collect();
    let comments: Vec<usize> =
        lines.iter().enumerate().filter(|(_, line)| line.starts_with("# Install")).map(|(idx, _)| idx).collect();
    let comment = comments.get(comments.len() / 2).copied().unwrap_or(0);
    let instructions: Vec<u32> = lines
        .iter()
        .enumerate()
        .filter(|(_, line)| ["EXPOSE ", "USER ", "WORKDIR "].iter().any(|keyword| line.starts_with(keyword)))
        .map(|(idx, _)| idx as u32)
        .collect();
    (comment as u32, instructions)
}

fn type_into(client: &mut Client, uri: &str, text: &str, versioned: bool, edits: usize, cap: Duration) -> Samples {
    let lines: Vec<&str> = text.lines().collect();
    let (comment_line, instructions) = typing_targets(text);
    let mut comment_len = lines.get(comment_line as usize).map_or(0, |line| line.len()) as u32;
    let mut instruction_len: Vec<u32> =
        instructions.iter().map(|&line| lines.get(line as usize).map_or(0, |l| l.len()) as u32).collect();
    let mut samples = Samples::default();
    let session_start = Instant::now();
    let mut next_tick = session_start;
    for k in 0..edits {
        if session_start.elapsed() > TYPING_BUDGET_CAPS * cap {
            samples.cut_short = true;
            break;
        }
        let (line, character) = if k % 10 == 9 && !instructions.is_empty() {
            let pick = (k * 7_919) % instructions.len();
            instruction_len[pick] += 1;
            (instructions[pick], instruction_len[pick] - 1)
        } else {
            comment_len += 1;
            (comment_line, comment_len - 1)
        };
        let version = (k + 2) as i64;
        std::thread::sleep(next_tick.saturating_duration_since(Instant::now()));
        // Anything still unread belongs to earlier versions.
        client.clear_backlog();
        let position = json!({ "line": line, "character": character });
        let start = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": { "start": position, "end": position }, "text": "x" }],
            }),
        );
        let published = client.wait_for(|msg| {
            is_publish_for(msg, uri)
                && (!versioned || msg["params"]["version"].as_i64().is_some_and(|seen| seen >= version))
        });
        match published {
            Ok(published) => samples.samples.push(published.at - start),
            Err(error) => {
                samples.stopped = Some(error.figure(cap));
                break;
            }
        }
        next_tick = start + TYPING_INTERVAL;
    }
    samples
}

/// Hover on an instruction keyword, completion at the start of an empty line and full semantic
/// tokens, in the middle of the typed-into file (edits only appended to line ends, so these
/// positions still hold).
fn measure_requests(
    client: &mut Client,
    uri: &str,
    text: &str,
    n: usize,
    notes: &mut Vec<String>,
) -> Vec<(&'static str, Samples)> {
    let lines: Vec<&str> = text.lines().collect();
    let middle_of = |predicate: &dyn Fn(&str) -> bool| {
        let matching: Vec<usize> =
            lines.iter().enumerate().filter(|(_, line)| predicate(line)).map(|(idx, _)| idx).collect();
        matching.get(matching.len() / 2).copied().unwrap_or(0) as u32
    };
    let run_line = middle_of(&|line| line.starts_with("RUN --mount"));
    let blank_line = middle_of(&|line| line.is_empty());
    let document = json!({ "uri": uri });
    let at = |line: u32, character: u32| json!({ "textDocument": document, "position": { "line": line, "character": character } });
    let requests: [(&'static str, &str, Value); 3] = [
        ("hover", "textDocument/hover", at(run_line, 1)),
        ("completion", "textDocument/completion", at(blank_line, 0)),
        ("semanticTokens/full", "textDocument/semanticTokens/full", json!({ "textDocument": document })),
    ];
    let mut out = Vec::new();
    for (name, method, params) in requests {
        client.clear_backlog();
        let mut samples = Samples::default();
        let budget_start = Instant::now();
        for _ in 0..n {
            if budget_start.elapsed() > client.cap {
                samples.cut_short = true;
                break;
            }
            let start = Instant::now();
            match client.request(method, params.clone()) {
                Ok(response) => {
                    samples.samples.push(response.at - start);
                    if let Some(error) = response.message.get("error") {
                        notes.push(format!("{method} answered with an error: {error}"));
                        samples.stopped = Some(Figure::Failed(error.to_string()));
                        break;
                    }
                    if response.message["result"].is_null() {
                        notes.push(format!("{method} answered null (nothing to compute)"));
                        samples.stopped = Some(Figure::Failed("null".to_owned()));
                        break;
                    }
                }
                Err(error) => {
                    samples.stopped = Some(error.figure(client.cap));
                    break;
                }
            }
        }
        out.push((name, samples));
    }
    out
}

/// `VmHWM` (peak resident set) of a process, in MiB.
fn peak_memory_mib(pid: u32) -> Figure {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return Figure::Failed("no /proc status".to_owned());
    };
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kib.map_or(Figure::Failed("no VmHWM".to_owned()), |kib| Figure::Value(kib / 1024.0))
}

struct CheckReport {
    files: usize,
    lines: usize,
    wall: Samples,
    exit: String,
}

/// Wall time of `berth check` over the folder (median of the runs). The full folder has 1,000
/// files; a quick run checks the first `plan.check_files` of them by name.
fn measure_check(binary: &Path, workspace: &BenchWorkspace, plan: &Plan, cap: Duration) -> CheckReport {
    let mut paths: Vec<PathBuf> = Vec::new();
    let mut lines = workspace.check_lines;
    if plan.check_files < Plan::new(false).check_files {
        lines = 0;
        for index in 0..plan.check_files {
            paths.push(workspace.check_dir.join(format!("Dockerfile.{index:04}")));
            lines += CHECK_SIZES[index % CHECK_SIZES.len()];
        }
    } else {
        paths.push(workspace.check_dir.clone());
    }
    let mut report = CheckReport { files: plan.check_files, lines, wall: Samples::default(), exit: String::new() };
    for _ in 0..plan.check_runs {
        let start = Instant::now();
        let child = Command::new(binary)
            .arg("check")
            .args(["--no-color", "--format", "json", "--failure-threshold", "none"])
            .args(&paths)
            .current_dir(&workspace.check_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(error) => {
                report.wall.stopped = Some(Figure::Failed(format!("cannot start {}: {error}", binary.display())));
                return report;
            }
        };
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    report.wall.samples.push(start.elapsed());
                    report.exit = status.to_string();
                    if !status.success() {
                        report.wall.stopped = Some(Figure::Failed(format!("berth check: {status}")));
                        return report;
                    }
                    break;
                }
                Ok(None) if start.elapsed() > cap => {
                    let _ = child.kill();
                    let _ = child.wait();
                    report.wall.stopped = Some(Figure::OverCap(cap));
                    return report;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(1)),
                Err(error) => {
                    report.wall.stopped = Some(Figure::Failed(error.to_string()));
                    return report;
                }
            }
        }
    }
    report
}

// ---- output --------------------------------------------------------------------------------------

/// A Markdown table: one row per measure, one column per server, then `other / first` ratios and
/// the target. It is pasted into the README as is.
fn print_table(options: &Options, plan: &Plan, reports: &[Report], check: &CheckReport) {
    let mut rows: Vec<(String, Vec<Figure>, &str, &str)> = Vec::new();
    let per_server = |pick: &dyn Fn(&Report) -> Figure| reports.iter().map(pick).collect::<Vec<_>>();
    rows.push((
        format!("spawn → `initialize` response, median of {}", plan.spawns),
        per_server(&|r| r.startup.percentile(50)),
        "ms",
        "",
    ));
    for (idx, lines) in OPEN_SIZES.iter().enumerate() {
        let target = if *lines == SESSION_LINES { "< 5 ms" } else { "" };
        rows.push((
            format!("open → first diagnostics, {} lines", group(*lines)),
            per_server(&|r| r.open.get(idx).map_or(Figure::Missing, |s| s.percentile(50))),
            "ms",
            target,
        ));
    }
    rows.push((
        format!("typing, 5,000 lines: `didChange` → diagnostics, p50 ({} edits)", plan.edits),
        per_server(&|r| r.typing.percentile(50)),
        "ms",
        "",
    ));
    rows.push((
        "typing, 5,000 lines: `didChange` → diagnostics, p95".to_owned(),
        per_server(&|r| r.typing.percentile(95)),
        "ms",
        "< 2 ms",
    ));
    for (idx, name) in ["hover", "completion", "semanticTokens/full"].into_iter().enumerate() {
        let target = if name == "semanticTokens/full" { "< 5 ms" } else { "" };
        rows.push((
            format!("{name}, 5,000 lines, p95 of {}", plan.requests),
            per_server(&|r| r.requests.get(idx).map_or(Figure::Missing, |(_, s)| s.percentile(95))),
            "ms",
            target,
        ));
    }
    rows.push((
        "peak resident memory (VmHWM) after the session".to_owned(),
        per_server(&|r| r.peak_memory.clone()),
        "MiB",
        "< 20 MiB",
    ));

    let mut out = String::new();
    let _ = writeln!(out);
    let mut header = "| measure |".to_owned();
    let mut rule = "|---|".to_owned();
    for report in reports {
        let _ = write!(header, " {} |", report.name);
        rule.push_str("---:|");
    }
    for report in reports.iter().skip(1) {
        let _ = write!(header, " {} / {} |", report.name, reports[0].name);
        rule.push_str("---:|");
    }
    header.push_str(" target |");
    rule.push_str("---|");
    let _ = writeln!(out, "{header}\n{rule}");
    for (name, figures, unit, target) in &rows {
        let mut line = format!("| {name} |");
        for figure in figures {
            let _ = write!(line, " {} |", figure.show(unit));
        }
        for figure in figures.iter().skip(1) {
            let _ = write!(line, " {} |", ratio(figure, &figures[0]));
        }
        let _ = write!(line, " {target} |");
        let _ = writeln!(out, "{line}");
    }
    let mut line = format!(
        "| `berth check`, {} files ({} lines), wall, median of {} |",
        group(check.files),
        group(check.lines),
        plan.check_runs
    );
    line.push_str(&format!(" {} |", check.wall.percentile(50).show("ms")));
    for _ in 0..(reports.len() * 2).saturating_sub(2) {
        line.push_str(" — |");
    }
    line.push_str(if check.files >= 1_000 { " < 1 s |" } else { " |" });
    let _ = writeln!(out, "{line}");
    print!("{out}");

    println!();
    println!(
        "mode: {}; wait cap {} s; {} cores; {} build of the bench",
        if plan.quick { "quick" } else { "full" },
        options.cap.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, usize::from),
        if cfg!(debug_assertions) { "debug" } else { "release" },
    );
    for report in reports {
        let versions = match report.versioned {
            Some(true) => "publishes versioned diagnostics (matched by version)",
            Some(false) => "publishes diagnostics without a version (matched on the next publish for the file)",
            None => "never published diagnostics for the session file",
        };
        let findings = report.findings.map_or("?".to_owned(), |n| n.to_string());
        println!("{}: {versions}; {findings} findings on the 5,000-line file", report.name);
        for note in &report.notes {
            println!("  note: {note}");
        }
    }
    if !check.exit.is_empty() {
        println!("berth check: {}", check.exit);
    }
    if let Some(Figure::Failed(reason)) = &check.wall.stopped {
        println!("berth check failed: {reason}");
    }
}

/// `other / baseline`, e.g. `12.3×`; empty when either side has no value.
fn ratio(other: &Figure, baseline: &Figure) -> String {
    match (other, baseline.value()) {
        (Figure::Value(value) | Figure::Few { value, .. }, Some(base)) if base > 0.0 => format!("{:.1}×", value / base),
        (Figure::OverCap(_), Some(_)) => "> cap".to_owned(),
        _ => String::new(),
    }
}

/// `5000` → `5,000`.
fn group(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (idx, ch) in digits.chars().enumerate() {
        if idx > 0 && (digits.len() - idx).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
