//! The rules' documentation as users see it: docs/rules.md is current, and `berth rules` /
//! `berth explain` print what the snapshots hold. `UPDATE_EXPECT=1` regenerates all of them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use expect_test::expect_file;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn berth(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth")).args(args).output().expect("berth runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn docs_rules_md_is_generated_from_the_doc_comments() {
    let path = repo_root().join("docs/rules.md");
    let generated = berth::cli::rules_reference();
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        std::fs::write(&path, &generated).expect("docs/rules.md is writable");
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/rules.md is out of date; run `UPDATE_EXPECT=1 cargo test --test rules_reference`"
    );
}

#[test]
fn every_rule_has_a_section_where_doc_url_points() {
    let reference = berth::cli::rules_reference();
    for rule in berth::rules::all() {
        let url = berth::rules::doc_url(rule.code);
        let anchor = url.rsplit_once('#').expect("doc_url has an anchor").1;
        // GitHub derives `#df001` from the heading `## DF001`.
        assert!(reference.contains(&format!("\n## {}\n", rule.code)), "{} has no section", rule.code);
        assert_eq!(anchor, rule.code.to_ascii_lowercase());
        assert!(url.contains("/docs/rules.md#"), "{url}");
    }
}

#[test]
fn rules_table_snapshot() {
    let output = berth(&["rules"]);
    assert!(output.status.success());
    expect_file![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli/rules.txt")]
        .assert_eq(&stdout(&output));
}

#[test]
fn rules_json_lists_every_rule_with_its_metadata() {
    let output = berth(&["rules", "--format", "json"]);
    assert!(output.status.success());
    let items: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let items = items.as_array().expect("an array");
    assert_eq!(items.len(), berth::rules::all().count());
    let registry = items.iter().find(|it| it["code"] == "DF015").expect("DF015 listed");
    assert_eq!(registry["name"], "untrusted-registry");
    assert_eq!(registry["severity"], "warning");
    assert_eq!(registry["fix"], "none");
    assert_eq!(registry["hadolint"], serde_json::json!(["DL3026"]));
    assert_eq!(registry["buildkit"], serde_json::Value::Null);
    assert_eq!(registry["url"], berth::rules::doc_url("DF015"));
    assert!(registry["summary"].as_str().is_some_and(|it| it.contains("trusted-registries")));
}

#[test]
fn explain_snapshot() {
    let output = berth(&["explain", "unused-suppression"]);
    assert!(output.status.success());
    expect_file![Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cli/explain-DF014.txt")]
        .assert_eq(&stdout(&output));
}

#[test]
fn explain_finds_rules_by_their_hadolint_code() {
    let output = berth(&["explain", "dl3026"]);
    assert!(output.status.success());
    let text = stdout(&output);
    assert!(text.starts_with("DF015 untrusted-registry\n"), "{text}");
    assert!(text.contains("hadolint: DL3026 (also honoured: `# hadolint ignore=DL3026`)"), "{text}");
    assert!(text.contains("Default severity: warning"), "{text}");
}

#[test]
fn explain_of_an_unknown_rule_suggests_one_and_exits_2() {
    let output = berth(&["explain", "UV01"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`UV01` is not a berth rule; did you mean `UV001` (unlocked-uv-sync)?"), "{stderr}");
    let output = berth(&["explain", "zzzzzzzz"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("`berth rules` lists them all"));
}
