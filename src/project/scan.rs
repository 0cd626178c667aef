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
        let Ok(listing) = fs.read_dir(&dir) else { continue };
        entries += listing.len();
        if entries > MAX_ENTRIES {
            break;
        }
        // One pass over the listing (a folder of a thousand Dockerfiles is read for each one
        // of them that has no project): the names that matter, and the folders to go on into.
        let (mut compose, mut has_pyproject, mut below) = (Vec::new(), false, Vec::new());
        for (name, is_dir) in listing {
            let Some(text) = name.to_str() else { continue };
            if is_dir {
                if depth < DEPTH && !text.starts_with('.') && !NOT_LOOKED_INTO.contains(&text) {
                    below.push(name);
                }
            } else if text == "pyproject.toml" {
                has_pyproject = true;
            } else if let Some(rank) = COMPOSE_FILE_NAMES.iter().position(|it| *it == text) {
                compose.push(rank);
            }
        }
        if !searched.contains(&dir.as_path()) {
            compose.sort_unstable();
            scan.compose_files.extend(compose.into_iter().map(|rank| dir.join(COMPOSE_FILE_NAMES[rank])));
        }
        if depth > 0 && has_pyproject {
            scan.project_folders.push(dir.clone());
        }
        // The listing's order is the file system's; the folders are taken in name order.
        below.sort_unstable();
        queue.extend(below.into_iter().map(|name| (dir.join(name), depth + 1)));
    }
    scan
}
