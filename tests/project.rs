//! Project discovery over fixture workspaces and temporary folders: roots, file parsing,
//! problems with positions, editor overlays and symlink safety.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use expect_test::{Expect, expect};

use berth::project::{
    FileSystem, OsFileSystem, ProjectFacts, PythonRequest, SourceFile, discover, discover_with_copies,
    discover_with_text,
};
use berth::text::{LineIndex, PositionEncoding, Spanned, TextRange};

fn fixture(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/project").join(case)
}

/// 1-based `line:col` (columns in bytes) of `range.start` in `file`.
fn pos(file: &SourceFile, range: TextRange) -> String {
    let index = LineIndex::new(&file.text);
    let at = index.line_col(&file.text, range.start, PositionEncoding::Utf8);
    format!("{}:{}", at.line + 1, at.col + 1)
}

fn spanned_list(file: &SourceFile, items: &[Spanned<String>]) -> String {
    let items: Vec<String> = items.iter().map(|it| format!("{:?}@{}", it.value, pos(file, it.range))).collect();
    format!("[{}]", items.join(", "))
}

fn rel(base: &Path, path: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(rest) if rest.as_os_str().is_empty() => ".".to_owned(),
        Ok(rest) => rest.display().to_string(),
        Err(_) => path.display().to_string(),
    }
}

/// A stable text rendering of everything discovery found, with paths relative to `base`.
fn render(facts: &ProjectFacts, base: &Path) -> String {
    let mut out = String::new();
    let opt_path = |path: &Option<PathBuf>| path.as_ref().map_or("-".to_owned(), |p| rel(base, p));
    let _ = writeln!(out, "root: {}", opt_path(&facts.root));
    let _ = writeln!(out, "context: {}", opt_path(&facts.context));
    match &facts.pyproject {
        None => out.push_str("pyproject: -\n"),
        Some(py) => {
            let f = &py.file;
            let _ = writeln!(out, "pyproject: {}", rel(base, &f.path));
            if let Some(name) = &py.name {
                let _ = writeln!(out, "  name: {:?}@{}", name.value, pos(f, name.range));
            }
            if let Some(rp) = &py.requires_python {
                let parsed = py.requires_python_specifiers.as_ref().map(|s| s.to_string());
                let _ = writeln!(out, "  requires-python: {:?}@{} parsed={:?}", rp.value, pos(f, rp.range), parsed);
            }
            let _ = writeln!(out, "  dependencies: {}", spanned_list(f, &py.dependencies));
            let _ = writeln!(out, "  groups: {}", spanned_list(f, &py.dependency_groups));
            let _ = writeln!(out, "  build-system: {}", py.has_build_system);
            let _ = writeln!(out, "  workspace root: {}", py.is_workspace_root());
            if let Some(uv) = &py.tool_uv {
                let _ = writeln!(out, "  tool.uv @{}", pos(f, uv.range));
                if let Some(members) = &uv.workspace_members {
                    let _ = writeln!(out, "    members: {}", spanned_list(f, members));
                }
                if !uv.workspace_exclude.is_empty() {
                    let _ = writeln!(out, "    exclude: {}", spanned_list(f, &uv.workspace_exclude));
                }
                if !uv.dev_dependencies.is_empty() {
                    let _ = writeln!(out, "    dev-dependencies: {}", spanned_list(f, &uv.dev_dependencies));
                }
                if let Some(package) = &uv.package {
                    let _ = writeln!(out, "    package: {}@{}", package.value, pos(f, package.range));
                }
                if let Some(groups) = &uv.default_groups {
                    let _ = writeln!(out, "    default-groups: {}", spanned_list(f, groups));
                }
                for (key, value) in
                    [("python-downloads", &uv.python_downloads), ("python-preference", &uv.python_preference)]
                {
                    if let Some(value) = value {
                        let _ = writeln!(out, "    {key}: {:?}@{}", value.value, pos(f, value.range));
                    }
                }
            }
        }
    }
    match &facts.python_version {
        None => out.push_str("python-version: -\n"),
        Some(pin) => {
            let request = pin.request.as_ref().map(|r| format!("{:?}@{}", r.value, pos(&pin.file, r.range)));
            let version = pin.version.map(|v| v.to_string());
            let _ = writeln!(
                out,
                "python-version: {} request={} version={}",
                rel(base, &pin.file.path),
                request.unwrap_or("-".to_owned()),
                version.unwrap_or("-".to_owned())
            );
        }
    }
    let _ = writeln!(out, "uv.lock: {}", opt_path(&facts.uv_lock));
    if let Some(workspace) = &facts.uv_workspace {
        let name = workspace.pyproject.name.as_ref().map(|n| n.value.as_str());
        let lock = opt_path(&workspace.uv_lock);
        let _ = writeln!(out, "uv workspace: {} name={name:?} uv.lock={lock}", rel(base, &workspace.root));
    }
    match &facts.dockerignore {
        None => out.push_str("dockerignore: -\n"),
        Some(ignore) => {
            let patterns: Vec<String> = ignore.patterns.iter().map(|p| p.text.value.clone()).collect();
            let _ = writeln!(out, "dockerignore: {} {:?}", rel(base, &ignore.file.path), patterns);
        }
    }
    for problem in &facts.problems {
        let _ = writeln!(
            out,
            "problem: {}:{}: {}",
            rel(base, &problem.file.path),
            pos(&problem.file, problem.range),
            problem.message.replace(&base.display().to_string(), "<base>")
        );
    }
    out
}

