//! Configuration end to end: discovery and precedence of berth.toml / `[tool.berth]`, what each
//! key does to `berth check`, problems reported with positions, and editor settings over the file.

mod support;

use std::path::Path;
use std::process::{Command, Output};

use berth::config::{ConfigKind, find_config};
use berth::diagnostic::Severity;
use berth::project::OsFileSystem;
use serde_json::{Value, json};
use support::{TestServer, Workspace};

// A uv-derived base (uv on PATH, a named distro) and a cache-free, compiled sync keep other
// rules quiet, so the assertions below see only the findings under test.
const UNLOCKED: &str =
    "FROM ghcr.io/astral-sh/uv:0.12.5-python3.12-trixie-slim\nRUN uv sync --no-cache --compile-bytecode\n";
/// DF003 on line 1, DF001 on line 2, UV001 on line 3.
const THREE_FINDINGS: &str = "FROM ghcr.io/astral-sh/uv:0.12.5-python3.12-trixie-slim builder\nCOPPY a b\nRUN uv sync --no-cache --compile-bytecode\n";

fn berth(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_berth")).args(args).current_dir(cwd).output().expect("berth runs")
}

fn codes(ws: &Workspace, dockerfile: &str) -> Vec<String> {
    let path = ws.path(dockerfile);
    let text = std::fs::read_to_string(&path).expect("Dockerfile exists");
    berth::cli::lint_text(&path, &text, Some(&ws.root()))
        .iter()
        .map(|it| format!("{}:{}", it.code, it.severity.as_str()))
        .collect()
}

fn found(ws: &Workspace, dockerfile: &str) -> Option<(String, ConfigKind)> {
    let config = find_config(&OsFileSystem, &ws.path(dockerfile), Some(&ws.root()))?;
    let relative = config.file.path.strip_prefix(ws.root()).expect("inside the workspace").display().to_string();
    Some((relative, config.kind))
}

#[test]
fn the_nearest_configuration_wins_and_berth_toml_beats_pyproject() {
    let ws = Workspace::new();
    ws.write("app/docker/Dockerfile", UNLOCKED);
    assert_eq!(found(&ws, "app/docker/Dockerfile"), None);

    ws.write("berth.toml", "ignore = [\"UV001\"]\n");
    assert_eq!(found(&ws, "app/docker/Dockerfile"), Some(("berth.toml".to_owned(), ConfigKind::BerthToml)));

    // A pyproject.toml without [tool.berth] does not count.
    ws.write("app/pyproject.toml", "[project]\nname = \"app\"\n");
    assert_eq!(found(&ws, "app/docker/Dockerfile"), Some(("berth.toml".to_owned(), ConfigKind::BerthToml)));

    ws.write("app/pyproject.toml", "[project]\nname = \"app\"\n[tool.berth]\nignore = []\n");
    assert_eq!(found(&ws, "app/docker/Dockerfile"), Some(("app/pyproject.toml".to_owned(), ConfigKind::Pyproject)));

    ws.write("app/berth.toml", "");
    assert_eq!(found(&ws, "app/docker/Dockerfile"), Some(("app/berth.toml".to_owned(), ConfigKind::BerthToml)));
}

#[test]
fn discovery_stops_at_the_workspace_root() {
    let ws = Workspace::new();
    ws.write("berth.toml", "ignore = [\"UV001\"]\n");
    ws.write("inner/Dockerfile", UNLOCKED);
    let dockerfile = ws.path("inner/Dockerfile");
    assert!(find_config(&OsFileSystem, &dockerfile, Some(&ws.path("inner"))).is_none());
    assert!(find_config(&OsFileSystem, &dockerfile, Some(&ws.root())).is_some());
    // Outside the workspace only the Dockerfile's own folder counts.
    assert!(find_config(&OsFileSystem, &dockerfile, Some(&ws.path("elsewhere"))).is_none());
}

