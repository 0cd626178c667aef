//! Derived model of a parsed Dockerfile: stages, ARG/ENV scoping, base images, shell commands.

pub mod expand;
pub mod image;
pub mod shell;
