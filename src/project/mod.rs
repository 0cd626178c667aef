//! Project discovery: finds the Python project a Dockerfile builds and reads its files.
//!
//! This is the only module that reads files. Everything it learns is returned as plain data
//! ([`ProjectFacts`]) with source spans, so rules stay pure. Malformed files become
//! [`ProjectProblem`]s with a location, never a panic or silence.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::text::{Spanned, TextRange};

/// The text of a project file as read (lossily decoded), for turning spans into positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
}

/// Everything a rule may know about the project around one Dockerfile.
#[derive(Clone, Debug, Default)]
pub struct ProjectFacts {
    /// The folder holding pyproject.toml: the build context a compose file gives the Dockerfile
    /// when that folder has one, else the nearest ancestor of the Dockerfile with one, never above
    /// the workspace folder. `None` when there is no Python project.
    pub root: Option<PathBuf>,
    /// The folder used as the build context: the project root, else the context a compose file
    /// gives the Dockerfile, else the Dockerfile's folder.
    pub context: Option<PathBuf>,
    /// The compose file (`compose.yaml`, `docker-compose.yml`, ...) whose service builds this
    /// Dockerfile, when the project or context was taken from it.
    pub compose_file: Option<PathBuf>,
    /// The project folder relative to the build context (`services/worker`), when a compose
    /// file builds the Dockerfile from a folder above the project. The Dockerfile then names
    /// the project's files by that path, and `.dockerignore` patterns are written from the
    /// context. `None` when the context is the project folder.
    pub project_in_context: Option<String>,
    pub pyproject: Option<Pyproject>,
    /// `.python-version` (else `.python-versions`) in the project folder (the context when there
    /// is no project).
    pub python_version: Option<PythonVersionFile>,
    /// Path of uv.lock when it exists in the project folder (the context when there is no
    /// project).
    pub uv_lock: Option<PathBuf>,
    /// `<Dockerfile name>.dockerignore` next to the Dockerfile, else `.dockerignore` in the context.
    pub dockerignore: Option<DockerIgnore>,
    /// The uv workspace further up that the project is a member of, when there is one (inside
    /// the editor workspace). uv then locks and syncs from that folder, not from the project's.
    pub uv_workspace: Option<UvWorkspace>,
    /// The COPY source that placed the project (`backend/pyproject.toml`), when neither a folder
    /// above the Dockerfile nor a compose file gave one and the Dockerfile's copies did (see
    /// [`copied_pyprojects`]).
    pub found_through_copy: Option<String>,
    /// The pyproject.toml sources the Dockerfile copies, when discovery looked at them (nothing
    /// else gave a project): what it found then depends on those COPY lines, and an edit to them
    /// calls for discovery again. `None` when they played no part.
    pub copied_pyprojects: Option<Vec<String>>,
    /// Discovery looked through the workspace folder (nothing above the Dockerfile gave a
    /// project or a compose file): a compose file anywhere in it may change what it finds.
    pub searched_workspace: bool,
    /// Unreadable or malformed project files, ordered by file as found and by position within
    /// each file.
    pub problems: Vec<ProjectProblem>,
}

/// A uv workspace rooted above the project: its pyproject.toml lists the project as a member.
#[derive(Clone, Debug)]
pub struct UvWorkspace {
    /// The folder holding the workspace's pyproject.toml.
    pub root: PathBuf,
    pub pyproject: Pyproject,
    /// `<root>/uv.lock` when it exists; the lockfile uv uses for the member.
    pub uv_lock: Option<PathBuf>,
}

/// A problem in a project file, reported as a diagnostic on the Dockerfile (and on the file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectProblem {
    pub file: SourceFile,
    /// Where in `file` the problem is (empty range at 0 when the file could not be read).
    pub range: TextRange,
    pub message: String,
}

/// A `python_version` request such as `3.12` or `3.12.7`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonVersion {
    pub major: u64,
    pub minor: u64,
    pub patch: Option<u64>,
}

