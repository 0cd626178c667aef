//! The `berth` binary: `berth server` speaks LSP on stdio, `berth check` lints for CI.

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
    /// Lint Dockerfiles (files, or folders searched for Dockerfile, Dockerfile.*, *.Dockerfile,
    /// *.dockerfile and Containerfile).
    Check(berth::cli::CheckArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Server { stdio: _ } => berth::server::run_stdio(),
        Command::Check(args) => berth::cli::run_check(args),
    };
    std::process::exit(code);
}
