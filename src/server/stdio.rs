//! How messages get in and out of the server: stdin read by the runtime thread itself when it is
//! a pipe or a socket, by a thread of its own otherwise; stdout written synchronously.
//!
//! Why read on the runtime thread: a message that arrives while the server is idle wakes one
//! sleeping thread. Read by a thread of its own, it wakes that thread, which then wakes the
//! runtime thread; on a virtual machine each wake-up of an idle thread costs a tenth of a
//! millisecond or more, on every keystroke. Stdin and stdout are then non-blocking, and a write
//! that finds stdout full keeps reading stdin while it waits (see [`wait_for_room`]): a client
//! that writes until it is done and only then reads would otherwise wait for the server while
//! the server waits for it.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use tokio::sync::mpsc;

use crate::server::transport::{Frame, FrameDecoder};

/// How much one read of stdin takes at most, outside a large body.
const READ_CHUNK: usize = 16 * 1024;

/// How much of a body one read of stdin takes at most, read straight into the body's buffer.
const BODY_READ: usize = 1024 * 1024;

/// Set while stdin and stdout are non-blocking and read and written directly (see [`Input`]).
static DIRECT: AtomicBool = AtomicBool::new(false);

/// Input read from stdin by a write that waited for room on stdout, for [`DirectInput`] to take.
static DRAINED: Mutex<Drained> = Mutex::new(Drained { bytes: Vec::new(), at_end: false, reader: None });

struct Drained {
    bytes: Vec<u8>,
    /// Stdin ended (or failed) during such a read.
    at_end: bool,
    /// Woken when bytes or the end arrive this way.
    reader: Option<Waker>,
}

fn drained() -> MutexGuard<'static, Drained> {
    DRAINED.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stdin as frames (see [`FrameDecoder`]), then the end of input when stdin ends.
pub(crate) enum Input {
    #[cfg(unix)]
    Direct(DirectInput),
    Thread(ThreadInput),
}

/// Reads stdin on the runtime thread when it can, on a thread of its own otherwise (a terminal,
/// a file, or a platform without readiness events for it).
pub(crate) fn open_input() -> io::Result<Input> {
    #[cfg(unix)]
    match DirectInput::open() {
        Ok(Some(direct)) => return Ok(Input::Direct(direct)),
        Ok(None) => {}
        Err(err) => tracing::debug!("reading stdin on its own thread: {err}"),
    }
    ThreadInput::spawn(io::stdin()).map(Input::Thread)
}

impl Input {
    /// The next frame; `None` once stdin has ended and every frame before the end was taken.
    pub(crate) fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        match self {
            #[cfg(unix)]
            Input::Direct(direct) => direct.poll_frame(cx),
            Input::Thread(thread) => thread.poll_frame(cx),
        }
    }
}

/// Stdin read on the runtime thread, woken by the kernel's readiness events.
#[cfg(unix)]
pub(crate) struct DirectInput {
    stdin: tokio::io::unix::AsyncFd<StdinFd>,
    decoder: FrameDecoder,
    at_end: bool,
    chunk: Box<[u8]>,
    /// File status flags of stdin and stdout before they were made non-blocking.
    restore: [libc::c_int; 2],
}

#[cfg(unix)]
struct StdinFd;

#[cfg(unix)]
impl std::os::fd::AsRawFd for StdinFd {
    fn as_raw_fd(&self) -> std::os::fd::RawFd {
        libc::STDIN_FILENO
    }
}