/// `.python-version` (or `.python-versions`): the line uv uses, which is the first non-empty,
/// non-`#` line that uv does not ignore (uv skips plain names such as virtualenv names since 0.7;
/// when every line is such a name, the first one is kept so rules can point at it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonVersionFile {
    pub file: SourceFile,
    /// The request as written, with its span in the file.
    pub request: Option<Spanned<String>>,
    /// The request as a CPython version when it is one (`3.12`, `3.12.7`, `cpython-3.12`,
    /// `3.13t`; a pre-release `3.14.0rc1` keeps its release numbers, 3.14.0). `None` for `3`,
    /// other implementations, specifiers, paths and names; see [`PythonVersionFile::parsed_request`].
    pub version: Option<PythonVersion>,
}

/// The subset of pyproject.toml berth uses; every value carries its span in `file`. Value spans
/// cover the TOML value as written, quotes included; group name spans cover the key.
#[derive(Clone, Debug)]
pub struct Pyproject {
    pub file: SourceFile,
    pub name: Option<Spanned<String>>,
    /// `[project] requires-python` as written.
    pub requires_python: Option<Spanned<String>>,
    /// The parsed specifiers (`None` when absent or invalid; an invalid one is also a problem).
    pub requires_python_specifiers: Option<pep440_rs::VersionSpecifiers>,
    pub dependencies: Vec<Spanned<String>>,
    /// `[dependency-groups]` names with their span, in file order.
    pub dependency_groups: Vec<Spanned<String>>,
    /// A `[build-system]` table is present (so `uv sync` installs the project itself).
    pub has_build_system: bool,
    pub tool_uv: Option<ToolUv>,
}

/// `[tool.uv]` settings berth uses.
#[derive(Clone, Debug, Default)]
pub struct ToolUv {
    /// The `[tool.uv]` table (its header, or the `uv` key when the table is only implied by
    /// `[tool.uv.workspace]` and the like).
    pub range: TextRange,
    /// `[tool.uv.workspace] members` globs; `Some` when the table exists.
    pub workspace_members: Option<Vec<Spanned<String>>>,
    pub workspace_exclude: Vec<Spanned<String>>,
    /// The legacy `[tool.uv] dev-dependencies`.
    pub dev_dependencies: Vec<Spanned<String>>,
    /// `tool.uv.package`.
    pub package: Option<Spanned<bool>>,
    /// `tool.uv.default-groups` (a list, or `"all"` given as a single item).
    pub default_groups: Option<Vec<Spanned<String>>>,
    /// `tool.uv.python-downloads` / `python-preference` when set in the project (kept even when
    /// the value is not one uv knows; that is also a problem).
    pub python_downloads: Option<Spanned<String>>,
    pub python_preference: Option<Spanned<String>>,
}

/// `.dockerignore` patterns with Docker's matching rules (not gitignore's); see
/// [`DockerIgnore::is_excluded`]. Patterns Docker rejects are left out and reported.
#[derive(Clone, Debug)]
pub struct DockerIgnore {
    pub file: SourceFile,
    pub patterns: Vec<IgnorePattern>,
}

/// One pattern line of a `.dockerignore`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnorePattern {
    /// The line as written (trimmed), with its span.
    pub text: Spanned<String>,
    /// `!pattern`: re-includes what earlier patterns excluded.
    pub negated: bool,
    /// The cleaned pattern that is matched (leading `/` and `./` removed, `filepath.Clean`ed).
    pub pattern: String,
}

/// Each line of `text` (line ending included) with the offset where it starts. A byte order mark
/// at the very start is skipped: it is not whitespace for `str::trim`, but editors add one silently.
pub(crate) fn lines_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').map(move |raw_line| {
        let line_start = offset;
        offset += raw_line.len();
        match raw_line.strip_prefix('\u{feff}') {
            Some(rest) if line_start == 0 => (line_start + '\u{feff}'.len_utf8(), rest),
            _ => (line_start, raw_line),
        }
    })
}

