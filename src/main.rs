//! The `berth` binary: `berth server` speaks LSP on stdio, `berth check` lints for CI, `berth rules`
//! and `berth explain` document the rules.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "berth",
    version,
    about = "Language server and linter for Dockerfiles that build Python projects with uv"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the language server on stdin/stdout.
    Server {
        /// Accepted for editors that pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
    /// Lint Dockerfiles (files, or folders searched for Dockerfile, Dockerfile.*, Dockerfile-*,
    /// *.Dockerfile, Containerfile and the like).
    Check(berth::cli::CheckArgs),
    /// List every rule: code, name, default severity, fix, hadolint/BuildKit counterpart.
    Rules(berth::cli::RulesArgs),
    /// Show a rule's documentation (by code, name, hadolint code or BuildKit check name).
    Explain(berth::cli::ExplainArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Server { stdio: _ } => berth::server::run_stdio(),
        Command::Check(args) => berth::cli::run_check(args),
        Command::Rules(args) => berth::cli::run_rules(&args),
        Command::Explain(args) => berth::cli::run_explain(&args),
    };
    std::process::exit(code);
}
