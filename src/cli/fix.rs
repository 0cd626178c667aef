//! `berth check --fix` / `--unsafe-fixes` / `--diff`: applies fixes, re-linting after each round.
//!
//! Each round lints the current text, takes every accepted fix whose edits do not overlap an
//! earlier one (in the Dockerfile and in project files such as .dockerignore), and applies them.
//! Rounds repeat until nothing changes, at most [`MAX_ROUNDS`] times, because one fix can make
//! another applicable (or leave a new finding a later fix resolves).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::ConfigChoice;
use crate::diagnostic::{Applicability, Diagnostic};
use crate::ide::code_actions::{apply_edits_to, select_fixes};
use crate::project::{FileSystem, OsFileSystem, discover_with_text};

/// Rounds of lint-and-fix per Dockerfile.
pub const MAX_ROUNDS: usize = 10;

/// Files as they would be after fixing, over the disk: discovery sees fixed project files.
#[derive(Default)]
pub struct Overlay {
    files: HashMap<PathBuf, String>,
}

impl FileSystem for Overlay {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        match self.files.get(path) {
            Some(text) => Ok(text.clone()),
            None => OsFileSystem.read_to_string(path),
        }
    }

    fn is_file(&self, path: &Path) -> bool {
        self.files.contains_key(path) || OsFileSystem.is_file(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        OsFileSystem.is_dir(path)
    }
}

/// The outcome of fixing one Dockerfile.
pub struct FileFix {
    pub path: PathBuf,
    pub original: String,
    pub fixed: String,
    /// Fixes applied over all rounds.
    pub applied: usize,
    /// Findings left with an unsafe fix that was not applied.
    pub unsafe_left: usize,
}

/// Lints and fixes `text` of the Dockerfile at `path`; project files that fixes touch are
/// updated in `overlay`.
pub fn fix_text(
    path: &Path,
    text: &str,
    workspace_root: Option<&Path>,
    choice: &ConfigChoice,
    unsafe_fixes: bool,
    overlay: &mut Overlay,
) -> FileFix {
    let accept = |applicability| unsafe_fixes || applicability == Applicability::Safe;
    let mut current = text.to_owned();
    let mut applied = 0;
    let mut unsafe_left = 0;
    for round in 0..=MAX_ROUNDS {
        let project = discover_with_text(&*overlay, path, workspace_root, &current);
        let settings = choice.settings_for(path, workspace_root);
        let analysis = crate::analysis::analyze_with(&current, &project, &settings);
        let diagnostics = crate::ide::rewrite::with_extra_fixes(&analysis, &current, &project);
        unsafe_left = count_unsafe_only(&diagnostics, unsafe_fixes);
        // The last pass only counts what is left.
        if round == MAX_ROUNDS {
            break;
        }
        let (edits, count) = select_fixes(&diagnostics, accept);
        if count == 0 {
            break;
        }
        let mut changed = false;
        let next = apply_edits_to(&current, &edits, None);
        changed |= next != current;
        let mut others: Vec<&PathBuf> = edits.iter().filter_map(|it| it.path.as_ref()).collect();
        others.sort();
        others.dedup();
        for other in others {
            let before = match overlay.read_to_string(other) {
                Ok(text) => text,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => String::new(),
                // A file that exists but cannot be read (too large, no permission) is never
                // overwritten with an edit computed as if it were empty.
                Err(_) => continue,
            };
            let after = apply_edits_to(&before, &edits, Some(other));
            if after != before {
                overlay.files.insert(other.clone(), after);
                changed = true;
            }
        }
        if !changed {
            break;
        }
        current = next;
        applied += count;
    }
    FileFix { path: path.to_path_buf(), original: text.to_owned(), fixed: current, applied, unsafe_left }
}

fn count_unsafe_only(diagnostics: &[Diagnostic], unsafe_fixes: bool) -> usize {
    if unsafe_fixes {
        return 0;
    }
    diagnostics
        .iter()
        .filter(|it| !it.fixes.is_empty() && it.fixes.iter().all(|fix| fix.applicability == Applicability::Unsafe))
        .count()
}

