//! Consistency of the built-in knowledge data and behaviour of its query API.

use std::collections::HashSet;

use berth::knowledge::{self, ValueKind};
use expect_test::expect;

const DOCUMENTED: &str = include_str!("../src/knowledge/uv_env_documented.txt");

fn documented_names() -> Vec<&'static str> {
    DOCUMENTED.lines().map(str::trim).filter(|it| !it.is_empty()).collect()
}

#[track_caller]
fn assert_unique<'a>(what: &str, names: impl IntoIterator<Item = &'a str>) {
    let mut seen = HashSet::new();
    for name in names {
        assert!(seen.insert(name), "duplicate {what}: {name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Data integrity
// ---------------------------------------------------------------------------------------------

#[test]
fn data_files_parse() {
    assert_eq!(knowledge::data_errors(), Vec::<String>::new());
    assert!(!knowledge::uv_env_vars().is_empty());
    assert!(!knowledge::uv_commands().is_empty());
    assert!(!knowledge::instructions().is_empty());
    assert!(!knowledge::python_image_doc().repositories.is_empty());
    assert!(!knowledge::uv_image_doc().bases.is_empty());
}

#[test]
fn every_documented_variable_has_an_entry_and_vice_versa() {
    let documented = documented_names();
    assert_eq!(documented.len(), 133, "uv documents 133 UV_* names");
    for name in &documented {
        let entry = knowledge::uv_env_vars().iter().find(|it| it.name == *name);
        let Some(entry) = entry else { panic!("no entry for documented {name}") };
        assert!(!entry.hidden, "{name} is documented but marked hidden");
    }
    for var in knowledge::uv_env_vars() {
        if var.hidden {
            continue;
        }
        assert!(documented.contains(&var.name.as_str()), "{} is not in the documented list", var.name);
    }
}

#[test]
fn hidden_but_real_variables_are_present() {
    for name in ["UV_ONLY_INSTALL_PROJECT", "UV_ONLY_INSTALL_WORKSPACE", "UV_ONLY_INSTALL_LOCAL"] {
        let var = knowledge::uv_env(name).unwrap_or_else(|| panic!("{name} missing"));
        assert!(var.hidden);
    }
}

#[test]
fn env_var_entries_are_well_formed() {
    assert_unique("variable", knowledge::uv_env_vars().iter().map(|it| it.name.as_str()));
    for var in knowledge::uv_env_vars() {
        assert!(var.name.starts_with("UV_"), "{}", var.name);
        assert!(!var.summary.contains('\n'), "{}: summary must be one line", var.name);
        assert!(!var.docker.trim().is_empty(), "{}: missing docker note", var.name);
        assert!(!var.description.trim().is_empty(), "{}: missing description", var.name);
        if var.kind == ValueKind::Enum {
            assert!(var.values.len() >= 2, "{}: enum without values", var.name);
        } else {
            assert!(var.values.is_empty(), "{}: values on a non-enum", var.name);
        }
        if !var.hidden {
            let since = var.since.as_deref().unwrap_or_else(|| panic!("{}: no since", var.name));
            assert!(
                since.split('.').count() == 3 && since.split('.').all(|p| p.parse::<u64>().is_ok()),
                "{}: since {since} is not X.Y.Z",
                var.name
            );
        }
    }
}

#[test]
fn deprecated_variables_name_a_live_replacement() {
    let expected = [
        ("UV_INDEX_URL", "UV_DEFAULT_INDEX"),
        ("UV_EXTRA_INDEX_URL", "UV_INDEX"),
        ("UV_NATIVE_TLS", "UV_SYSTEM_CERTS"),
        ("UV_REQUEST_TIMEOUT", "UV_HTTP_TIMEOUT"),
        ("UV_WORKING_DIRECTORY", "UV_WORKING_DIR"),
        ("UV_ISOLATED", "UV_NO_CONFIG"),
    ];
    for (old, new) in expected {
        let var = knowledge::uv_env(old).unwrap_or_else(|| panic!("{old} missing"));
        assert_eq!(var.deprecated.as_deref(), Some(new), "{old}");
    }
    for var in knowledge::uv_env_vars() {
        let Some(replacement) = &var.deprecated else {
            continue;
        };
        let target = knowledge::uv_env(replacement)
            .unwrap_or_else(|| panic!("{}: replacement {replacement} does not exist", var.name));
        assert!(target.deprecated.is_none(), "{}: replacement is deprecated too", var.name);
    }
}

#[test]
fn secrets_and_insecure_switches_are_marked() {
    for name in [
        "UV_INDEX_{name}_USERNAME",
        "UV_INDEX_{name}_PASSWORD",
        "UV_PUBLISH_TOKEN",
        "UV_PUBLISH_PASSWORD",
        "UV_GITHUB_TOKEN",
    ] {
        assert!(knowledge::uv_env(name).is_some_and(|it| it.secret), "{name}");
    }
    for name in ["UV_INSECURE_HOST", "UV_INSECURE_NO_ZIP_VALIDATION", "UV_NO_VERIFY_HASHES"] {
        assert!(knowledge::uv_env(name).is_some_and(|it| it.insecure), "{name}");
    }
    assert!(!knowledge::uv_env("UV_LINK_MODE").is_some_and(|it| it.secret || it.insecure));
}

#[test]
fn mirrored_flags_exist_in_the_cli_data() {
    for var in knowledge::uv_env_vars() {
        let Some(flag) = &var.flag else { continue };
        match &var.flag_command {
            Some(command) => {
                assert!(knowledge::uv_command(command).is_some(), "{}: no command {command}", var.name);
                assert!(knowledge::uv_flag(command, flag).is_some(), "{}: `uv {command}` has no {flag}", var.name);
            }
            None => {
                let found =
                    knowledge::uv_commands().iter().any(|command| knowledge::uv_flag(&command.path, flag).is_some());
                assert!(found, "{}: no command accepts {flag}", var.name);
            }
        }
    }
}

#[test]
fn cli_data_is_consistent() {
    assert_unique("command", knowledge::uv_commands().iter().map(|it| it.path.as_str()));
    assert_unique("flag set", knowledge::uv_flag_sets().iter().map(|it| it.name.as_str()));
    for set in knowledge::uv_flag_sets() {
        assert_unique(&set.name, set.flags.iter().map(|it| it.name.as_str()));
    }
    for command in knowledge::uv_commands() {
        assert_unique(&command.path, command.flags.iter().map(|it| it.name.as_str()));
        for name in &command.includes {
            assert!(
                knowledge::uv_flag_sets().iter().any(|set| &set.name == name),
                "{}: unknown flag set {name}",
                command.path
            );
        }
        // A command's own conflicts must be flags of that command.
        for flag in &command.flags {
            for other in &flag.conflicts {
                assert!(
                    knowledge::uv_flag(&command.path, other).is_some(),
                    "uv {} {}: conflict {other} is not a flag of the command",
                    command.path,
                    flag.name
                );
            }
        }
        // Shared flags name conflicts that only matter where both flags exist, but they must exist
        // somewhere.
        for flag in command.all_flags() {
            for other in &flag.conflicts {
                let known = knowledge::uv_commands().iter().any(|it| knowledge::uv_flag(&it.path, other).is_some());
                assert!(known, "{}: conflict {other} is not a known flag", flag.name);
            }
            if let Some(env) = &flag.env {
                assert!(knowledge::uv_env(env).is_some(), "{}: unknown env {env}", flag.name);
            }
        }
    }
    for path in [
        "sync",
        "run",
        "lock",
        "export",
        "add",
        "remove",
        "pip install",
        "pip sync",
        "pip compile",
        "venv",
        "python install",
        "tool install",
        "tool run",
        "build",
        "self update",
    ] {
        assert!(knowledge::uv_command(path).is_some(), "missing command {path}");
    }
}

#[test]
fn every_described_flag_is_one_uv_parses_for_its_command() {
    for command in knowledge::uv_commands() {
        let accepted = knowledge::uv_accepted_flags(&command.path);
        assert!(accepted.len() > 20, "uv {}: no list of the flags uv parses", command.path);
        assert!(accepted.windows(2).all(|pair| pair[0] < pair[1]), "uv {}: the list is not sorted", command.path);
        // The hovers and rules describe these flags for this command: uv must take each
        // spelling, or the data says something uv would reject.
        for flag in command.all_flags() {
            for name in std::iter::once(&flag.name).chain(&flag.aliases) {
                assert_eq!(knowledge::uv_accepts_flag(&command.path, name), Some(true), "uv {} {name}", command.path);
            }
        }
    }
    assert_eq!(knowledge::uv_accepts_flag("sync", "--system"), Some(false));
    assert_eq!(knowledge::uv_accepts_flag("pip install", "--locked"), Some(false));
    assert_eq!(knowledge::uv_accepts_flag("pip install", "--disable-pip-version-check"), Some(true));
    assert_eq!(knowledge::uv_accepts_flag("cache clean", "--anything"), None);
    let takers: Vec<&str> = knowledge::uv_commands_accepting("--system").collect();
    assert_eq!(takers, ["pip install", "pip sync", "pip compile", "venv"]);
}

#[test]
fn every_described_command_is_one_uv_parses() {
    for group in std::iter::once("").chain(["pip", "tool", "python", "cache", "self", "auth", "workspace"]) {
        let names = knowledge::uv_subcommands(group);
        assert!(!names.is_empty() && names.windows(2).all(|pair| pair[0] < pair[1]), "uv {group}: sorted list");
        if !group.is_empty() {
            assert!(knowledge::uv_subcommands("").iter().any(|it| it == group), "{group} is a command");
        }
    }
    for command in knowledge::uv_commands() {
        let words: Vec<&str> = command.path.split(' ').collect();
        let group = if words.len() == 2 { words[0] } else { "" };
        let name = words.last().expect("a word");
        assert!(knowledge::uv_subcommands(group).iter().any(|it| it == name), "uv {}", command.path);
    }
    assert!(knowledge::uv_subcommands("pip").iter().all(|it| it != "instal"));
}

#[test]
fn lock_modes_cover_missing_stale_and_fresh() {
    let modes = knowledge::lock_modes();
    for situation in ["missing", "stale", "fresh"] {
        assert!(modes.rows.iter().any(|row| row.situation.contains(situation)), "{situation}");
    }
    assert!(modes.choose.iter().any(|it| it.contains("workspace") && it.contains("--frozen")));
}

#[test]
fn every_instruction_has_an_entry() {
    let expected = [
        "FROM",
        "RUN",
        "CMD",
        "LABEL",
        "EXPOSE",
        "ENV",
        "ADD",
        "COPY",
        "ENTRYPOINT",
        "VOLUME",
        "USER",
        "WORKDIR",
        "ARG",
        "ONBUILD",
        "STOPSIGNAL",
        "HEALTHCHECK",
        "SHELL",
        "MAINTAINER",
    ];
    assert_unique("instruction", knowledge::instructions().iter().map(|it| it.name.as_str()));
    assert_eq!(knowledge::instructions().len(), expected.len());
    for name in expected {
        let doc = knowledge::instruction(name).unwrap_or_else(|| panic!("{name} missing"));
        assert!(!doc.syntax.is_empty(), "{name}: no syntax");
        assert_unique(name, doc.flags.iter().map(|it| it.name.as_str()));
    }
    assert!(knowledge::instruction("MAINTAINER").is_some_and(|it| it.deprecated.is_some()));
    let flags = [
        ("FROM", &["--platform"][..]),
        ("RUN", &["--mount", "--network", "--security", "--device"][..]),
        ("COPY", &["--from", "--chown", "--chmod", "--link", "--parents", "--exclude"][..]),
        ("ADD", &["--chown", "--chmod", "--link", "--checksum", "--keep-git-dir", "--exclude", "--unpack"][..]),
        ("HEALTHCHECK", &["--interval", "--timeout", "--start-period", "--start-interval", "--retries"][..]),
    ];
    for (instruction, names) in flags {
        for flag in names {
            assert!(knowledge::instruction_flag(instruction, flag).is_some(), "{instruction} {flag}");
        }
    }
}

#[test]
fn every_mount_type_has_its_options() {
    let expected: [(&str, &[&str]); 5] = [
        ("bind", &["target", "source", "from", "rw"]),
        ("cache", &["id", "target", "ro", "sharing", "from", "source", "mode", "uid", "gid"]),
        ("tmpfs", &["target", "size"]),
        ("secret", &["id", "target", "env", "required", "mode", "uid", "gid"]),
        ("ssh", &["id", "target", "required", "mode", "uid", "gid"]),
    ];
    assert_eq!(knowledge::mount_types().len(), expected.len());
    for (kind, options) in expected {
        let doc = knowledge::mount_type(kind).unwrap_or_else(|| panic!("{kind} missing"));
        assert_unique(kind, doc.options.iter().map(|it| it.name.as_str()));
        assert_eq!(doc.options.len(), options.len(), "{kind}: unexpected option count");
        for option in options {
            assert!(knowledge::mount_option(kind, option).is_some(), "{kind}: {option}");
        }
    }
    // Aliases resolve to their canonical option.
    assert_eq!(knowledge::mount_option("cache", "dst").map(|it| it.name.as_str()), Some("target"));
    assert_eq!(knowledge::mount_option("bind", "readwrite").map(|it| it.name.as_str()), Some("rw"));
    assert_eq!(knowledge::mount_option("cache", "readonly").map(|it| it.name.as_str()), Some("ro"));
    assert!(knowledge::mount_option("cache", "size").is_none());
    let sharing = knowledge::mount_option("cache", "sharing").map(|it| it.values.len());
    assert_eq!(sharing, Some(3));
}

#[test]
fn directives_and_predefined_args() {
    for name in ["syntax", "escape", "check"] {
        assert!(knowledge::directive(name).is_some(), "{name}");
    }
    assert!(knowledge::directive("SYNTAX").is_some(), "directive keys ignore case");
    assert_unique("arg", knowledge::predefined_args().iter().map(|it| it.name.as_str()));
    for name in ["TARGETPLATFORM", "TARGETARCH", "BUILDPLATFORM", "HTTP_PROXY", "no_proxy", "SOURCE_DATE_EPOCH"] {
        assert!(knowledge::predefined_arg(name).is_some(), "{name}");
    }
    assert!(knowledge::predefined_arg("PATH").is_none());
}

#[test]
fn image_knowledge() {
    let python = knowledge::python_image_doc();
    assert!(python.distro("trixie").is_some());
    assert!(python.uv.contains("no uv"));
    let uv = knowledge::uv_image_doc();
    assert!(uv.base("python3.12-trixie-slim").is_some_and(|it| it.python.as_deref() == Some("3.12")));
    assert!(uv.base("python3.12-slim-trixie").is_none(), "uv puts the distro before slim");
    assert_eq!(uv.retired("python3.12-bookworm-slim").map(|it| it.last_version.as_str()), Some("0.9.30"));
    assert!(uv.retired("python3.12-trixie-slim").is_none());
    assert_eq!(knowledge::python_version("3.8").map(|it| it.status), Some(knowledge::PythonStatus::EndOfLife));
    assert_eq!(knowledge::python_version("3.12.7").map(|it| it.minor.as_str()), Some("3.12"));
    for minor in ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14"] {
        assert!(knowledge::python_version(minor).is_some(), "{minor}");
    }
}

// ---------------------------------------------------------------------------------------------
// Query API
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn accepts(name: &str, value: &str) -> Result<(), String> {
    knowledge::uv_env(name).unwrap_or_else(|| panic!("{name} missing")).accepts(value)
}

#[test]
fn enum_values_are_checked() {
    assert_eq!(accepts("UV_LINK_MODE", "copy"), Ok(()));
    assert_eq!(accepts("UV_LINK_MODE", "reflink"), Ok(()));
    let err = accepts("UV_LINK_MODE", "cpy").unwrap_err();
    for allowed in ["clone", "copy", "hardlink", "symlink"] {
        assert!(err.contains(allowed), "{err}");
    }
    assert!(err.contains("cpy"), "{err}");
}

#[test]
fn python_downloads_has_no_off() {
    assert!(accepts("UV_PYTHON_DOWNLOADS", "off").is_err());
    for ok in ["0", "never", "manual", "automatic", "auto", "1", "true", "false"] {
        assert_eq!(accepts("UV_PYTHON_DOWNLOADS", ok), Ok(()), "{ok}");
    }
}

#[test]
fn booleans_accept_uv_spellings_only() {
    for ok in ["1", "true", "TRUE", "Yes", "y", "t", "on", "0", "false", "No", "n", "F", "off", "OFF"] {
        assert_eq!(accepts("UV_COMPILE_BYTECODE", ok), Ok(()), "{ok}");
    }
    for bad in ["", "2", "enabled", "tru", " 1"] {
        assert!(accepts("UV_COMPILE_BYTECODE", bad).is_err(), "{bad:?}");
    }
    assert!(accepts("UV_FROZEN", "").unwrap_err().contains("empty"));
}

#[test]
fn numbers_are_checked() {
    assert_eq!(accepts("UV_HTTP_TIMEOUT", "120"), Ok(()));
    assert!(accepts("UV_HTTP_TIMEOUT", "2m").is_err());
    assert!(accepts("UV_HTTP_TIMEOUT", "").is_err());
    assert!(accepts("UV_CONCURRENT_BUILDS", "0").is_err());
    assert_eq!(accepts("UV_CONCURRENT_BUILDS", "2"), Ok(()));
    assert_eq!(accepts("UV_CACHE_DIR", "/opt/uv-cache"), Ok(()));
}

#[test]
fn did_you_mean() {
    assert_eq!(knowledge::closest_uv_env("UV_COMPILE_BYTECODES"), Some("UV_COMPILE_BYTECODE"));
    assert_eq!(knowledge::closest_uv_env("UV_LINK_MDOE"), Some("UV_LINK_MODE"));
    assert_eq!(knowledge::closest_uv_env("UV_NO_DEV_DEPS"), Some("UV_NO_DEV"));
    assert_eq!(knowledge::closest_uv_env("UV_FROZEN_LOCK"), Some("UV_FROZEN"));
    assert_eq!(knowledge::closest_uv_env("uv_link_mode"), Some("UV_LINK_MODE"));
    assert_eq!(knowledge::closest_uv_env("UV_LINK_MODE"), None, "known names need no suggestion");
    assert_eq!(knowledge::closest_uv_env("UV_TOTALLY_UNRELATED_THING"), None);
    assert_eq!(knowledge::closest_uv_env("UV_XYZ"), None);
    // Long names: a typo is still found among names of about its length, and a megabyte-long
    // name is compared with none (the distance table would grow with its length).
    assert_eq!(knowledge::closest_uv_env("UV_PYTHON_INSTALL_MIRRORR"), Some("UV_PYTHON_INSTALL_MIRROR"));
    assert_eq!(knowledge::closest_uv_env(&format!("UV_{}", "A".repeat(1_000_000))), None);
    assert_eq!(knowledge::closest_uv_env(&format!("UV_LINK_MODE{}", "_X".repeat(500_000))), None);
}

#[test]
fn index_credential_patterns_resolve() {
    let password = knowledge::uv_env("UV_INDEX_PRIVATE_REGISTRY_PASSWORD").map(|it| it.name.as_str());
    assert_eq!(password, Some("UV_INDEX_{name}_PASSWORD"));
    let user = knowledge::uv_env("UV_INDEX_GITLAB_USERNAME").map(|it| it.name.as_str());
    assert_eq!(user, Some("UV_INDEX_{name}_USERNAME"));
    assert!(knowledge::uv_env("UV_INDEX_PASSWORD").is_none());
    assert_eq!(knowledge::uv_env("UV_INDEX_URL").map(|it| it.name.as_str()), Some("UV_INDEX_URL"));
    assert_eq!(knowledge::closest_uv_env("UV_INDEX_CORP_PASSWORD"), None);
}

#[test]
fn commands_and_flags_resolve() {
    assert_eq!(knowledge::uv_command("pip  install").map(|it| it.path.as_str()), Some("pip install"));
    assert_eq!(knowledge::uv_command("uv sync").map(|it| it.path.as_str()), Some("sync"));
    assert_eq!(knowledge::uv_command("uvx").map(|it| it.path.as_str()), Some("tool run"));
    assert!(knowledge::uv_command("frobnicate").is_none());

    let frozen = knowledge::uv_flag("sync", "--frozen").expect("sync --frozen");
    assert!(frozen.conflicts.iter().any(|it| it == "--locked"));
    assert!(frozen.conflicts.iter().any(|it| it == "--no-sources"));
    let locked = knowledge::uv_flag("sync", "--locked").expect("sync --locked");
    assert!(locked.conflicts.iter().any(|it| it == "--upgrade"));

    // Global flags, short aliases, `=value` and long aliases.
    assert_eq!(knowledge::uv_flag("sync", "-n").map(|it| it.name.as_str()), Some("--no-cache"));
    assert_eq!(knowledge::uv_flag("pip install", "-p").map(|it| it.name.as_str()), Some("--python"));
    assert_eq!(knowledge::uv_flag("sync", "--link-mode=copy").map(|it| it.name.as_str()), Some("--link-mode"));
    assert_eq!(knowledge::uv_flag("sync", "--compile").map(|it| it.name.as_str()), Some("--compile-bytecode"));
    assert_eq!(knowledge::uv_flag("sync", "--no-exact").map(|it| it.name.as_str()), Some("--inexact"));
    assert_eq!(knowledge::uv_flag("lock", "--frozen").map(|it| it.name.as_str()), Some("--check-exists"));
    assert_eq!(knowledge::uv_flag("unknown", "--offline").map(|it| it.name.as_str()), Some("--offline"));

    // Command-specific flags stay with their command.
    assert!(knowledge::uv_flag("run", "--no-install-project").is_none());
    assert!(knowledge::uv_flag("sync", "--no-install-local").is_some_and(|it| it.since.as_deref() == Some("0.8.14")));
    assert!(knowledge::uv_flag("tool install", "--frozen").is_none());
    assert!(knowledge::uv_flag("sync", "frozen").is_none());
}

#[test]
fn instruction_lookups_ignore_case_and_values() {
    assert_eq!(knowledge::instruction("copy").map(|it| it.name.as_str()), Some("COPY"));
    assert_eq!(knowledge::instruction_flag("COPY", "--from=builder").map(|it| it.name.as_str()), Some("--from"));
    assert_eq!(knowledge::instruction_flag("run", "mount").map(|it| it.name.as_str()), Some("--mount"));
    assert!(knowledge::instruction_flag("COPY", "--checksum").is_none());
    assert!(knowledge::instruction("FORM").is_none());
}

#[test]
fn version_comparison() {
    assert!(knowledge::version_at_least("0.11.20", "0.11.20"));
    assert!(knowledge::version_at_least("0.12.5", "0.11.20"));
    assert!(knowledge::version_at_least("0.11.21", "0.11.20"));
    assert!(!knowledge::version_at_least("0.11.3", "0.11.20"), "numeric, not lexical");
    assert!(!knowledge::version_at_least("0.8", "0.8.7"));
    assert!(knowledge::version_at_least("0.9", "0.9.0"));
    assert!(knowledge::version_at_least("1", "0.12.5"));
    assert!(knowledge::version_at_least("0.10.0rc1", "0.10.0"));
    assert!(knowledge::version_at_least("latest", "0.8.7"), "unreadable versions never warn");
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

#[test]
fn every_entry_renders() {
    for var in knowledge::uv_env_vars() {
        let text = var.to_markdown();
        assert!(text.starts_with(&format!("**`{}`**", var.name)), "{text}");
        assert!(text.contains("**In a Dockerfile:**"), "{}", var.name);
    }
    for command in knowledge::uv_commands() {
        assert!(command.to_markdown().contains(&command.usage));
        for flag in command.all_flags() {
            assert!(flag.to_markdown_in(&command.path).contains(&flag.name));
        }
    }
    for doc in knowledge::instructions() {
        assert!(doc.to_markdown().contains(&doc.name));
        for flag in &doc.flags {
            assert!(flag.to_markdown_in(&doc.name).contains(&flag.name));
        }
    }
    for doc in knowledge::mount_types() {
        assert!(doc.to_markdown().contains(&doc.name));
        for option in &doc.options {
            assert!(option.to_markdown_in(&doc.name).contains(&option.name));
        }
    }
    for doc in knowledge::directives() {
        assert!(doc.to_markdown().contains(&doc.name));
    }
    for arg in knowledge::predefined_args() {
        assert!(arg.to_markdown().contains(&arg.name));
    }
    assert!(knowledge::python_image_doc().to_markdown().contains("slim"));
    assert!(knowledge::uv_image_doc().to_markdown().contains("/usr/local/bin"));
    assert!(knowledge::lock_modes().to_markdown().contains("| `uv.lock` stale |"));
}

#[test]
fn hover_uv_link_mode() {
    let text = knowledge::uv_env("UV_LINK_MODE").map(|it| it.to_markdown()).unwrap_or_default();
    expect![[r#"
        **`UV_LINK_MODE`** — How uv places package files from its cache into the environment.

        | Value | Meaning |
        |---|---|
        | `clone` (also `reflink`) | copy-on-write clone of each file |
        | `copy` | plain copy of each file |
        | `hardlink` | hard link to the file in the cache |
        | `symlink` | symbolic link into the cache (the environment breaks if the cache goes away) |

        Default: `clone` on macOS and on Linux since 0.10.5, `hardlink` elsewhere · Flag: `--link-mode` · Since: uv 0.1.40

        uv keeps unpacked wheels in its cache and links or copies them into each environment. If the chosen method is impossible (for example across filesystems), it falls back to hardlinking and then copying, and prints a warning. Before 0.10.5 the Linux default was `hardlink`.

        **In a Dockerfile:** With a cache mount, the cache and the venv live on different filesystems, so clones and hardlinks fail: set `UV_LINK_MODE=copy` to skip the fallback and its warning. Never use `symlink` with a cache mount or `--no-cache`, since the cache is gone once the `RUN` ends.
    "#]].assert_eq(&text);
}

#[test]
fn hover_uv_sync_frozen() {
    let text = knowledge::uv_flag("sync", "--frozen").map(|it| it.to_markdown_in("sync")).unwrap_or_default();
    expect![[r#"
        **`uv sync --frozen`** — Install exactly what `uv.lock` says, without checking it against `pyproject.toml`.

        Env: `UV_FROZEN` · Conflicts with: `--locked`, `--upgrade`, `--no-sources`

        uv reads only the lockfile: no resolution, no freshness check, no write. A missing lockfile is an error, but a stale one is used as is, so edits to `pyproject.toml` are silently not applied.

        **In a Dockerfile:** Right for the first layer of a workspace build, where member `pyproject.toml` files are not in the image yet. Elsewhere prefer `--locked`, which also catches a forgotten re-lock.

        | | no flag | `--locked` | `--frozen` |
        |---|---|---|---|
        | `uv.lock` missing | resolves (network), writes a new `uv.lock`, installs | error: no lockfile | error: no lockfile |
        | `uv.lock` stale | re-resolves, rewrites `uv.lock`, installs the new set | error: the lock needs updating | installs what the lock says; `pyproject.toml` changes are ignored |
        | `uv.lock` fresh | installs; nothing written | check passes; installs | installs |
        | needs every member's `pyproject.toml` | yes | yes | no, only the lock |
        | may write `uv.lock` | yes (fails on a read-only mount) | never | never |
    "#]].assert_eq(&text);
}