/// Reads files for discovery; the server layers open editor buffers over the disk.
pub trait FileSystem {
    /// The file's text, decoded lossily; `Err` when it cannot be read.
    fn read_to_string(&self, path: &Path) -> std::io::Result<String>;
    fn is_file(&self, path: &Path) -> bool;
    fn is_dir(&self, path: &Path) -> bool;

    /// The real path with every symlink resolved, used to refuse files that point outside the
    /// workspace. An `Err` (say, for an unsaved buffer) means "nothing to resolve".
    fn canonicalize(&self, path: &Path) -> std::io::Result<PathBuf> {
        std::fs::canonicalize(path)
    }

    /// True when `path` itself is a symlink, whether or not its target exists.
    fn is_symlink(&self, path: &Path) -> bool {
        path.is_symlink()
    }

    /// The names in the folder at `path`, each with whether it is a folder. A symlink counts as
    /// what it is itself, not what it points to, so a walk over these never follows one.
    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<(std::ffi::OsString, bool)>> {
        std::fs::read_dir(path)?
            .map(|entry| {
                let entry = entry?;
                Ok((entry.file_name(), entry.file_type().is_ok_and(|it| it.is_dir())))
            })
            .collect()
    }
}

impl ProjectFacts {
    /// `.python-version` when it holds a request (an empty or comment-only file gives `None`).
    pub fn python_pin(&self) -> Option<&PythonVersionFile> {
        self.python_version.as_ref().filter(|file| file.request.is_some())
    }

    /// The CPython version pinned by `.python-version`, when it names one down to the minor.
    pub fn pinned_python(&self) -> Option<PythonVersion> {
        self.python_version.as_ref().and_then(|file| file.version)
    }

    /// The parsed `requires-python`, when present and valid.
    pub fn requires_python(&self) -> Option<&pep440_rs::VersionSpecifiers> {
        self.pyproject.as_ref().and_then(|pyproject| pyproject.requires_python_specifiers.as_ref())
    }

    pub fn has_pyproject(&self) -> bool {
        self.pyproject.is_some()
    }

    /// True when uv.lock is part of the build context (it may still be excluded by .dockerignore).
    pub fn has_uv_lock(&self) -> bool {
        self.uv_lock.is_some()
    }

    /// True when `.dockerignore` keeps `path` (context-relative, forward slashes) out of the
    /// context; `false` when there is no `.dockerignore`.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.dockerignore.as_ref().is_some_and(|ignore| ignore.is_excluded(path))
    }

    /// The path in the build context of `name`, a path in the project folder: `uv.lock`, or
    /// `services/worker/uv.lock` when the context is a folder above the project.
    pub fn in_context<'n>(&self, name: &'n str) -> std::borrow::Cow<'n, str> {
        match &self.project_in_context {
            Some(folder) => std::borrow::Cow::Owned(format!("{folder}/{name}")),
            None => std::borrow::Cow::Borrowed(name),
        }
    }

    /// Whether .dockerignore keeps the project's file `name` (a path in the project folder) out
    /// of the build context.
    pub fn is_project_file_excluded(&self, name: &str) -> bool {
        self.is_excluded(&self.in_context(name))
    }

    /// Whether copying `source` (a path in the build context, without `./`) copies the whole
    /// project: the whole context, or the project's folder when the context is above it.
    pub fn is_whole_project_source(&self, source: &str) -> bool {
        let source = source.trim_end_matches('/');
        source.is_empty() || source == "." || self.project_in_context.as_deref() == Some(source)
    }
}

mod compose;
mod copied;
mod discover;
mod dockerignore;
mod pyproject;
mod python_version;
mod scan;

pub(crate) use compose::COMPOSE_FILE_NAMES;
pub use copied::copied_pyprojects;
pub use discover::{OsFileSystem, discover, discover_with_copies, discover_with_text};
pub use dockerignore::parse_dockerignore;
pub use pyproject::parse_pyproject;
pub use python_version::{CPythonRequest, PythonRequest, parse_python_request, parse_python_version_file};
