//! Inlay hints after FROM images (the resolved image and its Python) and document links from
//! images to their registry pages and from named files to the files.

use std::path::{Path, PathBuf};

use crate::analysis::Analysis;
use crate::semantics::image::{self, ImageRef};
use crate::semantics::{Base, PythonSource};
use crate::syntax::{Args, Keyword};
use crate::text::TextRange;

/// A label shown at `offset` (after the thing it describes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    pub offset: usize,
    pub label: String,
}

/// Hints inside `within`: for each FROM, the image its ARGs resolve to (when it uses any) and
/// the Python version the stage gets.
pub fn inlay_hints(analysis: &Analysis, within: TextRange) -> Vec<InlayHint> {
    let mut res = Vec::new();
    for stage in &analysis.semantics.stages {
        let Some(image) = &stage.image else { continue };
        let offset = image.range.end;
        if !within.touches(offset) {
            continue;
        }
        if image.value.contains('$')
            && let Some(expanded) = &stage.image_expanded
        {
            res.push(InlayHint { offset, label: String::from(expanded.as_str()) });
        }
        let python = match &stage.python {
            Some(PythonSource::Python { image, .. }) => match (image.version, &image.version_text) {
                (Some((major, minor, Some(patch))), _) => Some(format!("Python {major}.{minor}.{patch}")),
                (Some((major, minor, None)), _) => Some(format!("Python {major}.{minor}")),
                (None, Some(text)) => Some(format!("Python {text}")),
                (None, None) => None,
            },
            Some(PythonSource::Uv { image, .. }) => {
                image.python.map(|(major, minor)| format!("Python {major}.{minor}"))
            }
            None => None,
        };
        res.extend(python.map(|label| InlayHint { offset, label }));
    }
    res
}

/// Where a document link points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    Url(String),
    File(PathBuf),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentLink {
    pub range: TextRange,
    pub target: LinkTarget,
}

/// Links from FROM and `COPY --from` images to their registry pages, and from COPY/ADD sources
/// and bind mount sources to files of the build context that exist (`is_file` does the IO).
pub fn document_links(
    analysis: &Analysis,
    context: Option<&Path>,
    is_file: &dyn Fn(&Path) -> bool,
) -> Vec<DocumentLink> {
    let file = &analysis.parse.file;
    let semantics = &analysis.semantics;
    let stages = super::navigation::StageNames::new(semantics);
    let mut res = Vec::new();
    for stage in &semantics.stages {
        let (Base::Image(reference), Some(image)) = (&stage.base, &stage.image) else { continue };
        if let Some(url) = registry_url(reference) {
            res.push(DocumentLink { range: image.range, target: LinkTarget::Url(url) });
        }
    }
    for instruction in &file.instructions {
        let instruction = match &instruction.args {
            Args::Onbuild(inner) => inner.as_ref(),
            _ => instruction,
        };
        if matches!(instruction.keyword, Keyword::Copy | Keyword::Add)
            && let Some(from) = instruction.flag("from").and_then(|it| it.value.as_ref())
            && !from.value.contains('$')
            && stages.get(&from.value).is_none()
            && let Some(url) = image::parse_image_ref(&from.value).as_ref().and_then(registry_url)
        {
            res.push(DocumentLink { range: from.range, target: LinkTarget::Url(url) });
        }
        let Some(context) = context else { continue };
        for (range, relative) in super::navigation::context_files(instruction) {
            if let Some(path) = super::navigation::context_path(context, &relative)
                && is_file(&path)
            {
                res.push(DocumentLink { range, target: LinkTarget::File(path) });
            }
        }
    }
    res.sort_by_key(|it| it.range.start);
    res
}

