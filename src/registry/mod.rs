//! Resolves an image tag to the digest a registry serves for it, through the OCI distribution
//! API, so an image can be pinned to `@sha256:…`.
//!
//! This is the only code in berth that opens network connections. Nothing calls it unless the
//! user turned network access on; the server then runs it off the request loop. One lookup is a
//! manifest `HEAD` (plus, when the registry asks, an anonymous token from its bearer realm and
//! a retry), under one overall deadline. Plain HTTP is used only for loopback registries, as
//! Docker does; every other registry (and token realm) must speak HTTPS.

pub mod challenge;

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256};

use crate::semantics::image::parse_image_ref;

/// How long one whole lookup (every request it makes) may take.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest manifest body read when a registry leaves out `Docker-Content-Digest`.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// The manifest formats asked for, most useful first: a multi-platform index (OCI, then Docker's
/// manifest list), then single-platform manifests.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// A tag reference in the coordinates the distribution API wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryRef {
    /// `host[:port]` to talk to (`registry-1.docker.io` for Docker Hub).
    pub host: String,
    /// The repository path (`library/python` for `python`).
    pub repository: String,
    pub tag: String,
    /// True for loopback registries, the only ones spoken to over plain HTTP.
    pub loopback: bool,
}

impl RegistryRef {
    /// Parses `[registry/]repository[:tag]` with Docker's defaults (Docker Hub, `library/`,
    /// `latest`). A reference that already carries a digest, or holds a variable, is refused.
    pub fn parse(reference: &str) -> Result<RegistryRef, RegistryError> {
        let invalid = || RegistryError::InvalidReference(reference.to_owned());
        let parsed = parse_image_ref(reference).ok_or_else(invalid)?;
        if parsed.digest.is_some() {
            return Err(RegistryError::AlreadyPinned(reference.to_owned()));
        }
        let tag = parsed.effective_tag().ok_or_else(invalid)?.to_owned();
        let host =
            if parsed.is_docker_hub() { "registry-1.docker.io".to_owned() } else { parsed.registry_host().to_owned() };
        let loopback = is_loopback_host(&host);
        Ok(RegistryRef { repository: parsed.full_repository(), tag, loopback, host })
    }

    fn scheme(&self) -> &'static str {
        if self.loopback { "http" } else { "https" }
    }

    /// `scheme://host/v2/<repository>/manifests/<tag>`.
    pub fn manifest_url(&self) -> String {
        format!("{}://{}/v2/{}/manifests/{}", self.scheme(), self.host, self.repository, self.tag)
    }

    /// `host/repository:tag`, the cache key.
    pub fn canonical(&self) -> String {
        format!("{}/{}:{}", self.host, self.repository, self.tag)
    }
}

/// True for `localhost`, `127.0.0.0/8` and `::1`, with or without a port.
pub fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    name.eq_ignore_ascii_case("localhost") || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What a tag resolved to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pinned {
    /// `sha256:<64 hex digits>`.
    pub digest: String,
    pub kind: ManifestKind,
}

/// Whether a digest names one platform's image or an index of several.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ManifestKind {
    /// An OCI image index or Docker manifest list: the pin works on every platform it lists.
    Index,
    /// One image manifest: a single platform.
    Manifest,
    /// The registry did not say.
    Unknown,
}

impl ManifestKind {
    fn from_media_type(media_type: &str) -> ManifestKind {
        match media_type.split(';').next().unwrap_or("").trim() {
            "application/vnd.oci.image.index.v1+json" | "application/vnd.docker.distribution.manifest.list.v2+json" => {
                ManifestKind::Index
            }
            "application/vnd.oci.image.manifest.v1+json"
            | "application/vnd.docker.distribution.manifest.v2+json"
            | "application/vnd.docker.distribution.manifest.v1+json"
            | "application/vnd.docker.distribution.manifest.v1+prettyjws" => ManifestKind::Manifest,
            _ => ManifestKind::Unknown,
        }
    }

