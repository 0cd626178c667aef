//! Digest pinning against real and scripted registries on loopback: Debian's `docker-registry`
//! (the Go distribution registry) started by the test with images pushed over its HTTP API, a
//! tiny bearer-token registry written here, and the "Pin image to digest" code action over stdio.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use berth::registry::{ManifestKind, Pinned, RegistryError, Resolver, sha256_digest};
use serde_json::{Value, json};

use support::{TestServer, Workspace};

const REGISTRY_BINARY: &str = "/usr/bin/docker-registry";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A `docker-registry` process serving from a temporary directory; killed on drop.
struct LocalRegistry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for LocalRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

impl LocalRegistry {
    /// Starts the registry, or `None` (with the skip message printed) when it is not installed.
    fn start() -> Option<LocalRegistry> {
        if !Path::new(REGISTRY_BINARY).exists() {
            println!("skipped: docker-registry not installed (apt-get install docker-registry)");
            return None;
        }
        let dir = tempfile::tempdir().expect("temporary directory");
        let port = free_port();
        let storage = dir.path().join("storage");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\n  \
                 delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                storage.display()
            ),
        )
        .expect("write the registry configuration");
        let child = Command::new(REGISTRY_BINARY)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        let registry = LocalRegistry { child, port, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answered = ureq::get(&format!("{}/v2/", registry.base()))
                .config()
                .http_status_as_error(false)
                .proxy(None)
                .build()
                .call()
                .is_ok_and(|it| it.status().as_u16() == 200);
            if answered {
                return Some(registry);
            }
            assert!(Instant::now() < deadline, "docker-registry did not answer /v2/ within 20 s");
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Uploads a blob (POST an upload, then PUT it whole with its digest); returns the digest.
    fn push_blob(&self, repository: &str, bytes: &[u8]) -> String {
        let digest = sha256_digest(bytes);
        let started = agent()
            .post(&format!("{}/v2/{repository}/blobs/uploads/", self.base()))
            .send_empty()
            .expect("start an upload");
        assert_eq!(started.status().as_u16(), 202, "upload start");
        let location = started.headers().get("location").and_then(|it| it.to_str().ok()).expect("upload location");
        let location =
            if location.starts_with("http") { location.to_owned() } else { format!("{}{location}", self.base()) };
        let separator = if location.contains('?') { '&' } else { '?' };
        let put = agent()
            .put(&format!("{location}{separator}digest={digest}"))
            .header("Content-Type", "application/octet-stream")
            .send(bytes)
            .expect("finish the upload");
        assert_eq!(put.status().as_u16(), 201, "upload of {digest}");
        digest
    }

    /// Puts a manifest under `reference`; returns the digest the registry reports for it.
    fn push_manifest(&self, repository: &str, reference: &str, media_type: &str, body: &str) -> String {
        let response = agent()
            .put(&format!("{}/v2/{repository}/manifests/{reference}", self.base()))
            .header("Content-Type", media_type)
            .send(body.as_bytes())
            .expect("put a manifest");
        let status = response.status().as_u16();
        let mut response = response;
        let detail = response.body_mut().read_to_string().unwrap_or_default();
        assert_eq!(status, 201, "manifest {repository}:{reference}: {detail}");
        let reported = response_digest(&response);
        assert_eq!(reported, sha256_digest(body.as_bytes()), "the registry names a manifest by its hash");
        reported
    }

    /// Pushes a one-layer image manifest (config and layer blobs first); returns its digest and body.
    fn push_image(&self, repository: &str, reference: &str, platform: (&str, &str)) -> (String, String) {
        let config = format!(
            r#"{{"architecture":"{}","os":"{}","rootfs":{{"type":"layers","diff_ids":[]}}}}"#,
            platform.0, platform.1
        );
        let layer = format!("layer for {}/{}", platform.1, platform.0);
        let config_digest = self.push_blob(repository, config.as_bytes());
        let layer_digest = self.push_blob(repository, layer.as_bytes());
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": { "mediaType": OCI_CONFIG, "digest": config_digest, "size": config.len() },
            "layers": [{ "mediaType": OCI_LAYER, "digest": layer_digest, "size": layer.len() }],
        })
        .to_string();
        let digest = self.push_manifest(repository, reference, OCI_MANIFEST, &manifest);
        (digest, manifest)
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).proxy(None).build().into()
}

