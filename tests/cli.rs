//! `berth check` and `berth --version` as a user runs them: the built binary on real folders.

use std::path::Path;
use std::process::{Command, Output};

fn berth(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth")).args(args).current_dir(cwd).output().expect("berth runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, content).unwrap();
}

/// A project pinned to 3.12 whose Dockerfile uses 3.11 and an unlocked sync.
fn mismatched_project(dir: &Path) {
    write(dir, "pyproject.toml", "[project]\nname = \"demo\"\nversion = \"0.1.0\"\nrequires-python = \">=3.12\"\n");
    write(dir, ".python-version", "3.12\n");
    write(dir, "uv.lock", "version = 1\n");
    write(
        dir,
        "Dockerfile",
        "FROM python:3.11-slim-trixie\nCOPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/\nRUN uv sync --no-cache --compile-bytecode\n",
    );
}

#[test]
fn version_flag_prints_the_crate_version() {
    let output = berth(&["--version"], Path::new("."));
    assert!(output.status.success());
    assert_eq!(stdout(&output).trim(), format!("berth {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn human_output_shows_source_line_caret_and_exit_code_one() {
    let dir = tempfile::tempdir().unwrap();
    mismatched_project(dir.path());
    let output = berth(&["check", "."], dir.path());
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("warning[PY001]"), "{text}");
    assert!(text.contains("python:3.11-slim-trixie provides Python 3.11, but .python-version pins 3.12"), "{text}");
    assert!(text.contains("1 | FROM python:3.11-slim-trixie"), "{text}");
    assert!(text.contains("^^^^^^^^^^^^^^^^"), "{text}");
    assert!(text.contains("warning[UV001]"), "{text}");
    assert!(text.contains("Found 2 warnings in 1 Dockerfile."), "{text}");
}

#[test]
fn json_output_has_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    mismatched_project(dir.path());
    let output = berth(&["check", "--format", "json", "Dockerfile"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let items: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let items = items.as_array().expect("an array");
    assert_eq!(items.len(), 2, "{items:#?}");
    let first = &items[0];
    assert_eq!(first["path"], "Dockerfile");
    assert_eq!(first["code"], "PY001");
    assert_eq!(first["name"], "python-version-mismatch");
    assert_eq!(first["severity"], "warning");
    assert_eq!(first["start"], serde_json::json!({ "line": 1, "column": 6 }));
    assert_eq!(first["end"], serde_json::json!({ "line": 1, "column": 29 }));
    assert!(first["message"].as_str().unwrap().contains("3.12"));
    assert_eq!(first["related"][0]["start"], serde_json::json!({ "line": 1, "column": 1 }));
    assert_eq!(items[1]["code"], "UV001");
    assert_eq!(items[1]["start"], serde_json::json!({ "line": 3, "column": 5 }));
}

#[test]
fn failure_threshold_decides_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    mismatched_project(dir.path());
    assert_eq!(berth(&["check", "--failure-threshold", "error"], dir.path()).status.code(), Some(0));
    assert_eq!(berth(&["check", "--failure-threshold", "warning"], dir.path()).status.code(), Some(1));
    assert_eq!(berth(&["check", "--failure-threshold", "none"], dir.path()).status.code(), Some(0));
}

#[test]
fn clean_files_exit_zero() {
    let dir = tempfile::tempdir().unwrap();
    mismatched_project(dir.path());
    write(
        dir.path(),
        "Dockerfile",
        "FROM python:3.12-slim-trixie\nCOPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /bin/\nRUN uv sync --locked --no-cache --compile-bytecode\n",
    );
    let output = berth(&["check"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).contains("No problems found in 1 Dockerfile."));
}

#[test]
fn folders_are_searched_for_every_dockerfile_name() {
    let dir = tempfile::tempdir().unwrap();
    let clean = "FROM python:3.12-slim-trixie\n";
    for name in [
        "Dockerfile",
        "Dockerfile.prod",
        "api.Dockerfile",
        "worker.dockerfile",
        "Containerfile",
        "web.containerfile",
        "Dockerfile-uv",
        "Dockerfile_prod",
        "sub/Dockerfile",
        ".devcontainer/Dockerfile",
    ] {
        write(dir.path(), name, clean);
    }
    // Files named after a Dockerfile that `docker build` does not read: each would be a finding.
    let not_a_dockerfile = "{% if gpu %}FROM nvidia/cuda{% endif %}\n";
    for name in ["Dockerfile.j2", "Dockerfile.md", "Dockerfile-uv.dockerignore", "Dockerfile.orig", "notes.txt"] {
        write(dir.path(), name, not_a_dockerfile);
    }
    let output = berth(&["check", "--format", "json", "--failure-threshold", "none"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let human = berth(&["check"], dir.path());
    assert!(stdout(&human).contains("No problems found in 10 Dockerfiles."), "{}", stdout(&human));
    // Named on the command line, such a file is checked all the same.
    let named = berth(&["check", "--format", "json", "Dockerfile.j2"], dir.path());
    assert_eq!(named.status.code(), Some(1), "{}", stdout(&named));
}

#[test]
fn missing_paths_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let output = berth(&["check", "does-not-exist"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does-not-exist"));
    let output = berth(&["check", "--format", "yaml"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    // A device (or a FIFO) named on the command line is neither read nor quietly skipped.
    if Path::new("/dev/null").exists() {
        let output = berth(&["check", "/dev/null"], dir.path());
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("/dev/null: not a regular file or folder"), "{stderr}");
    }
}

#[test]
fn binary_and_invalid_utf8_files_get_one_clear_finding() {
    let dir = tempfile::tempdir().unwrap();
    let mut binary = b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec();
    binary.extend((0..4096u32).map(|it| (it * 7919 % 251) as u8));
    write(dir.path(), "Dockerfile", &binary);
    let output = berth(&["check", "--format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let items: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(items.as_array().unwrap().len(), 1, "{items:#}");
    assert_eq!(items[0]["code"], "DF011");

    write(dir.path(), "Dockerfile", b"FROM python:3.12-slim\nRUN echo \xff\xfe caf\xe9\n");
    let output = berth(&["check", "--format", "json"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn huge_inputs_finish() {
    let dir = tempfile::tempdir().unwrap();
    let mut long_line = String::from("FROM python:3.12-slim\nRUN echo ");
    long_line.push_str(&"x".repeat(2 * 1024 * 1024));
    long_line.push('\n');
    write(dir.path(), "Dockerfile", &long_line);
    let mut continued = String::from("FROM python:3.12-slim\nRUN echo start \\\n");
    for _ in 0..200_000 {
        continued.push_str("  && true \\\n");
    }
    continued.push_str("  && echo done\n");
    write(dir.path(), "b/Dockerfile", &continued);
    let started = std::time::Instant::now();
    let output = berth(&["check", "--failure-threshold", "none"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    // Generous: this guards against quadratic behaviour, not against a slow machine.
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "took {:?}", started.elapsed());
}

#[test]
fn unreadable_folders_are_io_errors_and_the_rest_is_still_checked() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "open/Dockerfile", "FROM python:3.12-slim-trixie\nRUN uv sync\n");
    write(root, "locked/Dockerfile", "FROM python:3.12-slim-trixie\nRUN uv sync\n");
    let locked = root.join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads through chmod 000: when the tests run as root, berth runs as an unprivileged user.
    let privileged = std::fs::read_dir(&locked).is_ok();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    // The build folder may be out of the unprivileged user's reach; a copy beside the files is not.
    let program = root.join("berth");
    std::fs::copy(env!("CARGO_BIN_EXE_berth"), &program).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut command = Command::new(&program);
    command.args(["check", "--format", "json", "."]).current_dir(root);
    if privileged {
        command.uid(65_534).gid(65_534);
    }
    let output = command.output().expect("berth runs");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();

    assert_eq!(output.status.code(), Some(2), "an unreadable folder is an I/O error");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("locked") && stderr.contains("ermission denied"), "{stderr}");
    let findings: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON findings");
    let paths: Vec<&str> = findings.as_array().unwrap().iter().filter_map(|it| it["path"].as_str()).collect();
    assert!(!paths.is_empty() && paths.iter().all(|path| path.contains("open")), "{paths:?}");
}
