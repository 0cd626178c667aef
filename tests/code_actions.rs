//! Code actions end to end: every action offered on the fixture workspaces (the seeds included)
//! is applied to a copy of the project and the result linted again. The finding it targets is
//! gone, no new error appears, and the same action is offered fewer times afterwards. Small
//! fixtures pin the exact text of the rewrites.

mod support;

use std::path::{Path, PathBuf};

use berth::analysis::Analysis;
use berth::diagnostic::{Applicability, Severity};
use berth::ide::code_actions::{Action, ActionKind, actions, apply_edits_to};
use berth::project::{OsFileSystem, ProjectFacts, discover_with_text};
use berth::text::TextRange;
use serde_json::{Value, json};

const PYPROJECT: &str =
    "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.12\"\ndependencies = []\n";

struct Linted {
    text: String,
    project: ProjectFacts,
    analysis: Analysis,
}

fn lint(root: &Path, dockerfile: &Path) -> Linted {
    let text = String::from_utf8_lossy(&std::fs::read(dockerfile).expect("readable")).into_owned();
    let project = discover_with_text(&OsFileSystem, dockerfile, Some(root), &text);
    let analysis = berth::analysis::analyze(&text, &project);
    Linted { text, project, analysis }
}

fn all_actions(linted: &Linted) -> Vec<Action> {
    actions(&linted.analysis, &linted.text, &linted.project, TextRange::new(0, linted.text.len()))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create");
    for entry in std::fs::read_dir(from).expect("list") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// Writes the action's edits into the workspace at `root` (files it names may not exist yet).
fn apply(root: &Path, dockerfile: &Path, linted: &Linted, action: &Action) {
    let fixed = apply_edits_to(&linted.text, &action.edits, None);
    std::fs::write(dockerfile, fixed).expect("write");
    let mut others: Vec<&PathBuf> = action.edits.iter().filter_map(|it| it.path.as_ref()).collect();
    others.dedup();
    for other in others {
        assert!(other.starts_with(root) || other.is_relative(), "{} edits outside the workspace", action.title);
        let before = std::fs::read_to_string(other).unwrap_or_default();
        std::fs::write(other, apply_edits_to(&before, &action.edits, Some(other))).expect("write other");
    }
}

fn count(linted: &Linted, code: &str) -> usize {
    linted.analysis.diagnostics.iter().filter(|it| it.code == code).count()
}

fn errors(linted: &Linted) -> Vec<&'static str> {
    let mut codes: Vec<_> =
        linted.analysis.diagnostics.iter().filter(|it| it.severity == Severity::Error).map(|it| it.code).collect();
    codes.sort();
    codes
}

/// Applies every action offered in `case` (each to a fresh copy) and checks the result.
fn check_every_action(case: &Path) -> usize {
    let mut dockerfiles = Vec::new();
    dockerfiles_under(case, Path::new(""), &mut dockerfiles);
    dockerfiles.sort();
    let mut checked = 0;
    for name in dockerfiles {
        let scratch = tempfile::tempdir().expect("tempdir");
        copy_dir(case, scratch.path());
        let root = std::fs::canonicalize(scratch.path()).expect("canonical");
        let original = lint(&root, &root.join(&name));
        let offered = all_actions(&original);
        for (idx, action) in offered.iter().enumerate() {
            let copy = tempfile::tempdir().expect("tempdir");
            copy_dir(&root, copy.path());
            // Edits name files of the original copy; point them at this one.
            let copy_root = std::fs::canonicalize(copy.path()).expect("canonical");
            let mut action = action.clone();
            for edit in &mut action.edits {
                if let Some(path) = &mut edit.path
                    && let Ok(rest) = path.strip_prefix(&root)
                {
                    *path = copy_root.join(rest);
                }
            }
            let dockerfile = copy_root.join(&name);
            apply(&copy_root, &dockerfile, &original, &action);
            let after = lint(&copy_root, &dockerfile);
            let label =
                format!("{} / {} / #{idx} {:?} `{}`", case.display(), name.display(), action.kind, action.title);
            for code in errors(&after) {
                let before = errors(&original).iter().filter(|it| **it == code).count();
                let now = errors(&after).iter().filter(|it| **it == code).count();
                assert!(now <= before, "{label}: new error {code}\n{}", after.text);
            }
            if let Some(diagnostic) = action.diagnostic.and_then(|it| original.analysis.diagnostics.get(it)) {
                let code = diagnostic.code;
                assert!(count(&after, code) < count(&original, code), "{label}: {code} still reported\n{}", after.text);
            }
            if action.kind != ActionKind::FixAll {
                let same = |actions: &[Action]| actions.iter().filter(|it| it.title == action.title).count();
                let again = all_actions(&after);
                assert!(same(&again) < same(&offered), "{label}: offered again after applying\n{}", after.text);
            }
            if action.applicability == Applicability::Unsafe {
                assert!(!action.preferred, "{label}: unsafe actions are never preferred");
            }
            checked += 1;
        }
    }
    checked
}

