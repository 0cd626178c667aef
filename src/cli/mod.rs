//! Command line front end: `berth check` finds Dockerfiles, lints them and reports for CI;
//! `berth rules` and `berth explain` show the rules' documentation.

pub mod fix;
mod render;
mod rules;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::{Arc, Mutex, PoisonError};

use crate::config::{ConfigFile, FailureThreshold, Options, Settings};
use crate::diagnostic::{Diagnostic, Severity};
use crate::project::{FileSystem, OsFileSystem, discover_with_text};

pub use render::{render_human, render_json_values};
pub use rules::{
    ExplainArgs, RulesArgs, explanation, lookup, rule_json, rules_reference, rules_table, run_explain, run_rules,
};

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to lint (default: the current folder).
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Exit with status 1 when a finding has at least this severity (default: the configured
    /// `failure-threshold`, else warning).
    #[arg(long, value_enum)]
    pub failure_threshold: Option<Threshold>,
    /// Never color the output (also honoured: the NO_COLOR environment variable).
    #[arg(long)]
    pub no_color: bool,
    /// Rules to check (codes, names or code prefixes such as `UV`), replacing the configured set.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub select: Option<Vec<String>>,
    /// Rules to check on top of the selected ones.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub extend_select: Vec<String>,
    /// Rules not to check.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    pub ignore: Vec<String>,
    /// Use this configuration file (berth.toml, or a pyproject.toml with [tool.berth]) for every
    /// Dockerfile instead of looking for one.
    #[arg(long, value_name = "PATH", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,
    /// Ignore configuration files; only command-line options apply.
    #[arg(long)]
    pub isolated: bool,
    /// Apply every safe fix (re-linting until nothing changes), then report what remains.
    #[arg(long)]
    pub fix: bool,
    /// Apply unsafe fixes as well (implies --fix unless --diff is given).
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of writing them; exit 1 when there are any.
    #[arg(long)]
    pub diff: bool,
}

/// How `berth check` finds the settings of each Dockerfile.
#[derive(Clone, Debug, Default)]
pub struct ConfigChoice {
    /// Use no configuration file.
    pub isolated: bool,
    /// Use this file for every Dockerfile instead of looking for the nearest one.
    pub forced: Option<Arc<ConfigFile>>,
    /// Command-line options layered over the file.
    pub overrides: Options,
}

impl ConfigChoice {
    /// The settings for the Dockerfile at `path`.
    pub fn settings_for(&self, path: &Path, workspace_root: Option<&Path>) -> Settings {
        let config = match (&self.forced, self.isolated) {
            (Some(forced), _) => Some(forced.clone()),
            (None, true) => None,
            (None, false) => crate::config::find_config(&OsFileSystem, path, workspace_root).map(Arc::new),
        };
        Settings::resolve(config, &[&self.overrides], Some(path))
    }
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
    fn to_failure_threshold(self) -> FailureThreshold {
        match self {
            Threshold::Error => FailureThreshold::At(Severity::Error),
            Threshold::Warning => FailureThreshold::At(Severity::Warning),
            Threshold::Info => FailureThreshold::At(Severity::Info),
            Threshold::Hint => FailureThreshold::At(Severity::Hint),
            Threshold::None => FailureThreshold::Never,
        }
    }
}

/// The findings for one Dockerfile, with the text they point into.
pub struct FileReport {
    pub path: PathBuf,
    pub text: String,
    pub diagnostics: Vec<Diagnostic>,
    /// The configured `failure-threshold` for this Dockerfile, if any.
    pub failure_threshold: Option<FailureThreshold>,
}