#[cfg(unix)]
impl DirectInput {
    /// `None` when stdin or stdout is not a pipe or a socket. Making a terminal non-blocking
    /// would leave the shell that started the server with a broken terminal should the server
    /// be killed.
    fn open() -> io::Result<Option<DirectInput>> {
        use std::os::fd::AsFd;
        if !(is_stream(io::stdin().as_fd()) && is_stream(io::stdout().as_fd())) {
            return Ok(None);
        }
        // SAFETY: descriptor 0 stays open, on the same file description, for the life of the
        // process: nothing in the server closes or replaces stdin.
        let stdin =
            unsafe { tokio::io::unix::AsyncFd::register_with_interest(StdinFd, tokio::io::Interest::READABLE) }?;
        let stdin_flags = set_non_blocking(libc::STDIN_FILENO)?;
        let stdout_flags = match set_non_blocking(libc::STDOUT_FILENO) {
            Ok(flags) => flags,
            Err(err) => {
                restore_flags(libc::STDIN_FILENO, stdin_flags);
                return Err(err);
            }
        };
        DIRECT.store(true, Ordering::SeqCst);
        Ok(Some(DirectInput {
            stdin,
            decoder: FrameDecoder::default(),
            at_end: false,
            chunk: vec![0; READ_CHUNK].into_boxed_slice(),
            restore: [stdin_flags, stdout_flags],
        }))
    }

    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        loop {
            if let Some(frame) = self.decoder.next_frame(self.at_end) {
                return Poll::Ready(Some(frame));
            }
            if self.at_end {
                return Poll::Ready(None);
            }
            {
                let mut drained = drained();
                if !drained.bytes.is_empty() || drained.at_end {
                    self.decoder.feed(&drained.bytes);
                    drained.bytes.clear();
                    self.at_end = drained.at_end;
                    continue;
                }
                // Cloned only when the task's waker changed, not on every poll.
                if !drained.reader.as_ref().is_some_and(|reader| reader.will_wake(cx.waker())) {
                    drained.reader = Some(cx.waker().clone());
                }
            }
            let mut ready = match self.stdin.poll_read_ready(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(ready)) => ready,
                Poll::Ready(Err(err)) => {
                    tracing::error!("waiting for stdin failed: {err}");
                    self.at_end = true;
                    continue;
                }
            };
            let (decoder, chunk) = (&mut self.decoder, &mut self.chunk);
            match ready.try_io(|_| read_into(decoder, chunk)) {
                Ok(Ok(0)) => self.at_end = true,
                Ok(Ok(_)) => {}
                Ok(Err(err)) if err.kind() == io::ErrorKind::Interrupted => {}
                Ok(Err(err)) => {
                    tracing::error!("reading stdin failed: {err}");
                    self.at_end = true;
                }
                // Nothing more to read: the readiness is cleared and the next poll waits.
                Err(_would_block) => {}
            }
        }
    }
}

#[cfg(unix)]
impl Drop for DirectInput {
    /// Stdin and stdout may outlive the server (a shell's, a wrapper's): they are left as found.
    fn drop(&mut self) {
        DIRECT.store(false, Ordering::SeqCst);
        restore_flags(libc::STDIN_FILENO, self.restore[0]);
        restore_flags(libc::STDOUT_FILENO, self.restore[1]);
    }
}

#[cfg(unix)]
fn is_stream(fd: std::os::fd::BorrowedFd<'_>) -> bool {
    use std::os::unix::fs::FileTypeExt;
    let metadata = fd.try_clone_to_owned().map(std::fs::File::from).and_then(|file| file.metadata());
    metadata.is_ok_and(|it| it.file_type().is_fifo() || it.file_type().is_socket())
}

/// Makes `fd` non-blocking; returns its flags from before.
#[cfg(unix)]
fn set_non_blocking(fd: libc::c_int) -> io::Result<libc::c_int> {
    // SAFETY: F_GETFL and F_SETFL read and set the status flags of a descriptor this process
    // holds open for its whole life (stdin or stdout); no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(flags)
}

#[cfg(unix)]
fn restore_flags(fd: libc::c_int, flags: libc::c_int) {
    // SAFETY: as in `set_non_blocking`.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } < 0 {
        tracing::debug!(fd, "could not restore the descriptor's flags: {}", io::Error::last_os_error());
    }
}

/// Reads stdin into the decoder: the rest of a body that is arriving straight into its buffer (a
/// `didOpen` of a large file is not copied through `chunk`, nor are `chunk`'s pages touched for
/// it), anything else through `chunk`. Returns how many bytes were read.
#[cfg(unix)]
fn read_into(decoder: &mut FrameDecoder, chunk: &mut [u8]) -> io::Result<usize> {
    if let Some((body, missing)) = decoder.body_in_progress() {
        let room = missing.min(BODY_READ);
        body.reserve(room);
        let spare = &mut body.spare_capacity_mut()[..room];
        // SAFETY: `spare` is valid for writes of `room` bytes for the duration of the call.
        let read = unsafe { libc::read(libc::STDIN_FILENO, spare.as_mut_ptr().cast(), room) };
        let read = usize::try_from(read).map_err(|_| io::Error::last_os_error())?;
        // SAFETY: read() initialised the first `read` bytes of the spare capacity, and `read`
        // is at most `room`, within it.
        unsafe { body.set_len(body.len() + read) };
        return Ok(read);
    }
    let read = read_fd(libc::STDIN_FILENO, chunk)?;
    decoder.feed(&chunk[..read]);
    Ok(read)
}

#[cfg(unix)]
fn read_fd(fd: libc::c_int, into: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `into` is valid for writes of its length for the duration of the call.
    let read = unsafe { libc::read(fd, into.as_mut_ptr().cast(), into.len()) };
    usize::try_from(read).map_err(|_| io::Error::last_os_error())
}

/// Writes all of `bytes` to the non-blocking stdout.
#[cfg(unix)]
fn write_direct(mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is valid for reads of its length for the duration of the call.
        let written = unsafe { libc::write(libc::STDOUT_FILENO, bytes.as_ptr().cast(), bytes.len()) };
        match usize::try_from(written) {
            Ok(written) => bytes = &bytes[written..],
            Err(_) => {
                let err = io::Error::last_os_error();
                match err.kind() {
                    io::ErrorKind::Interrupted => {}
                    io::ErrorKind::WouldBlock => wait_for_room()?,
                    _ => return Err(err),
                }
            }
        }
    }
    Ok(())
}

