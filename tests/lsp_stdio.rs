//! How `berth server` uses stdin and stdout, as the built binary: stdin that is a file rather
//! than a pipe, a client that reads nothing until it has written everything, and descriptors
//! left as they were found.

mod support;

use std::io::{BufReader, Write};
use std::os::fd::AsRawFd;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use support::{Workspace, read_frame};

fn berth_server() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_berth"));
    command.arg("server").env_remove("RUST_LOG").env("BERTH_LOG", "warn");
    command
}

/// `berth server` with stdin and stdout piped to the test (stderr dropped).
fn spawn_piped() -> Child {
    berth_server()
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn berth server")
}

fn framed(message: &Value) -> Vec<u8> {
    let body = message.to_string();
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body.as_bytes());
    frame
}

/// `initialize` (id 1), with no client capabilities, so the server asks the client nothing.
fn initialize(root_uri: &str) -> Vec<u8> {
    framed(&json!({
        "jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": { "processId": null, "rootUri": root_uri, "capabilities": {} },
    }))
}

fn initialized() -> Vec<u8> {
    framed(&json!({ "jsonrpc": "2.0", "method": "initialized", "params": {} }))
}

fn shutdown() -> Vec<u8> {
    framed(&json!({ "jsonrpc": "2.0", "id": 2, "method": "shutdown" }))
}

fn exit() -> Vec<u8> {
    framed(&json!({ "jsonrpc": "2.0", "method": "exit" }))
}

fn did_open(uri: &str, language_id: &str, text: &str) -> Vec<u8> {
    framed(&json!({
        "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": { "textDocument": { "uri": uri, "languageId": language_id, "version": 1, "text": text } },
    }))
}

/// Every message on `stdout` up to its end.
fn read_all(stdout: impl std::io::Read) -> Vec<Value> {
    read_until(&mut BufReader::new(stdout), |_| false)
}

/// Messages up to the one `last` accepts, or up to the end.
fn read_until(reader: &mut impl std::io::BufRead, last: impl Fn(&Value) -> bool) -> Vec<Value> {
    let mut messages = Vec::new();
    while let Some(message) = read_frame(reader).unwrap_or_else(|err| panic!("stdout: {err}")) {
        let done = last(&message);
        messages.push(message);
        if done {
            break;
        }
    }
    messages
}

fn is_response(message: &Value, id: i64) -> bool {
    message["id"] == id && message.get("method").is_none()
}

fn response(messages: &[Value], id: i64) -> &Value {
    messages
        .iter()
        .find(|it| it["id"] == id && it.get("method").is_none())
        .unwrap_or_else(|| panic!("no response {id}"))
}

/// Waits for `child` to exit; kills it and fails after `limit`.
fn wait_at_most(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("poll the server") {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what}: the server did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Stdin that is a file cannot be read the kernel's way for pipes; it is read to its end all
/// the same. (A client must wait for the `initialize` answer before it sends more, which a file
/// cannot, so the session is that one request.)
#[test]
fn stdin_that_is_a_file_is_served_to_its_end() {
    let ws = Workspace::new();
    let input_path = ws.write("session.bin", "");
    std::fs::write(&input_path, initialize(&ws.uri(""))).expect("write the session");
    let mut child = berth_server()
        .stdin(std::fs::File::open(&input_path).expect("open the session"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn berth server");
    let stdout = child.stdout.take().expect("piped stdout");
    let reader = std::thread::spawn(move || read_all(stdout));
    let status = wait_at_most(&mut child, Duration::from_secs(60), "stdin from a file");
    let messages = reader.join().expect("the reader");
    assert!(response(&messages, 1)["result"]["capabilities"].is_object(), "{messages:?}");
    // The input ended without `exit`.
    assert_eq!(status.code(), Some(1));
}

/// How many bytes a pipe holds.
fn pipe_capacity(fd: &impl AsRawFd) -> usize {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: F_GETPIPE_SZ reads the buffer size of a pipe this test holds open.
        let size = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETPIPE_SZ) };
        assert!(size > 0, "F_GETPIPE_SZ failed");
        size as usize
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = fd;
        64 * 1024
    }
}