fn response_digest(response: &ureq::http::Response<ureq::Body>) -> String {
    response
        .headers()
        .get("docker-content-digest")
        .and_then(|it| it.to_str().ok())
        .expect("Docker-Content-Digest")
        .to_owned()
}

/// A Dockerfile workspace and a server with network access as given, resolve and disabled
/// actions supported.
fn server_with(network: bool, text: &str) -> (Workspace, TestServer, String) {
    let ws = Workspace::new();
    ws.write("Dockerfile", text);
    let mut server = TestServer::spawn();
    let root = support::file_uri(&ws.root());
    server.initialize_with(json!({
        "processId": null,
        "rootUri": root,
        "workspaceFolders": [{ "uri": root, "name": "root" }],
        "initializationOptions": { "berth": { "network": { "enabled": network } } },
        "capabilities": { "textDocument": { "codeAction": {
            "resolveSupport": { "properties": ["edit"] },
            "disabledSupport": true,
            "dataSupport": true,
        } } },
    }));
    let uri = ws.uri("Dockerfile");
    server.open(&uri, text);
    (ws, server, uri)
}

/// The pin actions offered on `line`.
fn pin_actions(server: &mut TestServer, uri: &str, line: u32) -> Vec<Value> {
    let actions = server.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": support::range((line, 0), (line, 0)),
            "context": { "diagnostics": [], "only": ["refactor"] },
        }),
    );
    actions
        .as_array()
        .expect("actions")
        .iter()
        .filter(|it| it["title"].as_str().is_some_and(|title| title.starts_with("Pin `")))
        .cloned()
        .collect()
}

/// Applies a resolved pin's single edit to `text`.
fn apply(text: &str, uri: &str, resolved: &Value) -> String {
    let edits = resolved["edit"]["changes"][uri].as_array().expect("edits of the Dockerfile");
    assert_eq!(edits.len(), 1, "{resolved}");
    let edit = &edits[0];
    assert_eq!(edit["range"]["start"], edit["range"]["end"], "an insertion");
    let line = edit["range"]["start"]["line"].as_u64().expect("line") as usize;
    let col = edit["range"]["start"]["character"].as_u64().expect("character") as usize;
    let offset: usize = text.split_inclusive('\n').take(line).map(str::len).sum::<usize>() + col;
    format!("{}{}{}", &text[..offset], edit["newText"].as_str().expect("new text"), &text[offset..])
}