#[test]
fn select_ignore_extend_select_and_severity() {
    let ws = Workspace::new();
    ws.write("Dockerfile", THREE_FINDINGS);
    assert_eq!(codes(&ws, "Dockerfile"), ["DF003:error", "DF001:error", "UV001:warning"]);

    ws.write("berth.toml", "ignore = [\"unlocked-uv-sync\"]\n");
    assert_eq!(codes(&ws, "Dockerfile"), ["DF003:error", "DF001:error"]);

    ws.write("berth.toml", "select = [\"UV\"]\n");
    assert_eq!(codes(&ws, "Dockerfile"), ["UV001:warning"]);

    ws.write("berth.toml", "select = [\"UV\"]\nextend-select = [\"DF001\"]\n");
    assert_eq!(codes(&ws, "Dockerfile"), ["DF001:error", "UV001:warning"]);

    // The more specific selector wins: the DF family is off except DF001.
    ws.write("berth.toml", "ignore = [\"DF\"]\nextend-select = [\"DF001\"]\n");
    assert_eq!(codes(&ws, "Dockerfile"), ["DF001:error", "UV001:warning"]);

    ws.write("berth.toml", "[severity]\nUV = \"error\"\nDF001 = \"hint\"\nextra-arguments = \"off\"\n");
    assert_eq!(codes(&ws, "Dockerfile"), ["DF001:hint", "UV001:error"]);
}

#[test]
fn tool_berth_in_pyproject_is_read() {
    let ws = Workspace::new();
    ws.write("pyproject.toml", "[project]\nname = \"app\"\n\n[tool.berth]\nseverity = { UV001 = \"info\" }\n");
    ws.write("uv.lock", "version = 1\n");
    ws.write("Dockerfile", UNLOCKED);
    assert_eq!(codes(&ws, "Dockerfile"), ["UV001:info"]);
}

#[test]
fn per_file_ignores_are_relative_to_the_config_file() {
    let ws = Workspace::new();
    ws.write(
        "berth.toml",
        "[per-file-ignores]\n\"docker/*.Dockerfile\" = [\"UV001\"]\n\"Dockerfile.dev\" = [\"UV\"]\n",
    );
    ws.write("docker/api.Dockerfile", UNLOCKED);
    ws.write("other/api.Dockerfile", UNLOCKED);
    ws.write("deep/er/Dockerfile.dev", UNLOCKED);
    assert_eq!(codes(&ws, "docker/api.Dockerfile"), Vec::<String>::new());
    assert_eq!(codes(&ws, "other/api.Dockerfile"), ["UV001:warning"]);
    assert_eq!(codes(&ws, "deep/er/Dockerfile.dev"), Vec::<String>::new(), "a glob without `/` matches the name");
}

#[test]
fn trusted_registries_enable_the_registry_rule() {
    let ws = Workspace::new();
    ws.write("Dockerfile", "FROM python:3.12-slim-trixie AS base\nFROM ghcr.io/acme/python:3.12 AS app\nFROM base\n");
    assert_eq!(codes(&ws, "Dockerfile"), Vec::<String>::new());
    ws.write("berth.toml", "trusted-registries = [\"ghcr.io\"]\n");
    let path = ws.path("Dockerfile");
    let text = std::fs::read_to_string(&path).unwrap();
    let diagnostics = berth::cli::lint_text(&path, &text, Some(&ws.root()));
    let messages: Vec<&str> = diagnostics.iter().map(|it| &*it.message).collect();
    assert_eq!(messages, ["`python:3.12-slim-trixie` comes from docker.io, which is not a trusted registry (ghcr.io)"]);
    ws.write("berth.toml", "trusted-registries = [\"ghcr.io\", \"docker.io\"]\n");
    assert_eq!(codes(&ws, "Dockerfile"), Vec::<String>::new());
}

