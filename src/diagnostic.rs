//! Findings as analysis reports them: byte ranges, stable codes, related locations, fixes.

use std::path::PathBuf;
use std::sync::Arc;

use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }

    pub fn from_name(name: &str) -> Option<Severity> {
        match name.to_ascii_lowercase().as_str() {
            "error" => Some(Severity::Error),
            "warning" | "warn" => Some(Severity::Warning),
            "info" | "information" => Some(Severity::Info),
            "hint" | "style" => Some(Severity::Hint),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    Unnecessary,
    Deprecated,
}

/// A place in another file (or in the Dockerfile itself when `path` is `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelatedLocation {
    /// `None` means the Dockerfile being analysed.
    pub path: Option<PathBuf>,
    /// The text of that file, so any front end can compute positions in its own encoding.
    pub text: Option<Arc<str>>,
    pub range: TextRange,
    pub message: String,
}

/// Whether applying a fix keeps the build's behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applicability {
    /// The build behaves the same; fix-all applies it.
    Safe,
    /// The build changes; only applied on request.
    Unsafe,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    /// `None` edits the Dockerfile; `Some` edits another file (e.g. .python-version).
    pub path: Option<PathBuf>,
    pub range: TextRange,
    pub new_text: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub applicability: Applicability,
    pub edits: Vec<Edit>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code such as `UV201`; never reused.
    pub code: &'static str,
    /// Kebab-case name such as `unlocked-uv-sync`.
    pub name: &'static str,
    pub severity: Severity,
    pub range: TextRange,
    /// Shared, so that carrying a finding over to the next version of a document (which happens
    /// to most findings on every keystroke) copies no text.
    pub message: Arc<str>,
    pub related: Vec<RelatedLocation>,
    pub tags: Vec<Tag>,
    pub fixes: Vec<Fix>,
}
