//! Message plumbing around tower-lsp-server: framing that survives malformed input, and a service
//! wrapper that records `shutdown` and `exit`, honours cancellation and turns handler panics into
//! error responses.
//!
//! Why our own framing: tower-lsp-server's own server decodes stdin with a `tokio_util`
//! `FramedRead`, which ends the stream after the first decode error, so a single body that is not
//! JSON would end the whole session. Here [`FrameDecoder`] splits the bytes that `stdio` reads
//! into frames and reads each body once, into the request or response the library's types
//! describe; a body that is neither becomes [`Frame::Malformed`], which the message loop
//! (`dispatch`) answers with the JSON-RPC error the sender is owed (`-32700` for bad JSON,
//! `-32600` for JSON that is not a message).

use std::collections::HashMap;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::oneshot;
use tower::Service;
use tower_lsp_server::ExitedError;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Id, Request, Response};

/// Frames larger than this are skipped (and answered with an error) rather than buffered.
pub(crate) const MAX_FRAME_LEN: usize = 512 * 1024 * 1024;

/// What one read from the input produced.
#[derive(Debug, PartialEq)]
pub(crate) enum Frame {
    /// A request or notification for the service.
    Request(Request),
    /// The client's answer to a request the server sent.
    Response(Response),
    /// A body that is not a JSON-RPC message; carries the error owed to the sender.
    Malformed { code: i64, message: String, id: Value },
}

/// Splits the input stream into frames (headers up to a blank line, then `Content-Length` bytes
/// of body) as its bytes arrive, in pieces of any size: the same frames whether the input comes
/// whole, a byte at a time or anything in between.
pub(crate) struct FrameDecoder {
    /// Bodies longer than this are skipped (and answered with an error) rather than buffered.
    max_len: usize,
    /// Input not yet consumed, from `start` on.
    pending: Vec<u8>,
    start: usize,
    /// How many bytes from `start` on are known to hold no line end, so that a long line arriving
    /// in many pieces is scanned once.
    scanned: usize,
    content_len: Option<usize>,
    saw_header: bool,
    body: Option<Body>,
}

impl Default for FrameDecoder {
    fn default() -> FrameDecoder {
        FrameDecoder {
            max_len: MAX_FRAME_LEN,
            pending: Vec::new(),
            start: 0,
            scanned: 0,
            content_len: None,
            saw_header: false,
            body: None,
        }
    }
}

/// The part of a frame after its headers.
enum Body {
    Reading {
        bytes: Vec<u8>,
        len: usize,
    },
    /// A body over the size limit: dropped as it arrives rather than buffered.
    Skipping {
        left: usize,
    },
}

impl FrameDecoder {
    /// While a body is arriving, the buffer it is gathered in and how many of its bytes are still
    /// to come, so that a reader can read them straight into it (appending only those).
    pub(crate) fn body_in_progress(&mut self) -> Option<(&mut Vec<u8>, usize)> {
        match &mut self.body {
            Some(Body::Reading { bytes, len }) if bytes.len() < *len => {
                let missing = *len - bytes.len();
                Some((bytes, missing))
            }
            _ => None,
        }
    }

    /// Adds bytes that arrived.
    pub(crate) fn feed(&mut self, mut bytes: &[u8]) {
        match &mut self.body {
            Some(Body::Reading { bytes: body, len }) => {
                let taken = (*len - body.len()).min(bytes.len());
                body.extend_from_slice(&bytes[..taken]);
                bytes = &bytes[taken..];
            }
            Some(Body::Skipping { left }) => {
                let taken = (*left).min(bytes.len());
                *left -= taken;
                bytes = &bytes[taken..];
            }
            None => {}
        }
        if bytes.is_empty() {
            return;
        }
        if self.start == self.pending.len() {
            self.pending.clear();
            self.start = 0;
        } else if self.start >= 64 * 1024 {
            self.pending.drain(..self.start);
            self.start = 0;
        }
        self.pending.extend_from_slice(bytes);
    }

    /// The next complete frame, or `None` when more input is needed. With `at_end` (no more input
    /// will come), an unfinished last line still counts as a line, and `None` means the input is
    /// used up: a body cut short by the end is dropped.
    pub(crate) fn next_frame(&mut self, at_end: bool) -> Option<Frame> {
        loop {
            match &mut self.body {
                Some(Body::Reading { bytes, len }) => {
                    if bytes.len() < *len {
                        return None;
                    }
                    let body = std::mem::take(bytes);
                    self.body = None;
                    return Some(check_body(body));
                }
                Some(Body::Skipping { left }) => {
                    if *left > 0 && !at_end {
                        return None;
                    }
                    self.body = None;
                    return Some(malformed(ErrorCode::InvalidRequest, "message too large", Value::Null));
                }
                None => {}
            }
            let unread = &self.pending[self.start..];
            let line_len = match memchr::memchr(b'\n', &unread[self.scanned..]) {
                Some(at) => self.scanned + at + 1,
                None if at_end && !unread.is_empty() => unread.len(),
                None => {
                    self.scanned = unread.len();
                    return None;
                }
            };
            let line = &unread[..line_len];
            self.start += line_len;
            self.scanned = 0;
            if !header_line(line, &mut self.content_len, &mut self.saw_header) {
                continue;
            }
            // A blank line after headers: the body follows.
            let content_len = self.content_len.take();
            self.saw_header = false;
            let Some(len) = content_len else {
                return Some(malformed(
                    ErrorCode::ParseError,
                    "message without a valid Content-Length header",
                    Value::Null,
                ));
            };
            let available = self.pending.len() - self.start;
            let taken = len.min(available);
            if len > self.max_len {
                self.body = Some(Body::Skipping { left: len - taken });
            } else {
                // Grown as the body arrives: a header may announce far more than ever comes.
                let mut bytes = Vec::with_capacity(len.min(available.max(1 << 20)));
                bytes.extend_from_slice(&self.pending[self.start..self.start + taken]);
                self.body = Some(Body::Reading { bytes, len });
            }
            self.start += taken;
        }
    }
}

