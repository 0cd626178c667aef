//! A bounded look through the workspace folder for what discovery cannot find above a
//! Dockerfile: compose files in other folders (`deploy/compose.yaml`) and project folders.
//!
//! Discovery runs whenever such a Dockerfile opens or a project file changes, so the look stays
//! small in a large repository: a few levels deep, a bounded number of folders and entries,
//! never into hidden folders, dependencies or environments, and never through a symlink.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use super::FileSystem;
use super::compose::COMPOSE_FILE_NAMES;

/// How many levels below the workspace folder are looked at.
const DEPTH: usize = 3;
/// At most this many folders are listed, and the look stops once the listings hold this many
/// entries.
const MAX_FOLDERS: usize = 256;
const MAX_ENTRIES: usize = 20_000;

/// Folders never looked into (hidden ones neither): dependencies, environments, caches and build
/// output, which hold other people's projects.
const NOT_LOOKED_INTO: [&str; 6] = ["node_modules", "__pycache__", "venv", "site-packages", "target", "dist"];

/// What the look found, breadth first and in name order.
#[derive(Debug, Default)]
pub(crate) struct WorkspaceScan {
    /// Compose files, each folder's in Docker Compose's order of preference.
    pub(crate) compose_files: Vec<PathBuf>,
    /// Folders below the workspace folder that hold a pyproject.toml.
    pub(crate) project_folders: Vec<PathBuf>,
}

/// Looks through `top` and the folders below it, leaving out the compose files of the folders in
/// `searched` (discovery has read those already).
pub(crate) fn scan_workspace(fs: &dyn FileSystem, top: &Path, searched: &[&Path]) -> WorkspaceScan {
    let mut scan = WorkspaceScan::default();
    let mut queue = VecDeque::from([(top.to_path_buf(), 0)]);
    let (mut folders, mut entries) = (0, 0);
    while let Some((dir, depth)) = queue.pop_front() {
        folders += 1;
        if folders > MAX_FOLDERS {
            break;
        }
        let Ok(mut listing) = fs.read_dir(&dir) else { continue };
        entries += listing.len();
        if entries > MAX_ENTRIES {
            break;
        }
        listing.sort();
        let has_file = |wanted: &str| listing.iter().any(|(name, is_dir)| !is_dir && name == wanted);
        if !searched.contains(&dir.as_path()) {
            scan.compose_files
                .extend(COMPOSE_FILE_NAMES.iter().filter(|name| has_file(name)).map(|name| dir.join(name)));
        }
        if depth > 0 && has_file("pyproject.toml") {
            scan.project_folders.push(dir.clone());
        }
        if depth == DEPTH {
            continue;
        }
        for (name, is_dir) in listing {
            let looked_into =
                name.to_str().is_some_and(|name| !name.starts_with('.') && !NOT_LOOKED_INTO.contains(&name));
            if is_dir && looked_into {
                queue.push_back((dir.join(name), depth + 1));
            }
        }
    }
    scan
}