/// What `--fix` did, for the summary line.
#[derive(Default)]
pub struct FixSummary {
    pub applied: usize,
    pub files_changed: usize,
    pub unsafe_left: usize,
    pub diff: bool,
}

impl FixSummary {
    pub fn line(&self) -> String {
        let fixes = if self.applied == 1 { "fix" } else { "fixes" };
        let mut line = if self.diff {
            format!(
                "Would apply {} {fixes} ({} file{} to change).",
                self.applied,
                self.files_changed,
                plural(self.files_changed)
            )
        } else {
            format!(
                "Applied {} {fixes} ({} file{} changed).",
                self.applied,
                self.files_changed,
                plural(self.files_changed)
            )
        };
        if self.unsafe_left > 0 {
            line.push_str(&format!(
                " {} more finding{} can be fixed with --unsafe-fixes.",
                self.unsafe_left,
                plural(self.unsafe_left)
            ));
        }
        line
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

/// Fixes every target. With `diff`, prints unified diffs to `out` and writes nothing; otherwise
/// writes the fixed files. Errors go to `io_errors`.
pub fn run(
    targets: &[(PathBuf, PathBuf)],
    choice: &ConfigChoice,
    unsafe_fixes: bool,
    diff: bool,
    out: &mut impl Write,
    io_errors: &mut Vec<String>,
) -> FixSummary {
    let mut overlay = Overlay::default();
    let mut summary = FixSummary { diff, ..FixSummary::default() };
    let mut changed_dockerfiles = Vec::new();
    for (path, root) in targets {
        let text = match std::fs::read(path) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) => {
                io_errors.push(format!("cannot read {}: {error}", path.display()));
                continue;
            }
        };
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fix_text(path, &text, Some(root), choice, unsafe_fixes, &mut overlay)
        }));
        let Ok(fixed) = result else {
            io_errors.push(format!("internal error while fixing {}; please report it", path.display()));
            continue;
        };
        summary.applied += fixed.applied;
        summary.unsafe_left += fixed.unsafe_left;
        if fixed.fixed != fixed.original {
            changed_dockerfiles.push(fixed);
        }
    }
    // Project files several Dockerfiles share are written once, after all of them.
    let mut others: BTreeMap<PathBuf, String> = BTreeMap::new();
    for (path, text) in overlay.files {
        others.insert(path, text);
    }
    summary.files_changed = changed_dockerfiles.len();
    for fixed in &changed_dockerfiles {
        if diff {
            let _ = out.write_all(unified_diff(&fixed.path, Some(&fixed.original), &fixed.fixed).as_bytes());
        } else if let Err(error) = std::fs::write(&fixed.path, &fixed.fixed) {
            io_errors.push(format!("cannot write {}: {error}", fixed.path.display()));
        }
    }
    for (path, text) in &others {
        let before = std::fs::read(path).ok().map(|it| String::from_utf8_lossy(&it).into_owned());
        if before.as_deref() == Some(text.as_str()) {
            continue;
        }
        summary.files_changed += 1;
        if diff {
            let _ = out.write_all(unified_diff(path, before.as_deref(), text).as_bytes());
        } else if let Err(error) = std::fs::write(path, text) {
            io_errors.push(format!("cannot write {}: {error}", path.display()));
        }
    }
    summary
}