/// Takes one header line; true when it is the blank line that ends the headers.
fn header_line(line: &[u8], content_len: &mut Option<usize>, saw_header: &mut bool) -> bool {
    let text = String::from_utf8_lossy(line);
    let mut text = text.trim_end_matches(['\r', '\n']);
    // A body shorter than its Content-Length said leaves the rest of itself in front of the
    // next message's header, on the same line; reading from the header finds that message.
    if let Some(idx) = text.to_ascii_lowercase().rfind("content-length:") {
        text = &text[idx..];
    }
    if text.is_empty() {
        // Stray blank lines between messages carry nothing.
        return *saw_header;
    }
    let Some((name, value)) = text.split_once(':') else {
        // Not the text itself: it may be a piece of a document, secrets included.
        tracing::warn!("skipping {} bytes of input that are not a header", text.len());
        return false;
    };
    *saw_header = true;
    if name.trim().eq_ignore_ascii_case("content-length") {
        match value.trim().parse() {
            Ok(len) => *content_len = Some(len),
            Err(_) => tracing::warn!("invalid Content-Length {:?}", value.trim()),
        }
    }
    false
}

/// Reads `body` as a message, repairing escaped lone surrogates first when they are what stops
/// it (see [`replace_lone_surrogates`]); otherwise says which error the sender is owed.
fn check_body(body: Vec<u8>) -> Frame {
    if std::str::from_utf8(&body).is_err() {
        return malformed(ErrorCode::ParseError, "message body is not UTF-8", Value::Null);
    }
    if let Some(frame) = decode(&body) {
        return frame;
    }
    if let Some(repaired) = replace_lone_surrogates(&body)
        && let Some(frame) = decode(&repaired)
    {
        return frame;
    }
    match serde_json::from_slice::<Value>(&body) {
        Err(err) => malformed(ErrorCode::ParseError, &format!("invalid JSON: {err}"), Value::Null),
        Ok(value) => {
            // Answer with the request's id when it has a usable one.
            let id = match value.get("id") {
                Some(id @ (Value::Number(_) | Value::String(_))) => id.clone(),
                _ => Value::Null,
            };
            malformed(ErrorCode::InvalidRequest, "not a JSON-RPC 2.0 request, notification or response", id)
        }
    }
}

/// The message in `body`, told apart as tower-lsp-server tells them apart: a response when the
/// body reads as one, a request or notification otherwise.
///
/// The library tries the response first, through serde's untagged buffering, which copies the
/// whole body into a tree of values before reading either type. Read as a request first, a
/// `didOpen` (a whole document) is read once, straight into the request the service takes. A
/// response needs an `id`, so only a request with one is tried as a response as well; those are
/// small.
///
/// A request skips members it does not have unread, so it can read a body whose `result` holds
/// an escaped lone surrogate; the response is then tried on the repaired body too.
fn decode(body: &[u8]) -> Option<Frame> {
    let response = |body: &[u8]| serde_json::from_slice::<Response>(body).ok();
    match serde_json::from_slice::<Request>(body) {
        Ok(request) if request.id().is_none() => Some(Frame::Request(request)),
        Ok(request) => {
            let response = response(body).or_else(|| replace_lone_surrogates(body).and_then(|it| response(&it)));
            Some(response.map_or(Frame::Request(request), Frame::Response))
        }
        Err(_) => response(body).map(Frame::Response),
    }
}

