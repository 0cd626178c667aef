//! Fuzz entry points shared by the cargo-fuzz targets and by `tests/fuzz_regressions.rs`, which
//! replays the kept inputs through exactly these functions in plain `cargo test`.
//!
//! Each entry point takes raw bytes, so a reproducer is just a file. The structured ones decode
//! the bytes with `arbitrary`; every check is an `assert!`, so a broken invariant is a crash the
//! fuzzer keeps, like a panic inside berth.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arbitrary::{Arbitrary, Unstructured};
use berth::analysis::{Analysis, analyze, analyze_with};
use berth::config::{DEFAULT_SETTINGS, Options, Settings, find_config};
use berth::diagnostic::Edit;
use berth::ide;
use berth::project::{FileSystem, ProjectFacts, discover, discover_with_text};
use berth::rules::RuleContext;
use berth::rules::incremental::{RuleFindings, run_after_edit, run_all_keeping};
use berth::server::document::{Change, Document};
use berth::text::{LineCol, LineIndex, PositionEncoding, TextRange};

/// Target `parse`: the parser on any bytes (lossily decoded), and on the bytes as UTF-8 text when
/// they are valid UTF-8 (then nothing is replaced, so the exact text reaches the parser).
pub fn parse_bytes(data: &[u8]) {
    let lossy = String::from_utf8_lossy(data);
    check_parse(&lossy);
}

fn check_parse(text: &str) {
    let parse = berth::syntax::parse(text);
    for instruction in &parse.file.instructions {
        let range = instruction.range;
        assert!(range.start <= range.end && range.end <= text.len(), "instruction range {range:?} out of bounds");
        assert!(
            text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
            "instruction range {range:?} splits a character"
        );
    }
}

/// Well-known pieces of Dockerfiles and project files; structured inputs are built mostly from
/// these so the fuzzer reaches the rules instead of spending its time on random letters.
pub const PIECES: &[&str] = &[
    "\n",
    "\r\n",
    "\r",
    " ",
    "\t",
    "\\\n",
    "\\\r\n",
    "`\n",
    "# escape=`\n",
    "# syntax=docker/dockerfile:1\n",
    "# berth: ignore=UV001\n",
    "#",
    "FROM python:3.12-slim AS build\n",
    "FROM ghcr.io/astral-sh/uv:0.5 AS uv\n",
    "FROM $BASE\n",
    "FROM build\n",
    "ARG BASE=python:3.13\n",
    "ARG PY=3.12\n",
    "ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy\n",
    "ENV PATH=\"/app/.venv/bin:$PATH\"\n",
    "WORKDIR /app\n",
    "COPY --from=uv /uv /uvx /bin/\n",
    "COPY pyproject.toml uv.lock ./\n",
    "COPY . .\n",
    "ADD . /app\n",
    "RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-dev\n",
    "RUN uv sync\n",
    "RUN uv pip install -r requirements.txt\n",
    "RUN pip install uv && cd /app\n",
    "RUN <<EOF\n",
    "RUN <<-'EOT' bash\n",
    "COPY <<EOF /app/x.py\n",
    "EOF\n",
    "EOT\n",
    "CMD [\"uv\", \"run\", \"app\"]\n",
    "ENTRYPOINT [\"python\", \"-m\"\n",
    "HEALTHCHECK CMD curl -f http://localhost/\n",
    "ONBUILD RUN x\n",
    "SHELL [\"/bin/bash\", \"-c\"]\n",
    "EXPOSE 8000/tcp\n",
    "USER app\n",
    "${PY:-3.12}",
    "$",
    "{",
    "}",
    "[",
    "]",
    "\"",
    "'",
    "=",
    "--",
    "é",
    "日本",
    "🐍",
    "\u{feff}",
    "\u{2028}",
    "\0",
    "[project]\nname = \"app\"\nrequires-python = \">=3.12\"\n",
    "dependencies = [\"fastapi\", \"uvicorn\"]\n",
    "[dependency-groups]\ndev = [\"pytest\"]\n",
    "[build-system]\nrequires = [\"hatchling\"]\n",
    "[tool.uv]\ndev-dependencies = [\"ruff\"]\npackage = false\n",
    "[tool.uv.workspace]\nmembers = [\"app\", \"libs/*\"]\n",
    "default-groups = \"all\"\n",
    "3.12\n",
    "cpython-3.13t\n",
    ".venv\n",
    "!README.md\n",
    "**/*.pyc\n",
    "uv.lock\n",
];