#[test]
fn bad_configuration_is_reported_at_its_line_and_the_rest_applies() {
    let ws = Workspace::new();
    let config = "ignore = [\"UV001\"]\nselct = [\"DF\"]\n\n[severity]\nDF001 = \"loud\"\nDF999 = \"error\"\n";
    ws.write("berth.toml", config);
    ws.write("Dockerfile", "FORM python\nRUN uv sync\n");
    let path = ws.path("Dockerfile");
    let text = std::fs::read_to_string(&path).unwrap();
    let diagnostics = berth::cli::lint_text(&path, &text, Some(&ws.root()));
    let problems: Vec<_> = diagnostics.iter().filter(|it| it.code == "DF012").collect();
    let rendered: Vec<String> = problems.iter().map(|it| it.message.to_string()).collect();
    assert_eq!(
        rendered,
        [
            "berth.toml:2:1: unknown key `selct`; did you mean `select`?",
            "berth.toml:5:9: `loud` is not a severity; use one of \"error\", \"warning\", \"info\", \"hint\", \"off\"",
            "berth.toml:6:1: `DF999` matches no berth rule; did you mean `DF009`?",
        ]
    );
    for problem in &problems {
        assert_eq!(problem.name, "invalid-config");
        assert_eq!(problem.severity, Severity::Warning);
        assert_eq!(&text[problem.range.start..problem.range.end], "FORM python", "anchored on the first line");
        let related = &problem.related[0];
        assert_eq!(related.path.as_deref(), Some(ws.path("berth.toml").as_path()));
        assert!(related.text.as_deref() == Some(config));
    }
    assert_eq!(&config[problems[0].related[0].range.start..problems[0].related[0].range.end], "selct");
    // `ignore` still applies: no UV001.
    assert!(diagnostics.iter().all(|it| it.code != "UV001"));
    assert!(diagnostics.iter().any(|it| it.code == "DF001"));
}

#[test]
fn broken_toml_in_berth_toml_is_reported() {
    let ws = Workspace::new();
    ws.write("berth.toml", "ignore = [\"UV001\"\n");
    ws.write("Dockerfile", UNLOCKED);
    let path = ws.path("Dockerfile");
    let diagnostics = berth::cli::lint_text(&path, UNLOCKED, Some(&ws.root()));
    assert_eq!(diagnostics.iter().filter(|it| it.code == "DF012").count(), 1, "{diagnostics:?}");
    assert!(diagnostics[0].message.starts_with("berth.toml:"), "{}", diagnostics[0].message);
}

#[test]
fn check_uses_the_configured_failure_threshold_unless_overridden() {
    let ws = Workspace::new();
    ws.write("Dockerfile", UNLOCKED);
    assert_eq!(berth(&["check"], &ws.root()).status.code(), Some(1));
    ws.write("berth.toml", "failure-threshold = \"error\"\n");
    assert_eq!(berth(&["check"], &ws.root()).status.code(), Some(0));
    assert_eq!(berth(&["check", "--failure-threshold", "warning"], &ws.root()).status.code(), Some(1));
    assert_eq!(berth(&["check", "--isolated"], &ws.root()).status.code(), Some(1));
}