/// Rewrites every escaped surrogate that is not half of a pair (`"\ud83d"`) as `\ufffd`; `None`
/// when there is none.
///
/// JSON's grammar allows such escapes, and a JavaScript client sends one for a string that
/// holds an unpaired surrogate, but Rust strings cannot hold them, so serde_json rejects the
/// whole message. Dropping a `didChange` for that would leave the document out of step with the
/// editor for good. U+FFFD is one UTF-16 unit like the surrogate it stands for, so the client's
/// positions still fit the text.
fn replace_lone_surrogates(body: &[u8]) -> Option<Vec<u8>> {
    // The UTF-16 unit of a `\uXXXX` escape starting at `at`.
    let unit_at = |at: usize| -> Option<u16> {
        let escape = body.get(at..at + 6)?;
        let hex = escape.strip_prefix(b"\\u")?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    let mut repaired: Option<Vec<u8>> = None;
    // `body[..copied]` is already in `repaired`.
    let mut copied = 0;
    let mut at = 0;
    // A backslash only starts an escape inside a string, and the escape says how long it is,
    // so stepping from one to the next never mistakes `\\ud83d` (a backslash, then text).
    while let Some(offset) = memchr::memchr(b'\\', &body[at..]) {
        let escape = at + offset;
        at = match unit_at(escape) {
            Some(0xD800..=0xDBFF) if matches!(unit_at(escape + 6), Some(0xDC00..=0xDFFF)) => escape + 12,
            Some(0xD800..=0xDFFF) => {
                let out = repaired.get_or_insert_with(|| Vec::with_capacity(body.len()));
                out.extend_from_slice(&body[copied..escape]);
                out.extend_from_slice(b"\\ufffd");
                copied = escape + 6;
                copied
            }
            Some(_) => escape + 6,
            // `\\`, `\"`, `\n` and the like; a backslash at the very end ends the scan.
            None => (escape + 2).min(body.len()),
        };
    }
    let mut repaired = repaired?;
    repaired.extend_from_slice(&body[copied..]);
    Some(repaired)
}

fn without_params(req: Request) -> Request {
    let (method, id, _) = req.into_parts();
    let builder = Request::build(method);
    match id {
        Some(id) => builder.id(id).finish(),
        None => builder.finish(),
    }
}

fn malformed(code: ErrorCode, message: &str, id: Value) -> Frame {
    Frame::Malformed { code: code.code(), message: message.to_owned(), id }
}

/// Wraps the LSP service: notes `shutdown` and `exit`, honours cancellation at once, and catches
/// panics.
pub(crate) struct Guard<S> {
    inner: S,
    lifecycle: Lifecycle,
    in_flight: InFlight,
    fast_path: Option<FastPath>,
}

/// Which of `shutdown` and `exit` have been received, for the exit code.
#[derive(Clone, Default)]
pub(crate) struct Lifecycle {
    pub(crate) shutdown: Arc<AtomicBool>,
    pub(crate) exit: Arc<AtomicBool>,
}

/// A request the server answers with the response already as JSON text, written here instead of
/// going through the library (see [`Guard::with_fast_path`]). Returns `None` for requests it
/// does not serve.
pub(crate) type FastPath =
    Box<dyn Fn(&Request) -> Option<Pin<Box<dyn Future<Output = FastAnswer> + Send>>> + Send + Sync>;

/// A response body from a [`FastPath`]: `prefix`, then `result` (often kept and shared between
/// answers), then `suffix`.
pub(crate) struct FastAnswer {
    pub(crate) prefix: Vec<u8>,
    pub(crate) result: Arc<[u8]>,
    pub(crate) suffix: &'static [u8],
}

/// Requests being handled, by id, with the switch that cancels each.
///
/// tower-lsp-server cancels too, but its `$/cancelRequest` handler only runs once the request
/// queue has a free slot; when slow requests fill every slot, the cancellation waits behind the
/// very requests it should end. Here it takes effect the moment it is read.
type InFlight = Arc<Mutex<HashMap<Id, oneshot::Sender<()>>>>;

impl<S> Guard<S> {
    pub(crate) fn new(inner: S, lifecycle: Lifecycle) -> Guard<S> {
        Guard { inner, lifecycle, in_flight: InFlight::default(), fast_path: None }
    }

    /// Lets `fast_path` answer the requests it accepts with a complete JSON-RPC response body,
    /// written to stdout as one frame. Cancellation and the panic guard apply as for any request.
    pub(crate) fn with_fast_path(mut self, fast_path: FastPath) -> Guard<S> {
        self.fast_path = Some(fast_path);
        self
    }

    fn cancel(&self, params: Option<&Value>) {
        let id =
            params.and_then(|params| params.get("id")).cloned().and_then(|id| serde_json::from_value::<Id>(id).ok());
        let Some(id) = id else { return };
        let switch = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
        if let Some(switch) = switch {
            let _ = switch.send(());
        }
    }
}

type BoxedResponse = Pin<Box<dyn Future<Output = Result<Option<Response>, ExitedError>> + Send>>;

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Option<Response>, Error = ExitedError>,
    S::Future: Send + 'static,
{
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = BoxedResponse;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> BoxedResponse {
        // The spec gives `shutdown` no params. The library answers one that has them with an
        // error, yet shuts down all the same, so it would refuse every later request after
        // saying the shutdown failed. A client that sends params still means to shut down.
        let req = if req.method() == "shutdown" && req.params().is_some() { without_params(req) } else { req };
        // Noted as they are read: an `exit` that follows at once cancels the `shutdown` handler
        // (the library ends every pending request on exit), and the exit code is still owed for
        // a shutdown that was received.
        match req.method() {
            "shutdown" => self.lifecycle.shutdown.store(true, Ordering::SeqCst),
            "exit" => self.lifecycle.exit.store(true, Ordering::SeqCst),
            _ => {}
        }
        if req.method() == "$/cancelRequest" {
            // Also passed on below, so the library forgets the request too.
            self.cancel(req.params());
        }
        let id = req.id().cloned();
        let method = req.method().to_owned();
        let started = Instant::now();
        let cancelled = id.clone().map(|id| {
            let (switch, cancelled) = oneshot::channel();
            self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).insert(id, switch);
            cancelled
        });
        let in_flight = self.in_flight.clone();
        let fast =
            self.fast_path.as_ref().and_then(|fast_path| catch_unwind(AssertUnwindSafe(|| fast_path(&req))).ok());
        if let Some(Some(answer)) = fast {
            let timing = (id.clone(), method.clone());
            let write = async move {
                let answer = answer.await;
                // Timed like every other request: until the response text is ready, before the
                // write, whose duration depends on how fast the client reads.
                log_handled(&timing.1, timing.0.as_ref(), started);
                if let Err(err) =
                    crate::server::stdio::write_frame_parts(&[&answer.prefix, &answer.result, answer.suffix])
                {
                    tracing::warn!("could not write a response to stdout: {err}");
                }
                Ok(None)
            };
            let logs_timing = false;
            return Box::pin(CatchPanic {
                inner: Box::pin(write),
                id,
                method,
                started,
                logs_timing,
                cancelled,
                in_flight,
            });
        }
        match catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
            Ok(fut) => {
                let logs_timing = true;
                Box::pin(CatchPanic { inner: Box::pin(fut), id, method, started, logs_timing, cancelled, in_flight })
            }
            Err(_) => {
                tracing::error!("handler for {method} panicked");
                if let Some(id) = &id {
                    in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
                }
                Box::pin(std::future::ready(Ok(id.map(internal_error))))
            }
        }
    }
}