/// Text assembled from [`PIECES`] and raw strings.
#[derive(Debug)]
pub struct Snippet(pub String);

impl<'a> Arbitrary<'a> for Snippet {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Snippet> {
        assemble(u, PIECES, 64).map(Snippet)
    }
}

/// Up to `max_parts` parts, three in four of them taken from `pieces`, the rest raw strings.
fn assemble(u: &mut Unstructured<'_>, pieces: &[&str], max_parts: usize) -> arbitrary::Result<String> {
    let mut text = String::new();
    for _ in 0..u.arbitrary_len::<u8>()?.min(max_parts) {
        if u.ratio(3, 4)? {
            text.push_str(u.choose(pieces)?);
        } else {
            text.push_str(&String::arbitrary(u)?);
        }
    }
    Ok(text)
}

/// A workspace in memory: a Dockerfile at `/ws/Dockerfile`, or at `/ws/app/Dockerfile` in a
/// member project under a uv workspace root, plus the project files around it.
#[derive(Debug, Arbitrary)]
pub struct ProjectInput {
    pub dockerfile: Snippet,
    pub nested: bool,
    pub pyproject: Option<Snippet>,
    pub root_pyproject: Option<Snippet>,
    pub python_version: Option<Snippet>,
    pub dockerignore: Option<Snippet>,
    pub named_dockerignore: Option<Snippet>,
    pub uv_lock: Option<Snippet>,
    /// Cursor positions (taken modulo the text length) for the editor features.
    pub cursors: Vec<u16>,
    pub new_name: String,
}

/// An in-memory file system: files by absolute path, folders implied by them, no symlinks.
#[derive(Default)]
pub struct MemFs {
    files: HashMap<PathBuf, String>,
}

impl MemFs {
    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.insert(path.into(), text.into());
    }
}

impl FileSystem for MemFs {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        self.files.get(path).cloned().ok_or_else(|| std::io::ErrorKind::NotFound.into())
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.files.keys().any(|file| file != path && file.starts_with(path))
    }

    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        Ok(path.to_path_buf())
    }

    fn is_symlink(&self, _path: &Path) -> bool {
        false
    }

    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<(std::ffi::OsString, bool)>> {
        let mut entries: Vec<(std::ffi::OsString, bool)> = Vec::new();
        for file in self.files.keys() {
            let Ok(rest) = file.strip_prefix(path) else { continue };
            let mut parts = rest.components();
            let Some(first) = parts.next() else { continue };
            let entry = (first.as_os_str().to_owned(), parts.next().is_some());
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        if entries.is_empty() { Err(std::io::ErrorKind::NotFound.into()) } else { Ok(entries) }
    }
}

/// Target `transport`: the server's framing of stdin. The first byte picks the size of the
/// pieces the input arrives in, the second the body size limit; the rest is the input. The frames
/// must not depend on the pieces, every message among them must be one tower-lsp-server's decoder
/// reads back, and the input taken as one body must be read as the message the library reads.
pub fn transport_bytes(data: &[u8]) {
    let (control, input) = data.split_at(data.len().min(2));
    let piece_size = control.first().map_or(1, |byte| usize::from(*byte % 64) + 1);
    let max_len = match control.get(1).map_or(0, |byte| byte % 4) {
        0 => usize::MAX,
        1 => 16,
        2 => 64,
        _ => 1024,
    };
    let transport = berth::server::transport_fuzzing::check_stream(input, piece_size, max_len);
    assert!(transport.is_ok(), "{}", transport.unwrap_err());
    let body = berth::server::transport_fuzzing::check_body_contract(input);
    assert!(body.is_ok(), "{}", body.unwrap_err());
}

