//! The LSP server on stdio.

/// Serves LSP on stdin/stdout until `exit`; returns the process exit code.
pub fn run_stdio() -> i32 {
    0
}