/// Waits until stdout has room, reading stdin into [`DRAINED`] meanwhile: the client may be
/// blocked writing to the server and read again only once its write went through.
#[cfg(unix)]
fn wait_for_room() -> io::Result<()> {
    let input_open = !drained().at_end;
    let mut fds = [
        libc::pollfd { fd: libc::STDOUT_FILENO, events: libc::POLLOUT, revents: 0 },
        libc::pollfd { fd: libc::STDIN_FILENO, events: libc::POLLIN, revents: 0 },
    ];
    let watched: libc::nfds_t = if input_open { 2 } else { 1 };
    // SAFETY: `fds` holds at least `watched` initialised entries and outlives the call.
    if unsafe { libc::poll(fds.as_mut_ptr(), watched, -1) } < 0 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted { Ok(()) } else { Err(err) };
    }
    if input_open && fds[1].revents != 0 {
        let mut chunk = vec![0; READ_CHUNK];
        let read = read_fd(libc::STDIN_FILENO, &mut chunk);
        let mut drained = drained();
        match read {
            Ok(0) => drained.at_end = true,
            Ok(n) => drained.bytes.extend_from_slice(&chunk[..n]),
            Err(err) if matches!(err.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => return Ok(()),
            Err(err) => {
                tracing::error!("reading stdin failed: {err}");
                drained.at_end = true;
            }
        }
        if let Some(reader) = drained.reader.take() {
            reader.wake();
        }
    }
    Ok(())
}

/// Stdin read by a thread of its own, frames handed over through a channel.
pub(crate) struct ThreadInput {
    rx: mpsc::UnboundedReceiver<Frame>,
}

impl ThreadInput {
    /// Starts the thread that reads and checks frames from `input`.
    pub(crate) fn spawn(mut input: impl Read + Send + 'static) -> io::Result<ThreadInput> {
        let (tx, rx) = mpsc::unbounded_channel();
        std::thread::Builder::new().name("berth-stdin".to_owned()).spawn(move || {
            let mut decoder = FrameDecoder::default();
            let mut chunk = vec![0; READ_CHUNK];
            loop {
                let read = match input.read(&mut chunk) {
                    Ok(read) => read,
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) => {
                        tracing::error!("reading stdin failed: {err}");
                        0
                    }
                };
                let at_end = read == 0;
                decoder.feed(&chunk[..read]);
                while let Some(frame) = decoder.next_frame(at_end) {
                    if tx.send(frame).is_err() {
                        return;
                    }
                }
                if at_end {
                    return;
                }
            }
        })?;
        Ok(ThreadInput { rx })
    }

    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<Frame>> {
        self.rx.poll_recv(cx)
    }
}

/// Writes one message body to stdout as a frame, in a single locked write, so that frames written
/// from different places never interleave.
///
/// Written synchronously on the runtime thread: tokio's own `stdout()` hands every write to the
/// blocking pool, which the server keeps at one thread for analyses, so a response would wait
/// for the analysis queued before it, and each write would cost two thread hand-offs. A pipe
/// write of a framed message is a copy into the kernel's buffer; it only waits while the client
/// is not reading, and then nothing could be sent anyway (stdin keeps being read meanwhile).
pub(crate) fn write_frame(body: &[u8]) -> io::Result<()> {
    write_frame_parts(&[body])
}

/// Like [`write_frame`] for a body given in pieces (a large cached result between a small prefix
/// and suffix), without first copying them into one buffer.
pub(crate) fn write_frame_parts(parts: &[&[u8]]) -> io::Result<()> {
    let len: usize = parts.iter().map(|it| it.len()).sum();
    let header = format!("Content-Length: {len}\r\n\r\n");
    let mut pieces = Vec::with_capacity(parts.len() + 1);
    pieces.push(header.as_bytes());
    pieces.extend_from_slice(parts);
    write_frame_parts_raw(&pieces)
}

/// Writes `parts` one after the other under stdout's lock, and flushes.
fn write_frame_parts_raw(parts: &[&[u8]]) -> io::Result<()> {
    let len: usize = parts.iter().map(|it| it.len()).sum();
    let mut stdout = io::stdout().lock();
    // Small frames go out in one write: one wake-up for the client.
    let joined;
    let parts = if len <= 64 * 1024 && parts.len() > 1 {
        joined = parts.concat();
        &[joined.as_slice()][..]
    } else {
        parts
    };
    #[cfg(unix)]
    if DIRECT.load(Ordering::Relaxed) {
        return parts.iter().try_for_each(|part| write_direct(part));
    }
    for part in parts {
        stdout.write_all(part)?;
    }
    stdout.flush()
}
