//! Discovery: from a Dockerfile path to the project folder, its files, and the build context.
//!
//! All paths in the result are absolute (relative inputs are resolved against the current folder)
//! and lexically normalised (`.` and `..` removed). Reading goes through [`FileSystem`] so that
//! the server can put open editor buffers over the disk.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};

use super::compose::{COMPOSE_FILE_NAMES, build_specs};
use super::dockerignore::{glob_matches, parse_dockerignore};
use super::pyproject::parse_pyproject;
use super::python_version::parse_python_version_file;
use super::scan::scan_workspace;
use super::{FileSystem, ProjectFacts, ProjectProblem, SourceFile, UvWorkspace};

/// Reads straight from disk.
pub struct OsFileSystem;

impl FileSystem for OsFileSystem {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        let bytes = std::fs::read(path)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    fn is_file(&self, path: &Path) -> bool {
        path.is_file()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
}

/// Finds the project of the Dockerfile at `dockerfile`, never looking above `workspace_root`.
///
/// The project root is the build context a compose file in one of those folders gives the
/// Dockerfile, when that context holds a pyproject.toml; else the nearest folder, starting with
/// the Dockerfile's own, that holds one. When the Dockerfile lies outside `workspace_root`, only
/// its own folder is considered. `.python-version` and `uv.lock` are looked up in the project
/// root (else the compose file's context, else the Dockerfile's folder), `.dockerignore` in the
/// build context: the compose file's context when there is one (which may be a folder above the
/// project), else the same folder. When none of those folders gives a project and the Dockerfile
/// is inside `workspace_root`, a compose file further down the workspace folder (see
/// [`super::scan`]) may build it.
///
/// With a `workspace_root`, a project file whose real path (symlinks resolved) lies outside it is
/// not read; it counts as absent and a problem says so. A pyproject.toml skipped that way still
/// marks its folder as the project root, because the folder is what Docker sends as the context.
pub fn discover(fs: &dyn FileSystem, dockerfile: &Path, workspace_root: Option<&Path>) -> ProjectFacts {
    discover_inner(fs, dockerfile, workspace_root, Copies::Unknown)
}

/// What discovery may learn from the Dockerfile's own copies of pyproject.toml.
enum Copies<'a> {
    /// Nothing: the caller did not give the Dockerfile's text.
    Unknown,
    /// The Dockerfile's text, parsed only if the copies are needed.
    InText(&'a str),
    /// The sources already taken from it ([`super::copied_pyprojects`]).
    Given(&'a [String]),
}

/// [`discover`] for the Dockerfile whose text is `text`: when no folder above it holds a project
/// and no compose file builds it, the pyproject.toml it copies may still name its project
/// (see [`discover_with_copies`]). The text is parsed only then.
pub fn discover_with_text(
    fs: &dyn FileSystem,
    dockerfile: &Path,
    workspace_root: Option<&Path>,
    text: &str,
) -> ProjectFacts {
    discover_inner(fs, dockerfile, workspace_root, Copies::InText(text))
}

/// [`discover`], given the pyproject.toml sources the Dockerfile copies
/// ([`super::copied_pyprojects`]). They are consulted when nothing else gives a project, inside a
/// workspace folder: `COPY backend/pyproject.toml ./` makes `backend/` the project, in the build
/// context a compose file gives, else in the nearest folder above the Dockerfile that holds that
/// path (then the context); without a compose file, a bare `COPY pyproject.toml ./` makes the
/// only project folder of the workspace (or the only one named in the Dockerfile's name) both.
/// The facts then say so ([`ProjectFacts::found_through_copy`],
/// [`ProjectFacts::copied_pyprojects`]).
pub fn discover_with_copies(
    fs: &dyn FileSystem,
    dockerfile: &Path,
    workspace_root: Option<&Path>,
    copied: &[String],
) -> ProjectFacts {
    discover_inner(fs, dockerfile, workspace_root, Copies::Given(copied))
}

fn discover_inner(
    fs: &dyn FileSystem,
    dockerfile: &Path,
    workspace_root: Option<&Path>,
    copies: Copies<'_>,
) -> ProjectFacts {
    let dockerfile = absolute_clean(dockerfile);
    let dockerfile_dir = match dockerfile.parent() {
        Some(parent) => parent.to_path_buf(),
        None => dockerfile.clone(),
    };
    let workspace_root = workspace_root.map(absolute_clean);
    let inside_workspace = workspace_root.as_ref().is_none_or(|ws| dockerfile_dir.starts_with(ws));

    // Symlinks may point anywhere inside the folder discovery is allowed to look at, no further.
    let jail = match (&workspace_root, inside_workspace) {
        (Some(ws), true) => Some(ws.clone()),
        (Some(_), false) => Some(dockerfile_dir.clone()),
        (None, _) => None,
    };
    let jail = jail.map(|jail| fs.canonicalize(&jail).unwrap_or(jail));
    let mut reader = Reader { fs, jail, problems: Vec::new() };

    // The folders discovery may look at, nearest first.
    let mut ancestors: Vec<&Path> = Vec::new();
    match (&workspace_root, inside_workspace) {
        (Some(ws), true) => {
            for dir in dockerfile_dir.ancestors() {
                ancestors.push(dir);
                if dir == ws.as_path() {
                    break;
                }
            }
        }
        (Some(_), false) => ancestors.push(&dockerfile_dir),
        (None, _) => ancestors.extend(dockerfile_dir.ancestors()),
    }
    let mut root = None;
    // The build context a compose file (or else the Dockerfile's copies) gives the Dockerfile.
    let mut given_context: Option<PathBuf> = None;
    // Through a symlinked folder (`app/again -> .`) several lexical ancestors are one real folder;
    // look at each real folder once so a broken file there is reported once.
    let mut seen = HashSet::new();
    for &dir in &ancestors {
        if !seen.insert(fs.canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())) {
            continue;
        }
        let path = dir.join("pyproject.toml");
        if fs.is_file(&path) {
            root = Some(dir.to_path_buf());
            break;
        }
        reader.report_broken_symlink(&path);
    }

    // A compose service that builds this Dockerfile names its context. When that folder holds a
    // pyproject.toml it is the project, wherever the Dockerfile sits (`docker/api.Dockerfile`
    // built with `context: ./backend`); a context without one still decides where
    // `.python-version` and `.dockerignore` come from when no project was found.
    let allowed = match (&workspace_root, inside_workspace) {
        (Some(ws), true) => Some(ws.as_path()),
        (Some(_), false) => Some(dockerfile_dir.as_path()),
        (None, _) => None,
    };
    let above = ancestors.iter().flat_map(|dir| COMPOSE_FILE_NAMES.iter().map(move |name| dir.join(name)));
    let mut compose = find_compose_context(&mut reader, &dockerfile, above, allowed);
    // Neither gave anything: a compose file elsewhere in the workspace (`deploy/compose.yaml`)
    // may build this Dockerfile, and a bare COPY of pyproject.toml may name a project folder
    // anywhere in it, so look through the workspace folder, a few levels down, once.
    let scan = match (&workspace_root, inside_workspace) {
        (Some(ws), true) if root.is_none() && compose.is_none() => Some(scan_workspace(fs, ws, &ancestors)),
        _ => None,
    };
    if let Some(scan) = &scan
        && compose.is_none()
    {
        compose = find_compose_context(&mut reader, &dockerfile, scan.compose_files.iter().cloned(), allowed);
    }
    let mut compose_file = None;
    let mut project_in_context = None;
    if let Some((context, file)) = compose {
        let holds_project = reader.fs.is_file(&context.join("pyproject.toml"));
        // A context above the project (`context: .` for `services/worker/Dockerfile`): the
        // project stays where it is, and the Dockerfile names its files by their folder.
        let above_project = root.as_ref().and_then(|root| relative_below(root, &context));
        if holds_project || root.is_none() || above_project.is_some() {
            if holds_project {
                root = Some(context.clone());
            } else {
                project_in_context = above_project;
            }
            given_context = Some(context);
            compose_file = Some(file);
        }
    }

    // Nothing above the Dockerfile and no compose file gave a project: its own COPY lines may,
    // from the context a compose file gives, else from a folder above it.
    let mut found_through_copy = None;
    let copied_pyprojects = match copies {
        _ if root.is_some() || workspace_root.is_none() || !inside_workspace => None,
        Copies::Unknown => None,
        Copies::InText(text) => Some(super::copied_pyprojects(&crate::syntax::parse(text))),
        Copies::Given(copied) => Some(copied.to_vec()),
    };
    if let Some(copied) = &copied_pyprojects {
        let contexts: Vec<&Path> = match &given_context {
            Some(context) => vec![context.as_path()],
            None => ancestors.clone(),
        };
        let folders = match (&given_context, &scan) {
            (None, Some(scan)) => Some(scan.project_folders.as_slice()),
            _ => None,
        };
        if let Some(found) = super::copied::project_from_copies(fs, &contexts, folders, &dockerfile, copied) {
            project_in_context = relative_below(&found.project, &found.context);
            root = Some(found.project);
            given_context = Some(found.context);
            found_through_copy = Some(found.source);
        }
    }

    // The project's own files (`.python-version`, uv.lock) are in its folder; Docker reads
    // `.dockerignore` from the context.
    let project_dir = root.clone().or_else(|| given_context.clone()).unwrap_or_else(|| dockerfile_dir.clone());
    let context = given_context.clone().unwrap_or_else(|| project_dir.clone());
    let mut facts = ProjectFacts {
        root: root.clone(),
        context: Some(context.clone()),
        compose_file,
        project_in_context,
        found_through_copy,
        copied_pyprojects,
        searched_workspace: scan.is_some(),
        ..ProjectFacts::default()
    };

    if let Some(root) = &root
        && let Some(file) = reader.read(&root.join("pyproject.toml"))
    {
        let (pyproject, problems) = parse_pyproject(file);
        reader.problems.extend(problems);
        facts.pyproject = Some(pyproject);
    }

    if let Some(root) = &root
        && facts.pyproject.as_ref().is_some_and(|pyproject| !pyproject.is_workspace_root())
    {
        let above: Vec<&Path> = ancestors.iter().copied().filter(|dir| dir != root && root.starts_with(dir)).collect();
        facts.uv_workspace = find_uv_workspace(&mut reader, root, &above);
    }

    // uv prefers `.python-version` over `.python-versions` for project commands.
    for name in [".python-version", ".python-versions"] {
        let path = project_dir.join(name);
        if !reader.exists(&path) {
            continue;
        }
        if let Some(file) = reader.read(&path) {
            facts.python_version = Some(parse_python_version_file(file));
        }
        break;
    }

    let uv_lock = project_dir.join("uv.lock");
    if reader.exists(&uv_lock) {
        facts.uv_lock = Some(uv_lock);
    }

    // Docker prefers `<Dockerfile name>.dockerignore` next to the Dockerfile over the context's.
    let mut ignore_candidates = Vec::new();
    if let Some(name) = dockerfile.file_name() {
        let mut specific = name.to_os_string();
        specific.push(".dockerignore");
        ignore_candidates.push(dockerfile_dir.join(specific));
    }
    ignore_candidates.push(context.join(".dockerignore"));
    for path in ignore_candidates {
        if !reader.exists(&path) {
            continue;
        }
        if let Some(file) = reader.read(&path) {
            let (ignore, problems) = parse_dockerignore(file);
            reader.problems.extend(problems);
            facts.dockerignore = Some(ignore);
        }
        break;
    }

    facts.problems = reader.problems;
    facts
}

/// Finds the nearest folder in `above` whose pyproject.toml declares a uv workspace, and keeps it
/// when `root` is one of its members, as uv does. A workspace that does not include the project
/// ends the search: uv then treats the project as standing alone.
fn find_uv_workspace(reader: &mut Reader<'_>, root: &Path, above: &[&Path]) -> Option<UvWorkspace> {
    for &dir in above {
        let path = dir.join("pyproject.toml");
        if !reader.fs.is_file(&path) {
            continue;
        }
        let file = reader.read(&path)?;
        let (pyproject, problems) = parse_pyproject(file);
        let Some(tool_uv) = &pyproject.tool_uv else {
            continue;
        };
        let Some(members) = &tool_uv.workspace_members else {
            continue;
        };
        let Ok(relative) = root.strip_prefix(dir) else {
            continue;
        };
        let relative = relative.to_string_lossy().replace('\\', "/");
        let listed = members.iter().any(|member| glob_matches(&member.value, &relative));
        let excluded = tool_uv.workspace_exclude.iter().any(|exclude| glob_matches(&exclude.value, &relative));
        if !listed || excluded {
            return None;
        }
        reader.problems.extend(problems);
        let uv_lock = dir.join("uv.lock");
        let uv_lock = reader.exists(&uv_lock).then_some(uv_lock);
        return Some(UvWorkspace { root: dir.to_path_buf(), pyproject, uv_lock });
    }
    None
}

/// The build context a compose file gives the Dockerfile, with that compose file: the first
/// service whose `build` resolves to `dockerfile`, in the first of `candidates` (compose file
/// paths, in the order to try them) that exists and builds it. A context outside `allowed` is
/// not used.
fn find_compose_context(
    reader: &mut Reader<'_>,
    dockerfile: &Path,
    candidates: impl IntoIterator<Item = PathBuf>,
    allowed: Option<&Path>,
) -> Option<(PathBuf, PathBuf)> {
    for path in candidates {
        if !reader.fs.is_file(&path) || !reader.exists(&path) {
            continue;
        }
        let Some(dir) = path.parent() else { continue };
        // A compose file is not a project file: one that cannot be read tells nothing.
        let Ok(text) = reader.fs.read_to_string(&path) else { continue };
        for spec in build_specs(&text) {
            let Some((context, built)) = spec.resolve(dir) else { continue };
            let (context, built) = (absolute_clean(&context), absolute_clean(&built));
            if built == dockerfile && allowed.is_none_or(|it| context.starts_with(it)) {
                return Some((context, path));
            }
        }
    }
    None
}

/// Reads project files, refusing those whose real path leaves the jail folder.
struct Reader<'a> {
    fs: &'a dyn FileSystem,
    /// Canonical folder that files must resolve into; `None` when there is no workspace.
    jail: Option<PathBuf>,
    problems: Vec<ProjectProblem>,
}

