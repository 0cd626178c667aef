//! Rewrites berth offers beyond the fixes rules attach: extra quick fixes keyed on a diagnostic's
//! code and range, and refactorings offered where the cursor is.
//!
//! Every rewrite is a set of small text edits that keep the file's line endings, indentation,
//! keyword casing and escape character, so editors keep cursors and undo history. Rewrites that
//! change what the image does are [`Applicability::Unsafe`].

#[path = "rewrite_flags.rs"]
mod flags;
#[path = "rewrite_layer.rs"]
mod layer;
#[path = "rewrite_migrate.rs"]
mod migrate;
#[path = "rewrite_runtime.rs"]
mod runtime;

use crate::analysis::Analysis;
use crate::diagnostic::{Diagnostic, Edit, Fix};
use crate::project::ProjectFacts;
use crate::semantics::shell::ShellWord;
use crate::semantics::{Base, CommandOrigin, CommandSite, Semantics, Stage};
use crate::syntax::{Args, Dockerfile, Instruction, Keyword};
use crate::text::TextRange;

/// The uv release the production-build migration pins.
pub const PINNED_UV_VERSION: &str = "0.12.5";

/// A refactoring: edits offered for the code under the cursor, not tied to a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refactor {
    /// The instruction range that offers it; the cursor must touch it.
    pub anchor: TextRange,
    pub fix: Fix,
    /// Moves part of the file into a new instruction of its own (the dependency layer), rather
    /// than rewriting it in place.
    pub extract: bool,
}

/// One analysed Dockerfile with what a rewrite needs to match the file's style.
pub struct Rewriter<'a> {
    pub text: &'a str,
    pub analysis: &'a Analysis,
    pub project: &'a ProjectFacts,
    newline: &'static str,
    lowercase: bool,
}

impl<'a> Rewriter<'a> {
    pub fn new(text: &'a str, analysis: &'a Analysis, project: &'a ProjectFacts) -> Rewriter<'a> {
        let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
        // Files written in lower case get lower-case instructions, so casing rules stay quiet.
        let file = &analysis.parse.file;
        let lower = file
            .instructions
            .iter()
            .filter(|it| it.keyword != Keyword::Unknown)
            .filter(|it| {
                text.get(it.keyword_range.as_range()).is_some_and(|kw| kw.chars().all(|c| c.is_ascii_lowercase()))
            })
            .count();
        let lowercase = lower * 2 > file.instructions.len().max(1);
        Rewriter { text, analysis, project, newline, lowercase }
    }

    pub(crate) fn file(&self) -> &'a Dockerfile {
        &self.analysis.parse.file
    }

