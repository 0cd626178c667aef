//! The semantic model and the rules after an edit, built again only for the stages the edit can
//! reach, equal those of the edited text from scratch: every line of multi-stage files is
//! deleted, typed into and has lines inserted before it that link, unlink or change other stages.

#[allow(dead_code)] // This test uses part of the shared harness.
#[path = "../fuzz/src/lib.rs"]
mod harness;

use std::path::Path;

use berth::project::{ProjectFacts, discover};

/// Five stages in three unrelated groups: `other` stands alone, `build` feeds `test` and the final
/// stage, and `tools` stands alone after `build`. Every group has findings of its own.
const STAGES: &str = r#"# syntax=docker/dockerfile:1
ARG PYTHON=3.12
FROM python:3.12-slim AS other
COPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /bin/
WORKDIR /srv
ENV UV_LINK_MOD=copy
COPY . /srv
RUN uv sync --frozen
RUN uvx ruff check

# The dependencies first.
FROM python:${PYTHON}-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /uvx /bin/
ENV UV_COMPILE_BYTECODE=1
WORKDIR /app
RUN --mount=type=cache,target=/root/.cache/uv uv sync --locked --no-install-project
COPY . .
RUN uv sync --locked
run echo lower

FROM python:latest AS tools
COPY --from=ghcr.io/astral-sh/uv:0.5.11 /uv /uvx /bin/
RUN pip install gunicorn
RUN uv tool install ruff
RUN echo $UV_LINK_MOD

FROM build AS test
ENV COMPILED=$UV_COMPILE_BYTECODE
RUN uv run pytest

FROM python:${PYTHON}-slim
COPY --from=build /app/.venv /app/.venv
ENV PATH="/app/.venv/bin:$PATH"
USER app
CMD ["gunicorn", "app:app"]
"#;

/// Lines that add or remove links between stages, or change what another stage's rules see.
const INSERTED: &[&str] = &[
    "RUN uv lock",
    "COPY . .",
    "RUN uvx ruff check",
    "RUN pip install gunicorn",
    "run echo lower",
    "RUN echo $UV_LINK_MOD",
    "COPY --from=build /app/.venv /app/.venv",
    "COPY --from=tools /usr/local/bin/ruff /usr/local/bin/",
    "COPY --from=other /srv /srv",
    "RUN --mount=type=bind,from=other,source=/srv,target=/mnt true",
    "ENV UV_COMPILE_BYTECODE=1",
    "ENV PATH=/root/.local/bin:$PATH",
    "USER app",
    "WORKDIR /srv",
    "ARG UV_VERSION=0.5.11",
    "RUN uv venv /opt/venv",
    "RUN uv sync",
    "# berth: ignore=UV001",
    "FROM python:3.12-slim AS added",
];

/// Two unrelated stages written in two casings, nearly as many instructions in each: one more
/// line in either casing decides which the file uses.
const CASINGS: &str = "FROM python:3.12-slim AS one\nRUN echo one\nWORKDIR /one\n\
                       from python:3.12-slim as two\nrun echo two\nworkdir /two\nuser app\n";

/// Stage names given twice (in two casings), referenced by `FROM`, `--from` and an ARG default
/// in `FROM`: the duplicates are reported in the later stages, pointing at the earlier ones.
const DUPLICATE_NAMES: &str = "ARG BASE=base\nFROM python:3.12-slim AS base\nRUN echo one\n\
                               FROM python:3.12-slim AS Base\nRUN echo two\nFROM ${BASE} AS tool\n\
                               COPY --from=BASE /a /b\nFROM python:3.12-slim AS tool\nRUN echo three\n";

fn project(with_lock: bool) -> ProjectFacts {
    let mut fs = harness::MemFs::default();
    fs.insert("/ws/Dockerfile", "");
    fs.insert(
        "/ws/pyproject.toml",
        "[project]\nname = \"app\"\nrequires-python = \">=3.11\"\ndependencies = [\"gunicorn\"]\n\n\
         [project.scripts]\napp = \"app:main\"\n",
    );
    fs.insert("/ws/.python-version", "3.12\n");
    // Without a lock there is no .dockerignore either, which keeps .venv out.
    if with_lock {
        fs.insert("/ws/uv.lock", "version = 1\n");
        fs.insert("/ws/.dockerignore", ".venv\n");
    }
    discover(&fs, Path::new("/ws/Dockerfile"), Some(Path::new("/ws")))
}

/// Every edit of one line of `text`: deleting it, typing at its end and inserting each of
/// [`INSERTED`] before it.
fn edits_of(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let mut edited = Vec::new();
    for at in 0..lines.len() {
        let with = |replacement: &[String]| {
            let mut res: String = lines[..at].concat();
            for line in replacement {
                res.push_str(line);
            }
            res.push_str(&lines[at + 1..].concat());
            res
        };
        let line = lines[at];
        edited.push(with(&[]));
        let (body, ending) = line.split_at(line.trim_end_matches(['\r', '\n']).len());
        edited.push(with(&[format!("{body} x{ending}")]));
        for inserted in INSERTED {
            edited.push(with(&[format!("{inserted}\n"), line.to_owned()]));
        }
    }
    edited
}

fn check_every_edit(text: &str, project: &ProjectFacts) {
    // Settings that trust only docker.io bring the registry rule into play too.
    let settings = harness::sample_settings();
    let before = harness::Model::of(text, project, settings);
    for edited in edits_of(text) {
        harness::check_edited_model(before.clone(), text, &edited, project, settings);
    }
}

#[test]
fn edits_of_a_multi_stage_file_with_a_lock() {
    check_every_edit(STAGES, &project(true));
}

#[test]
fn edits_of_a_multi_stage_file_without_a_lock() {
    check_every_edit(STAGES, &project(false));
}

#[test]
fn edits_of_a_file_in_two_casings() {
    check_every_edit(CASINGS, &project(true));
}

#[test]
fn edits_of_a_file_with_duplicate_stage_names() {
    check_every_edit(DUPLICATE_NAMES, &project(true));
}

#[test]
fn edits_of_a_multi_stage_file_with_windows_line_endings() {
    check_every_edit(&STAGES.replace('\n', "\r\n"), &project(true));
}

/// The workspaces' Dockerfiles with more than one stage.
#[test]
fn edits_of_the_multi_stage_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces");
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).expect("the fixture workspaces").flatten() {
        let Ok(text) = std::fs::read_to_string(entry.path().join("Dockerfile")) else { continue };
        if text.lines().filter(|it| it.trim_start().to_ascii_uppercase().starts_with("FROM ")).count() < 2 {
            continue;
        }
        let project = discover(&berth::project::OsFileSystem, &entry.path().join("Dockerfile"), Some(&entry.path()));
        check_every_edit(&text, &project);
        checked += 1;
    }
    assert!(checked >= 5, "only {checked} multi-stage fixtures found");
}