/// Target `analysis`: discovery over an in-memory workspace, the analysis, and the editor
/// features at a few cursors, checking every edit any of them proposes.
pub fn analysis_bytes(data: &[u8]) {
    if let Ok(input) = ProjectInput::arbitrary_take_rest(Unstructured::new(data)) {
        check_project(&input);
    }
}

pub fn check_project(input: &ProjectInput) {
    let root = Path::new("/ws");
    let project_dir = if input.nested { root.join("app") } else { root.to_path_buf() };
    let dockerfile_path = project_dir.join("Dockerfile");
    let mut fs = MemFs::default();
    let text = input.dockerfile.0.as_str();
    fs.insert(&dockerfile_path, text);
    let files = [
        (project_dir.join("pyproject.toml"), &input.pyproject),
        (root.join("pyproject.toml"), &input.root_pyproject),
        (project_dir.join(".python-version"), &input.python_version),
        (project_dir.join(".dockerignore"), &input.dockerignore),
        (project_dir.join("Dockerfile.dockerignore"), &input.named_dockerignore),
        (project_dir.join("uv.lock"), &input.uv_lock),
    ];
    for (path, content) in files {
        if let Some(Snippet(content)) = content {
            fs.insert(path, content.as_str());
        }
    }
    // Discovery never reads uv.lock's text, only whether it exists: the same text doubles as a
    // compose file at the workspace root, so that the YAML reader is fuzzed without a new field
    // (which would change what every kept input decodes to).
    if let Some(Snippet(content)) = &input.uv_lock {
        fs.insert(root.join("compose.yaml"), content.as_str());
    }
    let project = discover_with_text(&fs, &dockerfile_path, Some(root), text);
    let analysis = analyze(text, &project);
    check_diagnostics(text, &analysis, &project);
    check_features(text, &analysis, &project, &input.cursors, &input.new_name);
}

/// Pieces of berth configurations: every key, in berth.toml and `[tool.berth]` spelling, with
/// good and bad values.
pub const CONFIG_PIECES: &[&str] = &[
    "\n",
    " ",
    "\"",
    "[",
    "]",
    ",",
    "=",
    "{",
    "}",
    "#",
    "[tool.berth]\n",
    "[tool.berth.severity]\n",
    "[tool.berth.per-file-ignores]\n",
    "[tool.berth.network]\n",
    "[severity]\n",
    "[per-file-ignores]\n",
    "[network]\n",
    "[project]\nname = \"app\"\n",
    "select = [\"ALL\"]\n",
    "select = [\"UV\", \"DF1\", \"unlocked-uv-sync\", \"DL3008\"]\n",
    "select = \"UV001\"\n",
    "extend-select = [\"PY0\", \"SEC\"]\n",
    "ignore = [\"UV001\", \"DF\", \"nope\"]\n",
    "ignore = 3\n",
    "UV001 = \"error\"\n",
    "ALL = \"hint\"\n",
    "DF = \"off\"\n",
    "unlocked-uv-sync = \"info\"\n",
    "UV = \"loud\"\n",
    "\"**/Dockerfile.*\" = [\"UV\"]\n",
    "\"sub/*\" = [\"ALL\"]\n",
    "\"Dockerfile\" = \"UV001\"\n",
    "\"[\" = [\"DF\"]\n",
    "\"{a,b\" = [\"DF\"]\n",
    "failure-threshold = \"info\"\n",
    "failure-threshold = \"never\"\n",
    "enabled = true\n",
    "enabled = \"yes\"\n",
    "trusted-registries = [\"docker.io\", \"ghcr.io\"]\n",
    "network = { enabled = false, proxy = 1 }\n",
    "ignroe = []\n",
];

/// Configuration text assembled from [`CONFIG_PIECES`] and raw strings.
#[derive(Debug)]
pub struct ConfigSnippet(pub String);

impl<'a> Arbitrary<'a> for ConfigSnippet {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<ConfigSnippet> {
        assemble(u, CONFIG_PIECES, 48).map(ConfigSnippet)
    }
}