    pub(crate) fn semantics(&self) -> &'a Semantics {
        &self.analysis.semantics
    }

    pub(crate) fn instruction(&self, idx: usize) -> Option<&'a Instruction> {
        self.file().instructions.get(idx)
    }

    pub(crate) fn newline(&self) -> &'static str {
        self.newline
    }

    pub(crate) fn escape(&self) -> char {
        self.file().escape
    }

    /// An instruction keyword in the file's casing.
    pub(crate) fn kw(&self, keyword: Keyword) -> String {
        if self.lowercase { keyword.as_str().to_ascii_lowercase() } else { keyword.as_str().to_owned() }
    }

    /// Where the line holding `offset` starts.
    pub(crate) fn line_start(&self, offset: usize) -> usize {
        self.text.get(..offset).and_then(|it| it.rfind(['\n', '\r'])).map_or(0, |it| it + 1)
    }

    /// The whitespace before instruction `idx` on its line ("" when something else is there).
    pub(crate) fn indent(&self, idx: usize) -> &'a str {
        let Some(instruction) = self.instruction(idx) else { return "" };
        let start = self.line_start(instruction.range.start);
        let indent = self.text.get(start..instruction.range.start).unwrap_or("");
        if indent.chars().all(|c| c == ' ' || c == '\t') { indent } else { "" }
    }

    /// One instruction over several lines: `parts` joined by line continuations, each further
    /// line indented four spaces past `indent`.
    pub(crate) fn continued(&self, parts: &[String], indent: &str) -> String {
        let joint = format!(" {}{}{indent}    ", self.escape(), self.newline);
        parts.join(&joint)
    }

    /// Inserts whole lines (instructions) before instruction `idx`, indented like it.
    pub(crate) fn insert_before(&self, idx: usize, lines: &[String]) -> Option<Edit> {
        let instruction = self.instruction(idx)?;
        let line_start = self.line_start(instruction.range.start);
        let prefix = self.text.get(line_start..instruction.range.start)?;
        let at = if prefix.chars().all(|c| c == ' ' || c == '\t') {
            line_start
        } else if prefix == "\u{feff}" {
            instruction.range.start
        } else {
            return None;
        };
        let indent = self.indent(idx);
        let new_text: String = lines.iter().map(|line| format!("{indent}{line}{}", self.newline)).collect();
        Some(Edit { path: None, range: TextRange::empty(at), new_text })
    }

    /// Inserts whole lines after instruction `idx`, indented like it.
    pub(crate) fn insert_after(&self, idx: usize, lines: &[String]) -> Option<Edit> {
        let instruction = self.instruction(idx)?;
        let indent = self.indent(idx);
        let new_text: String = lines.iter().map(|line| format!("{}{indent}{line}", self.newline)).collect();
        Some(Edit { path: None, range: TextRange::empty(instruction.range.end), new_text })
    }

    /// The stages `stage` is built on, itself last.
    pub(crate) fn chain(&self, stage: usize) -> Vec<&'a Stage> {
        let stages = &self.semantics().stages;
        let mut chain = Vec::new();
        let mut current = Some(stage);
        while let Some(idx) = current {
            let Some(found) = stages.get(idx) else { break };
            chain.push(found);
            current = match found.base {
                Base::Stage(parent) if parent < idx => Some(parent),
                _ => None,
            };
        }
        chain.reverse();
        chain
    }

    /// The working directory in `stage` just before instruction `before`.
    pub(crate) fn workdir(&self, stage: usize, before: usize) -> String {
        let mut dir = "/".to_owned();
        for stage in self.chain(stage) {
            let end = stage.instructions.end.min(before);
            for idx in stage.instructions.start..end {
                let Some(instruction) = self.instruction(idx) else { continue };
                if instruction.keyword != Keyword::Workdir {
                    continue;
                }
                let Args::Words(words) = &instruction.args else { continue };
                let Some(word) = words.first() else { continue };
                dir = join_path(&dir, &word.value);
            }
        }
        dir
    }

    /// The project venv a sync in `stage` creates: `UV_PROJECT_ENVIRONMENT`, else `.venv` in
    /// the working directory.
    pub(crate) fn venv_path(&self, stage: usize, before: usize) -> String {
        let workdir = self.workdir(stage, before);
        match self.semantics().build_var(stage, before, "UV_PROJECT_ENVIRONMENT").and_then(|it| it.value.as_deref()) {
            Some(value) if !value.is_empty() => join_path(&workdir, value),
            _ => join_path(&workdir, ".venv"),
        }
    }

    /// The value `name` has for a command at instruction `before` of `stage`.
    pub(crate) fn var(&self, stage: usize, before: usize, name: &str) -> Option<&'a str> {
        self.semantics().build_var(stage, before, name).and_then(|it| it.value.as_deref())
    }

    /// Commands of RUN instruction `idx`.
    pub(crate) fn commands_of(&self, idx: usize) -> impl Iterator<Item = &'a CommandSite> {
        self.semantics().commands.iter().filter(move |site| site.instruction == idx)
    }

    /// The root image of `stage` (following `FROM <stage>`), as written after ARG expansion.
    pub(crate) fn root_image(&self, stage: usize) -> Option<&'a str> {
        let root = self.chain(stage).into_iter().next()?;
        root.image_expanded.as_deref()
    }

    /// True when instruction `idx` is a COPY/ADD of the whole build context (`.`) into the stage.
    pub(crate) fn copies_whole_context(&self, idx: usize) -> bool {
        let Some(instruction) = self.instruction(idx) else { return false };
        if !matches!(instruction.keyword, Keyword::Copy | Keyword::Add) || instruction.flag("from").is_some() {
            return false;
        }
        let Args::Words(words) = &instruction.args else { return false };
        let Some((_, sources)) = words.split_last() else { return false };
        sources.iter().any(|word| self.project.is_whole_project_source(word.value.trim_start_matches("./")))
    }
}

