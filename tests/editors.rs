//! Checks that the editor integrations in `editors/` agree with the binary and with each other.
//!
//! The static checks (settings schema, command lines, Helix snippet) always run. The end-to-end tests
//! drive the real `berth server` from the VS Code test client (Node) and from headless Neovim; they
//! skip, with a message saying what to install, when Node with `npm ci` or `nvim` is missing.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

const SERVER_ARGS: [&str; 1] = ["server"];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn editors_dir() -> PathBuf {
    repo_root().join("editors")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|err| panic!("{} is not valid JSON: {err}", path.display()))
}

/// The entries of editors/settings.json, in file order.
fn settings_entries() -> Vec<Map<String, Value>> {
    let settings = read_json(&editors_dir().join("settings.json"));
    let Some(entries) = settings["settings"].as_array() else {
        panic!("editors/settings.json needs a `settings` array");
    };
    entries.iter().map(|entry| entry.as_object().cloned().expect("every setting is an object")).collect()
}

fn setting_name(entry: &Map<String, Value>) -> &str {
    entry["name"].as_str().expect("every setting has a string `name`")
}

/// The defaults of the settings the server reads, nested the way they arrive on the wire:
/// `berth.network.enabled` becomes `{"network": {"enabled": ...}}`.
fn server_section_defaults() -> Value {
    let mut section = Map::new();
    for entry in settings_entries() {
        if entry["usedBy"] != "server" {
            continue;
        }
        let name = setting_name(&entry);
        let parts: Vec<&str> = name.split('.').skip(1).collect();
        let (last, parents) = parts.split_last().expect("setting names have a part after `berth.`");
        let mut node = &mut section;
        for part in parents {
            node = node
                .entry(part.to_string())
                .or_insert_with(|| Value::Object(Map::new()))
                .as_object_mut()
                .expect("a setting name prefix is also a setting");
        }
        node.insert(last.to_string(), entry["default"].clone());
    }
    Value::Object(section)
}

#[test]
fn settings_json_lists_the_agreed_settings() {
    let entries = settings_entries();
    let names: Vec<&str> = entries.iter().map(setting_name).collect();
    assert_eq!(
        names,
        [
            "berth.select",
            "berth.ignore",
            "berth.extendSelect",
            "berth.severity",
            "berth.failureThreshold",
            "berth.network.enabled",
            "berth.trustedRegistries",
            "berth.path",
            "berth.trace.server",
        ]
    );
    for entry in &entries {
        let name = setting_name(entry);
        let used_by = entry["usedBy"].as_str().unwrap_or_default();
        assert!(used_by == "server" || used_by == "client", "{name}: usedBy must be server or client");
        assert!(entry["markdownDescription"].as_str().is_some_and(|it| !it.is_empty()), "{name}: needs a description");
        let default = &entry["default"];
        let type_matches = match entry["type"].as_str() {
            Some("array") => default.is_array(),
            Some("object") => default.is_object(),
            Some("string") => default.is_string(),
            Some("boolean") => default.is_boolean(),
            other => panic!("{name}: unexpected type {other:?}"),
        };
        assert!(type_matches, "{name}: default {default} does not have type {}", entry["type"]);
        if let Some(allowed) = entry.get("enum").and_then(Value::as_array) {
            assert!(allowed.contains(default), "{name}: default {default} is not among {allowed:?}");
        }
    }
}

#[test]
fn vscode_contributed_settings_equal_settings_json() {
    let package = read_json(&editors_dir().join("vscode/package.json"));
    let Some(properties) = package["contributes"]["configuration"]["properties"].as_object() else {
        panic!("editors/vscode/package.json has no contributes.configuration.properties");
    };
    let mut expected = Map::new();
    for mut entry in settings_entries() {
        let name = setting_name(&entry).to_string();
        entry.remove("name");
        entry.remove("usedBy");
        expected.insert(name, Value::Object(entry));
    }
    let contributed: Vec<&String> = properties.keys().collect();
    let listed: Vec<&String> = expected.keys().collect();
    assert_eq!(contributed, listed, "package.json must contribute the settings of editors/settings.json, in order");
    for (name, schema) in &expected {
        assert_eq!(&properties[name], schema, "package.json's {name} differs from editors/settings.json");
    }
}

#[test]
fn helix_and_neovim_settings_carry_the_server_defaults() {
    let helix: toml::Table =
        toml::from_str(&read(&editors_dir().join("helix/languages.toml"))).expect("languages.toml parses");
    let config = serde_json::to_value(&helix["language-server"]["berth"]["config"]).expect("TOML converts to JSON");
    assert_eq!(
        config["berth"],
        server_section_defaults(),
        "helix/languages.toml `config.berth` should list every server setting with its default"
    );

    // The Lua table is not parsed here; each server setting must at least appear as a key.
    let neovim = read(&editors_dir().join("neovim/lsp/berth.lua"));
    let Value::Object(section) = server_section_defaults() else {
        unreachable!("server_section_defaults builds an object")
    };
    for key in section.keys() {
        assert!(neovim.contains(&format!("{key} = ")), "neovim/lsp/berth.lua settings lack `{key}`");
    }
}