/// A berth configuration at the workspace root and a Dockerfile it applies to.
#[derive(Debug, Arbitrary)]
pub struct ConfigInput {
    pub config: ConfigSnippet,
    /// The configuration is `[tool.berth]` in pyproject.toml rather than a berth.toml.
    pub in_pyproject: bool,
    /// The Dockerfile is `sub/Dockerfile.dev` rather than `Dockerfile` (per-file-ignores).
    pub in_subfolder: bool,
    pub dockerfile: Snippet,
}

/// Target `config`: reading a configuration never panics, its problems lie inside its text,
/// and the analysis honours it: no finding of a rule that is off, and each configured severity
/// given.
pub fn config_bytes(data: &[u8]) {
    if let Ok(input) = ConfigInput::arbitrary_take_rest(Unstructured::new(data)) {
        check_config(&input);
    }
}

pub fn check_config(input: &ConfigInput) {
    let root = Path::new("/ws");
    let config_path = root.join(if input.in_pyproject { "pyproject.toml" } else { "berth.toml" });
    let dockerfile_path = if input.in_subfolder { root.join("sub/Dockerfile.dev") } else { root.join("Dockerfile") };
    let text = input.dockerfile.0.as_str();
    let mut fs = MemFs::default();
    fs.insert(&config_path, input.config.0.as_str());
    fs.insert(&dockerfile_path, text);
    let config = find_config(&fs, &dockerfile_path, Some(root));
    if let Some(config) = &config {
        for problem in &config.problems {
            assert_range(&config.file.text, problem.range, &problem.message);
        }
    }
    let settings = Settings::resolve(config.map(Arc::new), &[], Some(&dockerfile_path));
    let project = discover(&fs, &dockerfile_path, Some(root));
    let analysis = analyze_with(text, &project, &settings);
    for diagnostic in &analysis.diagnostics {
        assert!(settings.is_enabled(diagnostic.code), "{} reported though it is off", diagnostic.code);
        if let Some(Some(level)) = settings.configured_level(diagnostic.code) {
            assert_eq!(diagnostic.severity, level, "{} at its configured severity", diagnostic.code);
        }
    }
    check_diagnostics(text, &analysis, &project);
}

/// Diagnostics lie inside the text, on character boundaries, and every fix (with berth's extra
/// ones) applies cleanly.
pub fn check_diagnostics(text: &str, analysis: &Analysis, project: &ProjectFacts) {
    for diagnostic in &analysis.diagnostics {
        assert_range(text, diagnostic.range, diagnostic.code);
    }
    for diagnostic in ide::rewrite::with_extra_fixes(analysis, text, project) {
        for fix in &diagnostic.fixes {
            check_edits(text, project, &fix.edits, &fix.title);
        }
    }
}

/// Hover, completion, signature help, navigation, rename and code actions at each cursor, and
/// the whole-file features once.
pub fn check_features(text: &str, analysis: &Analysis, project: &ProjectFacts, cursors: &[u16], new_name: &str) {
    let index = LineIndex::new(text);
    let _ = ide::tokens::semantic_tokens(analysis, text);
    let _ = ide::symbols::document_symbols(analysis, text);
    let _ = ide::symbols::folding_ranges(analysis, text, &index);
    let _ = ide::hints::inlay_hints(analysis, TextRange::new(0, text.len()));
    let _ = ide::hints::document_links(analysis, project.context.as_deref(), &|_| true);
    for pair in cursors.chunks(2).take(4) {
        let start = snap(text, usize::from(pair[0]));
        let end = snap(text, pair.get(1).map_or(start, |&it| usize::from(it))).max(start);
        let _ = ide::hover::hover(analysis, text, project, start);
        let _ = ide::completion::context_folder(analysis, text, start);
        let _ = ide::completion::completions(analysis, text, project, start, &[]);
        let _ = ide::signature::signature_help(analysis, text, start);
        for range in ide::navigation::definition(analysis, text, start) {
            assert_range(text, range, "definition");
        }
        for (range, _) in ide::navigation::references(analysis, text, start) {
            assert_range(text, range, "reference");
        }
        if let Ok(Some((range, _))) = ide::navigation::prepare_rename(analysis, text, start) {
            assert_range(text, range, "prepare rename");
        }
        if let Ok(edits) = ide::navigation::rename(analysis, text, start, new_name) {
            let edits: Vec<Edit> =
                edits.into_iter().map(|edit| Edit { path: None, range: edit.range, new_text: edit.new_text }).collect();
            check_edits(text, project, &edits, "rename");
        }
        for action in ide::code_actions::actions(analysis, text, project, TextRange::new(start, end)) {
            check_edits(text, project, &action.edits, &action.title);
        }
    }
}

