//! Placeholder discovery; replaced by the real one.

use std::path::Path;

use super::{FileSystem, ProjectFacts};

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
pub fn discover(_fs: &dyn FileSystem, _dockerfile: &Path, _workspace_root: Option<&Path>) -> ProjectFacts {
    ProjectFacts::default()
}