/// The error response owed for a [`Frame::Malformed`].
pub(crate) fn malformed_response(code: i64, message: String, id: Value) -> Response {
    let id: Id = serde_json::from_value(id).unwrap_or(Id::Null);
    Response::from_error(id, Error { code: ErrorCode::from(code), message: message.into(), data: None })
}

fn internal_error(id: Id) -> Response {
    let mut error = Error::internal_error();
    error.message = "internal error in berth (see the server log)".into();
    Response::from_error(id, error)
}

/// The `tracing` target of per-message handling times (see [`CatchPanic`]).
pub(crate) const TIMING_TARGET: &str = "berth_timing";

/// Polls a handler future and turns a panic into an internal error (or nothing, for a
/// notification); the panicked future is dropped and never polled again. A request cancelled
/// while pending is answered with RequestCancelled at once.
///
/// When it completes it logs how long the message took server-side, from dispatch to a response
/// ready to be written (JSON value included, its text and the write excluded), at `debug` level
/// under [`TIMING_TARGET`]: `BERTH_LOG=berth_timing=debug` shows them, and the session benchmark
/// reads them.
struct CatchPanic<F> {
    inner: Pin<Box<F>>,
    id: Option<Id>,
    method: String,
    started: Instant,
    /// False when the handler logs its own time (the fast path, before its write).
    logs_timing: bool,
    cancelled: Option<oneshot::Receiver<()>>,
    in_flight: InFlight,
}

/// Logs a message's server-side handling time under [`TIMING_TARGET`].
fn log_handled(method: &str, id: Option<&Id>, started: Instant) {
    if tracing::enabled!(target: TIMING_TARGET, tracing::Level::DEBUG) {
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let id = id.map(ToString::to_string).unwrap_or_default();
        tracing::debug!(target: TIMING_TARGET, method = %method, id = %id, micros, "handled");
    }
}

impl<F> Drop for CatchPanic<F> {
    fn drop(&mut self) {
        if let Some(id) = &self.id {
            self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        }
    }
}

impl<F> Future for CatchPanic<F>
where
    F: Future<Output = Result<Option<Response>, ExitedError>>,
{
    type Output = Result<Option<Response>, ExitedError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(cancelled) = this.cancelled.as_mut()
            && let Poll::Ready(switched) = Pin::new(cancelled).poll(cx)
        {
            this.cancelled = None;
            if switched.is_ok() {
                return Poll::Ready(Ok(this.id.take().map(|id| Response::from_error(id, Error::request_cancelled()))));
            }
        }
        match catch_unwind(AssertUnwindSafe(|| this.inner.as_mut().poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(ready) => {
                if this.logs_timing {
                    log_handled(&this.method, this.id.as_ref(), this.started);
                }
                ready
            }
            Err(_) => {
                tracing::error!("handler for {} panicked", this.method);
                Poll::Ready(Ok(this.id.take().map(internal_error)))
            }
        }
    }
}

/// What the framing promises, as checks the `transport` fuzz target runs on arbitrary input (and
/// the unit tests on chosen input). Not an API: hidden from the documentation.
#[doc(hidden)]
pub mod fuzzing {
    use serde::Deserialize;
    use tower_lsp_server::jsonrpc::{Request, Response};

    use super::{Frame, FrameDecoder, check_body};