/// The Dockerfiles under `dir`, as paths relative to the case folder.
fn dockerfiles_under(case: &Path, dir: &Path, acc: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(case.join(dir)).expect("list").filter_map(Result::ok) {
        let relative = dir.join(entry.file_name());
        if entry.path().is_dir() {
            dockerfiles_under(case, &relative, acc);
        } else if berth::cli::is_dockerfile_name(&entry.file_name().to_string_lossy()) {
            acc.push(relative);
        }
    }
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces")
}

#[test]
fn every_action_on_the_seed_workspaces_resolves_its_finding_and_is_not_offered_again() {
    let mut checked = 0;
    for seed in ["seed-000-before", "seed-000-first-commit", "seed-000-final", "seed-001-patterns", "seed-002-strategy"]
    {
        checked += check_every_action(&fixtures().join(seed));
    }
    assert!(checked > 20, "only {checked} actions were offered");
}

#[test]
fn every_action_on_the_rule_fixtures_resolves_its_finding_and_is_not_offered_again() {
    let mut checked = 0;
    for case in [
        "PY001-patch-pin-positive",
        "PY005-venv-interpreter-missing-positive",
        "PY006-venv-base-mismatch-positive",
        "PY009-floating-python-tag-ended-lower-bound",
        "PY008-console-script-not-on-path-positive",
        "UV003-conflicting-uv-flags-positive",
        "UV006-unknown-uv-flag-positive",
        "UV007-unknown-uv-command-positive",
        "UV010-source-before-dependencies-positive",
        "UV015-uv-cache-in-layer-positive",
        "UV017-venv-in-build-context-positive",
        "UV005-missing-lockfile-context-above",
        "compose-build-context",
        "copy-names-project",
        "copy-names-project-bare",
        "UV030-uv-run-syncs-at-start-positive",
        "UV060-invalid-uv-boolean-positive",
        "DF200-hadolint-positive",
    ] {
        checked += check_every_action(&fixtures().join(case));
    }
    assert!(checked > 20, "only {checked} actions were offered");
}

// ---------------------------------------------------------------------------------------------
// Exact rewrites on small workspaces

fn workspace(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    let root = std::fs::canonicalize(dir.path()).expect("canonical");
    (dir, root)
}

fn find<'a>(actions: &'a [Action], title_start: &str) -> &'a Action {
    actions
        .iter()
        .find(|it| it.title.starts_with(title_start))
        .unwrap_or_else(|| panic!("no `{title_start}` in {:?}", actions.iter().map(|it| &it.title).collect::<Vec<_>>()))
}

fn offered(actions: &[Action], title_start: &str) -> bool {
    actions.iter().any(|it| it.title.starts_with(title_start))
}

#[test]
fn split_layer_keeps_crlf_backtick_escape_and_indentation() {
    let dockerfile = "# escape=`\r\nFROM python:3.12-slim-bookworm\r\nWORKDIR /app\r\n  COPY --chown=1000 . .\r\n  RUN uv sync --locked `\r\n      --no-dev\r\n";
    let (_dir, root) =
        workspace(&[("Dockerfile", dockerfile), ("pyproject.toml", PYPROJECT), ("uv.lock", "version = 1\n")]);
    let linted = lint(&root, &root.join("Dockerfile"));
    let actions = all_actions(&linted);
    let split = find(&actions, "Install the dependencies in their own layer");
    assert_eq!(split.kind, ActionKind::QuickFix);
    assert_eq!(split.applicability, Applicability::Safe);
    assert_eq!(split.edits.len(), 1, "one insertion, not a rewrite of the file");
    let fixed = apply_edits_to(&linted.text, &split.edits, None);
    assert_eq!(
        fixed,
        "# escape=`\r\nFROM python:3.12-slim-bookworm\r\nWORKDIR /app\r\n  RUN --mount=type=cache,target=/root/.cache/uv `\r\n      \
         --mount=type=bind,source=uv.lock,target=uv.lock `\r\n      \
         --mount=type=bind,source=pyproject.toml,target=pyproject.toml `\r\n      \
         uv sync --locked --no-dev --no-install-project --link-mode=copy\r\n  COPY --chown=1000 . .\r\n  RUN uv sync \
         --locked `\r\n      --no-dev\r\n"
    );
    std::fs::write(root.join("Dockerfile"), &fixed).expect("write");
    let again = lint(&root, &root.join("Dockerfile"));
    assert_eq!(count(&again, "UV010"), 0);
    // The new cache mount copies out of the cache: the fix brings no UV012 of its own.
    assert_eq!(count(&again, "UV012"), 0);
    assert!(!offered(&all_actions(&again), "Install the dependencies in their own layer"));
}

