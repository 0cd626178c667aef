//! Which files matter to the server: Dockerfiles, the project files that feed discovery, a
//! file system that prefers editor buffers over the disk, and which Dockerfiles a changed
//! project file can affect.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::project::{FileSystem, OsFileSystem, ProjectFacts};

/// What an open document is to the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    /// Analysed and given diagnostics.
    Dockerfile,
    /// Read by project discovery; a change re-analyses the Dockerfiles it may affect.
    ProjectFile,
    Other,
}

/// Glob patterns (for `workspace/didChangeWatchedFiles`) of the files discovery reads.
pub(crate) const PROJECT_FILE_GLOBS: [&str; 15] = [
    "**/pyproject.toml",
    "**/berth.toml",
    "**/.python-version",
    "**/.python-versions",
    "**/uv.lock",
    "**/.dockerignore",
    "**/*.dockerignore",
    "**/compose.yaml",
    "**/compose.yml",
    "**/docker-compose.yaml",
    "**/docker-compose.yml",
    "**/compose.override.yaml",
    "**/compose.override.yml",
    "**/docker-compose.override.yaml",
    "**/docker-compose.override.yml",
];

pub(crate) fn classify(language_id: Option<&str>, path: Option<&Path>) -> FileKind {
    if let Some(language_id) = language_id
        && (language_id.eq_ignore_ascii_case("dockerfile") || language_id.eq_ignore_ascii_case("containerfile"))
    {
        return FileKind::Dockerfile;
    }
    let Some(name) = path.and_then(Path::file_name).and_then(|name| name.to_str()) else {
        return FileKind::Other;
    };
    // `Dockerfile.dockerignore` matches `Dockerfile.*` but is the ignore file of `Dockerfile`.
    if is_project_file_name(name) {
        FileKind::ProjectFile
    } else if crate::cli::is_dockerfile_name(name) {
        FileKind::Dockerfile
    } else {
        FileKind::Other
    }
}

pub(crate) fn is_project_file_name(name: &str) -> bool {
    matches!(
        name,
        "pyproject.toml" | "berth.toml" | ".python-version" | ".python-versions" | "uv.lock" | ".dockerignore"
    ) || name.ends_with(".dockerignore")
        || crate::project::COMPOSE_FILE_NAMES.contains(&name)
}

/// Whether a change to the project file at `changed` can change what discovery finds for the
/// Dockerfile at `dockerfile`: the file sits in a folder at or above the Dockerfile (it may be,
/// or become, its project or context), or inside the project root or build context found last time.
pub(crate) fn affects(changed: &Path, dockerfile: &Path, facts: Option<&ProjectFacts>) -> bool {
    if let Some(dir) = changed.parent()
        && dockerfile.starts_with(dir)
    {
        return true;
    }
    let Some(facts) = facts else {
        return false;
    };
    let name = changed.file_name().and_then(|name| name.to_str()).unwrap_or_default();
    // When the Dockerfile's copies of pyproject.toml were consulted, any project folder of the
    // workspace may be the one they name; when discovery looked through the workspace, any
    // compose file in it may build the Dockerfile.
    if facts.copied_pyprojects.as_ref().is_some_and(|copied| !copied.is_empty()) && name == "pyproject.toml" {
        return true;
    }
    if facts.searched_workspace && crate::project::COMPOSE_FILE_NAMES.contains(&name) {
        return true;
    }
    [&facts.root, &facts.context].into_iter().flatten().any(|folder| changed.starts_with(folder))
}

/// The innermost workspace folder holding `path`.
pub(crate) fn workspace_root<'a>(folders: &'a [PathBuf], path: &Path) -> Option<&'a Path> {
    folders
        .iter()
        .filter(|folder| path.starts_with(folder))
        .max_by_key(|folder| folder.components().count())
        .map(PathBuf::as_path)
}

/// Open editor buffers layered over the disk: discovery sees unsaved edits.
#[derive(Default)]
pub(crate) struct OverlayFs {
    buffers: HashMap<PathBuf, String>,
}

impl OverlayFs {
    pub(crate) fn new(buffers: HashMap<PathBuf, String>) -> OverlayFs {
        OverlayFs { buffers }
    }
}