    /// How tower-lsp-server's own decoder reads a body: its crate-private `Message`, an untagged
    /// enum of a response and a request.
    #[derive(Debug, Deserialize)]
    #[serde(untagged)]
    enum LibraryMessage {
        Response(Response),
        Request(Request),
    }

    fn library_decode(body: &[u8]) -> Option<LibraryMessage> {
        serde_json::from_slice(body).ok()
    }

    /// Whether `frame` is the message the library reads.
    fn same(frame: &Frame, message: &LibraryMessage) -> bool {
        match (frame, message) {
            (Frame::Request(ours), LibraryMessage::Request(theirs)) => ours == theirs,
            (Frame::Response(ours), LibraryMessage::Response(theirs)) => ours == theirs,
            _ => false,
        }
    }

    /// What the check owes for `body`: a body the library reads comes out as the very message
    /// the library reads. One it refuses is read only as a message the library would read once
    /// written out again (a lone surrogate repaired, a member neither type has skipped unread),
    /// and is otherwise turned away.
    pub fn check_body_contract(body: &[u8]) -> Result<(), String> {
        let shown = || String::from_utf8_lossy(body).into_owned();
        let frame = check_body(body.to_vec());
        match library_decode(body) {
            Some(message) if same(&frame, &message) => Ok(()),
            Some(message) => Err(format!("the library reads {message:?}, the check gives {frame:?}: {}", shown())),
            None => reads_back(&frame).map_err(|err| format!("{err}; from {}", shown())),
        }
    }

    /// A message the check gives is one the library reads back, the same, once written out.
    fn reads_back(frame: &Frame) -> Result<(), String> {
        let written = match frame {
            Frame::Request(request) => serde_json::to_vec(request),
            Frame::Response(response) => serde_json::to_vec(response),
            Frame::Malformed { .. } => return Ok(()),
        };
        let written = written.map_err(|err| format!("{frame:?} cannot be written out: {err}"))?;
        match library_decode(&written) {
            Some(message) if same(frame, &message) => Ok(()),
            other => Err(format!("gave {frame:?}, which the library reads back as {other:?}")),
        }
    }

    /// Decodes `input` fed whole and fed in pieces of `piece_size` bytes, with bodies over
    /// `max_len` skipped: the frames must be the same either way, and every message among them
    /// one the library reads back.
    pub fn check_stream(input: &[u8], piece_size: usize, max_len: usize) -> Result<(), String> {
        let whole = decode_in_pieces(input, input.len(), max_len);
        let pieces = decode_in_pieces(input, piece_size, max_len);
        if pieces != whole {
            return Err(format!("in pieces of {piece_size}: {pieces:?}\nwhole: {whole:?}"));
        }
        whole.iter().try_for_each(reads_back)
    }

