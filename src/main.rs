//! The `berth` binary: `berth server` speaks LSP on stdio, `berth check` lints for CI.

fn main() {
    std::process::exit(berth::server::run_stdio());
}