#[track_caller]
fn check_fixture(case: &str, dockerfile: &str, workspace: Option<&str>, expect: Expect) {
    let base = fixture(case);
    let workspace = workspace.map(|ws| base.join(ws));
    let facts = discover(&OsFileSystem, &base.join(dockerfile), workspace.as_deref());
    expect.assert_eq(&render(&facts, &base));
}

#[test]
fn simple_project() {
    check_fixture(
        "simple",
        "Dockerfile",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "simple-app"@2:8
              requires-python: ">=3.12"@4:19 parsed=Some(">=3.12")
              dependencies: ["fastapi>=0.115"@6:5, "uvicorn[standard]"@7:5]
              groups: ["lint"@11:1, "dev"@12:1]
              build-system: true
              workspace root: false
              tool.uv @18:1
                package: true@19:11
                default-groups: ["dev"@20:19]
                python-downloads: "never"@21:20
                python-preference: "only-system"@22:21
            python-version: .python-version request="3.12"@2:1 version=3.12
            uv.lock: uv.lock
            dockerignore: .dockerignore [".venv", "**/__pycache__", "*.md", "!README.md"]
        "#]],
    );
}

#[test]
fn simple_project_helpers() {
    let base = fixture("simple");
    let facts = discover(&OsFileSystem, &base.join("Dockerfile"), Some(&base));
    assert_eq!(facts.pinned_python().map(|v| v.to_string()).as_deref(), Some("3.12"));
    assert!(facts.python_pin().is_some());
    assert!(facts.has_uv_lock());
    assert!(facts.has_pyproject());
    let specifiers = facts.requires_python().expect("valid requires-python");
    assert!(specifiers.contains(&facts.pinned_python().expect("a pin").to_pep440()));
    assert!(facts.is_excluded(".venv/bin/python"));
    assert!(facts.is_excluded("docs/x/__pycache__/a.pyc"));
    assert!(facts.is_excluded("CHANGES.md"));
    assert!(!facts.is_excluded("README.md"));
    assert!(!facts.is_excluded("uv.lock"));
    let pyproject = facts.pyproject.as_ref().expect("pyproject");
    assert!(pyproject.is_packaged());
    assert_eq!(pyproject.group_names().collect::<Vec<_>>(), ["lint", "dev"]);
    let pin = facts.python_pin().expect("pin");
    assert!(matches!(pin.parsed_request(), Some(PythonRequest::CPython(_))));
}

#[test]
fn dockerfile_in_subfolder_finds_pyproject_above() {
    check_fixture(
        "subfolder",
        "docker/Dockerfile",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "subfolder-app"@2:8
              requires-python: ">=3.11,<3.14"@3:19 parsed=Some(">=3.11, <3.14")
              dependencies: []
              groups: []
              build-system: false
              workspace root: false
            python-version: -
            uv.lock: uv.lock
            dockerignore: -
        "#]],
    );
}

#[test]
fn relative_paths_are_resolved() {
    // Integration tests run with the package folder as the current folder.
    let dockerfile = Path::new("tests/fixtures/project/subfolder/./docker/../docker/Dockerfile");
    let workspace = Path::new("tests/fixtures/project/subfolder");
    let facts = discover(&OsFileSystem, dockerfile, Some(workspace));
    assert_eq!(facts.root, Some(fixture("subfolder")));
    assert_eq!(facts.uv_lock, Some(fixture("subfolder/uv.lock")));
}