    /// From a manifest body: its `mediaType`, else an index has `manifests`.
    fn from_body(body: &[u8]) -> ManifestKind {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else { return ManifestKind::Unknown };
        if let Some(kind) = value.get("mediaType").and_then(|it| it.as_str()).map(ManifestKind::from_media_type)
            && kind != ManifestKind::Unknown
        {
            return kind;
        }
        if value.get("manifests").is_some_and(serde_json::Value::is_array) {
            ManifestKind::Index
        } else if value.get("layers").is_some_and(serde_json::Value::is_array) {
            ManifestKind::Manifest
        } else {
            ManifestKind::Unknown
        }
    }
}

/// Why a lookup failed; the message is shown to the user as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegistryError {
    InvalidReference(String),
    AlreadyPinned(String),
    /// Connecting, sending or receiving failed (or timed out).
    Network(String),
    /// The registry answered with an unexpected status.
    Status {
        url: String,
        status: u16,
    },
    NotFound(String),
    /// A token was needed and could not be had anonymously.
    Auth(String),
    /// The answer had no usable digest.
    NoDigest(String),
    TimedOut,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::InvalidReference(it) => write!(f, "`{it}` is not an image reference berth can look up"),
            RegistryError::AlreadyPinned(it) => write!(f, "`{it}` is already pinned to a digest"),
            RegistryError::Network(it) => write!(f, "the registry could not be reached: {it}"),
            RegistryError::Status { url, status } => write!(f, "the registry answered {status} for {url}"),
            RegistryError::NotFound(it) => write!(f, "the registry has no manifest for `{it}`"),
            RegistryError::Auth(it) => write!(f, "the registry refused an anonymous pull: {it}"),
            RegistryError::NoDigest(it) => write!(f, "the registry's answer for `{it}` carries no usable digest"),
            RegistryError::TimedOut => {
                write!(f, "the registry lookup took longer than {} s", DEFAULT_TIMEOUT.as_secs())
            }
        }
    }
}

impl std::error::Error for RegistryError {}

/// Looks tags up and remembers what they resolved to for the rest of the session (a tag's digest
/// changes when it is re-pushed; a session is short enough for that not to matter).
pub struct Resolver {
    agent: ureq::Agent,
    timeout: Duration,
    cache: Mutex<HashMap<String, Pinned>>,
}

impl Default for Resolver {
    fn default() -> Resolver {
        Resolver::new(DEFAULT_TIMEOUT)
    }
}

impl Resolver {
    pub fn new(timeout: Duration) -> Resolver {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            // Registries redirect blob downloads, never a manifest HEAD or a token request to
            // somewhere else worth following blindly.
            .max_redirects(3)
            .user_agent(concat!("berth/", env!("CARGO_PKG_VERSION")))
            .build();
        Resolver { agent: config.into(), timeout, cache: Mutex::new(HashMap::new()) }
    }

    /// The digest `reference` (`[registry/]repository[:tag]`) resolves to now.
    pub fn resolve(&self, reference: &str) -> Result<Pinned, RegistryError> {
        let target = RegistryRef::parse(reference)?;
        let key = target.canonical();
        if let Some(found) = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key) {
            return Ok(found.clone());
        }
        let found = Lookup { resolver: self, target: &target, deadline: Instant::now() + self.timeout }.run()?;
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(key, found.clone());
        Ok(found)
    }

    /// The cached answer for `reference`, without any network access.
    pub fn cached(&self, reference: &str) -> Option<Pinned> {
        let key = RegistryRef::parse(reference).ok()?.canonical();
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).cloned()
    }
}

/// One lookup under one deadline.
struct Lookup<'a> {
    resolver: &'a Resolver,
    target: &'a RegistryRef,
    deadline: Instant,
}

type Response = ureq::http::Response<ureq::Body>;