#[test]
fn digests_resolve_from_a_real_registry_and_pin_through_the_code_action() {
    let Some(registry) = LocalRegistry::start() else { return };
    let (single, _) = registry.push_image("berth/app", "1.0", ("amd64", "linux"));
    let (amd64, amd64_body) = registry.push_image("berth/multi", "amd64", ("amd64", "linux"));
    let (arm64, arm64_body) = registry.push_image("berth/multi", "arm64", ("arm64", "linux"));
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [
            { "mediaType": OCI_MANIFEST, "digest": amd64, "size": amd64_body.len(), "platform": { "architecture": "amd64", "os": "linux" } },
            { "mediaType": OCI_MANIFEST, "digest": arm64, "size": arm64_body.len(), "platform": { "architecture": "arm64", "os": "linux" } },
        ],
    })
    .to_string();
    let index_digest = registry.push_manifest("berth/multi", "2.0", OCI_INDEX, &index);

    let host = registry.host();
    let resolver = Resolver::default();
    assert_eq!(
        resolver.resolve(&format!("{host}/berth/app:1.0")),
        Ok(Pinned { digest: single.clone(), kind: ManifestKind::Manifest })
    );
    // The index digest, not one platform's, so the pin builds everywhere.
    assert_eq!(
        resolver.resolve(&format!("{host}/berth/multi:2.0")),
        Ok(Pinned { digest: index_digest.clone(), kind: ManifestKind::Index })
    );
    assert_eq!(
        resolver.resolve(&format!("{host}/berth/app:missing")),
        Err(RegistryError::NotFound(format!("{host}/berth/app:missing")))
    );

    let text = format!("FROM {host}/berth/multi:2.0 AS build\nCOPY --from={host}/berth/app:1.0 /bin/app /bin/\n");
    let (_ws, mut server, uri) = server_with(true, &text);
    let offered = pin_actions(&mut server, &uri, 0);
    assert_eq!(offered.len(), 1, "{offered:?}");
    assert_eq!(offered[0]["kind"], "refactor.rewrite");
    assert!(offered[0].get("edit").is_none(), "the edit comes on resolve: {}", offered[0]);
    assert!(offered[0].get("disabled").is_none());
    let resolved = server.request("codeAction/resolve", offered[0].clone());
    assert!(resolved["title"].as_str().is_some_and(|it| it.contains("multi-platform index")), "{resolved}");
    let pinned = apply(&text, &uri, &resolved);
    assert_eq!(pinned.lines().next(), Some(format!("FROM {host}/berth/multi:2.0@{index_digest} AS build").as_str()));

    let uv_line = pin_actions(&mut server, &uri, 1);
    assert_eq!(uv_line.len(), 1, "{uv_line:?}");
    let resolved = server.request("codeAction/resolve", uv_line[0].clone());
    assert!(resolved["title"].as_str().is_some_and(|it| it.contains("single-platform")), "{resolved}");
    let both = apply(&pinned, &uri, &resolved);
    assert!(both.ends_with(&format!("COPY --from={host}/berth/app:1.0@{single} /bin/app /bin/\n")), "{both}");

    // Once pinned, nothing more is offered and berth reports no new error.
    server.replace_all(&uri, &both);
    assert!(pin_actions(&mut server, &uri, 0).is_empty());
    assert!(pin_actions(&mut server, &uri, 1).is_empty());
    let published = server.await_diagnostics(&uri, server.version(&uri));
    let errors: Vec<_> =
        published["diagnostics"].as_array().expect("diagnostics").iter().filter(|it| it["severity"] == 1).collect();
    assert!(errors.is_empty(), "{errors:?}");
    server.shutdown_and_exit();
}

/// One request as the scripted registry saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    accept: Option<String>,
}