/// The largest character boundary of `text` at or before `offset % (len + 1)`: what the server
/// passes after converting an LSP position.
fn snap(text: &str, offset: usize) -> usize {
    let mut offset = offset % (text.len() + 1);
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn assert_range(text: &str, range: TextRange, what: &str) {
    assert!(range.start <= range.end && range.end <= text.len(), "{what}: range {range:?} outside 0..{}", text.len());
    assert!(
        text.is_char_boundary(range.start) && text.is_char_boundary(range.end),
        "{what}: range {range:?} splits a character"
    );
}

/// The edits of one fix, grouped by the file they change, are in bounds, on character boundaries
/// and disjoint in the text they were computed for, and the Dockerfile they produce analyses.
pub fn check_edits(text: &str, project: &ProjectFacts, edits: &[Edit], title: &str) {
    let mut by_file: HashMap<Option<&Path>, Vec<&Edit>> = HashMap::new();
    for edit in edits {
        by_file.entry(edit.path.as_deref()).or_default().push(edit);
    }
    for (path, mut edits) in by_file {
        let Some(target) = edited_text(text, project, path) else {
            panic!("{title}: edit of {path:?}, a file whose text the analysis never saw");
        };
        edits.sort_by_key(|edit| (edit.range.start, edit.range.end));
        for edit in &edits {
            assert_range(target, edit.range, title);
        }
        for pair in edits.windows(2) {
            assert!(
                pair[0].range.end <= pair[1].range.start,
                "{title}: edits {:?} and {:?} overlap",
                pair[0].range,
                pair[1].range
            );
        }
        if path.is_none() {
            let owned: Vec<Edit> = edits.into_iter().cloned().collect();
            let fixed = ide::code_actions::apply_edits(text, &owned);
            check_parse(&fixed);
            let _ = analyze(&fixed, project);
        }
    }
}

/// The text an edit of `path` (`None`: the Dockerfile) applies to.
fn edited_text<'a>(text: &'a str, project: &'a ProjectFacts, path: Option<&Path>) -> Option<&'a str> {
    let Some(path) = path else { return Some(text) };
    let sources = [
        project.pyproject.as_ref().map(|it| &it.file),
        project.python_version.as_ref().map(|it| &it.file),
        project.dockerignore.as_ref().map(|it| &it.file),
        project.uv_workspace.as_ref().map(|it| &it.pyproject.file),
    ];
    // A fix may also create a file that does not exist yet (an empty text then).
    Some(sources.into_iter().flatten().find(|file| file.path == path).map_or("", |file| &file.text))
}

/// One incremental edit as an editor sends it.
#[derive(Debug, Arbitrary)]
pub struct EditInput {
    pub start: (u8, u8),
    pub end: (u8, u8),
    pub text: Snippet,
    /// Replace the whole text instead (an edit without a range).
    pub full: bool,
}

#[derive(Debug, Arbitrary)]
pub struct EditSession {
    pub initial: Snippet,
    /// The position encoding, see [`EditSession::encoding`].
    pub encoding: u8,
    pub edits: Vec<EditInput>,
}

impl EditSession {
    /// Odd bytes are UTF-8, as when this byte was a `utf8` flag, so kept inputs that edited in
    /// UTF-8 still do; of the even bytes, which meant UTF-16, half now mean UTF-32.
    pub fn encoding(&self) -> PositionEncoding {
        match self.encoding % 4 {
            1 | 3 => PositionEncoding::Utf8,
            0 => PositionEncoding::Utf16,
            _ => PositionEncoding::Utf32,
        }
    }
}

/// Target `edits`: a sequence of incremental edits applied to the server's document equals the
/// same edits applied to a plain `String` by an independent implementation of LSP positions; and
/// each version's syntax tree, semantic model and rule findings, built from the previous
/// version's, equal those built from scratch.
pub fn edits_bytes(data: &[u8]) {
    if let Ok(session) = EditSession::arbitrary_take_rest(Unstructured::new(data)) {
        check_edit_session(&session);
    }
}

pub fn check_edit_session(session: &EditSession) {
    let encoding = session.encoding();
    let mut doc = Document::new(&session.initial.0, 0, "dockerfile");
    let mut model = session.initial.0.clone();
    // Without a project most uv rules stay silent, and with default settings the rules that
    // read settings do, so each version is also checked against a project whose files disagree
    // with the usual Dockerfile pieces, under settings that trust only docker.io.
    let surroundings = [(&ProjectFacts::default(), &*DEFAULT_SETTINGS), (sample_project(), sample_settings())];
    let mut built = surroundings.map(|(project, settings)| (project, settings, Model::of(&model, project, settings)));
    for (version, edit) in session.edits.iter().take(32).enumerate() {
        let range = (!edit.full).then(|| {
            let start = LineCol { line: edit.start.0.into(), col: edit.start.1.into() };
            let end = LineCol { line: edit.end.0.into(), col: edit.end.1.into() };
            (start, end)
        });
        let change = Change { range, text: &edit.text.0 };
        doc.apply_changes(version as i32 + 1, &[change], encoding);
        let before = model.clone();
        apply_to_string(&mut model, range, &edit.text.0, encoding);
        assert_eq!(doc.text(), model, "after edit {version}: {edit:?}");
        built = built.map(|(project, settings, previous)| {
            (project, settings, check_edited_model(previous, &before, &model, project, settings))
        });
    }
}

/// A uv project as discovered for `/ws/Dockerfile`: requires-python and `.python-version`
/// disagree with each other and with most images in [`PIECES`], a lockfile exists and
/// `.dockerignore` leaves it and the venv out, so the project rules have things to report.
pub fn sample_project() -> &'static ProjectFacts {
    static PROJECT: std::sync::OnceLock<ProjectFacts> = std::sync::OnceLock::new();
    PROJECT.get_or_init(|| {
        let mut fs = MemFs::default();
        fs.insert("/ws/Dockerfile", "");
        fs.insert(
            "/ws/pyproject.toml",
            "[project]\nname = \"app\"\nrequires-python = \">=3.11\"\ndependencies = [\"fastapi\"]\n\n\
             [dependency-groups]\ndev = [\"pytest\"]\n\n[tool.uv]\ndev-dependencies = [\"ruff\"]\n",
        );
        fs.insert("/ws/.python-version", "3.10\n");
        fs.insert("/ws/.dockerignore", ".venv\nuv.lock\n");
        fs.insert("/ws/uv.lock", "version = 1\n");
        discover(&fs, Path::new("/ws/Dockerfile"), Some(Path::new("/ws")))
    })
}