#[test]
fn check_command_line_selection_and_forced_config() {
    let ws = Workspace::new();
    ws.write("Dockerfile", THREE_FINDINGS);
    ws.write("berth.toml", "ignore = [\"UV001\"]\n");
    ws.write("strict/berth.toml", "select = [\"UV001\"]\n");
    let json = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", "--format", "json"];
        all.extend_from_slice(args);
        let output = berth(&all, &ws.root());
        let items: Value = serde_json::from_slice(&output.stdout).expect("JSON output");
        items.as_array().unwrap().iter().map(|it| it["code"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(json(&[]), ["DF003", "DF001"]);
    assert_eq!(json(&["--ignore", "DF001"]), ["DF003"]);
    assert_eq!(json(&["--select", "UV,DF001"]), ["DF001"], "the file's ignore still removes UV001");
    assert_eq!(json(&["--isolated", "--select", "UV"]), ["UV001"]);
    assert_eq!(json(&["--config", "strict/berth.toml"]), ["UV001"]);
    assert_eq!(json(&["--isolated", "--extend-select", "UV001", "--ignore", "DF"]), ["UV001"]);

    let output = berth(&["check", "--select", "UV0001"], &ws.root());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`UV0001` matches no berth rule; did you mean `UV001`?"), "{stderr}");
    let output = berth(&["check", "--config", "missing.toml"], &ws.root());
    assert_eq!(output.status.code(), Some(2));
}

fn lsp_codes(params: &Value) -> Vec<String> {
    params["diagnostics"].as_array().unwrap().iter().map(|it| it["code"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn lsp_settings_override_the_file_and_are_refreshed() {
    let ws = Workspace::new();
    ws.write("berth.toml", "severity = { UV001 = \"info\" }\n");
    let text = THREE_FINDINGS;
    ws.write("Dockerfile", text);
    let mut server = TestServer::spawn();
    let root = support::file_uri(&ws.root());
    server.initialize_with(json!({
        "processId": null,
        "rootUri": root,
        "capabilities": {},
        "workspaceFolders": [{ "uri": root, "name": "root" }],
        "initializationOptions": { "berth": { "ignore": ["DF001"], "select": [], "network": { "enabled": false } } },
    }));
    let uri = ws.uri("Dockerfile");
    server.open(&uri, text);
    let params = server.await_diagnostics(&uri, 1);
    assert_eq!(lsp_codes(&params), ["DF003", "UV001"]);
    let uv001 = &params["diagnostics"][1];
    assert_eq!(uv001["severity"], 3, "the file's severity applies under the editor settings");
    assert_eq!(uv001["codeDescription"]["href"], berth::rules::doc_url("UV001"));

    server.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "berth": { "ignore": ["DF003"], "severity": { "UV001": "error" } } } }),
    );
    let params = server.await_diagnostics(&uri, 1);
    assert_eq!(lsp_codes(&params), ["DF001", "UV001"]);
    assert_eq!(params["diagnostics"][1]["severity"], 1);
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn lsp_pulls_the_berth_section_when_the_client_offers_it() {
    let ws = Workspace::new();
    let text = THREE_FINDINGS;
    ws.write("Dockerfile", text);
    let mut server = TestServer::spawn();
    server.set_auto_reply(false);
    server.initialize_in(&ws.root(), json!({ "workspace": { "configuration": true } }));
    let request = server.await_server_request("workspace/configuration");
    assert_eq!(request["params"]["items"][0]["section"], "berth");
    server.respond(&request["id"], json!([{ "extendSelect": [], "ignore": ["UV001", "DF001"] }]));
    let uri = ws.uri("Dockerfile");
    server.open(&uri, text);
    let params = server.await_diagnostics(&uri, 1);
    assert_eq!(lsp_codes(&params), ["DF003"]);

    // A pull-style change notification carries no settings: the server asks again.
    server.notify("workspace/didChangeConfiguration", json!({ "settings": null }));
    let request = server.await_server_request("workspace/configuration");
    server.respond(&request["id"], json!([{ "ignore": [] }]));
    let params = server.await_diagnostics(&uri, 1);
    assert_eq!(lsp_codes(&params), ["DF003", "DF001", "UV001"]);
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn editing_berth_toml_in_the_editor_reanalyses_the_dockerfile() {
    let ws = Workspace::new();
    let text = UNLOCKED;
    ws.write("Dockerfile", text);
    let mut server = TestServer::spawn();
    server.initialize_in(&ws.root(), json!({}));
    let uri = ws.uri("Dockerfile");
    server.open(&uri, text);
    assert_eq!(lsp_codes(&server.await_diagnostics(&uri, 1)), ["UV001"]);
    // An unsaved buffer wins over the disk (where berth.toml does not even exist).
    server.open_with(&ws.uri("berth.toml"), "toml", 1, "ignore = [\"UV001\"]\n");
    let params = server.await_diagnostics(&uri, 1);
    assert_eq!(lsp_codes(&params), Vec::<String>::new());
    assert!(server.shutdown_and_exit().success());
}