impl FileSystem for OverlayFs {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        match self.buffers.get(path) {
            Some(text) => Ok(text.clone()),
            None => OsFileSystem.read_to_string(path),
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        self.buffers.contains_key(path) || OsFileSystem.is_file(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        OsFileSystem.is_dir(path) || self.buffers.keys().any(|buffer| buffer.starts_with(path) && buffer != path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for name in [
            "Dockerfile",
            "Dockerfile.dev",
            "Dockerfile-uv",
            "api.Dockerfile",
            "api.dockerfile",
            "Containerfile",
            "Containerfile.prod",
        ] {
            assert_eq!(classify(None, Some(Path::new(name))), FileKind::Dockerfile, "{name}");
        }
        for name in ["dockerfile.txt", "MyDockerfile", "Containerfiles", "README.md"] {
            assert_eq!(classify(None, Some(Path::new(name))), FileKind::Other, "{name}");
        }
        assert_eq!(classify(Some("dockerfile"), Some(Path::new("/w/build.txt"))), FileKind::Dockerfile);
        assert_eq!(classify(Some("dockerfile"), None), FileKind::Dockerfile);
    }

    #[test]
    fn project_file_names() {
        for name in [
            "pyproject.toml",
            ".python-version",
            ".python-versions",
            "uv.lock",
            ".dockerignore",
            "Dockerfile.dockerignore",
            "compose.yaml",
            "docker-compose.yml",
        ] {
            assert_eq!(classify(Some("plaintext"), Some(Path::new(name))), FileKind::ProjectFile, "{name}");
        }
    }

    #[test]
    fn which_dockerfiles_a_change_affects() {
        let dockerfile = Path::new("/w/app/docker/Dockerfile");
        assert!(affects(Path::new("/w/app/pyproject.toml"), dockerfile, None));
        assert!(affects(Path::new("/w/app/docker/Dockerfile.dockerignore"), dockerfile, None));
        assert!(!affects(Path::new("/w/other/pyproject.toml"), dockerfile, None));
        let facts = ProjectFacts { root: Some(PathBuf::from("/w/app")), ..ProjectFacts::default() };
        assert!(affects(Path::new("/w/app/packages/lib/pyproject.toml"), dockerfile, Some(&facts)));
        assert!(!affects(Path::new("/w/lib/pyproject.toml"), dockerfile, Some(&facts)));
        // A Dockerfile whose copies were consulted may be placed by any project folder.
        let facts = ProjectFacts { copied_pyprojects: Some(vec!["pyproject.toml".into()]), ..ProjectFacts::default() };
        assert!(affects(Path::new("/w/lib/pyproject.toml"), dockerfile, Some(&facts)));
        assert!(!affects(Path::new("/w/lib/uv.lock"), dockerfile, Some(&facts)));
        let facts = ProjectFacts { copied_pyprojects: Some(Vec::new()), ..ProjectFacts::default() };
        assert!(!affects(Path::new("/w/lib/pyproject.toml"), dockerfile, Some(&facts)));
        // After a look through the workspace, any compose file may build it.
        assert!(!affects(Path::new("/w/deploy/compose.yaml"), dockerfile, Some(&facts)));
        let facts = ProjectFacts { searched_workspace: true, ..ProjectFacts::default() };
        assert!(affects(Path::new("/w/deploy/compose.yaml"), dockerfile, Some(&facts)));
    }

    #[test]
    fn innermost_workspace_folder_wins() {
        let folders = vec![PathBuf::from("/w"), PathBuf::from("/w/app"), PathBuf::from("/x")];
        assert_eq!(workspace_root(&folders, Path::new("/w/app/Dockerfile")), Some(Path::new("/w/app")));
        assert_eq!(workspace_root(&folders, Path::new("/w/Dockerfile")), Some(Path::new("/w")));
        assert_eq!(workspace_root(&folders, Path::new("/y/Dockerfile")), None);
    }

    #[test]
    fn buffers_shadow_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let on_disk = dir.path().join("pyproject.toml");
        std::fs::write(&on_disk, "disk").unwrap();
        let unsaved = dir.path().join("sub/.python-version");
        let fs = OverlayFs::new(HashMap::from([
            (on_disk.clone(), "buffer".to_owned()),
            (unsaved.clone(), "3.12".to_owned()),
        ]));
        assert_eq!(fs.read_to_string(&on_disk).unwrap(), "buffer");
        assert_eq!(fs.read_to_string(&unsaved).unwrap(), "3.12");
        assert!(fs.is_file(&unsaved));
        assert!(fs.is_dir(&dir.path().join("sub")));
        assert!(!fs.is_file(&dir.path().join("uv.lock")));
    }
}