impl Lookup<'_> {
    fn run(&self) -> Result<Pinned, RegistryError> {
        let url = self.target.manifest_url();
        let mut token = None;
        let mut response = self.manifest_request(&url, false, None)?;
        if response.status().as_u16() == 401 {
            let header = header(&response, "www-authenticate").unwrap_or_default();
            let challenge = challenge::parse_bearer(&header)
                .ok_or_else(|| RegistryError::Auth(format!("unsupported challenge `{header}`")))?;
            token = Some(self.fetch_token(&challenge)?);
            response = self.manifest_request(&url, false, token.as_deref())?;
        }
        let status = response.status().as_u16();
        match status {
            200 => {}
            401 | 403 => return Err(RegistryError::Auth(format!("{status} with a token for {url}"))),
            404 => return Err(RegistryError::NotFound(self.target.canonical())),
            _ => return Err(RegistryError::Status { url, status }),
        }
        let kind =
            header(&response, "content-type").map_or(ManifestKind::Unknown, |it| ManifestKind::from_media_type(&it));
        if let Some(digest) = header(&response, "docker-content-digest").filter(|it| is_sha256_digest(it))
            && kind != ManifestKind::Unknown
        {
            return Ok(Pinned { digest, kind });
        }
        // No digest header (or no media type): the digest is the hash of the manifest as served.
        let mut response = self.manifest_request(&url, true, token.as_deref())?;
        if response.status().as_u16() != 200 {
            return Err(RegistryError::Status { url, status: response.status().as_u16() });
        }
        let header_kind =
            header(&response, "content-type").map_or(ManifestKind::Unknown, |it| ManifestKind::from_media_type(&it));
        let body = self.read_body(&mut response)?;
        let kind = if header_kind == ManifestKind::Unknown { ManifestKind::from_body(&body) } else { header_kind };
        if body.is_empty() {
            return Err(RegistryError::NoDigest(self.target.canonical()));
        }
        let digest = format!("sha256:{}", hex(&Sha256::digest(&body)));
        Ok(Pinned { digest, kind })
    }

    /// A manifest or token answer, at most [`MAX_MANIFEST_BYTES`].
    fn read_body(&self, response: &mut Response) -> Result<Vec<u8>, RegistryError> {
        response
            .body_mut()
            .with_config()
            .limit(MAX_MANIFEST_BYTES)
            .read_to_vec()
            .map_err(|err| self.network_error(&err))
    }

    fn remaining(&self) -> Result<Duration, RegistryError> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() { Err(RegistryError::TimedOut) } else { Ok(left) }
    }

    fn manifest_request(&self, url: &str, get: bool, token: Option<&str>) -> Result<Response, RegistryError> {
        let agent = &self.resolver.agent;
        let mut request = if get { agent.get(url) } else { agent.head(url) }.header("Accept", MANIFEST_ACCEPT);
        if let Some(token) = token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let request = request.config().timeout_global(Some(self.remaining()?));
        // A proxy from the environment must not see loopback traffic (nor could it reach it).
        let request = if self.target.loopback { request.proxy(None) } else { request };
        request.build().call().map_err(|err| self.network_error(&err))
    }

    /// An anonymous pull token from the challenge's realm.
    fn fetch_token(&self, challenge: &challenge::BearerChallenge) -> Result<String, RegistryError> {
        let realm = &challenge.realm;
        let realm_host = realm
            .strip_prefix("https://")
            .or_else(|| realm.strip_prefix("http://"))
            .map(|rest| rest.split(['/', '?']).next().unwrap_or(rest));
        let secure = realm.starts_with("https://");
        let loopback = realm_host.is_some_and(is_loopback_host);
        // A token travels only over HTTPS, or over HTTP to a loopback realm of a loopback registry.
        if !(secure || loopback && self.target.loopback) {
            return Err(RegistryError::Auth(format!("the token realm `{realm}` is not HTTPS")));
        }
        let scope = challenge.scope.clone().unwrap_or_else(|| format!("repository:{}:pull", self.target.repository));
        let mut request = self.resolver.agent.get(realm.as_str()).query("scope", scope);
        if let Some(service) = &challenge.service {
            request = request.query("service", service);
        }
        let request = request.config().timeout_global(Some(self.remaining()?));
        let request = if loopback { request.proxy(None) } else { request };
        let mut response = request.build().call().map_err(|err| self.network_error(&err))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(RegistryError::Auth(format!("the token service answered {status}")));
        }
        let body = self.read_body(&mut response)?;
        let value: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|_| RegistryError::Auth("the token service's answer is not JSON".to_owned()))?;
        ["token", "access_token"]
            .iter()
            .find_map(|key| value.get(key).and_then(|it| it.as_str()))
            .filter(|it| !it.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| RegistryError::Auth("the token service's answer holds no token".to_owned()))
    }

    fn network_error(&self, err: &ureq::Error) -> RegistryError {
        match err {
            ureq::Error::Timeout(_) => RegistryError::TimedOut,
            other => RegistryError::Network(other.to_string()),
        }
    }
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).and_then(|it| it.to_str().ok()).map(|it| it.trim().to_owned())
}