/// A unified diff (three lines of context) from `before` (`None`: a new file) to `after`.
pub fn unified_diff(path: &Path, before: Option<&str>, after: &str) -> String {
    let old: Vec<&str> = before.unwrap_or("").split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let ops = diff_lines(&old, &new);
    // Paths below the current folder are shown relative to it, as `git diff` does.
    let cwd = std::env::current_dir().ok().and_then(|it| std::fs::canonicalize(it).ok());
    let canonical = std::fs::canonicalize(path).ok().or_else(|| {
        let parent = std::fs::canonicalize(path.parent()?).ok()?;
        Some(parent.join(path.file_name()?))
    });
    let relative = cwd.zip(canonical).and_then(|(cwd, full)| full.strip_prefix(cwd).ok().map(Path::to_path_buf));
    let shown = relative.unwrap_or_else(|| path.to_path_buf());
    let shown = shown.display().to_string();
    let shown = shown.trim_start_matches('/');
    let mut out = match before {
        Some(_) => format!("--- a/{shown}\n+++ b/{shown}\n"),
        None => format!("--- /dev/null\n+++ b/{shown}\n"),
    };
    const CONTEXT: usize = 3;
    let changes: Vec<usize> =
        ops.iter().enumerate().filter(|(_, op)| !matches!(op, Op::Same(..))).map(|(i, _)| i).collect();
    let mut idx = 0;
    while idx < changes.len() {
        let start = changes[idx].saturating_sub(CONTEXT);
        let mut end = changes[idx];
        while idx < changes.len() && changes[idx] <= end + 2 * CONTEXT + 1 {
            end = changes[idx];
            idx += 1;
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        let (mut old_start, mut new_start) = (1, 1);
        for op in &ops[..start] {
            match op {
                Op::Same(..) => {
                    old_start += 1;
                    new_start += 1;
                }
                Op::Delete(_) => old_start += 1,
                Op::Insert(_) => new_start += 1,
            }
        }
        let old_len = ops[start..end].iter().filter(|op| !matches!(op, Op::Insert(_))).count();
        let new_len = ops[start..end].iter().filter(|op| !matches!(op, Op::Delete(_))).count();
        let old_start = if old_len == 0 { old_start - 1 } else { old_start };
        let new_start = if new_len == 0 { new_start - 1 } else { new_start };
        out.push_str(&format!("@@ -{old_start},{old_len} +{new_start},{new_len} @@\n"));
        for op in &ops[start..end] {
            let (sign, line) = match op {
                Op::Same(line) => (' ', *line),
                Op::Delete(line) => ('-', *line),
                Op::Insert(line) => ('+', *line),
            };
            out.push(sign);
            out.push_str(line);
            if !line.ends_with('\n') {
                out.push_str("\n\\ No newline at end of file\n");
            }
        }
    }
    out
}

enum Op<'a> {
    Same(&'a str),
    Delete(&'a str),
    Insert(&'a str),
}

/// Line operations turning `old` into `new`, from a longest common subsequence (Dockerfiles are
/// small; the common prefix and suffix are trimmed first).
fn diff_lines<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Op<'a>> {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..].iter().rev().zip(new[prefix..].iter().rev()).take_while(|(a, b)| a == b).count();
    let (a, b) = (&old[prefix..old.len() - suffix], &new[prefix..new.len() - suffix]);
    let mut ops: Vec<Op<'a>> = old[..prefix].iter().zip(new).map(|(x, _)| Op::Same(x)).collect();
    // Quadratic table; past a few thousand changed lines, fall back to delete-then-insert.
    if a.len().saturating_mul(b.len()) > 4_000_000 {
        ops.extend(a.iter().map(|it| Op::Delete(it)));
        ops.extend(b.iter().map(|it| Op::Insert(it)));
    } else {
        let mut table = vec![vec![0u32; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                table[i][j] = if a[i] == b[j] { table[i + 1][j + 1] + 1 } else { table[i + 1][j].max(table[i][j + 1]) };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                ops.push(Op::Same(a[i]));
                i += 1;
                j += 1;
            } else if i < a.len() && (j == b.len() || table[i + 1][j] >= table[i][j + 1]) {
                ops.push(Op::Delete(a[i]));
                i += 1;
            } else {
                ops.push(Op::Insert(b[j]));
                j += 1;
            }
        }
    }
    let tail = old.len() - suffix;
    ops.extend(old[tail..].iter().zip(&new[new.len() - suffix..]).map(|(x, _)| Op::Same(x)));
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_of_an_inserted_line() {
        let diff = unified_diff(Path::new("Dockerfile"), Some("a\nb\nc\n"), "a\nb\nx\nc\n");
        assert_eq!(diff, "--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1,3 +1,4 @@\n a\n b\n+x\n c\n");
    }

    #[test]
    fn diff_of_a_new_file() {
        let diff = unified_diff(Path::new(".dockerignore"), None, ".venv\n");
        assert_eq!(diff, "--- /dev/null\n+++ b/.dockerignore\n@@ -0,0 +1,1 @@\n+.venv\n");
    }
}