/// Builds the configuration choice from the command line; `Err` is a usage error.
fn config_choice(args: &CheckArgs) -> Result<ConfigChoice, String> {
    let mut problems = Vec::new();
    for selector in args.select.iter().flatten().chain(&args.extend_select).chain(&args.ignore) {
        if let Some(problem) = crate::config::selector_problem(selector) {
            problems.push(problem);
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let forced = match &args.config {
        Some(path) => match crate::config::load_config(&OsFileSystem, path) {
            Ok(config) => Some(Arc::new(config)),
            Err(err) => return Err(format!("cannot read {}: {err}", path.display())),
        },
        None => None,
    };
    let overrides = Options {
        select: args.select.clone(),
        extend_select: args.extend_select.clone(),
        ignore: args.ignore.clone(),
        ..Options::default()
    };
    Ok(ConfigChoice { isolated: args.isolated, forced, overrides })
}

/// Runs `berth check`; returns the process exit code (0 clean, 1 findings, 2 usage or I/O error).
pub fn run_check(args: CheckArgs) -> i32 {
    let choice = match config_choice(&args) {
        Ok(choice) => choice,
        Err(error) => {
            eprintln!("berth: {error}");
            return 2;
        }
    };
    let mut io_errors = Vec::new();
    let paths = if args.paths.is_empty() { vec![PathBuf::from(".")] } else { args.paths.clone() };
    let cwd = std::env::current_dir().ok();
    let mut targets = Vec::new();
    for path in &paths {
        collect_dockerfiles(path, cwd.as_deref(), &mut targets, &mut io_errors);
    }
    targets.sort();
    targets.dedup();

    let fixing = args.fix || args.unsafe_fixes || args.diff;
    let fix_summary = fixing.then(|| {
        fix::run(&targets, &choice, args.unsafe_fixes, args.diff, &mut std::io::stdout().lock(), &mut io_errors)
    });
    if let Some(summary) = fix_summary.as_ref().filter(|it| it.diff) {
        eprintln!("{}", summary.line());
        for error in &io_errors {
            eprintln!("berth: {error}");
        }
        return if !io_errors.is_empty() { 2 } else { i32::from(summary.files_changed > 0) };
    }
    let mut reports = lint_all(&targets, &choice, &mut io_errors);
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
    if let Some(summary) = &fix_summary {
        eprintln!("{}", summary.line());
    }
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
    let cli_threshold = args.failure_threshold.map(Threshold::to_failure_threshold);
    let failed = reports.iter().any(|report| {
        let threshold = cli_threshold.or(report.failure_threshold).unwrap_or(FailureThreshold::At(Severity::Warning));
        report.diagnostics.iter().any(|it| threshold.reached_by(it.severity))
    });
    i32::from(failed)
}

/// Lints one Dockerfile's text as `berth check` would, with the project and the configuration
/// found around `path`.
pub fn lint_text(path: &Path, text: &str, workspace_root: Option<&Path>) -> Vec<Diagnostic> {
    lint_text_with(path, text, workspace_root, &ConfigChoice::default()).0
}

/// Like [`lint_text`] with a configuration choice; also returns the settings used.
pub fn lint_text_with(
    path: &Path,
    text: &str,
    workspace_root: Option<&Path>,
    choice: &ConfigChoice,
) -> (Vec<Diagnostic>, Settings) {
    lint_text_on(&OsFileSystem, path, text, workspace_root, choice)
}

/// [`lint_text_with`], discovering the project on `fs`.
fn lint_text_on(
    fs: &dyn FileSystem,
    path: &Path,
    text: &str,
    workspace_root: Option<&Path>,
    choice: &ConfigChoice,
) -> (Vec<Diagnostic>, Settings) {
    let project = discover_with_text(fs, path, workspace_root, text);
    let settings = choice.settings_for(path, workspace_root);
    let diagnostics = crate::analysis::analyze_with(text, &project, &settings).diagnostics;
    (diagnostics, settings)
}

fn lint_all(targets: &[(PathBuf, PathBuf)], choice: &ConfigChoice, io_errors: &mut Vec<String>) -> Vec<FileReport> {
    let workers = std::thread::available_parallelism().map_or(1, |it| it.get()).clamp(1, 16);
    let chunk = targets.len().div_ceil(workers).max(1);
    let fs = &ListedOnce::default();
    let results: Vec<Vec<Result<FileReport, String>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .chunks(chunk)
            .map(|chunk| {
                scope.spawn(move || chunk.iter().map(|(path, root)| lint_file(fs, path, root, choice)).collect())
            })
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

/// The disk, with each folder's listing read once per run: every Dockerfile without a project
/// looks through the same workspace folders, and a folder of a thousand Dockerfiles would
/// otherwise be listed (about 0.2 ms each time) once for each of them.
#[derive(Default)]
struct ListedOnce {
    listings: Mutex<HashMap<PathBuf, Vec<(OsString, bool)>>>,
}

impl FileSystem for ListedOnce {
    fn read_to_string(&self, path: &Path) -> std::io::Result<String> {
        OsFileSystem.read_to_string(path)
    }

    fn is_file(&self, path: &Path) -> bool {
        OsFileSystem.is_file(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        OsFileSystem.is_dir(path)
    }

    fn read_dir(&self, path: &Path) -> std::io::Result<Vec<(OsString, bool)>> {
        let listings = || self.listings.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(listing) = listings().get(path) {
            return Ok(listing.clone());
        }
        let listing = OsFileSystem.read_dir(path)?;
        listings().insert(path.to_path_buf(), listing.clone());
        Ok(listing)
    }
}

fn lint_file(fs: &ListedOnce, path: &Path, workspace_root: &Path, choice: &ConfigChoice) -> Result<FileReport, String> {
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let (diagnostics, settings) =
        std::panic::catch_unwind(|| lint_text_on(fs, path, &text, Some(workspace_root), choice))
            .map_err(|_| format!("internal error while linting {}; please report it", path.display()))?;
    Ok(FileReport { path: path.to_path_buf(), text, diagnostics, failure_threshold: settings.failure_threshold })
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
    if !metadata.is_dir() {
        // A FIFO or a device: reading it could block or never end, and skipping it without a
        // word would pass a CI job that checked nothing.
        io_errors.push(format!("cannot check {}: not a regular file or folder", path.display()));
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

/// Whether a file is a Dockerfile by its name, for `berth check`'s walk and for the server when
/// the editor gives no language: `Dockerfile` or `Containerfile` alone, followed by `.`, `-` or
/// `_` and a suffix (`Dockerfile.prod`, `Dockerfile-uv`, `Containerfile_dev`), or preceded by a
/// name and `.` (`api.Dockerfile`, `web.containerfile`), in any letter case. Ignore files
/// (`Dockerfile.dockerignore`) are not, and neither are documents, scripts, templates and
/// backups named after a Dockerfile (`Dockerfile.md`, `Dockerfile.j2`, `Dockerfile.orig`): they
/// are not what `docker build` reads, and linting them would only report noise.
pub fn is_dockerfile_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let named_like_one = ["dockerfile", "containerfile"].into_iter().any(|base| {
        lower == base
            || lower.strip_prefix(base).is_some_and(|rest| rest.len() > 1 && rest.starts_with(['.', '-', '_']))
            || lower.strip_suffix(base).is_some_and(|rest| rest.len() > 1 && rest.ends_with('.'))
    });
    named_like_one && !NOT_DOCKERFILE_EXTENSIONS.iter().any(|extension| lower.ends_with(extension))
}

/// Extensions that make a file named after a Dockerfile something else.
const NOT_DOCKERFILE_EXTENSIONS: &[&str] = &[
    ".dockerignore",
    ".md",
    ".markdown",
    ".rst",
    ".adoc",
    ".txt",
    ".html",
    ".sh",
    ".bash",
    ".ps1",
    ".py",
    ".go",
    ".rs",
    ".js",
    ".ts",
    ".json",
    ".yml",
    ".yaml",
    ".toml",
    ".ini",
    ".cfg",
    ".in",
    ".j2",
    ".jinja",
    ".jinja2",
    ".tmpl",
    ".tpl",
    ".template",
    ".mustache",
    ".erb",
    ".bak",
    ".orig",
    ".rej",
    ".swp",
    ".patch",
    ".diff",
    ".log",
];

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
    let items: Vec<serde_json::Value> =
        reports.iter().flat_map(|report| render_json_values(&report.path, &report.text, &report.diagnostics)).collect();
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
            "DOCKERFILE",
            "Containerfile",
            "Dockerfile.prod",
            "dockerfile.prod",
            "Dockerfile-uv",
            "Dockerfile_prod",
            "api.Dockerfile",
            "api.dockerfile",
            "Containerfile.dev",
            "Containerfile-dev",
            "web.containerfile",
            "Dockerfile.prod.amd64",
        ] {
            assert!(is_dockerfile_name(name), "{name}");
        }
        for name in [
            "Dockerfile.dockerignore",
            "Dockerfile-uv.dockerignore",
            ".dockerignore",
            "pyproject.toml",
            "Dockerfiles",
            "MyDockerfile",
            "Dockerfile-",
            ".dockerfile",
            "README.md",
            "dockerfile.md",
            "Dockerfile.j2",
            "Dockerfile-template.tmpl",
            "Dockerfile.orig",
            "dockerfile_test.go",
            "Containerfile.txt",
        ] {
            assert!(!is_dockerfile_name(name), "{name}");
        }
    }
}