#[test]
fn split_layer_for_a_workspace_uses_frozen_and_no_install_workspace() {
    let pyproject = format!("{PYPROJECT}\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\n");
    let dockerfile = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN uv sync --locked --no-dev\n";
    let (_dir, root) =
        workspace(&[("Dockerfile", dockerfile), ("pyproject.toml", &pyproject), ("uv.lock", "version = 1\n")]);
    let linted = lint(&root, &root.join("Dockerfile"));
    let split = find(&all_actions(&linted), "Install the dependencies in their own layer").clone();
    let fixed = apply_edits_to(&linted.text, &split.edits, None);
    assert!(
        fixed.contains("    uv sync --no-dev --frozen --no-install-workspace --link-mode=copy\nCOPY . .\n"),
        "{fixed}"
    );
}

#[test]
fn a_floating_python_tag_is_named_with_a_supported_python_the_project_allows() {
    // 3.9 and 3.10 are past their end of life; the tag written must not be reported in turn.
    let pyproject = PYPROJECT.replace(">=3.12", ">=3.9");
    let (_dir, root) = workspace(&[("Dockerfile", "FROM python:slim\n"), ("pyproject.toml", &pyproject)]);
    let linted = lint(&root, &root.join("Dockerfile"));
    let retag = find(&all_actions(&linted), "Use `python:3.11-slim`").clone();
    let fixed = apply_edits_to(&linted.text, &retag.edits, None);
    assert_eq!(fixed, "FROM python:3.11-slim\n");
    std::fs::write(root.join("Dockerfile"), &fixed).expect("write");
    let again = lint(&root, &root.join("Dockerfile"));
    assert_eq!((count(&again, "PY009"), count(&again, "PY012")), (0, 0));
    // A `.python-version` pin is the project's own choice and is named as it is.
    std::fs::write(root.join("Dockerfile"), "FROM python:slim\n").expect("write");
    std::fs::write(root.join(".python-version"), "3.10\n").expect("write");
    let pinned = lint(&root, &root.join("Dockerfile"));
    assert!(offered(&all_actions(&pinned), "Use `python:3.10-slim`"));
}

#[test]
fn python_version_actions_retag_the_image_or_repin_the_project() {
    let dockerfile = "FROM python:3.11-slim-bookworm\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"main.py\"]\n";
    let pyproject = PYPROJECT.replace(">=3.12", ">=3.11");
    let (_dir, root) =
        workspace(&[("Dockerfile", dockerfile), ("pyproject.toml", &pyproject), (".python-version", "3.12\n")]);
    let linted = lint(&root, &root.join("Dockerfile"));
    assert_eq!(count(&linted, "PY001"), 1);
    let actions = all_actions(&linted);
    let retag = find(&actions, "Use Python 3.12 in the image");
    assert_eq!(retag.applicability, Applicability::Unsafe);
    assert!(!retag.preferred);
    assert_eq!(
        apply_edits_to(&linted.text, &retag.edits, None),
        "FROM python:3.12-slim-bookworm\nWORKDIR /app\nCOPY . .\nCMD [\"python\", \"main.py\"]\n"
    );
    let repin = find(&actions, "Pin Python 3.11 in .python-version");
    let pin_path = root.join(".python-version");
    assert!(repin.edits.iter().all(|it| it.path.as_deref() == Some(pin_path.as_path())));
    assert_eq!(apply_edits_to("3.12\n", &repin.edits, Some(&pin_path)), "3.11\n");
}

#[test]
fn uv_run_in_the_command_becomes_the_venv_program_with_path() {
    let dockerfile = "FROM python:3.12-slim\nWORKDIR /app\nRUN uv sync --locked\nCMD [\"uv\", \"run\", \"--no-sync\", \"uvicorn\", \"main:app\"]\n";
    let (_dir, root) = workspace(&[("Dockerfile", dockerfile), ("pyproject.toml", PYPROJECT), ("uv.lock", "")]);
    let linted = lint(&root, &root.join("Dockerfile"));
    let actions = all_actions(&linted);
    let action = find(&actions, "Run `uvicorn` from the venv");
    assert_eq!(action.applicability, Applicability::Unsafe);
    assert_eq!(
        apply_edits_to(&linted.text, &action.edits, None),
        "FROM python:3.12-slim\nWORKDIR /app\nRUN uv sync --locked\nENV PATH=\"/app/.venv/bin:$PATH\"\nCMD [\"uvicorn\", \"main:app\"]\n"
    );
}

#[test]
fn shell_form_command_becomes_exec_form_with_json_escapes() {
    let dockerfile = "FROM python:3.12-slim\nCMD python -c 'print(\"a\\\\b\")'\n";
    let (_dir, root) = workspace(&[("Dockerfile", dockerfile)]);
    let linted = lint(&root, &root.join("Dockerfile"));
    let actions = all_actions(&linted);
    let action = find(&actions, "Convert to JSON form");
    let fixed = apply_edits_to(&linted.text, &action.edits, None);
    assert_eq!(fixed, "FROM python:3.12-slim\nCMD [\"python\", \"-c\", \"print(\\\"a\\\\\\\\b\\\")\"]\n");
    let again = lint(&root, &{
        std::fs::write(root.join("Dockerfile"), &fixed).expect("write");
        root.join("Dockerfile")
    });
    assert_eq!(count(&again, "DF106"), 0);
}

