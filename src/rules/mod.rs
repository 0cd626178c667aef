//! Rule registry.

/// Where a rule's documentation lives (the generated rules reference in the repository).
pub fn doc_url(code: &str) -> String {
    format!("https://github.com/berth-lsp/berth/blob/main/docs/rules.md#{}", code.to_ascii_lowercase())
}
