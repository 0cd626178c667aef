//! Command line front end: `berth check` finds Dockerfiles, lints them and reports for CI.

mod render;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Severity};
use crate::project::{OsFileSystem, discover};

pub use render::{render_human, render_json_value};

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to lint (default: the current folder).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit with status 1 when a finding has at least this severity.
    #[arg(long, value_enum, default_value_t = Threshold::Warning)]
    pub failure_threshold: Threshold,
    /// Never color the output (also honoured: the NO_COLOR environment variable).
    #[arg(long)]
    pub no_color: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Source line and caret for each finding.
    Human,
    /// A JSON array of findings.
    Json,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Threshold {
    Error,
    Warning,
    Info,
    Hint,
    /// Never fail because of findings.
    None,
}

impl Threshold {
    fn reached_by(self, severity: Severity) -> bool {
        match self {
            Threshold::Error => severity >= Severity::Error,
            Threshold::Warning => severity >= Severity::Warning,
            Threshold::Info => severity >= Severity::Info,
            Threshold::Hint => true,
            Threshold::None => false,
        }
    }
}

/// The findings for one Dockerfile, with the text they point into.
pub struct FileReport {
    pub path: PathBuf,
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
}

/// Runs `berth check`; returns the process exit code (0 clean, 1 findings, 2 usage or I/O error).
pub fn run_check(args: CheckArgs) -> i32 {
    let mut io_errors = Vec::new();
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let cwd = std::env::current_dir().ok();
    let mut targets = Vec::new();
    for path in &paths {
        collect_dockerfiles(path, cwd.as_deref(), &mut targets, &mut io_errors);
    }
    targets.sort();
    targets.dedup();

    let mut reports = lint_all(&targets, &mut io_errors);
    if let Some(cwd) = cwd.as_deref().and_then(|it| std::fs::canonicalize(it).ok()) {
        for diagnostic in reports.iter_mut().flat_map(|it| &mut it.diagnostics) {
            for related in &mut diagnostic.related {
                if let Some(path) = &mut related.path
                    && let Ok(relative) = path.strip_prefix(&cwd)
                {
                    *path = relative.to_path_buf();
                }
            }
        }
    }
    let mut stdout = std::io::stdout().lock();
    let color = !args.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    let written = match args.format {
        Format::Human => write_human(&mut stdout, &reports, color),
        Format::Json => write_json(&mut stdout, &reports),
    };
    if let Err(error) = written.and_then(|()| stdout.flush()) {
        // A closed pipe (`berth check | head`) is not worth a panic.
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("berth: cannot write the report: {error}");
            return 2;
        }
    }
    for error in &io_errors {
        eprintln!("berth: {error}");
    }
    if targets.is_empty() && io_errors.is_empty() {
        eprintln!("berth: no Dockerfiles found");
    }
    if !io_errors.is_empty() {
        return 2;
    }
    let failed = reports.iter().flat_map(|it| &it.diagnostics).any(|it| args.failure_threshold.reached_by(it.severity));
    i32::from(failed)
}

/// Lints one Dockerfile's text as `berth check` would, with the project found around `path`.
pub fn lint_text(path: &Path, text: &str, workspace_root: Option<&Path>) -> Vec<Diagnostic> {
    let project = discover(&OsFileSystem, path, workspace_root);
    crate::analysis::analyze(text, &project).diagnostics
}

fn lint_all(targets: &[(PathBuf, PathBuf)], io_errors: &mut Vec<String>) -> Vec<FileReport> {
    let workers = std::thread::available_parallelism().map_or(1, |it| it.get()).clamp(1, 16);
    let chunk = targets.len().div_ceil(workers).max(1);
    let results: Vec<Vec<Result<FileReport, String>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .chunks(chunk)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|(path, root)| lint_file(path, root)).collect()))
            .collect();
        handles
            .into_iter()
            .map(|it| it.join().unwrap_or_else(|_| vec![Err("internal error: a lint worker panicked".to_owned())]))
            .collect()
    });
    let mut reports = Vec::new();
    for result in results.into_iter().flatten() {
        match result {
            Ok(report) => reports.push(report),
            Err(error) => io_errors.push(error),
        }
    }
    reports
}