#[test]
fn non_root_user_on_debian_and_alpine() {
    let dockerfile = "FROM python:3.12-slim AS builder\nWORKDIR /app\nRUN uv sync --locked\n\nFROM python:3.10-slim\nWORKDIR /app\nCOPY --from=builder /app /app\nCMD [\"python\", \"main.py\"]\n";
    let (_dir, root) = workspace(&[("Dockerfile", dockerfile)]);
    let linted = lint(&root, &root.join("Dockerfile"));
    let action = find(&all_actions(&linted), "Run as an unprivileged user").clone();
    assert_eq!(
        apply_edits_to(&linted.text, &action.edits, None),
        "FROM python:3.12-slim AS builder\nWORKDIR /app\nRUN uv sync --locked\n\nFROM python:3.10-slim\nRUN groupadd --system app && useradd --system --gid app --no-create-home app\nWORKDIR /app\nCOPY --from=builder --chown=app:app /app /app\nUSER app\nCMD [\"python\", \"main.py\"]\n"
    );
    // A RUN right after FROM: the user is created at the first place no RUN sits beside, so the
    // fix does not leave two consecutive RUN lines (DF214) behind; with no such place before the
    // COPY that needs the user, right after FROM all the same.
    let runs = "FROM python:3.12-slim\nRUN apt-get update\nRUN apt-get install -y curl\nWORKDIR /app\nENV A=1\nRUN echo\nCOPY --from=builder /app /app\nCMD [\"python\"]\n";
    let cramped = "FROM python:3.12-slim\nRUN apt-get update\nCOPY --from=builder /app /app\nCMD [\"python\"]\n";
    for (text, new_df214, expected) in [
        (
            runs,
            0,
            "FROM python:3.12-slim\nRUN apt-get update\nRUN apt-get install -y curl\nWORKDIR /app\nRUN groupadd --system app && useradd --system --gid app --no-create-home app\nENV A=1\nRUN echo\nCOPY --from=builder --chown=app:app /app /app\nUSER app\nCMD [\"python\"]\n",
        ),
        (
            cramped,
            1,
            "FROM python:3.12-slim\nRUN groupadd --system app && useradd --system --gid app --no-create-home app\nRUN apt-get update\nCOPY --from=builder --chown=app:app /app /app\nUSER app\nCMD [\"python\"]\n",
        ),
    ] {
        let text = format!("FROM python:3.12-slim AS builder\nRUN uv sync --locked\n\n{text}");
        std::fs::write(root.join("Dockerfile"), &text).expect("write");
        let linted = lint(&root, &root.join("Dockerfile"));
        let action = find(&all_actions(&linted), "Run as an unprivileged user").clone();
        let fixed = apply_edits_to(&linted.text, &action.edits, None);
        assert_eq!(fixed.split_once("\n\n").expect("two stages").1, expected);
        std::fs::write(root.join("Dockerfile"), &fixed).expect("write");
        let again = lint(&root, &root.join("Dockerfile"));
        assert_eq!(count(&again, "SEC004"), 0);
        assert_eq!(count(&again, "DF214"), count(&linted, "DF214") + new_df214, "{fixed}");
    }
    let alpine = "FROM python:3.12-alpine\nCMD [\"python\"]\n";
    std::fs::write(root.join("Dockerfile"), alpine).expect("write");
    let linted = lint(&root, &root.join("Dockerfile"));
    let action = find(&all_actions(&linted), "Run as an unprivileged user").clone();
    assert_eq!(
        apply_edits_to(&linted.text, &action.edits, None),
        "FROM python:3.12-alpine\nRUN addgroup -S app && adduser -S -G app app\nUSER app\nCMD [\"python\"]\n"
    );
}

#[test]
fn missing_dockerignore_is_created() {
    let dockerfile = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN uv sync --locked\n";
    let (_dir, root) = workspace(&[("Dockerfile", dockerfile), ("pyproject.toml", PYPROJECT), ("uv.lock", "")]);
    let linted = lint(&root, &root.join("Dockerfile"));
    let action = find(&all_actions(&linted), "Create .dockerignore").clone();
    assert_eq!(action.applicability, Applicability::Safe);
    let [edit] = action.edits.as_slice() else { panic!("one edit") };
    assert_eq!(edit.path.as_deref(), Some(root.join(".dockerignore").as_path()));
    assert_eq!(edit.new_text, ".venv\n");
}