    /// The frames in `input`, fed to a decoder in pieces of `size` bytes.
    pub(super) fn decode_in_pieces(input: &[u8], size: usize, max_len: usize) -> Vec<Frame> {
        let mut decoder = FrameDecoder { max_len, ..FrameDecoder::default() };
        let mut frames = Vec::new();
        for piece in input.chunks(size.max(1)) {
            decoder.feed(piece);
            frames.extend(std::iter::from_fn(|| decoder.next_frame(false)));
        }
        frames.extend(std::iter::from_fn(|| decoder.next_frame(true)));
        frames
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::{Just, Strategy, prop_oneof};
    use serde_json::json;

    use super::fuzzing::decode_in_pieces;
    use super::*;

    /// The frames in `input`, the same however the input is cut up.
    fn frames(input: &str) -> Vec<Frame> {
        let whole = decode_in_pieces(input.as_bytes(), input.len(), MAX_FRAME_LEN);
        for size in [1, 2, 7, 64] {
            assert_eq!(decode_in_pieces(input.as_bytes(), size, MAX_FRAME_LEN), whole, "in pieces of {size}");
        }
        whole
    }

    fn message(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// `body` read by serde straight into a request.
    fn request(body: &str) -> Frame {
        Frame::Request(serde_json::from_str(body).expect("a request"))
    }

    #[test]
    fn well_formed_messages_pass_through() {
        let a = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let b = r#"{"jsonrpc":"2.0","id":7,"result":null}"#;
        let input = format!("{}{}\r\n{}", message(a), "", message(b));
        assert_eq!(frames(&input), vec![request(a), Frame::Response(serde_json::from_str(b).unwrap())]);
    }

    #[test]
    fn headers_are_case_insensitive_and_may_use_bare_newlines() {
        let body = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "content-length: {}\nContent-Type: application/vscode-jsonrpc; charset=utf-8\n\n{body}",
            body.len()
        );
        assert_eq!(frames(&input), vec![request(body)]);
    }

    #[test]
    fn a_body_shorter_than_announced_does_not_lose_the_next_message() {
        let cut = r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#;
        let good = r#"{"jsonrpc":"2.0","id":2,"method":"initialized","params":{}}"#;
        let input = format!("Content-Length: 10\r\n\r\n{cut}{}", message(good));
        let out = frames(&input);
        assert!(matches!(&out[0], Frame::Malformed { code: -32700, .. }), "{out:?}");
        assert_eq!(out[1..], [request(good)]);
    }

    #[test]
    fn bad_json_becomes_a_parse_error_and_reading_continues() {
        let good = r#"{"jsonrpc":"2.0","id":2,"method":"shutdown"}"#;
        let input = format!("{}{}", message("{not json"), message(good));
        let out = frames(&input);
        assert!(matches!(&out[0], Frame::Malformed { code: -32700, id: Value::Null, .. }), "{out:?}");
        assert_eq!(out[1], request(good));
    }

    #[test]
    fn json_that_is_not_a_message_is_an_invalid_request_with_its_id() {
        let out = frames(&message(r#"{"jsonrpc":"1.0","id":5,"method":"x"}"#));
        assert!(matches!(&out[0], Frame::Malformed { code: -32600, id, .. } if id == &json!(5)), "{out:?}");
        let out = frames(&message("[1,2]"));
        assert!(matches!(&out[0], Frame::Malformed { code: -32600, id: Value::Null, .. }), "{out:?}");
    }

    #[test]
    fn garbage_and_missing_lengths_do_not_stop_the_reader() {
        let good = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let input = format!("garbage line\r\nX-Other: 1\r\n\r\nContent-Length: abc\r\n\r\n{}", message(good));
        let out = frames(&input);
        assert_eq!(out.len(), 3, "{out:?}");
        assert!(matches!(&out[0], Frame::Malformed { code: -32700, .. }));
        assert!(matches!(&out[1], Frame::Malformed { code: -32700, .. }));
        assert_eq!(out[2], request(good));
    }

    #[test]
    fn a_truncated_body_is_the_end_of_input() {
        assert_eq!(frames("Content-Length: 100\r\n\r\n{\"jsonrpc\""), vec![]);
        // A header cut off at the end, with or without its line end.
        assert_eq!(frames("Content-Length: 100\r\n"), vec![]);
        assert_eq!(frames("Content-Len"), vec![]);
    }

    #[test]
    fn an_oversized_body_is_skipped_as_it_arrives() {
        let good = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let input = format!("Content-Length: 40\r\n\r\n{}{}", "x".repeat(40), message(good));
        for size in [1, 5, 100] {
            let out = decode_in_pieces(input.as_bytes(), size, 39);
            assert!(matches!(&out[0], Frame::Malformed { code: -32600, .. }), "{out:?}");
            assert_eq!(out[1..], [request(good)], "in pieces of {size}");
        }
        // Cut short by the end of input, it is still answered.
        let out = decode_in_pieces(b"Content-Length: 40\r\n\r\nxx", 3, 39);
        assert!(matches!(&out[..], [Frame::Malformed { code: -32600, .. }]), "{out:?}");
    }

    #[test]
    fn a_long_line_in_many_pieces_is_scanned_once() {
        let mut decoder = FrameDecoder::default();
        for _ in 0..1000 {
            decoder.feed(&[b'x'; 100]);
            assert_eq!(decoder.next_frame(false), None);
        }
        // Everything seen so far is known to hold no line end.
        assert_eq!(decoder.scanned, 100_000);
        decoder.feed(b"\r\n");
        assert_eq!(decoder.next_frame(false), None);
        assert_eq!((decoder.start, decoder.scanned), (100_002, 0));
    }

    fn check_contract(body: &str) -> Result<(), String> {
        fuzzing::check_body_contract(body.as_bytes())
    }

    fn read(body: &str) -> Frame {
        check_body(body.as_bytes().to_vec())
    }

    #[test]
    fn the_request_check_agrees_with_the_library_on_edge_cases() {
        let nested = |depth: usize| {
            format!(r#"{{"jsonrpc":"2.0","method":"m","params":{}1{}}}"#, "[".repeat(depth), "]".repeat(depth))
        };
        let cases = [
            r#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"text":"a\nb\u00e9"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":"x","method":"m","params":null}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":null,"method":"m"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":true,"method":"m"}"#.to_owned(),
            r#"{"jsonrpc":"2.0"}"#.to_owned(),
            r#"{"jsonrpc":"1.0","method":"m"}"#.to_owned(),
            r#"{"jsonrpc":2.0,"method":"m"}"#.to_owned(),
            r#"{"method":"m"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":5}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","method":"n"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","params":{"a":1,"a":2}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","params":"\ud800"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","params":{"\udc00":1}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","params":"\ud83d\ude00"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","params":"\q"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","params":1e400}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","params":[18446744073709551616,-9223372036854775809,-0]}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","extra":[1,{"b":null}]}"#.to_owned(),
            // Members a request does not have are read all the same.
            r#"{"jsonrpc":"2.0","method":"m","extra":"\ud800"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","extra":1e400}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","\ud800":1}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","extra":{"a":1,"a":2}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","jsonrpc":"2.0"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m","id":1,"id":2}"#.to_owned(),
            // Responses, as a client sends them for `workspace/configuration`.
            r#"{"jsonrpc":"2.0","id":10,"result":[{"select":["ALL"]}]}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":10,"result":["\ud83d"]}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":10,"result":null,"extra":"\udc00"}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":10,"error":{"code":-32601,"message":"no"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":10,"error":{"code":-32601,"message":"\ud800"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":10,"result":1,"error":{"code":1,"message":"both"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","result":1}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":3,"method":"m","result":1}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":3,"method":"m","error":{"code":1,"message":"m"}}"#.to_owned(),
            r#"{"jsonrpc":"2.0","id":3,"method":"m","res\u0075lt":1}"#.to_owned(),
            r#"{"jsonrpc":"2.0","method":"m"} trailing"#.to_owned(),
            r#"["2.0","m",null,1]"#.to_owned(),
            "[]".to_owned(),
            nested(120),
            nested(127),
            nested(128),
            nested(200),
        ];
        for case in &cases {
            check_contract(case).unwrap();
        }
        assert_eq!(read(&cases[0]), request(&cases[0]), "a plain didOpen");
        // A message that is also a request is a response, as the library reads it.
        let both = r#"{"jsonrpc":"2.0","id":3,"method":"m","result":1}"#;
        assert!(matches!(read(both), Frame::Response(_)), "{:?}", read(both));
        // Lone surrogates, wherever they are, reach the service as U+FFFD.
        assert_eq!(read(&cases[13]), request(r#"{"jsonrpc":"2.0","method":"m","params":"\ufffd"}"#));
        assert_eq!(
            read(r#"{"jsonrpc":"2.0","id":10,"result":["\ud83d"]}"#),
            Frame::Response(serde_json::from_str(r#"{"jsonrpc":"2.0","id":10,"result":["\ufffd"]}"#).unwrap()),
        );
        assert!(matches!(read(r#"{"jsonrpc":"2.0","method":"m","params":"\q\ud83d"}"#), Frame::Malformed { .. }));
    }

    #[test]
    fn lone_surrogate_escapes_become_replacement_characters() {
        let repaired = |body: &str| replace_lone_surrogates(body.as_bytes()).map(|it| String::from_utf8(it).unwrap());
        assert_eq!(repaired(r#""\ud83d\ude00""#), None, "a pair stays");
        assert_eq!(repaired(r#""\ud83d""#).as_deref(), Some(r#""\ufffd""#));
        assert_eq!(repaired(r#""\uDBFFx\uDC00""#).as_deref(), Some(r#""\ufffdx\ufffd""#));
        assert_eq!(repaired(r#""\ude00\ud83d""#).as_deref(), Some(r#""\ufffd\ufffd""#), "a pair the wrong way round");
        assert_eq!(repaired(r#""\ud83d\ud83d\ude00""#).as_deref(), Some(r#""\ufffd\ud83d\ude00""#));
        assert_eq!(repaired(r#""\\ud83d""#), None, "an escaped backslash, then text");
        assert_eq!(repaired(r#""\\\ud83d""#).as_deref(), Some(r#""\\\ufffd""#));
        assert_eq!(repaired(r#""\u00e9\n\"\ud8""#), None, "other escapes; a cut-off escape");
        assert_eq!(repaired("\\"), None);
        assert_eq!(repaired("\\ud83"), None);
        assert_eq!(repaired(r#""\u+d83""#), None);
    }

    /// Any JSON-looking text, built from the pieces where two readers could differ: escapes,
    /// surrogates, numbers at the edges of their types, duplicate and unknown keys, nesting.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null"),
            Just("true"),
            Just("0"),
            Just("-1"),
            Just("1.5"),
            Just("1e400"),
            Just("18446744073709551616"),
            Just("-9223372036854775809"),
            Just(r#""2.0""#),
            Just(r#""m""#),
            Just(r#""\ud800""#),
            Just(r#""\udc00\ud800""#),
            Just(r#""\ud83d\ude00""#),
            Just(r#""\u00e9\n""#),
            Just(r#""\q""#),
        ]
        .prop_map(str::to_owned);
        let key = prop_oneof![
            Just(r#""jsonrpc""#),
            Just(r#""method""#),
            Just(r#""params""#),
            Just(r#""id""#),
            Just(r#""result""#),
            Just(r#""other""#),
            Just(r#""\ud800""#),
        ];
        leaf.prop_recursive(4, 40, 5, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(|items| format!("[{}]", items.join(","))),
                proptest::collection::vec((key.clone(), inner), 0..5).prop_map(|entries| {
                    let entries: Vec<String> = entries.iter().map(|(key, value)| format!("{key}:{value}")).collect();
                    format!("{{{}}}", entries.join(","))
                }),
            ]
        })
    }

    /// Pieces of an input stream: messages, and the ways a stream goes wrong.
    fn stream_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(message(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#)),
            Just(message(r#"{"jsonrpc":"2.0","method":"initialized","params":{"é":"\ud800"}}"#)),
            Just(message("{not json")),
            Just(message("[1,2]")),
            Just("Content-Length: 12\n\n{\"a\":1}".to_owned()),
            Just("Content-Length: 50\r\n\r\n{}".to_owned()),
            Just("Content-Length: 80\r\n\r\n".to_owned() + &"y".repeat(80)),
            Just("Content-Length: abc\r\n\r\n".to_owned()),
            Just("garbage\r\n".to_owned()),
            Just("\r\n\n\r".to_owned()),
            Just("X-Other: 1\r\n".to_owned()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn frames_do_not_depend_on_how_the_input_is_cut(
            pieces in proptest::collection::vec(stream_piece(), 0..12),
            size in 1usize..40,
        ) {
            let input = pieces.concat();
            let whole = decode_in_pieces(input.as_bytes(), input.len(), 64);
            proptest::prop_assert_eq!(decode_in_pieces(input.as_bytes(), size, 64), whole);
        }

        #[test]
        fn the_check_agrees_with_the_library(
            value in json_text(),
            other in json_text(),
            shape in 0usize..4,
            id in prop_oneof![Just(""), Just(r#","id":1"#), Just(r#","id":"a""#), Just(r#","id":[1]"#)],
            cut in proptest::option::of(0usize..400),
        ) {
            let mut body = match shape {
                0 => format!(r#"{{"jsonrpc":"2.0","method":"m","params":{value}{id}}}"#),
                1 => format!(r#"{{"jsonrpc":"2.0","method":"m","params":{value}{id},"other":{other}}}"#),
                2 => format!(r#"{{"jsonrpc":"2.0"{id},"result":{value}}}"#),
                _ => value,
            };
            // Sometimes a byte goes missing, which mostly makes the JSON invalid.
            if let Some(at) = cut.filter(|at| *at < body.len()) {
                body.remove(at);
            }
            let verdict = check_contract(&body);
            proptest::prop_assert!(verdict.is_ok(), "{}", verdict.unwrap_err());
        }
    }

    #[test]
    fn malformed_frames_are_answered_with_their_error_and_id() {
        let Frame::Malformed { code, message, id } = read("{oops") else {
            panic!("expected a malformed frame");
        };
        let json = serde_json::to_value(malformed_response(code, message, id)).unwrap();
        assert_eq!(json["id"], Value::Null);
        assert_eq!(json["error"]["code"], json!(-32700));
        let Frame::Malformed { code, message, id } = read(r#"{"jsonrpc":"1.0","id":"a","method":"m"}"#) else {
            panic!("expected a malformed frame");
        };
        let json = serde_json::to_value(malformed_response(code, message, id)).unwrap();
        assert_eq!(json["id"], json!("a"));
        assert_eq!(json["error"]["code"], json!(-32600));
    }

    /// A service whose handlers panic on request.
    struct Panicky;

    impl Service<Request> for Panicky {
        type Response = Option<Response>;
        type Error = ExitedError;
        type Future = BoxedResponse;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, req: Request) -> BoxedResponse {
            if req.method() == "panic/call" {
                panic!("panic while dispatching");
            }
            if req.method() == "never" {
                return Box::pin(std::future::pending());
            }
            let panics = req.method() == "panic/poll";
            let id = req.id().cloned();
            Box::pin(async move {
                if panics {
                    panic!("panic inside the handler");
                }
                Ok(id.map(|id| Response::from_ok(id, Value::Null)))
            })
        }
    }

    #[test]
    fn cancellation_answers_a_pending_request_at_once() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut guard = Guard::new(Panicky, Lifecycle::default());
        let pending = guard.call(Request::build("never").id(8).finish());
        let unrelated = guard.call(Request::build("never").id(9).finish());
        let cancel = Request::build("$/cancelRequest").params(json!({ "id": 8 })).finish();
        assert_eq!(runtime.block_on(guard.call(cancel)).unwrap(), None);
        let response = runtime.block_on(pending).unwrap().unwrap();
        assert_eq!(response.error().map(|e| e.code), Some(ErrorCode::RequestCancelled));
        // Only the cancelled request is answered, and finished requests leave nothing behind.
        assert_eq!(guard.in_flight.lock().unwrap().len(), 1);
        drop(unrelated);
        assert!(guard.in_flight.lock().unwrap().is_empty());
    }

    #[test]
    fn panics_become_internal_errors_and_exit_is_recorded() {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let lifecycle = Lifecycle::default();
        let mut guard = Guard::new(Panicky, lifecycle.clone());
        let mut call = |req: Request| runtime.block_on(guard.call(req)).unwrap();

        for method in ["panic/call", "panic/poll"] {
            let response = call(Request::build(method).id(3).finish()).unwrap();
            assert_eq!(response.error().map(|e| e.code), Some(ErrorCode::InternalError), "{method}");
            // A notification that panics gets no answer.
            assert_eq!(call(Request::build(method).finish()), None, "{method}");
        }
        // The service still works afterwards.
        assert!(call(Request::build("fine").id(4).finish()).unwrap().is_ok());
        assert!(!lifecycle.shutdown.load(Ordering::SeqCst) && !lifecycle.exit.load(Ordering::SeqCst));
        call(Request::build("shutdown").id(5).finish());
        assert!(lifecycle.shutdown.load(Ordering::SeqCst));
        call(Request::build("exit").finish());
        assert!(lifecycle.exit.load(Ordering::SeqCst));
    }
}