impl Reader<'_> {
    /// True when `path` is a file that may be read; reports files skipped for pointing outside.
    /// A broken symlink (dangling, or a loop) counts as absent and is reported.
    fn exists(&mut self, path: &Path) -> bool {
        if !self.fs.is_file(path) {
            self.report_broken_symlink(path);
            return false;
        }
        let Some(jail) = &self.jail else {
            return true;
        };
        // A path the disk cannot resolve is an editor buffer not saved yet: nothing to escape.
        let Ok(real) = self.fs.canonicalize(path) else {
            return true;
        };
        if real.starts_with(jail) {
            return true;
        }
        let message = format!(
            "skipped {}: it resolves to {}, outside the workspace folder {}",
            display_name(path),
            real.display(),
            jail.display()
        );
        self.report(path, message);
        false
    }

    /// The file's text, or `None` (with a problem when it exists but cannot be read).
    fn read(&mut self, path: &Path) -> Option<SourceFile> {
        if !self.exists(path) {
            return None;
        }
        match self.fs.read_to_string(path) {
            Ok(text) => Some(SourceFile { path: path.to_path_buf(), text: text.into() }),
            Err(err) => {
                self.report(path, format!("cannot read {}: {err}", display_name(path)));
                None
            }
        }
    }

    fn report_broken_symlink(&mut self, path: &Path) {
        if self.fs.is_symlink(path) && !self.fs.is_file(path) && !self.fs.is_dir(path) {
            let message =
                format!("skipped {}: it is a symlink that does not resolve (dangling or a loop)", display_name(path));
            self.report(path, message);
        }
    }

    fn report(&mut self, path: &Path, message: String) {
        let file = SourceFile { path: path.to_path_buf(), text: "".into() };
        self.problems.push(ProjectProblem { file, range: crate::text::TextRange::empty(0), message });
    }
}