/// `path` resolved against `dir`.
pub(crate) fn join_path(dir: &str, path: &str) -> String {
    let joined = if path.starts_with('/') { path.to_owned() } else { format!("{}/{path}", dir.trim_end_matches('/')) };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    format!("/{}", parts.join("/"))
}

/// JSON string literal for exec form.
pub(crate) fn json_string(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

/// The raw text of shell words, space separated.
pub(crate) fn raw_words(words: &[&ShellWord]) -> Vec<String> {
    words.iter().map(|word| word.raw().to_owned()).collect()
}

/// True for CMD/ENTRYPOINT commands.
pub(crate) fn is_start_command(site: &CommandSite) -> bool {
    matches!(site.origin, CommandOrigin::Cmd | CommandOrigin::Entrypoint)
}

/// Fixes berth adds to a finding whose rule attaches none (or not all) of them.
pub fn extra_fixes(rewriter: &Rewriter<'_>, diagnostic: &Diagnostic) -> Vec<Fix> {
    match diagnostic.code {
        "UV010" => layer::split_fixes(rewriter, diagnostic.range),
        "PY001" => runtime::align_python(rewriter, diagnostic.range),
        "PY005" => runtime::multi_stage_env_for(rewriter, diagnostic),
        "PY006" => runtime::runtime_base_like_builder(rewriter, diagnostic),
        "SEC004" | "DF200" => runtime::non_root_fixes(rewriter, diagnostic),
        "UV003" => flags::drop_conflicting(rewriter, diagnostic),
        "UV060" => flags::fix_boolean(rewriter, diagnostic),
        "UV017" => flags::create_dockerignore(rewriter, diagnostic),
        "UV015" => layer::cache_mount_fix(rewriter, diagnostic.range).into_iter().collect(),
        "PY008" => runtime::venv_on_path(rewriter, diagnostic),
        "UV030" => runtime::run_from_venv_at(rewriter, diagnostic.range).into_iter().collect(),
        "DF106" if diagnostic.fixes.is_empty() => {
            runtime::exec_form_at(rewriter, diagnostic.range).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

/// The diagnostics of an analysis with the extra fixes appended to each.
pub fn with_extra_fixes(analysis: &Analysis, text: &str, project: &ProjectFacts) -> Vec<Diagnostic> {
    let rewriter = Rewriter::new(text, analysis, project);
    analysis.diagnostics.iter().map(|diagnostic| with_extras(&rewriter, diagnostic)).collect()
}

/// One diagnostic with its extra fixes appended.
pub fn with_extras(rewriter: &Rewriter<'_>, diagnostic: &Diagnostic) -> Diagnostic {
    let mut diagnostic = diagnostic.clone();
    for fix in extra_fixes(rewriter, &diagnostic) {
        if !diagnostic.fixes.iter().any(|it| it.edits == fix.edits) {
            diagnostic.fixes.push(fix);
        }
    }
    diagnostic
}

/// Refactorings whose anchor touches `range`. Each kind looks only at the instructions (or
/// stages) that touch `range`, so a request costs what its range holds.
pub fn refactors(rewriter: &Rewriter<'_>, range: TextRange) -> Vec<Refactor> {
    let mut acc = Vec::new();
    layer::split_refactors(rewriter, range, &mut acc);
    layer::cache_mount_refactors(rewriter, range, &mut acc);
    runtime::refactors(rewriter, range, &mut acc);
    migrate::refactors(rewriter, range, &mut acc);
    acc.retain(|it| touches(it.anchor, range));
    acc
}

/// Whether two ranges overlap or meet.
pub(crate) fn touches(a: TextRange, b: TextRange) -> bool {
    a.start <= b.end && b.start <= a.end
}

/// The instructions touching `range`, with their indices.
pub(crate) fn instructions_touching<'a>(
    rw: &Rewriter<'a>,
    range: TextRange,
) -> impl Iterator<Item = (usize, &'a Instruction)> + use<'a> {
    let instructions = &rw.file().instructions;
    let first = instructions.partition_point(|it| it.range.end < range.start);
    instructions[first..]
        .iter()
        .enumerate()
        .take_while(move |(_, it)| it.range.start <= range.end)
        .map(move |(offset, it)| (first + offset, it))
}
