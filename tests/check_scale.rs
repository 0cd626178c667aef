//! `berth check` on a folder with thousands of Dockerfiles: every file is linted, the findings
//! are counted right, the exit code follows them, and the run finishes in bounded time.

use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const FILES: usize = 3000;

/// One Dockerfile per index; every third one has an unlocked `uv sync` (UV001), the others lock.
fn dockerfile(index: usize) -> String {
    let sync = if index.is_multiple_of(3) { "uv sync" } else { "uv sync --locked" };
    format!(
        "# service {index}\nFROM python:3.12-slim-trixie\nCOPY --from=ghcr.io/astral-sh/uv:0.9.5 /uv /bin/\nWORKDIR /app\nENV UV_COMPILE_BYTECODE=1\nRUN --mount=type=cache,target=/root/.cache/uv {sync}\nCMD [\"python\", \"-m\", \"app{index}\"]\n"
    )
}

#[test]
fn thousands_of_dockerfiles_in_one_folder() {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    for index in 0..FILES {
        // Spread over folders and all recognised names.
        let relative = match index % 4 {
            0 => format!("svc{index}/Dockerfile"),
            1 => format!("svc{index}/Dockerfile.prod"),
            2 => format!("all/svc{index}.Dockerfile"),
            _ => format!("all/Containerfile.{index}"),
        };
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("create a folder");
        std::fs::write(&path, dockerfile(index)).expect("write a Dockerfile");
    }
    // A file that is not a Dockerfile is not linted.
    std::fs::write(dir.path().join("all/notes.txt"), "FROM nothing\n").expect("write a text file");

    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["check", "--format", "json", "--select", "UV001"])
        .arg(dir.path())
        .output()
        .expect("run berth check");
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let findings: Vec<Value> = serde_json::from_slice(&output.stdout).expect("JSON output");
    let unlocked = (0..FILES).filter(|index| index.is_multiple_of(3)).count();
    assert_eq!(findings.len(), unlocked, "{stderr}");
    assert!(findings.iter().all(|finding| finding["code"] == "UV001"));
    let mut paths: Vec<&str> = findings.iter().filter_map(|finding| finding["path"].as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(paths.len(), unlocked, "one finding per unlocked file");
    assert_eq!(output.status.code(), Some(1), "UV001 is a warning, which fails the check by default");
    // Generous for a debug build on a shared machine; a release build takes a fraction of this.
    assert!(elapsed < Duration::from_secs(20), "checking {FILES} files took {elapsed:?}");

    // Without the failing findings the check passes and says how many files it read.
    let output = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["check", "--no-color", "--select", "UV001", "--failure-threshold", "error"])
        .arg(dir.path())
        .output()
        .expect("run berth check");
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(&format!("{unlocked} warning")), "{}", &stdout[stdout.len().saturating_sub(500)..]);
}