/// Bytes waiting in a pipe to be read.
fn unread_bytes(fd: &impl AsRawFd) -> usize {
    let mut unread: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer, which is valid for the call.
    let result = unsafe { libc::ioctl(fd.as_raw_fd(), libc::FIONREAD, &mut unread) };
    assert!(result >= 0, "FIONREAD failed");
    usize::try_from(unread).unwrap_or(0)
}

/// A client may write all it has before it reads anything. Once both pipes are full the server
/// must still take its input, or the client (blocked writing) and the server (blocked writing)
/// wait for each other for ever.
#[test]
fn a_client_that_reads_only_after_writing_everything() {
    let ws = Workspace::new();
    let dockerfile = ws.uri("Dockerfile");
    let notes = ws.uri("notes.txt");
    let text = berth::syntax::sample::sample_large_dockerfile(5_000);
    let mut child = spawn_piped();
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
    stdin.write_all(&initialize(&ws.uri(""))).expect("write initialize");
    read_until(&mut stdout, |it| is_response(it, 1));

    // Answers that are more than the stdout pipe holds (each is over 600 kB: a symbol per
    // instruction and argument)...
    let requests = 4;
    let mut asked =
        [initialized(), did_open(&dockerfile, "dockerfile", &text), did_open(&notes, "plaintext", "")].concat();
    for round in 0..requests {
        asked.extend(framed(&json!({
            "jsonrpc": "2.0", "id": 100 + round, "method": "textDocument/documentSymbol",
            "params": { "textDocument": { "uri": dockerfile } },
        })));
    }
    stdin.write_all(&asked).expect("write the requests");
    // ...fill it, and the server waits to write the rest. (The server asks for 1 MiB pipes; a
    // system may grant less. A pipe counts as full before every byte of it is used: small writes
    // leave pages part-empty.)
    let full = pipe_capacity(stdout.get_ref()) * 3 / 4;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while unread_bytes(stdout.get_ref()) < full {
        assert!(std::time::Instant::now() < deadline, "the answers did not fill the pipe");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Then the client writes more than the stdin pipe holds (the server asks for 1 MiB pipes).
    let mut changes = Vec::new();
    for round in 0..12 {
        changes.extend(framed(&json!({
            "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {
                "textDocument": { "uri": notes, "version": round + 2 },
                "contentChanges": [{ "text": format!("{round}").repeat(300_000) }],
            },
        })));
    }
    changes.extend(shutdown());
    assert!(changes.len() > 3 << 20);
    let (written, done) = mpsc::channel();
    std::thread::spawn(move || {
        let result = stdin.write_all(&changes).map(|()| stdin);
        let _ = written.send(result);
    });
    let mut stdin = match done.recv_timeout(Duration::from_secs(60)) {
        Ok(result) => result.expect("write the changes"),
        Err(_) => {
            let _ = child.kill();
            panic!("the server stopped taking input while its output was not being read");
        }
    };
    let mut messages = read_until(&mut stdout, |it| is_response(it, 2));
    stdin.write_all(&exit()).expect("write exit");
    drop(stdin);
    messages.extend(read_all(stdout));
    let status = wait_at_most(&mut child, Duration::from_secs(60), "after the writes");
    for round in 0..requests {
        let symbols = &response(&messages, 100 + round)["result"];
        assert!(symbols.as_array().is_some_and(|it| it.len() > 100), "request {round}: {symbols:.200}");
    }
    assert_eq!(response(&messages, 2)["result"], Value::Null);
    assert_eq!(status.code(), Some(0));
}

fn is_non_blocking(fd: &impl AsRawFd) -> bool {
    // SAFETY: F_GETFL reads the flags of a descriptor this test holds open.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    assert!(flags >= 0, "F_GETFL failed");
    flags & libc::O_NONBLOCK != 0
}