/// The web page of an image on the registries whose URL scheme is stable: Docker Hub, GitHub's
/// container registry and Quay.
pub fn registry_url(reference: &ImageRef) -> Option<String> {
    let repository = &reference.repository.value;
    let host = reference.registry_host();
    if repository.contains('$') {
        return None;
    }
    match host {
        "docker.io" => match repository.strip_prefix("library/") {
            Some(official) if !official.contains('/') => Some(format!("https://hub.docker.com/_/{official}")),
            _ if !repository.contains('/') => Some(format!("https://hub.docker.com/_/{repository}")),
            _ => Some(format!("https://hub.docker.com/r/{repository}")),
        },
        "ghcr.io" => match repository.split('/').collect::<Vec<_>>()[..] {
            [owner, name] => Some(format!("https://github.com/{owner}/{name}/pkgs/container/{name}")),
            _ => None,
        },
        "quay.io" => Some(format!("https://quay.io/repository/{repository}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ProjectFacts;

    fn analyze(text: &str) -> Analysis {
        crate::analysis::analyze(text, &ProjectFacts::default())
    }

    #[test]
    fn hints_show_resolved_images_and_python() {
        let text = "ARG PY=3.11\nFROM python:${PY}-slim AS a\nFROM a\nFROM ghcr.io/astral-sh/uv:python3.12-bookworm\nFROM debian\n";
        let analysis = analyze(text);
        let hints = inlay_hints(&analysis, TextRange::new(0, text.len()));
        let labels: Vec<(&str, &str)> = hints
            .iter()
            .map(|it| (&text[..it.offset], it.label.as_str()))
            .map(|(before, label)| (before.rsplit('\n').next().unwrap_or_default(), label))
            .collect();
        assert_eq!(
            labels,
            [
                ("FROM python:${PY}-slim", "python:3.11-slim"),
                ("FROM python:${PY}-slim", "Python 3.11"),
                ("FROM a", "Python 3.11"),
                ("FROM ghcr.io/astral-sh/uv:python3.12-bookworm", "Python 3.12"),
            ]
        );
        let first_line = inlay_hints(&analysis, TextRange::new(0, 12));
        assert!(first_line.is_empty());
        let second_line = inlay_hints(&analysis, TextRange::new(12, 40));
        assert_eq!(second_line.len(), 2);
    }

    #[test]
    fn registry_pages() {
        let url = |text: &str| image::parse_image_ref(text).as_ref().and_then(registry_url);
        assert_eq!(url("python:3.12").as_deref(), Some("https://hub.docker.com/_/python"));
        assert_eq!(url("docker.io/library/python").as_deref(), Some("https://hub.docker.com/_/python"));
        assert_eq!(url("bitnami/redis:7").as_deref(), Some("https://hub.docker.com/r/bitnami/redis"));
        assert_eq!(
            url("ghcr.io/astral-sh/uv:0.5").as_deref(),
            Some("https://github.com/astral-sh/uv/pkgs/container/uv")
        );
        assert_eq!(
            url("quay.io/pypa/manylinux2014_x86_64").as_deref(),
            Some("https://quay.io/repository/pypa/manylinux2014_x86_64")
        );
        assert_eq!(url("registry.example.com/team/app:1"), None);
    }

    #[test]
    fn links_to_images_and_existing_context_files() {
        let text = "FROM python:3.12 AS a\nCOPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/\nCOPY --from=a /x /y\n\
                    COPY pyproject.toml missing.txt ../out.txt ./\nRUN --mount=type=bind,source=uv.lock,target=uv.lock true\n";
        let analysis = analyze(text);
        let context = Path::new("/ctx");
        let exists = |path: &Path| path == Path::new("/ctx/pyproject.toml") || path == Path::new("/ctx/uv.lock");
        let links = document_links(&analysis, Some(context), &exists);
        let found: Vec<(&str, LinkTarget)> =
            links.into_iter().map(|it| (&text[it.range.as_range()], it.target)).collect();
        assert_eq!(
            found,
            [
                ("python:3.12", LinkTarget::Url("https://hub.docker.com/_/python".to_owned())),
                (
                    "ghcr.io/astral-sh/uv:0.5",
                    LinkTarget::Url("https://github.com/astral-sh/uv/pkgs/container/uv".to_owned())
                ),
                ("pyproject.toml", LinkTarget::File(PathBuf::from("/ctx/pyproject.toml"))),
                ("uv.lock", LinkTarget::File(PathBuf::from("/ctx/uv.lock"))),
            ]
        );
    }
}
