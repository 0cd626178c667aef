//! The LSP server on stdio: the only module that knows LSP.
//!
//! Code map:
//! - [`transport`]: stdin framing that survives malformed messages, a synchronous stdout writer,
//!   and a service wrapper that records `exit`, turns handler panics into error responses and
//!   logs each message's handling time (target `berth_timing`, at `debug`).
//! - [`backend`]: the handlers, and the single task that publishes diagnostics.
//! - [`session`]: documents, workspace folders and cached project facts behind one mutex.
//! - [`document`]: one open document (a rope) and LSP position arithmetic.
//! - [`workspace`]: which files are Dockerfiles or project files, and the buffer-over-disk file system.
//! - [`features`]: hover and code actions over the cached analysis of a document.
//! - [`completion`]: completion and signature help, and the build-context listing they need.
//! - [`navigation`]: definition, references, rename, outline, folding, semantic tokens, links and
//!   inlay hints.
//! - [`convert`]: berth types to LSP types.
//! - [`settings`]: editor settings read into a configuration layer.
//!
//! Everything runs on a single-threaded Tokio runtime. A first analysis of a document (and one
//! after its project changed) runs on Tokio's blocking pool (one thread) so that it never stalls
//! handling the next message; the short follow-up of an edit runs on the runtime thread itself,
//! which saves two thread wake-ups per keystroke. Responses are written to stdout from the
//! runtime thread. The knowledge tables are loaded on the analysis thread right after start,
//! before the first document arrives. Logs go to stderr only (stdout carries
//! nothing but JSON-RPC); `BERTH_LOG` (or `RUST_LOG`) sets the filter, default `warn`.
//!
//! Besides standard LSP, the server answers `berth/viewFileText` (params: a
//! `TextDocumentIdentifier`; result: `{version, languageId, text}` or `null`), the text of an
//! open document as the server sees it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tower_lsp_server::LspService;

mod backend;
mod completion;
mod convert;
mod dispatch;
pub mod document;
mod features;
mod navigation;
mod registry_actions;
mod session;
mod settings;
mod stdio;
mod transport;
mod workspace;

#[doc(hidden)]
pub use transport::fuzzing as transport_fuzzing;

/// Serves LSP on stdin/stdout until `exit` (or the end of stdin); returns the process exit code:
/// 0 when `exit` followed a `shutdown` request, 1 otherwise.
pub fn run_stdio() -> i32 {
    init_logging();
    tune_process();
    // One analysis thread: analyses are short and queue fine, and every extra thread would get
    // its own allocator arena, multiplying resident memory for no gain.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_io().max_blocking_threads(1).build() {
        Ok(runtime) => runtime,
        Err(err) => {
            tracing::error!("could not start the async runtime: {err}");
            return 1;
        }
    };
    let code = runtime.block_on(serve());
    // A stdin thread (see `stdio`) may be blocked in a read that will never return; do not wait
    // for it.
    runtime.shutdown_background();
    code
}

async fn serve() -> i32 {
    backend::warm_up();
    let stdin = match stdio::open_input() {
        Ok(stdin) => stdin,
        Err(err) => {
            tracing::error!("could not start reading stdin: {err}");
            return 1;
        }
    };
    let (service, socket) = {
        let shutdown_received = Arc::new(AtomicBool::new(false));
        LspService::build(move |client| backend::Backend::new(client, shutdown_received))
            .custom_method("berth/viewFileText", backend::Backend::view_file_text)
            .finish()
    };
    let shared = service.inner().shared.clone();
    let lifecycle = transport::Lifecycle::default();
    let service = transport::Guard::new(service, lifecycle.clone()).with_fast_path(Box::new(move |request| {
        navigation::document_symbol_response(&shared, request)
            .or_else(|| navigation::semantic_tokens_full_response(&shared, request))
    }));
    dispatch::serve(stdin, socket, service).await;
    let exited = lifecycle.exit.load(Ordering::SeqCst);
    let shut_down = lifecycle.shutdown.load(Ordering::SeqCst);
    if !exited {
        tracing::warn!("stdin closed without an exit notification");
    }
    if exited && shut_down { 0 } else { 1 }
}

/// Process settings that keep latency and memory down; each is best effort.
fn tune_process() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // Analyses run on two threads (the runtime thread and the analysis thread), and glibc
        // gives each thread that allocates its own arena: memory one thread frees would not be
        // reused by the other, and resident memory would hold two analyses of a large file.
        // SAFETY: mallopt only changes allocator parameters; it is called before any other
        // thread of this process exists.
        let one_arena = unsafe { libc::mallopt(libc::M_ARENA_MAX, 1) };
        // Each analysis frees most of what the previous one allocated; by default glibc returns
        // the freed top of the heap to the system at once, and the next edit faults the same
        // pages in again (about 20 page faults per keystroke on a large file; 1 with the pad).
        // Setting the pad also fixes the `mmap` threshold at 128 KiB, so a large block (such as
        // a temporary list of the semantic model's, 208 KB for the 5,000-line file) comes from
        // the top of the heap only when the top has room, and from a fresh mapping otherwise.
        // With 4 MiB a keystroke in that file sat at the edge: a small change in what else
        // lives on the heap made every other one map, fault in and unmap that block (25 page
        // faults per keystroke); 8 MiB leaves room.
        // SAFETY: as above.
        let padded = unsafe { libc::mallopt(libc::M_TOP_PAD, 8 * 1024 * 1024) };
        tracing::debug!(one_arena = one_arena == 1, padded = padded == 1, "allocator settings");
    }
    #[cfg(target_os = "linux")]
    {
        // The diagnostics of a large file are one message of 100 KB and more, larger than a
        // pipe's default buffer (64 KB): writing it would stop halfway until the client has read
        // the first part, costing a wake-up on each side. A larger buffer takes the whole message
        // at once. On stdin, likewise, a client's didOpen of a large file is taken at once.
        // Fails harmlessly (and is skipped) when the descriptor is not a pipe.
        const PIPE_SIZE: libc::c_int = 1024 * 1024;
        for fd in [libc::STDIN_FILENO, libc::STDOUT_FILENO] {
            // SAFETY: F_SETPIPE_SZ takes an integer and touches only the pipe's buffer size.
            let size = unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_SIZE) };
            tracing::debug!(fd, size, "pipe buffer");
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;

    let mut filter = EnvFilter::try_from_env("BERTH_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("warn"));
    // At trace level tower-lsp-server logs every message whole: document text, and with it any
    // secret a Dockerfile holds. Its other logs stay available.
    for directive in ["tower_lsp_server::codec=debug", "tower_lsp_server::service::client=debug"] {
        if let Ok(directive) = directive.parse() {
            filter = filter.add_directive(directive);
        }
    }
    // Another subscriber may already be installed (e.g. by an embedding test); keep it.
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(false).try_init();
}