/// Settings that bring the rules that read them into play: only docker.io is a trusted
/// registry, so every other image is reported.
pub fn sample_settings() -> &'static Settings {
    static SETTINGS: std::sync::OnceLock<Settings> = std::sync::OnceLock::new();
    SETTINGS.get_or_init(|| {
        let options = Options { trusted_registries: Some(vec!["docker.io".to_owned()]), ..Options::default() };
        Settings::resolve(None, &[&options], None)
    })
}

/// A version's syntax tree, semantic model and rule findings, as the server keeps them between
/// edits.
#[derive(Clone)]
pub struct Model {
    pub parse: berth::syntax::Parse,
    pub semantics: berth::semantics::Semantics,
    pub findings: RuleFindings,
}

impl Model {
    /// The model of `text` built from scratch, with the rule findings for `project` and
    /// `settings`.
    pub fn of(text: &str, project: &ProjectFacts, settings: &Settings) -> Model {
        let parse = berth::syntax::parse(text);
        let semantics = berth::semantics::analyze(&parse);
        let findings = run_all_keeping(&RuleContext::new(text, &parse, &semantics, project).with_settings(settings)).1;
        Model { parse, semantics, findings }
    }
}

/// Builds the model of `new` from `previous`, the model of `old`, as the server does after an
/// edit, and checks that it (and the line index built from `old`'s) is the model of `new` built
/// from scratch, and that the rules,
/// checking again only what the edit can reach, find what they find in the text from scratch;
/// returns it.
pub fn check_edited_model(previous: Model, old: &str, new: &str, project: &ProjectFacts, settings: &Settings) -> Model {
    let index = LineIndex::edited(&LineIndex::new(old), old, new);
    assert!(
        index == LineIndex::new(new),
        "line index after an edit differs from one built from scratch\nold: {old:?}\nnew: {new:?}"
    );
    let (parse, splice) = berth::syntax::reparse_spliced(previous.parse, old, new);
    let scratch = Model::of(new, project, settings);
    assert!(parse == scratch.parse, "re-parse differs from a parse from scratch\nold: {old:?}\nnew: {new:?}");
    let semantics = match splice {
        Some(splice) => berth::semantics::analyze_after_edit(&parse, previous.semantics, &splice),
        None => berth::semantics::analyze(&parse),
    };
    let (kept, fresh) = (format!("{semantics:?}"), format!("{:?}", scratch.semantics));
    assert!(
        kept == fresh,
        "semantic model after an edit differs from one built from scratch\nold: {old:?}\nnew: {new:?}"
    );
    let ctx = RuleContext::new(new, &parse, &semantics, project).with_settings(settings);
    let (found, findings) = match splice {
        Some(splice) => run_after_edit(&ctx, previous.findings, &splice),
        None => run_all_keeping(&ctx),
    };
    let from_scratch = berth::rules::run_all(
        &RuleContext::new(new, &scratch.parse, &scratch.semantics, project).with_settings(settings),
    );
    if found != from_scratch {
        let missing: Vec<_> = from_scratch.iter().filter(|it| !found.contains(it)).collect();
        let extra: Vec<_> = found.iter().filter(|it| !from_scratch.contains(it)).collect();
        panic!(
            "the rules after an edit find other things than from scratch\nold: {old:?}\nnew: {new:?}\n\
             missing: {missing:#?}\nextra: {extra:#?}"
        );
    }
    Model { parse, semantics, findings }
}

