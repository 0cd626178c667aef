//! Compose files: the build context a `compose.yaml` service gives a Dockerfile.
//!
//! A Dockerfile kept apart from its project (`docker/api.Dockerfile` built with
//! `context: ./backend`) has no pyproject.toml above it; the compose file that builds it says
//! where the context, and so the project, is. Only `services.*.build` is read, from the YAML
//! parser's events: aliases are never expanded (a small file could otherwise unfold into
//! gigabytes) and nothing is kept but the strings that matter.

use std::path::{Path, PathBuf};

use yaml_rust2::parser::{Event, Parser};

/// The names Docker Compose looks for, in its order of preference, each with its override file.
pub(crate) const COMPOSE_FILE_NAMES: [&str; 8] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

/// Larger files are not read: a compose file is a page or two, and parsing is linear anyway.
pub(crate) const MAX_COMPOSE_BYTES: usize = 1 << 20;

/// One service's `build`, as written: `context` relative to the compose file's folder and
/// `dockerfile` relative to the context.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BuildSpec {
    pub(crate) context: Option<String>,
    pub(crate) dockerfile: Option<String>,
}

impl BuildSpec {
    /// The context folder and the Dockerfile this build uses, or `None` when either is not a
    /// plain local path (a Git URL, an interpolated `${VAR}`, an inline Dockerfile).
    pub(crate) fn resolve(&self, compose_dir: &Path) -> Option<(PathBuf, PathBuf)> {
        let context = self.context.as_deref().unwrap_or(".");
        let dockerfile = self.dockerfile.as_deref().unwrap_or("Dockerfile");
        let remote = |text: &str| text.contains("://") || text.starts_with("git@");
        if [context, dockerfile].iter().any(|it| it.is_empty() || it.contains('$') || remote(it)) {
            return None;
        }
        let context = compose_dir.join(context);
        let dockerfile = context.join(dockerfile);
        Some((context, dockerfile))
    }
}

/// Every `services.<name>.build` of the first document in `text`, in order. Broken YAML gives
/// what was read before the error: discovery only uses a context that is spelled out.
pub(crate) fn build_specs(text: &str) -> Vec<BuildSpec> {
    if text.len() > MAX_COMPOSE_BYTES {
        return Vec::new();
    }
    // The parser is a third-party state machine fed arbitrary workspace files; whatever it does
    // on input it did not expect must not take project discovery down with it.
    std::panic::catch_unwind(|| collect_builds(text)).unwrap_or_default()
}

/// Where the walker stands inside one mapping or sequence.
struct Frame {
    /// `None` for a sequence.
    map: Option<MapState>,
    /// Whether this mapping or sequence is itself a key of the mapping around it (YAML's
    /// complex keys), so that ending it leaves that mapping waiting for the value.
    is_key: bool,
}

struct MapState {
    /// Whether the key of the next value has been read.
    has_key: bool,
    /// That key when it is a plain string.
    key: Option<String>,
}

