//! Fixture workspaces: each folder under tests/fixtures/workspaces is a small project with one or
//! more Dockerfiles and an `expected.txt` holding exactly what `berth check` reports for them.
//! `UPDATE_EXPECT=1 cargo test --test fixtures` rewrites the expectations.

use std::path::{Path, PathBuf};

fn workspaces_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/workspaces")
}

fn dockerfiles_in(dir: &Path, acc: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|it| it.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            dockerfiles_in(&path, acc);
        } else if path.file_name().is_some_and(|name| berth::cli::is_dockerfile_name(&name.to_string_lossy())) {
            acc.push(path);
        }
    }
}

/// What `berth check` prints for every Dockerfile of one workspace, with paths made relative.
fn render_workspace(case: &Path) -> String {
    let mut dockerfiles = Vec::new();
    dockerfiles_in(case, &mut dockerfiles);
    let mut out = String::new();
    for path in dockerfiles {
        let text = String::from_utf8_lossy(&std::fs::read(&path).expect("fixture is readable")).into_owned();
        let relative = path.strip_prefix(case).expect("inside the case");
        let diagnostics = berth::cli::lint_text(&path, &text, Some(case));
        out.push_str(&format!("## {} ({} findings)\n", relative.display(), diagnostics.len()));
        for diagnostic in &diagnostics {
            out.push_str(&berth::cli::render_human(relative, &text, diagnostic, false));
            out.push('\n');
        }
    }
    let prefix = format!("{}/", case.display());
    out.replace(&prefix, "")
}

#[test]
fn fixture_workspaces_match_expectations() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(workspaces_dir())
        .expect("fixtures exist")
        .filter_map(Result::ok)
        .map(|it| it.path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "expected the fixture workspaces, found {}", cases.len());
    let mut mismatches = Vec::new();
    for case in &cases {
        let actual = render_workspace(case);
        let expected_path = case.join("expected.txt");
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if actual == expected {
            continue;
        }
        if update {
            std::fs::write(&expected_path, &actual).expect("expected.txt is writable");
        } else {
            mismatches.push(format!("=== {}\n--- expected\n{expected}\n--- actual\n{actual}", case.display()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} fixture(s) differ (UPDATE_EXPECT=1 to accept):\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// Simulated typing: analysing every prefix of every fixture Dockerfile must never panic.
#[test]
fn every_prefix_of_every_fixture_analyses_without_panic() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(workspaces_dir())
        .expect("fixtures exist")
        .filter_map(Result::ok)
        .map(|it| it.path())
        .collect();
    cases.sort();
    let mut analysed = 0usize;
    for case in &cases {
        let mut dockerfiles = Vec::new();
        dockerfiles_in(case, &mut dockerfiles);
        for path in dockerfiles {
            let text = String::from_utf8_lossy(&std::fs::read(&path).expect("fixture is readable")).into_owned();
            let project = berth::project::discover(&berth::project::OsFileSystem, &path, Some(case));
            for end in (0..=text.len()).filter(|it| text.is_char_boundary(*it)) {
                let analysis = berth::analysis::analyze(&text[..end], &project);
                for diagnostic in &analysis.diagnostics {
                    assert!(diagnostic.range.end <= end, "{}: range past the text at prefix {end}", path.display());
                }
                analysed += 1;
            }
        }
    }
    assert!(analysed > 1000, "only {analysed} prefixes analysed");
}
