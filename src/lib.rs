//! berth: a language server and linter for Dockerfiles that build Python projects with uv.
//!
//! Code map (see README.md § Architecture for the invariants):
//! - [`text`]: byte ranges and line/column conversion in UTF-8, UTF-16 and UTF-32.
//! - [`syntax`]: error-tolerant Dockerfile parser; text in, tree plus errors out.
//! - [`semantics`]: stages, ARG/ENV scoping, base images, shell commands found in RUN/CMD.
//! - [`project`]: finds and reads pyproject.toml, .python-version, uv.lock, .dockerignore.
//! - [`rules`]: one file per rule; a sorted registry.
//! - [`analysis`]: pure facade: text + project facts in, diagnostics out.
//! - [`server`]: the LSP server (the only module that knows LSP).
//! - [`cli`]: `berth check` and terminal rendering.

pub mod analysis;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod ide;
pub mod knowledge;
pub mod project;
pub mod registry;
pub mod rules;
pub mod semantics;
pub mod server;
pub mod suppression;
pub mod syntax;
#[cfg(test)]
mod test_support;
pub mod text;