/// A loopback registry that demands a bearer token, hands one out at `/token`, and answers the
/// manifest with (or, with `send_digest` off, without) `Docker-Content-Digest`.
struct ScriptedRegistry {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

const MANIFEST_BODY: &str =
    r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
const TOKEN: &str = "tok-123";

impl ScriptedRegistry {
    fn start(send_digest: bool, requests: usize) -> ScriptedRegistry {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        thread::spawn(move || {
            // Bounded: the test makes at most `requests` requests.
            for stream in listener.incoming().take(requests) {
                let Ok(stream) = stream else { continue };
                serve_one(stream, port, send_digest, &log);
            }
        });
        ScriptedRegistry { port, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("log").clone()
    }
}

fn serve_one(mut stream: TcpStream, port: u16, send_digest: bool, log: &Mutex<Vec<Seen>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let (mut authorization, mut accept) = (None, None);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "authorization" => authorization = Some(value.trim().to_owned()),
                "accept" => accept = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    log.lock().expect("log").push(Seen {
        method: method.clone(),
        path: path.clone(),
        authorization: authorization.clone(),
        accept,
    });
    let expected = format!("Bearer {TOKEN}");
    let (status, headers, body) = if path.starts_with("/token?") {
        ("200 OK", "Content-Type: application/json\r\n".to_owned(), format!(r#"{{"token":"{TOKEN}"}}"#))
    } else if authorization.as_deref() != Some(expected.as_str()) {
        let challenge = format!(
            "WWW-Authenticate: Bearer realm=\"http://127.0.0.1:{port}/token\",service=\"scripted\",scope=\"repository:team/app:pull\"\r\n"
        );
        ("401 Unauthorized", challenge, String::new())
    } else {
        let mut headers = format!("Content-Type: {OCI_INDEX}\r\n");
        if send_digest {
            headers.push_str(&format!("Docker-Content-Digest: {}\r\n", sha256_digest(MANIFEST_BODY.as_bytes())));
        }
        ("200 OK", headers, MANIFEST_BODY.to_owned())
    };
    let length = body.len();
    let body = if method == "HEAD" { String::new() } else { body };
    let _ = write!(stream, "HTTP/1.1 {status}\r\n{headers}Content-Length: {length}\r\nConnection: close\r\n\r\n{body}");
    let _ = stream.flush();
    // Read whatever is left so closing does not reset the connection under the client.
    let _ = stream.set_read_timeout(Some(Duration::from_millis(10)));
    let _ = reader.read(&mut [0; 64]);
}

#[test]
fn a_bearer_challenge_is_answered_with_an_anonymous_token() {
    let scripted = ScriptedRegistry::start(true, 3);
    let reference = format!("127.0.0.1:{}/team/app:1", scripted.port);
    let resolver = Resolver::default();
    let found = resolver.resolve(&reference).expect("resolved");
    assert_eq!(found, Pinned { digest: sha256_digest(MANIFEST_BODY.as_bytes()), kind: ManifestKind::Index });
    let seen = scripted.seen();
    let summary: Vec<_> = seen.iter().map(|it| (it.method.as_str(), it.authorization.is_some())).collect();
    assert_eq!(summary, [("HEAD", false), ("GET", false), ("HEAD", true)], "{seen:?}");
    assert_eq!(seen[0].path, "/v2/team/app/manifests/1");
    assert!(
        seen[1].path.contains("scope=repository%3Ateam%2Fapp%3Apull") && seen[1].path.contains("service=scripted"),
        "{}",
        seen[1].path
    );
    let accept = seen[2].accept.as_deref().unwrap_or_default();
    for media_type in [
        OCI_INDEX,
        OCI_MANIFEST,
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ] {
        assert!(accept.contains(media_type), "{accept}");
    }
    // Cached for the session: no further request (the server would not answer one).
    assert_eq!(resolver.resolve(&reference), Ok(found));
    assert_eq!(scripted.seen().len(), 3);
}

#[test]
fn without_a_digest_header_the_manifest_is_fetched_and_hashed() {
    let scripted = ScriptedRegistry::start(false, 5);
    let reference = format!("localhost:{}/team/app:1", scripted.port);
    let found = Resolver::default().resolve(&reference).expect("resolved");
    assert_eq!(found, Pinned { digest: sha256_digest(MANIFEST_BODY.as_bytes()), kind: ManifestKind::Index });
    let methods: Vec<_> = scripted.seen().iter().map(|it| it.method.clone()).collect();
    assert_eq!(methods, ["HEAD", "GET", "HEAD", "GET"]);
}

#[test]
fn an_unreachable_registry_fails_within_the_deadline() {
    let port = free_port();
    let started = Instant::now();
    let found = Resolver::new(Duration::from_secs(2)).resolve(&format!("127.0.0.1:{port}/a/b:c"));
    assert!(matches!(found, Err(RegistryError::Network(_) | RegistryError::TimedOut)), "{found:?}");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn with_network_access_off_no_socket_is_opened() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("non-blocking");
    let port = listener.local_addr().expect("address").port();
    let text = format!("FROM 127.0.0.1:{port}/team/app:1\n");
    let (_ws, mut server, uri) = server_with(false, &text);
    let offered = pin_actions(&mut server, &uri, 0);
    assert_eq!(offered.len(), 1, "{offered:?}");
    let reason = offered[0]["disabled"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("network access is off"), "{}", offered[0]);
    let response = server.request_raw("codeAction/resolve", offered[0].clone());
    let message = response["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("network access is off"), "{response}");
    server.shutdown_and_exit();
    match listener.accept() {
        Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("berth connected to the registry with network access off: {other:?}"),
    }
}

#[test]
fn clients_without_disabled_support_get_no_pin_action_while_offline() {
    let ws = Workspace::new();
    let text = "FROM python:3.12-slim\n";
    ws.write("Dockerfile", text);
    let mut server = TestServer::spawn();
    server.initialize_in(
        &ws.root(),
        json!({ "textDocument": { "codeAction": { "resolveSupport": { "properties": ["edit"] } } } }),
    );
    let uri = ws.uri("Dockerfile");
    server.open(&uri, text);
    assert!(pin_actions(&mut server, &uri, 0).is_empty());
    server.shutdown_and_exit();
}