#[test]
fn pyproject_above_workspace_root_is_not_found() {
    check_fixture(
        "above_workspace",
        "ws/app/Dockerfile",
        Some("ws"),
        expect![[r#"
            root: -
            context: ws/app
            pyproject: -
            python-version: ws/app/.python-version request="3.11"@1:1 version=3.11
            uv.lock: -
            dockerignore: -
        "#]],
    );
}

#[test]
fn dockerfile_outside_workspace_only_looks_in_its_folder() {
    // The workspace is a sibling folder, so the pyproject two levels up must not be used.
    check_fixture(
        "above_workspace",
        "ws/app/Dockerfile",
        Some("elsewhere"),
        expect![[r#"
            root: -
            context: ws/app
            pyproject: -
            python-version: ws/app/.python-version request="3.11"@1:1 version=3.11
            uv.lock: -
            dockerignore: -
        "#]],
    );
}

#[test]
fn without_workspace_root_the_walk_goes_up() {
    check_fixture(
        "above_workspace",
        "ws/app/Dockerfile",
        None,
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "must-not-be-found"@2:8
              dependencies: []
              groups: []
              build-system: false
              workspace root: false
            python-version: -
            uv.lock: -
            dockerignore: -
        "#]],
    );
}

#[test]
fn workspace_with_members() {
    check_fixture(
        "workspace",
        "Dockerfile",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "monorepo"@2:8
              requires-python: ">=3.12"@3:19 parsed=Some(">=3.12")
              dependencies: ["api"@4:17]
              groups: []
              build-system: false
              workspace root: true
              tool.uv @6:7
                members: ["packages/*"@10:12]
                exclude: ["packages/legacy"@11:12]
            python-version: -
            uv.lock: uv.lock
            dockerignore: -
        "#]],
    );
}

#[test]
fn workspace_member_dockerfile_uses_member_folder() {
    check_fixture(
        "workspace",
        "packages/api/Dockerfile",
        Some("."),
        expect![[r#"
            root: packages/api
            context: packages/api
            pyproject: packages/api/pyproject.toml
              name: "api"@2:8
              requires-python: ">=3.12"@3:19 parsed=Some(">=3.12")
              dependencies: []
              groups: []
              build-system: false
              workspace root: false
              tool.uv @5:1
                dev-dependencies: ["pytest"@6:21]
            python-version: -
            uv.lock: -
            uv workspace: . name=Some("monorepo") uv.lock=uv.lock
            dockerignore: -
        "#]],
    );
}

#[test]
fn excluded_workspace_member_stands_alone() {
    let base = fixture("workspace");
    let facts = discover(&OsFileSystem, &base.join("packages/legacy/Dockerfile"), Some(&base));
    assert_eq!(facts.root, Some(base.join("packages/legacy")));
    assert!(facts.uv_workspace.is_none());
    // Bounded by the editor workspace: the workspace pyproject above is never read.
    let member = base.join("packages/api");
    let facts = discover(&OsFileSystem, &member.join("Dockerfile"), Some(&member));
    assert!(facts.uv_workspace.is_none());
}

#[test]
fn broken_pyproject_syntax_keeps_recovered_fields() {
    check_fixture(
        "broken_syntax",
        "Dockerfile",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "broken"@2:8
              requires-python: ">=3.11"@3:19 parsed=Some(">=3.11")
              dependencies: ["httpx>=0.27"@5:17]
              groups: []
              build-system: false
              workspace root: false
              tool.uv @9:1
                package: false@10:11
            python-version: -
            uv.lock: -
            dockerignore: -
            problem: pyproject.toml:4:28: TOML syntax error: invalid basic string, expected `"` (1 more reported after it; fix this one first)
        "#]],
    );
}

#[test]
fn broken_pyproject_duplicate_key() {
    check_fixture(
        "broken_duplicate",
        "Dockerfile",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "dup"@2:8
              requires-python: ">=3.12"@3:19 parsed=Some(">=3.12")
              dependencies: ["rich"@5:17]
              groups: []
              build-system: false
              workspace root: false
              tool.uv @7:1
                package: false@8:11
            python-version: -
            uv.lock: -
            dockerignore: -
            problem: pyproject.toml:4:1: TOML syntax error: duplicate key
        "#]],
    );
}

#[test]
fn broken_pyproject_values() {
    check_fixture(
        "broken_values",
        "Dockerfile",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              requires-python: "=>3.12"@3:19 parsed=None
              dependencies: []
              groups: ["dev"@7:1, "lint"@8:1]
              build-system: true
              workspace root: true
              tool.uv @13:1
                members: []
                dev-dependencies: ["mypy"@18:21]
                python-downloads: "sometimes"@16:20
                python-preference: "system"@17:21
            python-version: -
            uv.lock: -
            dockerignore: -
            problem: pyproject.toml:2:8: `project.name` must be a string, found integer
            problem: pyproject.toml:3:19: invalid `requires-python`: no such comparison operator "=>", must be one of ~= == != <= >= < > ===
            problem: pyproject.toml:4:16: `project.dependencies` must be an array of strings, found string
            problem: pyproject.toml:8:8: `dependency-groups.lint` must be an array, found string
            problem: pyproject.toml:14:11: `tool.uv.package` must be true or false, found string
            problem: pyproject.toml:15:18: `tool.uv.default-groups` must be a list of group names or "all"
            problem: pyproject.toml:16:20: `tool.uv.python-downloads` must be one of "automatic", "manual", "never", found "sometimes"
            problem: pyproject.toml:18:29: `tool.uv.dev-dependencies` items must be strings, found integer
            problem: pyproject.toml:21:11: `tool.uv.workspace.members` must be an array of strings, found string
        "#]],
    );
}

#[test]
fn python_versions_file_takes_first_entry() {
    check_fixture(
        "python_versions",
        "Dockerfile",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "multi"@2:8
              dependencies: []
              groups: []
              build-system: false
              workspace root: false
            python-version: .python-versions request="3.13"@1:1 version=3.13
            uv.lock: -
            dockerignore: -
        "#]],
    );
}

#[test]
fn named_dockerignore_wins_over_context_one() {
    check_fixture(
        "named_dockerignore",
        "Dockerfile.prod",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "named-ignore"@2:8
              dependencies: []
              groups: []
              build-system: false
              workspace root: false
            python-version: -
            uv.lock: -
            dockerignore: Dockerfile.prod.dockerignore ["tests"]
        "#]],
    );
    check_fixture(
        "named_dockerignore",
        "Dockerfile",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "named-ignore"@2:8
              dependencies: []
              groups: []
              build-system: false
              workspace root: false
            python-version: -
            uv.lock: -
            dockerignore: .dockerignore [".venv"]
        "#]],
    );
}

#[test]
fn no_python_project() {
    check_fixture(
        "no_project",
        "Dockerfile",
        Some("."),
        expect![[r#"
            root: -
            context: .
            pyproject: -
            python-version: -
            uv.lock: -
            dockerignore: .dockerignore [".git"]
        "#]],
    );
}

#[test]
fn unsaved_dockerfile_in_missing_folder() {
    check_fixture(
        "simple",
        "not/created/yet/Dockerfile",
        Some("."),
        expect![[r#"
            root: .
            context: .
            pyproject: pyproject.toml
              name: "simple-app"@2:8
              requires-python: ">=3.12"@4:19 parsed=Some(">=3.12")
              dependencies: ["fastapi>=0.115"@6:5, "uvicorn[standard]"@7:5]
              groups: ["lint"@11:1, "dev"@12:1]
              build-system: true
              workspace root: false
              tool.uv @18:1
                package: true@19:11
                default-groups: ["dev"@20:19]
                python-downloads: "never"@21:20
                python-preference: "only-system"@22:21
            python-version: .python-version request="3.12"@2:1 version=3.12
            uv.lock: uv.lock
            dockerignore: .dockerignore [".venv", "**/__pycache__", "*.md", "!README.md"]
        "#]],
    );
}

#[test]
fn compose_build_context_gives_the_project() {
    let compose = b"services:\n  api:\n    build:\n      context: ./backend\n      dockerfile: ../docker/api.Dockerfile\n  web:\n    build: ./web\n";
    let dir = temp_workspace(&[
        ("compose.yaml", compose),
        ("backend/pyproject.toml", b"[project]\nname = \"api\"\n"),
        ("backend/.python-version", b"3.13\n"),
        ("backend/uv.lock", b"version = 1\n"),
        ("docker/api.Dockerfile", b"FROM python:3.13\n"),
        ("docker/other.Dockerfile", b"FROM python:3.13\n"),
        ("web/Dockerfile", b"FROM python:3.13\n"),
    ]);
    let base = dir.path();
    let facts = discover(&OsFileSystem, &base.join("docker/api.Dockerfile"), Some(base));
    assert_eq!(facts.root.as_deref(), Some(base.join("backend").as_path()));
    assert_eq!(facts.context.as_deref(), Some(base.join("backend").as_path()));
    assert_eq!(facts.compose_file.as_deref(), Some(base.join("compose.yaml").as_path()));
    assert_eq!(facts.pinned_python().map(|v| v.to_string()).as_deref(), Some("3.13"));
    assert!(facts.uv_lock.is_some() && facts.problems.is_empty(), "{facts:?}");

    // A Dockerfile no service builds keeps to its own folder.
    let facts = discover(&OsFileSystem, &base.join("docker/other.Dockerfile"), Some(base));
    assert_eq!((facts.root, facts.compose_file), (None, None));
    // A context without a project is still the context when no project is found.
    let facts = discover(&OsFileSystem, &base.join("web/Dockerfile"), Some(base));
    assert_eq!(facts.root, None);
    assert_eq!(facts.context.as_deref(), Some(base.join("web").as_path()));
    assert_eq!(facts.compose_file.as_deref(), Some(base.join("compose.yaml").as_path()));
}

/// Discovery for the Dockerfile at `path` in `base`, with its text read from disk.
fn discover_file(base: &Path, path: &str) -> ProjectFacts {
    let text = std::fs::read_to_string(base.join(path)).expect("the Dockerfile");
    discover_with_text(&OsFileSystem, &base.join(path), Some(base), &text)
}

#[test]
fn a_copied_pyproject_path_names_the_project_and_the_context_above_it() {
    let dir = temp_workspace(&[
        ("apps/api/pyproject.toml", b"[project]\nname = \"api\"\nrequires-python = \">=3.12\"\n"),
        ("apps/api/uv.lock", b"version = 1\n"),
        ("apps/api/.python-version", b"3.12\n"),
        (".dockerignore", b"**/.venv\n"),
        (
            "infra/docker/api.Dockerfile",
            b"FROM python:3.12-slim\nCOPY ./apps/api/pyproject.toml apps/api/uv.lock* ./\nRUN uv sync --frozen\n",
        ),
    ]);
    let base = dir.path();
    let facts = discover_file(base, "infra/docker/api.Dockerfile");
    assert_eq!(facts.root.as_deref(), Some(base.join("apps/api").as_path()));
    assert_eq!(facts.context.as_deref(), Some(base));
    assert_eq!(facts.project_in_context.as_deref(), Some("apps/api"));
    assert_eq!(facts.found_through_copy.as_deref(), Some("apps/api/pyproject.toml"));
    assert_eq!(facts.copied_pyprojects.as_deref(), Some(&["apps/api/pyproject.toml".to_owned()][..]));
    assert_eq!(facts.pinned_python().map(|v| v.to_string()).as_deref(), Some("3.12"));
    assert!(facts.uv_lock.is_some() && facts.dockerignore.is_some(), "{facts:?}");
    // `discover` alone, without the text, keeps to what the folders say.
    let plain = discover(&OsFileSystem, &base.join("infra/docker/api.Dockerfile"), Some(base));
    assert_eq!((plain.root, plain.found_through_copy, plain.copied_pyprojects), (None, None, None));
    // The uv.lock the glob copies is in the image: no missing-lockfile finding.
    let text = std::fs::read_to_string(base.join("infra/docker/api.Dockerfile")).expect("the Dockerfile");
    let codes: Vec<&str> = berth::analysis::analyze(&text, &facts).diagnostics.iter().map(|it| it.code).collect();
    assert!(!codes.contains(&"UV005"), "{codes:?}");
}

#[test]
fn a_bare_copied_pyproject_takes_the_only_project_or_the_one_the_dockerfile_is_named_after() {
    let dir = temp_workspace(&[
        ("backend/pyproject.toml", b"[project]\nname = \"backend\"\n"),
        ("docker/wise-backend.Dockerfile", b"FROM python:3.13-slim\nCOPY pyproject.toml uv.lock ./\n"),
        // Neither hidden folders nor dependencies count as projects.
        (".venv/lib/pkg/pyproject.toml", b"[project]\nname = \"pkg\"\n"),
        ("web/node_modules/pkg/pyproject.toml", b"[project]\nname = \"pkg\"\n"),
    ]);
    let base = dir.path();
    let facts = discover_file(base, "docker/wise-backend.Dockerfile");
    assert_eq!(facts.root.as_deref(), Some(base.join("backend").as_path()));
    assert_eq!(facts.context.as_deref(), Some(base.join("backend").as_path()));
    assert_eq!((facts.project_in_context, facts.found_through_copy.as_deref()), (None, Some("pyproject.toml")));

    // Two projects: the Dockerfile's name decides, and a name that fits neither (or both) finds none.
    std::fs::create_dir_all(base.join("worker")).expect("a folder");
    std::fs::write(base.join("worker/pyproject.toml"), "[project]\nname = \"worker\"\n").expect("written");
    let facts = discover_file(base, "docker/wise-backend.Dockerfile");
    assert_eq!(facts.root.as_deref(), Some(base.join("backend").as_path()));
    std::fs::write(base.join("docker/Dockerfile"), "FROM python:3.13-slim\nCOPY pyproject.toml ./\n").expect("written");
    let facts = discover_file(base, "docker/Dockerfile");
    assert_eq!((facts.root, facts.found_through_copy), (None, None));
    assert_eq!(facts.copied_pyprojects.as_deref(), Some(&["pyproject.toml".to_owned()][..]));
    std::fs::write(base.join("docker/backend-worker.Dockerfile"), "FROM python:3.13-slim\nCOPY pyproject.toml ./\n")
        .expect("written");
    assert_eq!(discover_file(base, "docker/backend-worker.Dockerfile").root, None);
}

#[test]
fn copies_are_consulted_only_when_nothing_else_gives_a_project() {
    let dir = temp_workspace(&[
        ("pyproject.toml", b"[project]\nname = \"root\"\n"),
        ("other/pyproject.toml", b"[project]\nname = \"other\"\n"),
        ("Dockerfile", b"FROM python:3.13-slim\nCOPY other/pyproject.toml ./\n"),
        ("compose.yaml", b"services:\n  api:\n    build:\n      context: .\n      dockerfile: docker/api.Dockerfile\n"),
        ("docker/api.Dockerfile", b"FROM python:3.13-slim\nCOPY other/pyproject.toml ./\n"),
    ]);
    let base = dir.path();
    // A project above the Dockerfile wins, and the copies played no part.
    let facts = discover_file(base, "Dockerfile");
    assert_eq!(facts.root.as_deref(), Some(base));
    assert_eq!((facts.found_through_copy, facts.copied_pyprojects), (None, None));
    // A missing copied path finds nothing, and says the copies were looked at.
    let dir = temp_workspace(&[
        ("docker/api.Dockerfile", b"FROM python:3.13-slim\nCOPY missing/pyproject.toml ./\n"),
        ("outside/pyproject.toml", b"[project]\nname = \"outside\"\n"),
    ]);
    // A source that climbs out of the workspace folder names nothing.
    let ws = dir.path().join("docker");
    let climbing = ["../outside/pyproject.toml".to_owned()];
    let facts = discover_with_copies(&OsFileSystem, &ws.join("api.Dockerfile"), Some(&ws), &climbing);
    assert_eq!(facts.root, None);
    let facts = discover_file(dir.path(), "docker/api.Dockerfile");
    assert_eq!((facts.root, facts.copied_pyprojects.map(|it| it.len())), (None, Some(1)));
}

#[test]
fn a_compose_context_without_a_project_takes_the_project_the_dockerfile_copies_from_it() {
    let dir = temp_workspace(&[
        ("compose.yaml", b"services:\n  api:\n    build: .\n"),
        ("backend/pyproject.toml", b"[project]\nname = \"api\"\n"),
        ("backend/uv.lock", b"version = 1\n"),
        ("Dockerfile", b"FROM python:3.13-slim\nCOPY backend/pyproject.toml backend/uv.lock ./\n"),
    ]);
    let base = dir.path();
    let facts = discover_file(base, "Dockerfile");
    assert_eq!(facts.root.as_deref(), Some(base.join("backend").as_path()));
    assert_eq!(facts.context.as_deref(), Some(base));
    assert_eq!(facts.compose_file.as_deref(), Some(base.join("compose.yaml").as_path()));
    assert_eq!(facts.project_in_context.as_deref(), Some("backend"));
    assert!(facts.uv_lock.is_some(), "{facts:?}");
}

#[test]
fn a_compose_file_in_another_folder_of_the_workspace_gives_the_project() {
    let compose =
        b"services:\n  api:\n    build:\n      context: ../../backend\n      dockerfile: ../docker/api.Dockerfile\n";
    let dir = temp_workspace(&[
        ("deployment/docker_compose/docker-compose.yml", compose),
        ("backend/pyproject.toml", b"[project]\nname = \"api\"\n"),
        ("backend/.python-version", b"3.13\n"),
        ("docker/api.Dockerfile", b"FROM python:3.13\n"),
        ("docker/web.Dockerfile", b"FROM python:3.13\n"),
        // Hidden folders and folders too deep are not looked into.
        (".github/compose.yaml", b"services:\n  web:\n    build:\n      context: ../backend\n      dockerfile: ../docker/web.Dockerfile\n"),
        ("a/b/c/d/compose.yaml", b"services:\n  web:\n    build:\n      context: ../../../../backend\n      dockerfile: ../docker/web.Dockerfile\n"),
    ]);
    let base = dir.path();
    let facts = discover(&OsFileSystem, &base.join("docker/api.Dockerfile"), Some(base));
    assert_eq!(facts.root.as_deref(), Some(base.join("backend").as_path()));
    assert_eq!(
        facts.compose_file.as_deref(),
        Some(base.join("deployment/docker_compose/docker-compose.yml").as_path())
    );
    assert_eq!(facts.pinned_python().map(|v| v.to_string()).as_deref(), Some("3.13"));
    assert!(facts.searched_workspace);
    let facts = discover(&OsFileSystem, &base.join("docker/web.Dockerfile"), Some(base));
    assert_eq!((facts.root, facts.compose_file, facts.searched_workspace), (None, None, true));
    // A project above the Dockerfile needs no look through the workspace.
    std::fs::write(base.join("docker/pyproject.toml"), "[project]\nname = \"docker\"\n").expect("written");
    let facts = discover(&OsFileSystem, &base.join("docker/api.Dockerfile"), Some(base));
    assert!(!facts.searched_workspace && facts.compose_file.is_none(), "{facts:?}");
}

#[test]
fn compose_contexts_outside_the_workspace_are_not_used() {
    let dir = temp_workspace(&[
        ("outside/pyproject.toml", b"[project]\nname = \"outside\"\n"),
        (
            "ws/docker-compose.yml",
            b"services:\n  api:\n    build:\n      context: ../outside\n      dockerfile: ../ws/Dockerfile\n",
        ),
        ("ws/Dockerfile", b"FROM python:3.13\n"),
    ]);
    let ws = dir.path().join("ws");
    let facts = discover(&OsFileSystem, &ws.join("Dockerfile"), Some(&ws));
    assert_eq!((facts.root, facts.compose_file), (None, None));
    assert_eq!(facts.context.as_deref(), Some(ws.as_path()));
    // Without a workspace folder there is no such limit.
    let facts = discover(&OsFileSystem, &ws.join("Dockerfile"), None);
    assert_eq!(facts.root.as_deref(), Some(dir.path().join("outside").as_path()));
}

#[test]
fn compose_context_above_the_project_keeps_the_project_and_reads_the_context_ignore_file() {
    let dir = temp_workspace(&[
        ("compose.yml", b"services:\n  worker:\n    build:\n      dockerfile: services/worker/Dockerfile\n"),
        (".dockerignore", b"**/.venv\n"),
        ("services/worker/.dockerignore", b"uv.lock\n"),
        ("services/worker/pyproject.toml", b"[project]\nname = \"worker\"\n"),
        ("services/worker/.python-version", b"3.12\n"),
        ("services/worker/uv.lock", b"version = 1\n"),
        ("services/worker/Dockerfile", b"FROM python:3.12\n"),
    ]);
    let base = dir.path();
    let facts = discover(&OsFileSystem, &base.join("services/worker/Dockerfile"), Some(base));
    assert_eq!(facts.root.as_deref(), Some(base.join("services/worker").as_path()));
    assert_eq!(facts.context.as_deref(), Some(base));
    assert_eq!(facts.project_in_context.as_deref(), Some("services/worker"));
    assert_eq!(facts.compose_file.as_deref(), Some(base.join("compose.yml").as_path()));
    // The project's own files come from its folder, .dockerignore from the context.
    assert_eq!(facts.pinned_python().map(|v| v.to_string()).as_deref(), Some("3.12"));
    assert_eq!(facts.uv_lock.as_deref(), Some(base.join("services/worker/uv.lock").as_path()));
    assert_eq!(facts.dockerignore.as_ref().map(|it| it.file.path.clone()), Some(base.join(".dockerignore")));
    assert!(facts.is_project_file_excluded(".venv") && !facts.is_project_file_excluded("uv.lock"));
}

/// A temporary workspace written from `(path, bytes)` pairs.
fn temp_workspace(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (path, bytes) in files {
        let path = dir.path().join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folders");
        }
        std::fs::write(&path, bytes).expect("write a file");
    }
    dir
}

#[test]
fn invalid_utf8_is_decoded_lossily() {
    let dir = temp_workspace(&[
        ("Dockerfile", b"FROM python:3.12\n"),
        ("pyproject.toml", b"[project]\nname = \"caf\xff\"\nrequires-python = \">=3.12\"\n"),
        (".python-version", b"\xfe\xff junk\n3.12\n"),
        (".dockerignore", b"\xff\n.venv\n"),
    ]);
    let base = dir.path();
    let facts = discover(&OsFileSystem, &base.join("Dockerfile"), Some(base));
    expect![[r#"
        root: .
        context: .
        pyproject: pyproject.toml
          name: "caf�"@2:8
          requires-python: ">=3.12"@3:19 parsed=Some(">=3.12")
          dependencies: []
          groups: []
          build-system: false
          workspace root: false
        python-version: .python-version request="3.12"@2:1 version=3.12
        uv.lock: -
        dockerignore: .dockerignore ["�", ".venv"]
    "#]]
    .assert_eq(&render(&facts, base));
}

/// Reads from disk, except that some paths fail and some are served from memory, like the
/// server's layer of open editor buffers.
struct OverlayFs {
    buffers: HashMap<PathBuf, String>,
    unreadable: Vec<PathBuf>,
}

impl FileSystem for OverlayFs {
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        if self.unreadable.iter().any(|p| p == path) {
            return Err(io::Error::from(io::ErrorKind::PermissionDenied));
        }
        match self.buffers.get(path) {
            Some(text) => Ok(text.clone()),
            None => OsFileSystem.read_to_string(path),
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        self.buffers.contains_key(path) || OsFileSystem.is_file(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        OsFileSystem.is_dir(path)
    }
}

#[test]
fn unreadable_files_become_problems() {
    let dir = temp_workspace(&[
        ("Dockerfile", b"FROM python:3.12\n"),
        ("pyproject.toml", b"[project]\nname = \"locked\"\n"),
        (".python-version", b"3.12\n"),
        (".dockerignore", b".venv\n"),
    ]);
    let base = dir.path();
    let fs = OverlayFs {
        buffers: HashMap::new(),
        unreadable: vec![base.join("pyproject.toml"), base.join(".python-version"), base.join(".dockerignore")],
    };
    let facts = discover(&fs, &base.join("Dockerfile"), Some(base));
    expect![[r#"
        root: .
        context: .
        pyproject: -
        python-version: -
        uv.lock: -
        dockerignore: -
        problem: pyproject.toml:1:1: cannot read pyproject.toml: permission denied
        problem: .python-version:1:1: cannot read .python-version: permission denied
        problem: .dockerignore:1:1: cannot read .dockerignore: permission denied
    "#]]
    .assert_eq(&render(&facts, base));
}

#[test]
fn open_buffers_win_over_disk_and_unsaved_dockerfiles_work() {
    let dir = temp_workspace(&[("pyproject.toml", b"[project]\nname = \"on-disk\"\nrequires-python = \">=3.11\"\n")]);
    let base = dir.path();
    let mut buffers = HashMap::new();
    buffers.insert(base.join("pyproject.toml"), "[project]\nname = \"in-editor\"\n".to_owned());
    // A .python-version that exists only as an unsaved buffer.
    buffers.insert(base.join(".python-version"), "3.13\n".to_owned());
    let fs = OverlayFs { buffers, unreadable: Vec::new() };
    // The Dockerfile itself is an unsaved buffer in a folder that does not exist yet.
    let facts = discover(&fs, &base.join("new/Dockerfile"), Some(base));
    expect![[r#"
        root: .
        context: .
        pyproject: pyproject.toml
          name: "in-editor"@2:8
          dependencies: []
          groups: []
          build-system: false
          workspace root: false
        python-version: .python-version request="3.13"@1:1 version=3.13
        uv.lock: -
        dockerignore: -
    "#]]
    .assert_eq(&render(&facts, base));
}

#[test]
fn huge_and_deeply_nested_files_do_not_hang_or_panic() {
    let mut garbage = String::from("[project]\nname = \"big\"\n");
    while garbage.len() < 10 * 1024 * 1024 {
        garbage.push_str("this is not toml = = [[ \"\n");
    }
    let nested = format!("[project]\nname = \"deep\"\nx = {}\n", "[".repeat(100_000));
    // One 10 MB line with a few errors in it, then a table that recovery should still find.
    let long_line =
        format!("[project]\nname = \"long\"\nx = [{} = =, 1 1]\n[tool.uv]\npackage = true\n", "1, ".repeat(3_500_000));
    for text in [garbage, nested, long_line] {
        let dir = temp_workspace(&[("pyproject.toml", text.as_bytes()), ("Dockerfile", b"FROM python\n")]);
        let started = std::time::Instant::now();
        let facts = discover(&OsFileSystem, &dir.path().join("Dockerfile"), Some(dir.path()));
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
        let pyproject = facts.pyproject.expect("the file is still read");
        assert!(pyproject.name.is_some(), "the name before the garbage is recovered");
        assert!(!facts.problems.is_empty());
        assert!(facts.problems.len() <= 51, "problems are capped, got {}", facts.problems.len());
    }
}

#[cfg(unix)]
mod symlinks {
    use std::os::unix::fs::symlink;

    use super::*;

    #[test]
    fn the_look_through_the_workspace_never_follows_a_symlink() {
        let compose = b"services:\n  api:\n    build:\n      context: ../ws/backend\n      dockerfile: ../ws/docker/api.Dockerfile\n";
        let dir = temp_workspace(&[
            ("outside/compose.yaml", compose),
            ("outside/app/pyproject.toml", b"[project]\nname = \"secret\"\n"),
            ("ws/backend/pyproject.toml", b"[project]\nname = \"api\"\n"),
            ("ws/docker/api.Dockerfile", b"FROM python:3.12\nCOPY pyproject.toml ./\n"),
        ]);
        let base = dir.path();
        let ws = base.join("ws");
        // A folder inside the workspace that leads out of it, with a compose file that would
        // build the Dockerfile and a second project.
        symlink(base.join("outside"), ws.join("linked")).expect("symlink");
        let text = "FROM python:3.12\nCOPY pyproject.toml ./\n";
        let facts = discover_with_text(&OsFileSystem, &ws.join("docker/api.Dockerfile"), Some(&ws), text);
        // Neither was seen: no compose file, and backend/ is the only project (so the bare COPY
        // names it), not one of two.
        assert_eq!(facts.compose_file, None);
        assert_eq!(facts.root.as_deref(), Some(ws.join("backend").as_path()));
        assert_eq!(facts.found_through_copy.as_deref(), Some("pyproject.toml"));
    }

    #[test]
    fn symlink_escaping_the_workspace_is_skipped() {
        let dir = temp_workspace(&[
            ("outside/pyproject.toml", b"[project]\nname = \"secret\"\n"),
            ("outside/python-version", b"3.9\n"),
            ("ws/app/Dockerfile", b"FROM python:3.12\n"),
        ]);
        let base = dir.path();
        symlink(base.join("outside/pyproject.toml"), base.join("ws/app/pyproject.toml")).expect("symlink");
        symlink("../../outside/python-version", base.join("ws/app/.python-version")).expect("symlink");
        let ws = base.join("ws");
        let facts = discover(&OsFileSystem, &ws.join("app/Dockerfile"), Some(&ws));
        assert!(facts.pyproject.is_none());
        assert!(facts.python_version.is_none());
        let rendered = render(&facts, base);
        let canonical_base = std::fs::canonicalize(base).expect("canonical temp folder");
        let rendered = rendered.replace(&canonical_base.display().to_string(), "<base>");
        expect![[r#"
            root: ws/app
            context: ws/app
            pyproject: -
            python-version: -
            uv.lock: -
            dockerignore: -
            problem: ws/app/pyproject.toml:1:1: skipped pyproject.toml: it resolves to <base>/outside/pyproject.toml, outside the workspace folder <base>/ws
            problem: ws/app/.python-version:1:1: skipped .python-version: it resolves to <base>/outside/python-version, outside the workspace folder <base>/ws
        "#]]
        .assert_eq(&rendered);
    }

    #[test]
    fn compose_file_behind_a_symlink_out_of_the_workspace_is_not_read() {
        let dir = temp_workspace(&[
            (
                "outside/compose.yaml",
                b"services:\n  api:\n    build:\n      context: ./backend\n      dockerfile: ../docker/Dockerfile\n",
            ),
            ("ws/backend/pyproject.toml", b"[project]\nname = \"api\"\n"),
            ("ws/docker/Dockerfile", b"FROM python:3.12\n"),
        ]);
        let base = dir.path();
        symlink(base.join("outside/compose.yaml"), base.join("ws/compose.yaml")).expect("symlink");
        let ws = base.join("ws");
        let facts = discover(&OsFileSystem, &ws.join("docker/Dockerfile"), Some(&ws));
        assert_eq!((facts.root, facts.compose_file), (None, None));
        assert!(facts.problems.iter().any(|it| it.message.contains("skipped compose.yaml")), "{:?}", facts.problems);
    }

    #[test]
    fn symlink_inside_the_workspace_is_followed() {
        let dir = temp_workspace(&[
            ("shared/python-version", b"3.12\n"),
            ("app/pyproject.toml", b"[project]\nname = \"app\"\n"),
            ("app/Dockerfile", b"FROM python:3.12\n"),
        ]);
        let base = dir.path();
        symlink("../shared/python-version", base.join("app/.python-version")).expect("symlink");
        let facts = discover(&OsFileSystem, &base.join("app/Dockerfile"), Some(base));
        assert!(facts.problems.is_empty(), "{:?}", facts.problems);
        assert_eq!(facts.pinned_python().map(|v| v.to_string()).as_deref(), Some("3.12"));
    }

    #[test]
    fn symlink_loops_do_not_hang() {
        let dir = temp_workspace(&[("app/Dockerfile", b"FROM python:3.12\n")]);
        let base = dir.path();
        let app = base.join("app");
        symlink("pyproject.toml", app.join("loop.toml")).expect("symlink");
        symlink("loop.toml", app.join("pyproject.toml")).expect("symlink");
        symlink(".python-version", app.join(".python-version")).expect("symlink");
        // A folder that contains itself: the Dockerfile path goes through it several times.
        symlink(".", app.join("again")).expect("symlink");
        let facts = discover(&OsFileSystem, &app.join("again/again/again/Dockerfile"), Some(base));
        expect![[r#"
            root: -
            context: app/again/again/again
            pyproject: -
            python-version: -
            uv.lock: -
            dockerignore: -
            problem: app/again/again/again/pyproject.toml:1:1: skipped pyproject.toml: it is a symlink that does not resolve (dangling or a loop)
            problem: app/again/again/again/.python-version:1:1: skipped .python-version: it is a symlink that does not resolve (dangling or a loop)
        "#]]
        .assert_eq(&render(&facts, base));
        let facts = discover(&OsFileSystem, &app.join("Dockerfile"), Some(base));
        expect![[r#"
            root: -
            context: app
            pyproject: -
            python-version: -
            uv.lock: -
            dockerignore: -
            problem: app/pyproject.toml:1:1: skipped pyproject.toml: it is a symlink that does not resolve (dangling or a loop)
            problem: app/.python-version:1:1: skipped .python-version: it is a symlink that does not resolve (dangling or a loop)
        "#]].assert_eq(&render(&facts, base));
    }
}