/// The server reads and writes pipes without blocking, which is a property of the pipe that
/// other holders share; it puts them back as they were.
#[test]
fn pipes_are_left_blocking_as_they_were_found() {
    let ws = Workspace::new();
    let (stdin_read, mut stdin_write) = std::io::pipe().expect("a pipe");
    let (stdout_read, stdout_write) = std::io::pipe().expect("a pipe");
    let mut child = berth_server()
        .stdin(stdin_read.try_clone().expect("clone"))
        .stdout(stdout_write.try_clone().expect("clone"))
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut reader = BufReader::new(stdout_read);
    stdin_write.write_all(&initialize(&ws.uri(""))).expect("write");
    let answer = read_frame(&mut reader).expect("a message").expect("the initialize response");
    assert_eq!(answer["id"], 1);
    assert!(is_non_blocking(&stdin_read) && is_non_blocking(&stdout_write), "read directly while serving");
    stdin_write.write_all(&[initialized(), shutdown()].concat()).expect("write");
    let shut_down = read_frame(&mut reader).expect("a message").expect("the shutdown response");
    assert_eq!(shut_down["id"], 2);
    stdin_write.write_all(&exit()).expect("write");
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(30), "exit").code(), Some(0));
    assert!(!is_non_blocking(&stdin_read), "stdin left non-blocking");
    assert!(!is_non_blocking(&stdout_write), "stdout left non-blocking");
}

/// A large body is read straight into its buffer as it arrives; however its pieces fall (a
/// header with the first bytes of the body, single bytes, a body's end in the same write as the
/// next message's start), the document is exactly the text that was sent.
#[test]
fn a_large_body_arriving_in_pieces_is_read_whole() {
    let ws = Workspace::new();
    let uri = ws.uri("Dockerfile");
    let text: String = (0..6000).map(|line| format!("RUN echo \"línea {line} \\u{{1F40B}} 🐋\"\n")).collect();
    let view = framed(&json!({
        "jsonrpc": "2.0", "id": 3, "method": "berth/viewFileText",
        "params": { "uri": uri },
    }));
    let open = did_open(&uri, "dockerfile", &text);
    assert!(open.len() > 200_000, "large enough to be read in several pieces");
    // The header and a few bytes of the body; single bytes; large pieces; the body's last bytes
    // with the next message's first ones.
    let cuts = [30, 31, 32, 4096, 70_000, 140_001, open.len() - 5, open.len() + 10];
    let stream = [open, view].concat();
    let mut child = spawn_piped();
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Read on a thread, so that a server that never answers fails the test instead of hanging it.
    let (messages, received) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        read_until(&mut BufReader::new(stdout), |message| messages.send(message.clone()).is_err());
    });
    let mut wait_for = |id: i64| loop {
        match received.recv_timeout(Duration::from_secs(60)) {
            Ok(message) if is_response(&message, id) => break message,
            Ok(_) => {}
            Err(err) => {
                let _ = child.kill();
                panic!("no response {id}: {err}");
            }
        }
    };
    stdin.write_all(&initialize(&ws.uri(""))).expect("write");
    wait_for(1);
    stdin.write_all(&initialized()).expect("write");
    let mut from = 0;
    for cut in cuts.into_iter().chain([stream.len()]) {
        stdin.write_all(&stream[from..cut]).expect("write");
        stdin.flush().expect("flush");
        std::thread::sleep(Duration::from_millis(5));
        from = cut;
    }
    assert_eq!(wait_for(3)["result"]["text"], json!(text), "the document as the server holds it");
    stdin.write_all(&shutdown()).expect("write");
    wait_for(2);
    stdin.write_all(&exit()).expect("write");
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(30), "exit").code(), Some(0));
}

/// The spec asks a client to wait for the `shutdown` answer before it sends `exit`; one that
/// sends both at once still gets exit code 0, since the shutdown was received.
#[test]
fn shutdown_and_exit_in_one_write_exit_with_0() {
    let ws = Workspace::new();
    let mut child = spawn_piped();
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    stdin.write_all(&initialize(&ws.uri(""))).expect("write");
    read_until(&mut reader, |it| is_response(it, 1));
    stdin.write_all(&[initialized(), shutdown(), exit()].concat()).expect("write");
    let messages = read_all(reader);
    assert!(messages.iter().any(|it| it["id"] == 2), "the shutdown is answered: {messages:?}");
    assert_eq!(wait_at_most(&mut child, Duration::from_secs(30), "exit").code(), Some(0));
}