/// The command line each editor integration uses to start the server.
fn editor_command_lines() -> Vec<(&'static str, Vec<String>)> {
    let mut lines = Vec::new();

    let helix: toml::Table =
        toml::from_str(&read(&editors_dir().join("helix/languages.toml"))).expect("languages.toml parses");
    let server = &helix["language-server"]["berth"];
    let mut helix_line = vec![server["command"].as_str().expect("helix command is a string").to_string()];
    for arg in server["args"].as_array().expect("helix args is an array") {
        helix_line.push(arg.as_str().expect("helix args are strings").to_string());
    }
    lines.push(("editors/helix/languages.toml", helix_line));

    let lua = read(&editors_dir().join("neovim/lsp/berth.lua"));
    let cmd = lua
        .lines()
        .find_map(|line| line.trim().strip_prefix("cmd = {"))
        .and_then(|rest| rest.strip_suffix("},"))
        .expect("neovim/lsp/berth.lua has a one-line `cmd = { ... },`");
    let neovim_line =
        cmd.split(',').map(|word| word.trim().trim_matches('\'').to_string()).filter(|word| !word.is_empty()).collect();
    lines.push(("editors/neovim/lsp/berth.lua", neovim_line));

    let extension = read(&editors_dir().join("vscode/src/extension.ts"));
    let constant = |name: &str| -> String {
        let prefix = format!("export const {name} = ");
        extension
            .lines()
            .find_map(|line| line.strip_prefix(prefix.as_str()))
            .and_then(|rest| rest.strip_suffix(';'))
            .unwrap_or_else(|| panic!("extension.ts lacks `{prefix}...;`"))
            .to_string()
    };
    let mut vscode_line = vec![constant("SERVER_BINARY").trim_matches('\'').to_string()];
    let args = constant("SERVER_ARGS");
    let args = args.trim_start_matches('[').trim_end_matches(']');
    vscode_line
        .extend(args.split(',').map(|word| word.trim().trim_matches('\'').to_string()).filter(|word| !word.is_empty()));
    lines.push(("editors/vscode/src/extension.ts", vscode_line));

    lines
}

#[test]
fn editor_configs_start_the_real_server_subcommand() {
    let cargo: toml::Table = toml::from_str(&read(&repo_root().join("Cargo.toml"))).expect("Cargo.toml parses");
    let bins = cargo["bin"].as_array().expect("Cargo.toml has [[bin]]");
    let bin_name = bins[0]["name"].as_str().expect("the [[bin]] has a name");
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_berth"));
    assert_eq!(exe.file_stem().and_then(|it| it.to_str()), Some(bin_name));

    for (file, line) in editor_command_lines() {
        assert_eq!(line[0], bin_name, "{file} runs `{}`, but the binary is `{bin_name}`", line[0]);
        assert_eq!(line[1..], SERVER_ARGS, "{file} passes {:?}", &line[1..]);
    }

    // clap rejects an unknown subcommand, so this breaks when `server` is renamed.
    let help = Command::new(&exe).args(SERVER_ARGS).arg("--help").output().expect("the berth binary runs");
    assert!(help.status.success(), "`berth server --help` failed: {}", String::from_utf8_lossy(&help.stderr));
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("--stdio"), "`berth server` should accept --stdio, which editors may pass:\n{text}");
}

#[test]
fn helix_snippet_wires_berth_into_dockerfile() {
    let helix: toml::Table =
        toml::from_str(&read(&editors_dir().join("helix/languages.toml"))).expect("languages.toml parses");
    let languages = helix["language"].as_array().expect("[[language]] entries");
    let dockerfile =
        languages.iter().find(|it| it["name"].as_str() == Some("dockerfile")).expect("a dockerfile [[language]]");
    let servers: Vec<&str> = dockerfile["language-servers"]
        .as_array()
        .expect("language-servers")
        .iter()
        .filter_map(toml::Value::as_str)
        .collect();
    assert_eq!(servers, ["berth", "docker-langserver"]);
    let roots: Vec<&str> =
        dockerfile["roots"].as_array().expect("roots").iter().filter_map(toml::Value::as_str).collect();
    assert_eq!(roots, ["pyproject.toml", "uv.lock", ".git"]);
    let globs: Vec<&str> = dockerfile["file-types"]
        .as_array()
        .expect("file-types")
        .iter()
        .filter_map(|it| it.get("glob").and_then(toml::Value::as_str))
        .collect();
    for glob in ["Containerfile", "Containerfile.*", "*.Dockerfile", "Dockerfile.*", "Dockerfile-*", "Dockerfile_*"] {
        assert!(globs.contains(&glob), "file-types lack the glob {glob}");
    }
}

