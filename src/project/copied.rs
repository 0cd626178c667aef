//! A Dockerfile's own word on where its project is: the pyproject.toml it copies.
//!
//! A Dockerfile kept apart from its project (`docker/api.Dockerfile`, built with
//! `docker build -f docker/api.Dockerfile .` and `COPY backend/pyproject.toml ./`) has no
//! pyproject.toml above it, and no compose file may say which context it is built from. Its COPY
//! lines do: the folder above the Dockerfile that holds the copied path is the context, and the
//! path's folder is the project. A bare `COPY pyproject.toml ./` names no folder; the context is
//! then a project folder somewhere in the workspace, taken only when there is no doubt which.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::FileSystem;
use crate::syntax::{Args, Keyword, Parse};

/// The pyproject.toml sources a Dockerfile copies from its build context, in order, each once:
/// `pyproject.toml`, `backend/pyproject.toml`. Sources with a variable, a wildcard, an absolute
/// path or `..` are left out (they name no place for sure), as are copies from another stage or
/// image.
pub fn copied_pyprojects(parse: &Parse) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for instruction in &parse.file.instructions {
        if !matches!(instruction.keyword, Keyword::Copy | Keyword::Add) || instruction.flag("from").is_some() {
            continue;
        }
        let mut push = |source: &str| {
            if let Some(source) = plain_pyproject_source(source)
                && !found.iter().any(|it| it == source)
            {
                found.push(source.to_owned());
            }
        };
        // The last argument is the destination.
        match &instruction.args {
            Args::Words(words) => {
                words.split_last().into_iter().flat_map(|(_, sources)| sources).for_each(|it| push(&it.value))
            }
            Args::Exec(exec) => {
                exec.elements.split_last().into_iter().flat_map(|(_, sources)| sources).for_each(|it| push(&it.value))
            }
            _ => {}
        }
    }
    found
}

/// `source` without leading `./` when it is a plain relative path to a pyproject.toml.
fn plain_pyproject_source(source: &str) -> Option<&str> {
    let mut source = source;
    while let Some(rest) = source.strip_prefix("./") {
        source = rest;
    }
    let named = source == "pyproject.toml" || source.ends_with("/pyproject.toml");
    let plain = !source.starts_with('/')
        && !source.starts_with("<<")
        && !source.contains(['$', '*', '?', '[', '\\'])
        && !source.contains("://")
        && source.split('/').all(|part| !part.is_empty() && part != "." && part != "..");
    (named && plain).then_some(source)
}

/// Where a Dockerfile's copies of pyproject.toml place its project.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct FoundByCopy {
    /// The build context the copied path is relative to.
    pub(crate) context: PathBuf,
    /// The folder holding the copied pyproject.toml.
    pub(crate) project: PathBuf,
    /// The COPY source that placed it, as written (without `./`).
    pub(crate) source: String,
}

/// The context and project that `copied` (see [`copied_pyprojects`]) place the Dockerfile at
/// `dockerfile` in, given the folders that may be its build context (nearest first), none of
/// which holds a pyproject.toml itself.
///
/// A source with a folder (`backend/pyproject.toml`) takes the first of `contexts` that holds it.
/// A bare `pyproject.toml`, when the context is not known, takes the one folder of
/// `project_folders` (those of the workspace, see [`super::scan`]), or, when there are several,
/// the one whose name is a word of the Dockerfile's name (`backend` for
/// `docker/wise-backend.Dockerfile`), if exactly one is.
pub(crate) fn project_from_copies(
    fs: &dyn FileSystem,
    contexts: &[&Path],
    project_folders: Option<&[PathBuf]>,
    dockerfile: &Path,
    copied: &[String],
) -> Option<FoundByCopy> {
    // Only plain paths name a place (the list may come from a caller that did not filter it).
    let copied: Vec<&String> = copied.iter().filter(|it| plain_pyproject_source(it) == Some(it.as_str())).collect();
    for source in copied.iter().filter(|it| it.contains('/')) {
        for &dir in contexts {
            let path = dir.join(source);
            if fs.is_file(&path) {
                let project = path.parent()?.to_path_buf();
                return Some(FoundByCopy { context: dir.to_path_buf(), project, source: (*source).clone() });
            }
        }
    }
    let candidates = project_folders?;
    if !copied.iter().any(|it| *it == "pyproject.toml") {
        return None;
    }
    let chosen = match candidates {
        [only] => only.clone(),
        [] => return None,
        several => {
            let words = name_words(dockerfile);
            let mut named = several.iter().filter(|dir| {
                dir.file_name().and_then(OsStr::to_str).is_some_and(|name| words.contains(&name.to_ascii_lowercase()))
            });
            match (named.next(), named.next()) {
                (Some(dir), None) => dir.clone(),
                _ => return None,
            }
        }
    };
    Some(FoundByCopy { context: chosen.clone(), project: chosen, source: "pyproject.toml".to_owned() })
}

/// The words of a Dockerfile's name, lowercase: `wise-backend.Dockerfile` gives `wise` and
/// `backend`, `Dockerfile.api` gives `api`.
fn name_words(dockerfile: &Path) -> Vec<String> {
    let name = dockerfile.file_name().and_then(OsStr::to_str).unwrap_or_default().to_ascii_lowercase();
    name.split(['.', '-', '_'])
        .filter(|word| !word.is_empty() && *word != "dockerfile" && *word != "containerfile")
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copied(text: &str) -> Vec<String> {
        copied_pyprojects(&crate::syntax::parse(text))
    }

    #[test]
    fn copied_sources_are_plain_pyproject_paths() {
        let text = "FROM python:3.12\nCOPY ./backend/pyproject.toml backend/uv.lock ./\nCOPY pyproject.toml .\n\
                    COPY --from=build /app/pyproject.toml .\nCOPY [\"api/pyproject.toml\", \"./\"]\n\
                    ADD ${DIR}/pyproject.toml */pyproject.toml ../pyproject.toml /x/pyproject.toml .\n\
                    COPY pyproject.toml\nCOPY pyproject.toml ./again/\n";
        assert_eq!(copied(text), ["backend/pyproject.toml", "pyproject.toml", "api/pyproject.toml"]);
    }

    #[test]
    fn name_words_leave_out_the_dockerfile_part() {
        assert_eq!(name_words(Path::new("/w/docker/wise-backend.Dockerfile")), ["wise", "backend"]);
        assert_eq!(name_words(Path::new("/w/Dockerfile.api")), ["api"]);
        assert!(name_words(Path::new("/w/Dockerfile")).is_empty());
    }
}