#[test]
fn migration_of_the_first_seed_builds_two_stages() {
    let case = fixtures().join("seed-000-before");
    let scratch = tempfile::tempdir().expect("tempdir");
    copy_dir(&case, scratch.path());
    let root = std::fs::canonicalize(scratch.path()).expect("canonical");
    let linted = lint(&root, &root.join("Dockerfile"));
    let first_from = linted.analysis.parse.file.instructions[0].range;
    let here = actions(&linted.analysis, &linted.text, &linted.project, first_from);
    let migrate = find(&here, "Migrate to a production uv build");
    assert_eq!(migrate.kind, ActionKind::Refactor);
    let fixed = apply_edits_to(&linted.text, &migrate.edits, None);
    assert_eq!(
        fixed,
        "FROM python:3.10-slim AS builder\nCOPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /uvx /bin/\n\
         ENV UV_COMPILE_BYTECODE=1 \\\n    UV_LINK_MODE=copy \\\n    UV_PYTHON_DOWNLOADS=never\nWORKDIR /app\n\
         RUN --mount=type=cache,target=/root/.cache/uv \\\n    --mount=type=bind,source=uv.lock,target=uv.lock \\\n    \
         --mount=type=bind,source=pyproject.toml,target=pyproject.toml \\\n    \
         --mount=type=bind,source=.python-version,target=.python-version \\\n    uv sync --locked --no-install-project\n\
         COPY . .\nRUN --mount=type=cache,target=/root/.cache/uv \\\n    uv sync --locked\n\nFROM python:3.10-slim\n\
         RUN groupadd --system app && useradd --system --gid app --no-create-home app\nWORKDIR /app\n\
         COPY --from=builder --chown=app:app /app /app\nENV PATH=\"/app/.venv/bin:$PATH\"\nUSER app\n\
         CMD [\"uvicorn\", \"main:app\", \"--host\", \"0.0.0.0\", \"--port\", \"8000\", \"--reload\"]\n"
    );
    std::fs::write(root.join("Dockerfile"), &fixed).expect("write");
    let after = lint(&root, &root.join("Dockerfile"));
    assert!(errors(&after).is_empty(), "{:?}", after.analysis.diagnostics);
    for code in ["UV010", "SEC004", "UV030"] {
        assert_eq!(count(&after, code), 0, "{code} remains");
    }
    assert!(!offered(&all_actions(&after), "Migrate to a production uv build"));
}

#[test]
fn migration_is_not_offered_when_a_step_cannot_be_placed() {
    let dockerfile = "FROM python:3.12-slim\nWORKDIR /app\nRUN apt-get update\nCOPY . .\nRUN uv sync --locked\nCMD [\"python\", \"main.py\"]\n";
    let (_dir, root) = workspace(&[("Dockerfile", dockerfile), ("pyproject.toml", PYPROJECT), ("uv.lock", "")]);
    let linted = lint(&root, &root.join("Dockerfile"));
    assert!(!offered(&all_actions(&linted), "Migrate to a production uv build"));
}

#[test]
fn migration_keeps_comments_with_the_instructions_they_describe() {
    let dockerfile = "FROM python:3.12-slim\n# uv for installing\nRUN pip install uv\n# the app lives here\nWORKDIR /app\n\
                      # metadata first\nCOPY pyproject.toml uv.lock ./\n# then the source\nCOPY . .\n\n# everything\n\
                      RUN uv sync --locked\n# the API port\nEXPOSE 8000\n# start it\nCMD [\"python\", \"main.py\"]\n";
    let (_dir, root) = workspace(&[("Dockerfile", dockerfile), ("pyproject.toml", PYPROJECT), ("uv.lock", "")]);
    let linted = lint(&root, &root.join("Dockerfile"));
    let migrate = find(&all_actions(&linted), "Migrate to a production uv build").clone();
    let fixed = apply_edits_to(&linted.text, &migrate.edits, None);
    for attached in [
        "# uv for installing\nCOPY --from=ghcr.io/astral-sh/uv:",
        "# the app lives here\nWORKDIR /app\n# metadata first\nRUN --mount=type=cache",
        "# then the source\nCOPY . .\n# everything\nRUN --mount=type=cache,target=/root/.cache/uv \\\n    uv sync --locked\n",
        "# the API port\nEXPOSE 8000\nUSER app\n# start it\nCMD [\"python\", \"main.py\"]\n",
    ] {
        assert!(fixed.contains(attached), "`{attached}` not in\n{fixed}");
    }
    assert_eq!(fixed.matches('#').count(), dockerfile.matches('#').count(), "{fixed}");
    std::fs::write(root.join("Dockerfile"), &fixed).expect("write");
    let after = lint(&root, &root.join("Dockerfile"));
    assert!(errors(&after).is_empty(), "{:?}", after.analysis.diagnostics);
    assert!(!offered(&all_actions(&after), "Migrate to a production uv build"));
}