/// `sha256:` followed by 64 lowercase hex digits.
pub fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// `sha256:<hex>` of `bytes`, as registries name content.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_defaults() {
        let found = RegistryRef::parse("python:3.12-slim").expect("valid");
        assert_eq!(found.host, "registry-1.docker.io");
        assert_eq!(found.repository, "library/python");
        assert_eq!(found.tag, "3.12-slim");
        assert!(!found.loopback);
        assert_eq!(found.manifest_url(), "https://registry-1.docker.io/v2/library/python/manifests/3.12-slim");
        let hub = RegistryRef::parse("docker.io/bitnami/redis").expect("valid");
        assert_eq!(
            (hub.host.as_str(), hub.repository.as_str(), hub.tag.as_str()),
            ("registry-1.docker.io", "bitnami/redis", "latest")
        );
    }

    #[test]
    fn other_registries_keep_their_host_and_path() {
        let uv = RegistryRef::parse("ghcr.io/astral-sh/uv:0.12.5").expect("valid");
        assert_eq!(uv.manifest_url(), "https://ghcr.io/v2/astral-sh/uv/manifests/0.12.5");
        let local = RegistryRef::parse("localhost:5000/team/app:1").expect("valid");
        assert!(local.loopback);
        assert_eq!(local.manifest_url(), "http://localhost:5000/v2/team/app/manifests/1");
        assert!(RegistryRef::parse("127.0.0.1:40000/a:b").expect("valid").loopback);
    }

    #[test]
    fn pinned_and_variable_references_are_refused() {
        let digest = format!("python@sha256:{}", "a".repeat(64));
        assert_eq!(RegistryRef::parse(&digest), Err(RegistryError::AlreadyPinned(digest.clone())));
        assert!(matches!(RegistryRef::parse("python:${V}"), Err(RegistryError::InvalidReference(_))));
        assert!(matches!(RegistryRef::parse(""), Err(RegistryError::InvalidReference(_))));
    }

    #[test]
    fn loopback_hosts() {
        for host in ["localhost", "LOCALHOST:5000", "127.0.0.1", "127.1.2.3:80", "[::1]:5000", "[::1]"] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in ["ghcr.io", "10.0.0.1:5000", "localhost.example.com", "[2001:db8::1]:5000", "registry-1.docker.io"]
        {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn manifest_kinds() {
        assert_eq!(ManifestKind::from_media_type("application/vnd.oci.image.index.v1+json"), ManifestKind::Index);
        assert_eq!(
            ManifestKind::from_media_type("application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8"),
            ManifestKind::Index
        );
        assert_eq!(ManifestKind::from_media_type("application/vnd.oci.image.manifest.v1+json"), ManifestKind::Manifest);
        assert_eq!(ManifestKind::from_media_type("text/plain"), ManifestKind::Unknown);
        assert_eq!(ManifestKind::from_body(br#"{"schemaVersion":2,"manifests":[]}"#), ManifestKind::Index);
        assert_eq!(ManifestKind::from_body(br#"{"schemaVersion":2,"layers":[]}"#), ManifestKind::Manifest);
        assert_eq!(ManifestKind::from_body(b"not json"), ManifestKind::Unknown);
    }

    #[test]
    fn digests() {
        assert_eq!(sha256_digest(b""), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert!(is_sha256_digest(&sha256_digest(b"x")));
        assert!(!is_sha256_digest("sha256:ABC"));
        assert!(!is_sha256_digest(&format!("sha512:{}", "a".repeat(64))));
    }
}