struct Outcome {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
}

/// Runs `command` to completion or until `deadline`, then kills it; output is read on threads so
/// that a chatty child never blocks on a full pipe.
fn run_with_deadline(command: &mut Command, deadline: Duration) -> Outcome {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot run {command:?}: {err}"));
    let stdout = child.stdout.take().map(drain);
    let stderr = child.stderr.take().map(drain);
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if start.elapsed() < deadline => thread::sleep(Duration::from_millis(100)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let collect = |handle: Option<thread::JoinHandle<String>>| handle.and_then(|it| it.join().ok()).unwrap_or_default();
    Outcome {
        success: status.is_some_and(|it| it.success()),
        status: status.map_or_else(|| format!("killed after {deadline:?}"), |it| it.to_string()),
        stdout: collect(stdout),
        stderr: collect(stderr),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn tool_available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|it| it.success())
}

/// Outside CI a missing editor tool skips its test with a message; in CI (where `.ci/run`
/// installs them) it fails, so a broken set-up cannot pass unnoticed.
fn skip(reason: &str) {
    assert!(std::env::var_os("CI").is_none(), "{reason} (CI installs it in .ci/run)");
    eprintln!("skipped: {reason}");
}

/// The VS Code folder when Node, npm and its installed dependencies are present; otherwise says why not.
fn vscode_dir_ready() -> Option<PathBuf> {
    let dir = editors_dir().join("vscode");
    if !tool_available("node") || !tool_available("npm") {
        skip("node and npm are not installed; install them, then run `npm ci` in editors/vscode");
        return None;
    }
    if !dir.join("node_modules").is_dir() {
        skip("run `npm ci` in editors/vscode");
        return None;
    }
    Some(dir)
}

fn npm(dir: &Path, script: &[&str]) -> Outcome {
    run_with_deadline(
        Command::new("npm").args(script).current_dir(dir).env("BERTH_BIN", env!("CARGO_BIN_EXE_berth")),
        Duration::from_secs(300),
    )
}

#[test]
fn vscode_extension_typechecks_and_bundles() {
    let Some(dir) = vscode_dir_ready() else {
        return;
    };
    for script in [["run", "typecheck"], ["run", "build"]] {
        let outcome = npm(&dir, &script);
        assert!(
            outcome.success,
            "npm {} failed ({}):\n{}\n{}",
            script.join(" "),
            outcome.status,
            outcome.stdout,
            outcome.stderr
        );
    }
    assert!(dir.join("out/extension.js").is_file(), "the build should write out/extension.js");
    // Packaging must work offline; the .vsix is written into a temporary folder, not the tree.
    let out = tempfile::tempdir().expect("temp dir");
    let vsix = out.path().join("berth.vsix");
    let outcome = npm(&dir, &["exec", "--", "vsce", "package", "--no-dependencies", "--out", &vsix.to_string_lossy()]);
    assert!(outcome.success, "packaging failed ({}):\n{}\n{}", outcome.status, outcome.stdout, outcome.stderr);
    let size = std::fs::metadata(&vsix).map(|it| it.len()).unwrap_or(0);
    assert!(size > 10_000, "the .vsix looks empty ({size} bytes)");
}

/// Drives `berth server` the way VS Code does. Needs the server's diagnostics, hover and code actions.
#[test]
fn vscode_client_end_to_end() {
    let Some(dir) = vscode_dir_ready() else {
        return;
    };
    let outcome = npm(&dir, &["test"]);
    assert!(
        outcome.success,
        "npm test in editors/vscode failed ({}):\n{}\n{}",
        outcome.status, outcome.stdout, outcome.stderr
    );
}

/// Drives `berth server` from headless Neovim. Needs the server's diagnostics, hover and code actions.
#[test]
fn neovim_end_to_end() {
    if !tool_available("nvim") {
        skip("nvim is not installed (apt-get install neovim)");
        return;
    }
    let script = editors_dir().join("neovim/test/e2e.lua");
    let outcome = run_with_deadline(
        Command::new("nvim")
            .args(["--headless", "-u", "NONE", "-i", "NONE", "-n", "-c"])
            .arg(format!("luafile {}", script.display()))
            .env("BERTH_BIN", env!("CARGO_BIN_EXE_berth")),
        Duration::from_secs(120),
    );
    assert!(
        outcome.success && outcome.stdout.contains("RESULT: ok"),
        "the Neovim end-to-end test failed ({}):\n{}\n{}",
        outcome.status,
        outcome.stdout,
        outcome.stderr
    );
}