fn display_name(path: &Path) -> String {
    match path.file_name() {
        Some(name) => name.to_string_lossy().into_owned(),
        None => path.display().to_string(),
    }
}

/// `path` relative to `base` with forward slashes, when it lies strictly below it.
fn relative_below(path: &Path, base: &Path) -> Option<String> {
    let relative = path.strip_prefix(base).ok()?.to_str()?.replace('\\', "/");
    (!relative.is_empty()).then_some(relative)
}

/// Makes `path` absolute against the current folder and removes `.` and `..` lexically.
/// Lexical is what Docker's CLI does with a context path, and it never touches the disk.
fn absolute_clean(path: &Path) -> PathBuf {
    let path = if path.as_os_str().is_empty() { Path::new(".") } else { path };
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut res = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                // Popping at the root keeps the root, as `/..` is `/`.
                if !res.pop() && !res.has_root() {
                    res.push(component);
                }
            }
            _ => res.push(component),
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_clean_resolves_dots() {
        assert_eq!(absolute_clean(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
        assert_eq!(absolute_clean(Path::new("/../a")), PathBuf::from("/a"));
        let cwd = std::env::current_dir().expect("a current folder");
        assert_eq!(absolute_clean(Path::new("x/../y")), cwd.join("y"));
        assert_eq!(absolute_clean(Path::new("")), cwd);
    }
}