#[test]
fn console_script_fix_finds_the_venv_from_the_analysis_not_the_message() {
    // The venv is copied to /venv; a guess from the runtime stage's WORKDIR would say /srv/.venv.
    let dockerfile = "FROM python:3.12-slim AS builder\nCOPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/\n\
                      WORKDIR /app\nCOPY . .\nRUN uv sync --locked\n\nFROM python:3.12-slim\nWORKDIR /srv\n\
                      COPY --from=builder /app/.venv /venv\nCMD [\"uvicorn\", \"main:app\"]\n";
    let (_dir, root) = workspace(&[("Dockerfile", dockerfile), ("pyproject.toml", PYPROJECT), ("uv.lock", "")]);
    let linted = lint(&root, &root.join("Dockerfile"));
    let mut finding = linted.analysis.diagnostics.iter().find(|it| it.code == "PY008").expect("PY008").clone();
    // The wording of a message is free to change; the fix must not depend on it.
    finding.message = "reworded".into();
    let rewriter = berth::ide::rewrite::Rewriter::new(&linted.text, &linted.analysis, &linted.project);
    let fixes = berth::ide::rewrite::extra_fixes(&rewriter, &finding);
    let titles: Vec<_> = fixes.iter().map(|it| it.title.as_str()).collect();
    let fix = fixes.iter().find(|it| it.title == "Put /venv/bin on PATH").unwrap_or_else(|| panic!("{titles:?}"));
    let fixed = apply_edits_to(&linted.text, &fix.edits, None);
    assert!(fixed.ends_with("/venv\nENV PATH=\"/venv/bin:$PATH\"\nCMD [\"uvicorn\", \"main:app\"]\n"), "{fixed}");
    std::fs::write(root.join("Dockerfile"), &fixed).expect("write");
    let after = lint(&root, &root.join("Dockerfile"));
    assert_eq!(count(&after, "PY008"), 0);
    assert!(errors(&after).len() <= errors(&linted).len(), "{:?}", after.analysis.diagnostics);
    assert!(!offered(&all_actions(&after), "Put /venv/bin on PATH"));
}

// ---------------------------------------------------------------------------------------------
// Over LSP (stdio, the built binary)

/// A server on a workspace holding `dockerfile`, with these client capabilities and settings.
fn lsp_session(
    dockerfile: &str,
    extra_files: &[(&str, &str)],
    capabilities: Value,
    settings: Value,
) -> (support::Workspace, support::TestServer, String) {
    let ws = support::Workspace::new();
    ws.write("Dockerfile", dockerfile);
    for (name, text) in extra_files {
        ws.write(name, text);
    }
    let mut server = support::TestServer::spawn();
    let root = support::file_uri(&ws.root());
    server.initialize_with(json!({
        "processId": null,
        "rootUri": root,
        "workspaceFolders": [{ "uri": root, "name": "root" }],
        "capabilities": capabilities,
        "initializationOptions": settings,
    }));
    let uri = ws.uri("Dockerfile");
    server.open(&uri, dockerfile);
    server.await_diagnostics(&uri, 1);
    (ws, server, uri)
}

fn lsp_actions(server: &mut support::TestServer, uri: &str, line: u32, only: Option<&[&str]>) -> Vec<Value> {
    let mut context = json!({ "diagnostics": [] });
    if let Some(only) = only {
        context["only"] = json!(only);
    }
    // The whole line (columns past its end are clamped).
    let range = support::range((line, 0), (line, 200));
    let found = server.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range, "context": context }),
    );
    found.as_array().expect("a list of actions").clone()
}

fn lsp_find<'a>(actions: &'a [Value], title_start: &str) -> &'a Value {
    actions.iter().find(|it| it["title"].as_str().is_some_and(|title| title.starts_with(title_start))).unwrap_or_else(
        || panic!("no `{title_start}` in {:?}", actions.iter().map(|it| &it["title"]).collect::<Vec<_>>()),
    )
}

/// Applies the edits a workspace edit makes to `uri` (from `changes` or `documentChanges`).
fn lsp_apply(text: &str, uri: &str, edit: &Value) -> String {
    let mut edits: Vec<Value> = edit["changes"][uri].as_array().cloned().unwrap_or_default();
    for change in edit["documentChanges"].as_array().into_iter().flatten() {
        if change["textDocument"]["uri"] == uri {
            edits.extend(change["edits"].as_array().cloned().unwrap_or_default());
        }
    }
    let index = berth::text::LineIndex::new(text);
    let offset = |position: &Value| {
        let at = berth::text::LineCol {
            line: position["line"].as_u64().expect("line") as u32,
            col: position["character"].as_u64().expect("character") as u32,
        };
        index.offset(text, at, berth::text::PositionEncoding::Utf16)
    };
    let converted: Vec<berth::diagnostic::Edit> = edits
        .iter()
        .map(|it| berth::diagnostic::Edit {
            path: None,
            range: TextRange::new(offset(&it["range"]["start"]), offset(&it["range"]["end"])),
            new_text: it["newText"].as_str().expect("new text").to_owned(),
        })
        .collect();
    apply_edits_to(text, &converted, None)
}