/// Applies an LSP edit to a plain string, with the clamping rules documented on [`Document`]:
/// a line past the end means the end of the text, a column past the line's end means the line's
/// end, a column inside a character means that character's start, and an inverted range is
/// read as the range it spans.
pub fn apply_to_string(
    text: &mut String,
    range: Option<(LineCol, LineCol)>,
    new_text: &str,
    encoding: PositionEncoding,
) {
    let Some((start, end)) = range else {
        *text = new_text.to_owned();
        return;
    };
    let start = model_offset(text, start, encoding);
    let end = model_offset(text, end, encoding);
    let (start, end) = if start <= end { (start, end) } else { (end, start) };
    text.replace_range(start..end, new_text);
}

/// The byte offset of `pos`, counting lines by `\n`, `\r\n` and a lone `\r`.
pub fn model_offset(text: &str, pos: LineCol, encoding: PositionEncoding) -> usize {
    let mut line_start = 0;
    for _ in 0..pos.line {
        let rest = &text[line_start..];
        let Some(brk) = rest.find(['\n', '\r']) else { return text.len() };
        let width = if rest[brk..].starts_with("\r\n") { 2 } else { 1 };
        line_start += brk + width;
    }
    let mut remaining = pos.col as usize;
    let mut offset = line_start;
    for ch in text[line_start..].chars() {
        let width = match encoding {
            PositionEncoding::Utf8 => ch.len_utf8(),
            PositionEncoding::Utf16 => ch.len_utf16(),
            PositionEncoding::Utf32 => 1,
        };
        if ch == '\n' || ch == '\r' || remaining < width {
            break;
        }
        remaining -= width;
        offset += ch.len_utf8();
    }
    offset
}