fn collect_builds(text: &str) -> Vec<BuildSpec> {
    let mut parser = Parser::new_from_str(text);
    let mut frames: Vec<Frame> = Vec::new();
    let mut res: Vec<BuildSpec> = Vec::new();
    // The service whose `build` mapping is open, as an index into `res`.
    let mut open_build: Option<usize> = None;
    while let Ok((event, _)) = parser.next_token() {
        match event {
            Event::StreamEnd | Event::DocumentEnd => break,
            Event::Scalar(value, ..) => {
                if take_key(&mut frames, Some(value.as_str())) {
                    continue;
                }
                match value_path(&frames).as_slice() {
                    // `build: ./backend`
                    [Some("services"), Some(_), Some("build")] => {
                        res.push(BuildSpec { context: Some(value), dockerfile: None });
                    }
                    [Some("services"), Some(_), Some("build"), Some(field @ ("context" | "dockerfile"))] => {
                        if let Some(spec) = open_build.and_then(|it| res.get_mut(it)) {
                            match *field {
                                "context" => spec.context = Some(value),
                                _ => spec.dockerfile = Some(value),
                            }
                        }
                    }
                    _ => {}
                }
                value_done(&mut frames);
            }
            // An alias stands for a value defined elsewhere; it is not followed.
            Event::Alias(_) => {
                if !take_key(&mut frames, None) {
                    value_done(&mut frames);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let is_key = take_key(&mut frames, None);
                let is_map = matches!(event, Event::MappingStart(..));
                if is_map
                    && !is_key
                    && matches!(value_path(&frames).as_slice(), [Some("services"), Some(_), Some("build")])
                {
                    res.push(BuildSpec::default());
                    open_build = Some(res.len() - 1);
                }
                let map = is_map.then_some(MapState { has_key: false, key: None });
                frames.push(Frame { map, is_key });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some(ended) = frames.pop() else { break };
                if frames.len() <= 3 {
                    open_build = None;
                }
                if !ended.is_key {
                    value_done(&mut frames);
                }
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart => {}
        }
    }
    res
}

/// When the innermost mapping awaits a key, takes `key` as that key (`None` for one that is not
/// a plain string) and returns true.
fn take_key(frames: &mut [Frame], key: Option<&str>) -> bool {
    match frames.last_mut().and_then(|it| it.map.as_mut()) {
        Some(map) if !map.has_key => {
            map.has_key = true;
            map.key = key.map(str::to_owned);
            true
        }
        _ => false,
    }
}

/// The keys leading to the value about to be read; a sequence item or a key that is not a plain
/// string is `None`. Only the first levels matter, so no more are gathered.
fn value_path(frames: &[Frame]) -> Vec<Option<&str>> {
    frames.iter().take(5).map(|frame| frame.map.as_ref().and_then(|it| it.key.as_deref())).collect()
}

/// A value (or a whole nested mapping or sequence) ended: the mapping around it awaits a key.
fn value_done(frames: &mut [Frame]) {
    if let Some(map) = frames.last_mut().and_then(|it| it.map.as_mut()) {
        map.has_key = false;
        map.key = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(context: Option<&str>, dockerfile: Option<&str>) -> BuildSpec {
        BuildSpec { context: context.map(str::to_owned), dockerfile: dockerfile.map(str::to_owned) }
    }

    #[test]
    fn reads_short_and_long_build_forms() {
        let text = "\
x-common: &common
  restart: always
services:
  api:
    <<: *common
    build:
      context: ./backend
      dockerfile: ../docker/api.Dockerfile
      args: {PYTHON: '3.12'}
    ports: ['8000:8000']
  worker:
    build: ./worker
  db:
    image: postgres:17
  web:
    build:
      dockerfile: web/Dockerfile
";
        assert_eq!(
            build_specs(text),
            [
                spec(Some("./backend"), Some("../docker/api.Dockerfile")),
                spec(Some("./worker"), None),
                spec(None, Some("web/Dockerfile")),
            ]
        );
    }

    #[test]
    fn keys_elsewhere_are_not_builds() {
        let text = "\
build:
  context: nope
x-services:
  a: {build: nope}
services:
  a:
    environment:
      build: nope
    labels: [build, context]
  ? [complex, key]
  : build: nope
  b:
    ? {build: nope}
    : nope
    build: ./b
";
        assert_eq!(build_specs(text), [spec(Some("./b"), None)]);
    }

    #[test]
    fn resolves_against_the_compose_folder_and_the_context() {
        let dir = Path::new("/repo");
        assert_eq!(
            spec(Some("./backend"), Some("../docker/api.Dockerfile")).resolve(dir),
            Some((PathBuf::from("/repo/./backend"), PathBuf::from("/repo/./backend/../docker/api.Dockerfile")))
        );
        assert_eq!(
            spec(None, None).resolve(dir),
            Some((PathBuf::from("/repo/."), PathBuf::from("/repo/./Dockerfile")))
        );
        for (context, dockerfile) in [
            (Some("https://github.com/a/b.git#main"), None),
            (Some("git@github.com:a/b.git"), None),
            (Some("${CONTEXT:-.}"), None),
            (None, Some("$DOCKERFILE")),
            (Some(""), None),
        ] {
            assert_eq!(spec(context, dockerfile).resolve(dir), None, "{context:?} {dockerfile:?}");
        }
    }

    #[test]
    fn broken_or_hostile_yaml_gives_what_came_before() {
        assert_eq!(build_specs("services:\n  a:\n    build: ./a\n  b: [\n"), [spec(Some("./a"), None)]);
        assert_eq!(build_specs(""), []);
        assert_eq!(build_specs("\u{0}\u{feff}: : :"), []);
        // An alias bomb: every level doubles what an expanding loader would build.
        let mut bomb = String::from("a0: &a0 [x, x]\n");
        for level in 1..40 {
            bomb.push_str(&format!("a{level}: &a{level} [*a{}, *a{}]\n", level - 1, level - 1));
        }
        bomb.push_str("services:\n  s:\n    build: *a39\n");
        assert_eq!(build_specs(&bomb), []);
        let deep = format!("services:\n  s:\n    build: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(build_specs(&deep), []);
        assert_eq!(build_specs(&"#".repeat(MAX_COMPOSE_BYTES + 1)), []);
    }
}