fn published_codes(published: &Value) -> Vec<String> {
    published["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|it| it["code"].as_str().map(str::to_owned))
        .collect()
}

fn published_errors(published: &Value) -> usize {
    published["diagnostics"].as_array().expect("diagnostics").iter().filter(|it| it["severity"] == 1).count()
}

#[test]
fn lsp_fixes_say_whether_they_are_safe() {
    let dockerfile = "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /uvx /bin/\nWORKDIR /app\nCOPY . .\nRUN uv sync --no-dev\nCMD [\"python\", \"main.py\"]\n";
    let files = [("pyproject.toml", PYPROJECT), ("uv.lock", ""), (".dockerignore", ".venv\n")];
    let (_ws, mut server, uri) = lsp_session(dockerfile, &files, json!({}), json!({}));
    let on_sync = lsp_actions(&mut server, &uri, 4, None);
    // `--locked` fails a build whose lock is stale: the build changes, so the fix is unsafe.
    let locked = lsp_find(&on_sync, "Add `--locked`");
    assert_eq!(locked["data"]["applicability"], "unsafe");
    assert!(locked.get("isPreferred").is_none(), "unsafe fixes are never preferred: {locked}");
    let suppress = lsp_find(&on_sync, "Ignore UV001 for this instruction");
    assert_eq!(suppress["data"]["applicability"], "safe");
    let on_from = lsp_actions(&mut server, &uri, 0, None);
    let migrate = lsp_find(&on_from, "Migrate to a production uv build");
    assert_eq!(migrate["data"]["applicability"], "unsafe");
    assert!(migrate.get("isPreferred").is_none(), "unsafe fixes are never preferred: {migrate}");
    for action in on_sync.iter().chain(&on_from) {
        let applicability = action["data"]["applicability"].as_str();
        assert!(matches!(applicability, Some("safe" | "unsafe")), "{action}");
    }

    // The fix, applied: its finding is gone, no error appears, and it is not offered again.
    let fixed = lsp_apply(dockerfile, &uri, &locked["edit"]);
    assert!(fixed.contains("RUN uv sync --locked --no-dev\n"), "{fixed}");
    let version = server.replace_all(&uri, &fixed);
    let published = server.await_diagnostics(&uri, version);
    assert!(!published_codes(&published).contains(&"UV001".to_owned()), "{published}");
    assert_eq!(published_errors(&published), 0, "{published}");
    assert!(lsp_actions(&mut server, &uri, 4, None).iter().all(|it| it["title"] != "Add `--locked`"));
    assert!(server.shutdown_and_exit().success());
}

const NO_IGNORE_FILE: &str = "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /uvx /bin/\nWORKDIR /app\nCOPY . .\nRUN uv sync --locked\n";

#[test]
fn lsp_dockerignore_is_created_with_a_create_file_operation() {
    let capabilities =
        json!({ "workspace": { "workspaceEdit": { "documentChanges": true, "resourceOperations": ["create"] } } });
    let files = [("pyproject.toml", PYPROJECT), ("uv.lock", "")];
    let (ws, mut server, uri) = lsp_session(NO_IGNORE_FILE, &files, capabilities, json!({}));
    let actions = lsp_actions(&mut server, &uri, 3, None);
    let create = lsp_find(&actions, "Create .dockerignore");
    assert_eq!(create["data"]["applicability"], "safe");
    let operations = create["edit"]["documentChanges"].as_array().expect("document changes");
    let ignore_uri = ws.uri(".dockerignore");
    assert_eq!(operations[0]["kind"], "create", "{create}");
    assert_eq!(operations[0]["uri"], ignore_uri.as_str());
    assert_eq!(operations[0]["options"]["overwrite"], false);
    let text_edit =
        operations.iter().find(|it| it["textDocument"]["uri"] == ignore_uri.as_str()).expect("the file's text");
    assert_eq!(text_edit["edits"][0]["newText"], ".venv\n");

    // Applied as a client would: the finding is gone and the action is not offered again.
    std::fs::write(ws.path(".dockerignore"), ".venv\n").expect("write .dockerignore");
    server.file_changed_on_disk(&ignore_uri, 1);
    let version = server.edit(&uri, (0, 0), (0, 0), "");
    let published = server.await_diagnostics(&uri, version);
    assert!(!published_codes(&published).contains(&"UV017".to_owned()), "{published}");
    assert_eq!(published_errors(&published), 0, "{published}");
    assert!(lsp_actions(&mut server, &uri, 3, None).iter().all(|it| it["title"] != "Create .dockerignore"));
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn lsp_dockerignore_is_not_offered_to_clients_that_cannot_create_files() {
    let files = [("pyproject.toml", PYPROJECT), ("uv.lock", "")];
    let (_ws, mut server, uri) = lsp_session(NO_IGNORE_FILE, &files, json!({}), json!({}));
    let actions = lsp_actions(&mut server, &uri, 3, None);
    assert!(actions.iter().all(|it| it["title"] != "Create .dockerignore"), "{actions:?}");
    // The finding itself can still be silenced.
    lsp_find(&actions, "Ignore UV017 for this instruction");
    // Fix-all leaves the file it cannot create out and keeps the rest.
    let fix_all = lsp_actions(&mut server, &uri, 0, Some(&["source.fixAll"]));
    for action in &fix_all {
        assert!(action["edit"]["documentChanges"].is_null(), "{action}");
        let changes = action["edit"]["changes"].as_object().expect("changes");
        assert!(changes.keys().all(|it| it == &uri), "{action}");
    }
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn lsp_refactor_kinds_follow_context_only() {
    // With these rules off their fixes are refactorings (the dependency split is
    // `refactor.extract`), not quick fixes.
    let dockerfile = "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /uvx /bin/\nWORKDIR /app\nCOPY . .\nRUN uv sync --locked\nCMD uv run python main.py\n";
    let files = [("pyproject.toml", PYPROJECT), ("uv.lock", ""), (".dockerignore", ".venv\n")];
    let settings = json!({ "berth": { "ignore": ["UV010", "UV015", "UV030", "DF106"] } });
    let (_ws, mut server, uri) = lsp_session(dockerfile, &files, json!({}), settings);
    let kinds = |actions: &[Value]| {
        let mut kinds: Vec<String> =
            actions.iter().map(|it| it["kind"].as_str().unwrap_or_default().to_owned()).collect();
        kinds.sort();
        kinds.dedup();
        kinds
    };
    let extract = lsp_actions(&mut server, &uri, 3, Some(&["refactor.extract"]));
    assert_eq!(kinds(&extract), ["refactor.extract"], "{extract:?}");
    let split = lsp_find(&extract, "Install the dependencies in their own layer");
    let rewrite = lsp_actions(&mut server, &uri, 5, Some(&["refactor.rewrite"]));
    assert_eq!(kinds(&rewrite), ["refactor.rewrite"], "{rewrite:?}");
    let mut refactors = lsp_actions(&mut server, &uri, 3, Some(&["refactor"]));
    refactors.extend(lsp_actions(&mut server, &uri, 5, Some(&["refactor"])));
    assert_eq!(kinds(&refactors), ["refactor.extract", "refactor.rewrite"], "{refactors:?}");
    let fix_all = lsp_actions(&mut server, &uri, 0, Some(&["source.fixAll.berth"]));
    assert_eq!(kinds(&fix_all), ["source.fixAll.berth"], "{fix_all:?}");
    assert!(lsp_actions(&mut server, &uri, 3, Some(&["quickfix"])).iter().all(|it| it["kind"] == "quickfix"));
    // Without `only`, no source action crowds the menu.
    assert!(lsp_actions(&mut server, &uri, 0, None).iter().all(|it| it["kind"] != "source.fixAll.berth"));

    // The extracted layer, applied: no new error, and it is not offered again.
    let fixed = lsp_apply(dockerfile, &uri, &split["edit"]);
    assert!(fixed.contains("--no-install-project"), "{fixed}");
    let version = server.replace_all(&uri, &fixed);
    let published = server.await_diagnostics(&uri, version);
    assert_eq!(published_errors(&published), 0, "{published}");
    let again = lsp_actions(&mut server, &uri, 3, Some(&["refactor.extract"]));
    assert!(again.iter().all(|it| it["title"] != split["title"]), "{again:?}");
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn from_a_compose_context_above_the_project_fixes_name_the_project_folder() {
    let scratch = tempfile::tempdir().expect("tempdir");
    copy_dir(&fixtures().join("compose-build-context"), scratch.path());
    let root = std::fs::canonicalize(scratch.path()).expect("canonical");
    let dockerfile = root.join("services/jobs/Dockerfile");
    let linted = lint(&root, &dockerfile);
    assert_eq!(linted.project.project_in_context.as_deref(), Some("services/jobs"));
    let actions = all_actions(&linted);
    let split = find(&actions, "Install the dependencies in their own layer");
    let inserted: String = split.edits.iter().map(|it| it.new_text.as_str()).collect();
    assert!(inserted.contains("source=services/jobs/uv.lock,target=uv.lock"), "{inserted}");
    assert!(inserted.contains("source=services/jobs/pyproject.toml,target=pyproject.toml"), "{inserted}");
    assert!(inserted.contains("source=services/jobs/.python-version,target=.python-version"), "{inserted}");
    let ignore = find(&actions, "Add `.venv` to .dockerignore");
    assert_eq!(ignore.edits[0].path.as_deref(), Some(root.join(".dockerignore").as_path()));
    assert_eq!(ignore.edits[0].new_text, "services/jobs/.venv\n");
    assert!(!offered(&actions, "Migrate to a production uv build"));
}
