//! Build script: converts the built-in knowledge files from TOML, the format they are written in,
//! to JSON, which the binary parses about ten times faster when it first needs them (that parse
//! used to be most of the time to a first document's diagnostics).

use std::path::PathBuf;

/// The knowledge files under `src/knowledge/`, without the `.toml` extension.
const KNOWLEDGE_FILES: [&str; 4] = ["uv_env", "uv_cli", "dockerfile", "images"];

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR for build scripts"));
    for name in KNOWLEDGE_FILES {
        let source = format!("src/knowledge/{name}.toml");
        println!("cargo::rerun-if-changed={source}");
        let text = std::fs::read_to_string(&source).unwrap_or_else(|err| panic!("cannot read {source}: {err}"));
        let value: toml::Value =
            toml::from_str(&text).unwrap_or_else(|err| panic!("{source} is not valid TOML: {err}"));
        let json = serde_json::to_string(&value).unwrap_or_else(|err| panic!("{source} has no JSON form: {err}"));
        let target = out_dir.join(format!("{name}.json"));
        std::fs::write(&target, json).unwrap_or_else(|err| panic!("cannot write {}: {err}", target.display()));
    }
}