fn lint_file(path: &Path, workspace_root: &Path) -> Result<FileReport, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let diagnostics = std::panic::catch_unwind(|| lint_text(path, &text, Some(workspace_root)))
        .map_err(|_| format!("internal error while linting {}; please report it", path.display()))?;
    Ok(FileReport { path: path.to_path_buf(), text, diagnostics })
}

/// Adds `path` (a file) or the Dockerfiles below it (a folder) with the workspace root to use.
fn collect_dockerfiles(
    path: &Path,
    cwd: Option<&Path>,
    acc: &mut Vec<(PathBuf, PathBuf)>,
    io_errors: &mut Vec<String>,
) {
    let metadata = match std::fs::metadata(path) {
        Ok(it) => it,
        Err(error) => {
            io_errors.push(format!("cannot read {}: {error}", path.display()));
            return;
        }
    };
    if metadata.is_file() {
        let parent = path.parent().filter(|it| !it.as_os_str().is_empty()).unwrap_or(Path::new("."));
        acc.push((path.to_path_buf(), workspace_root_for(parent, cwd)));
        return;
    }
    let root = workspace_root_for(path, cwd);
    let walker = ignore::WalkBuilder::new(path).hidden(false).follow_links(false).require_git(false).build();
    for entry in walker {
        let entry = match entry {
            Ok(it) => it,
            Err(error) => {
                io_errors.push(error.to_string());
                continue;
            }
        };
        if entry.file_type().is_some_and(|it| it.is_file()) && is_dockerfile_name(&entry.file_name().to_string_lossy())
        {
            acc.push((entry.into_path(), root.clone()));
        }
    }
}

/// The folder discovery may not climb above: the current folder when the target is inside it,
/// else the target folder itself.
fn workspace_root_for(dir: &Path, cwd: Option<&Path>) -> PathBuf {
    let absolute = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    match cwd.and_then(|it| std::fs::canonicalize(it).ok()) {
        Some(cwd) if absolute.starts_with(&cwd) => cwd,
        _ => absolute,
    }
}

/// Dockerfile, Dockerfile.*, *.Dockerfile, *.dockerfile, Containerfile, Containerfile.*.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".dockerignore") {
        return false;
    }
    lower == "dockerfile"
        || lower == "containerfile"
        || name.starts_with("Dockerfile.")
        || name.starts_with("Containerfile.")
        || lower.ends_with(".dockerfile")
}

fn write_human(out: &mut impl Write, reports: &[FileReport], color: bool) -> std::io::Result<()> {
    let mut counts = [0usize; 4];
    for report in reports {
        for diagnostic in &report.diagnostics {
            writeln!(out, "{}\n", render_human(&report.path, &report.text, diagnostic, color))?;
            counts[diagnostic.severity as usize] += 1;
        }
    }
    let total: usize = counts.iter().sum();
    if total == 0 {
        writeln!(
            out,
            "No problems found in {} Dockerfile{}.",
            reports.len(),
            if reports.len() == 1 { "" } else { "s" }
        )?;
        return Ok(());
    }
    let mut parts = Vec::new();
    for (severity, label) in
        [(Severity::Error, "error"), (Severity::Warning, "warning"), (Severity::Info, "info"), (Severity::Hint, "hint")]
    {
        let count = counts[severity as usize];
        if count > 0 {
            parts.push(format!("{count} {label}{}", if count == 1 || label == "info" { "" } else { "s" }));
        }
    }
    writeln!(
        out,
        "Found {} in {} Dockerfile{}.",
        parts.join(", "),
        reports.len(),
        if reports.len() == 1 { "" } else { "s" }
    )
}

fn write_json(out: &mut impl Write, reports: &[FileReport]) -> std::io::Result<()> {
    let items: Vec<serde_json::Value> = reports
        .iter()
        .flat_map(|report| report.diagnostics.iter().map(move |it| render_json_value(&report.path, &report.text, it)))
        .collect();
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerfile_names() {
        for name in [
            "Dockerfile",
            "dockerfile",
            "Containerfile",
            "Dockerfile.prod",
            "api.Dockerfile",
            "api.dockerfile",
            "Containerfile.dev",
        ] {
            assert!(is_dockerfile_name(name), "{name}");
        }
        for name in
            ["Dockerfile.dockerignore", ".dockerignore", "pyproject.toml", "Dockerfiles", "README.md", "dockerfile.md"]
        {
            assert!(!is_dockerfile_name(name), "{name}");
        }
    }
}
