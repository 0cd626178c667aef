//! Configuration: finds `berth.toml` or `[tool.berth]`, reads it with spans, and resolves the
//! settings analysis applies to one Dockerfile (which rules run, at which severity).
//!
//! Options come in layers: the configuration file nearest to the Dockerfile, then editor (LSP)
//! settings or command-line flags on top. Reading goes through [`FileSystem`] so that open editor
//! buffers win over the disk. A broken file is the normal case: every unknown key, wrong type or
//! unknown rule becomes a [`ConfigProblem`] with a location, and everything else still applies.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, LazyLock};

use toml::Spanned as TomlSpanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::Severity;
use crate::project::{FileSystem, SourceFile};
use crate::rules::{REGISTRY, Rule};
use crate::text::{Spanned, TextRange};

/// The name of berth's own configuration file.
pub const CONFIG_FILE_NAME: &str = "berth.toml";

/// Which kind of file the configuration came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigKind {
    /// `berth.toml`: the keys sit at the top level.
    BerthToml,
    /// `pyproject.toml`: the keys sit in `[tool.berth]`.
    Pyproject,
}

/// The lowest severity that makes `berth check` fail, or `Never`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureThreshold {
    At(Severity),
    Never,
}

impl FailureThreshold {
    /// `error`, `warning`, `info`, `hint` or `none`.
    pub fn from_name(name: &str) -> Option<FailureThreshold> {
        match name.to_ascii_lowercase().as_str() {
            "none" | "never" | "off" => Some(FailureThreshold::Never),
            other => Severity::from_name(other).map(FailureThreshold::At),
        }
    }

    pub fn reached_by(self, severity: Severity) -> bool {
        match self {
            FailureThreshold::At(threshold) => severity >= threshold,
            FailureThreshold::Never => false,
        }
    }
}

/// One layer of options: a configuration file, editor settings, or command-line flags. `None`
/// (or an empty list where noted) means the layer leaves the option alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Selectors (code, name, code prefix or `ALL`) replacing the default set of rules.
    pub select: Option<Vec<String>>,
    /// Selectors added to the selected set.
    pub extend_select: Vec<String>,
    /// Selectors turned off.
    pub ignore: Vec<String>,
    /// Selector → severity; `None` means `off`.
    pub severity: Vec<(String, Option<Severity>)>,
    /// Glob (relative to `base`) → selectors ignored in matching Dockerfiles.
    pub per_file_ignores: Vec<(String, Vec<String>)>,
    /// The folder `per_file_ignores` globs are relative to (the configuration file's folder).
    pub base: Option<PathBuf>,
    pub failure_threshold: Option<FailureThreshold>,
    pub trusted_registries: Option<Vec<String>>,
    pub network_enabled: Option<bool>,
}

/// A configuration file with what berth understood of it.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    pub file: SourceFile,
    pub kind: ConfigKind,
    pub options: Options,
    /// Where the options start: the `[tool.berth]` header, or the start of berth.toml.
    pub range: TextRange,
    /// Unknown keys, wrong types, unknown rules, bad globs; sorted by position.
    pub problems: Vec<ConfigProblem>,
}

/// A problem in a configuration file, reported as `DF012 invalid-config` on the Dockerfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigProblem {
    pub range: TextRange,
    pub message: String,
}

/// Finds the configuration that applies to the Dockerfile at `dockerfile`: the nearest folder,
/// from the Dockerfile's own up to `workspace_root`, holding a `berth.toml` or a pyproject.toml
/// with `[tool.berth]`; in one folder, `berth.toml` wins. Without a workspace root (or when the
/// Dockerfile lies outside it) only the Dockerfile's folder is looked at.
pub fn find_config(fs: &dyn FileSystem, dockerfile: &Path, workspace_root: Option<&Path>) -> Option<ConfigFile> {
    let dockerfile = absolute_clean(dockerfile);
    let dir = dockerfile.parent()?;
    let workspace_root = workspace_root.map(absolute_clean);
    let mut folders: Vec<&Path> = Vec::new();
    match &workspace_root {
        Some(root) if dir.starts_with(root) => {
            for folder in dir.ancestors() {
                folders.push(folder);
                if folder == root.as_path() {
                    break;
                }
            }
        }
        _ => folders.push(dir),
    }
    for folder in folders {
        let berth_toml = folder.join(CONFIG_FILE_NAME);
        if fs.is_file(&berth_toml) {
            return Some(read_config_file(fs, &berth_toml, ConfigKind::BerthToml));
        }
        let pyproject = folder.join("pyproject.toml");
        if fs.is_file(&pyproject) {
            let Ok(text) = fs.read_to_string(&pyproject) else { continue };
            let file = SourceFile { path: pyproject, text: text.into() };
            if let Some(config) = parse_config(file, ConfigKind::Pyproject) {
                return Some(config);
            }
        }
    }
    None
}

/// Reads the configuration file at `path` (for `--config`); a pyproject.toml without
/// `[tool.berth]` gives empty options. `Err` when the file cannot be read.
pub fn load_config(fs: &dyn FileSystem, path: &Path) -> std::io::Result<ConfigFile> {
    let path = absolute_clean(path);
    let text = fs.read_to_string(&path)?;
    let kind = match path.file_name().is_some_and(|name| name == "pyproject.toml") {
        true => ConfigKind::Pyproject,
        false => ConfigKind::BerthToml,
    };
    let file = SourceFile { path: path.clone(), text: text.into() };
    Ok(parse_config(file.clone(), kind).unwrap_or_else(|| empty_config(file, kind)))
}

fn read_config_file(fs: &dyn FileSystem, path: &Path, kind: ConfigKind) -> ConfigFile {
    match fs.read_to_string(path) {
        Ok(text) => {
            let file = SourceFile { path: path.to_path_buf(), text: text.into() };
            parse_config(file.clone(), kind).unwrap_or_else(|| empty_config(file, kind))
        }
        Err(err) => {
            let file = SourceFile { path: path.to_path_buf(), text: "".into() };
            let mut config = empty_config(file, kind);
            config.problems.push(ConfigProblem { range: TextRange::empty(0), message: format!("cannot read: {err}") });
            config
        }
    }
}

fn empty_config(file: SourceFile, kind: ConfigKind) -> ConfigFile {
    let options = Options { base: file.path.parent().map(Path::to_path_buf), ..Options::default() };
    ConfigFile { file, kind, options, range: TextRange::empty(0), problems: Vec::new() }
}

/// Parses configuration text. For a pyproject.toml, `None` when it has no `[tool.berth]` table
/// (such a file is not a berth configuration); a berth.toml always gives a configuration.
pub fn parse_config(file: SourceFile, kind: ConfigKind) -> Option<ConfigFile> {
    let text = file.text.clone();
    let (document, errors) = DeTable::parse_recoverable(&text);
    let mut cx = TomlReader::new(&text);
    let root = document.get_ref();
    let (table, range, prefix) = match kind {
        ConfigKind::BerthToml => {
            // pyproject.toml's syntax errors are PY002's business; berth.toml's are ours.
            if let Some(first) = errors.iter().min_by_key(|error| error.span().map_or(0, |span| span.start)) {
                let range = first.span().map_or(TextRange::empty(0), |span| cx.range(span));
                cx.report(range, format!("TOML syntax error: {}", first.message().trim_end()));
            }
            (Some(root), TextRange::empty(0), "")
        }
        ConfigKind::Pyproject => {
            let tool = root.get("tool")?;
            let DeValue::Table(tool) = tool.get_ref() else { return None };
            let (key, berth) = tool.get_key_value("berth")?;
            let range = match berth.span().is_empty() {
                true => cx.range(key.span()),
                false => cx.range(berth.span()),
            };
            (cx.as_table(berth, "tool.berth"), range, "tool.berth.")
        }
    };
    let base = file.path.parent().map(Path::to_path_buf);
    let mut options = Options { base, ..Options::default() };
    if let Some(table) = table {
        read_options(&mut cx, table, prefix, &mut options);
    }
    let mut problems: Vec<ConfigProblem> =
        cx.problems.into_iter().map(|(range, message)| ConfigProblem { range, message }).collect();
    problems.sort_by_key(|problem| problem.range.start);
    Some(ConfigFile { file, kind, options, range, problems })
}

/// The keys a configuration file may hold, for did-you-mean.
const KEYS: [&str; 8] = [
    "select",
    "extend-select",
    "ignore",
    "severity",
    "per-file-ignores",
    "failure-threshold",
    "trusted-registries",
    "network",
];

fn read_options(cx: &mut TomlReader, table: &DeTable<'_>, prefix: &str, options: &mut Options) {
    let mut entries: Vec<_> = table.iter().collect();
    // toml keeps keys sorted by name; report problems in file order.
    entries.sort_by_key(|(key, _)| key.span().start);
    for (key, value) in entries {
        let name = key.get_ref().as_ref();
        let path = format!("{prefix}{name}");
        match name {
            "select" => options.select = Some(cx.selectors(value, &path)),
            "extend-select" => options.extend_select = cx.selectors(value, &path),
            "ignore" => options.ignore = cx.selectors(value, &path),
            "severity" => {
                let Some(levels) = cx.as_table(value, &path) else { continue };
                let mut levels: Vec<_> = levels.iter().collect();
                levels.sort_by_key(|(key, _)| key.span().start);
                for (selector, level) in levels {
                    let selector_text = selector.get_ref().to_string();
                    if !cx.check_selector(&selector_text, cx.range(selector.span())) {
                        continue;
                    }
                    let Some(level_text) = cx.string(level, &format!("{path}.{selector_text}")).map(|it| it.value)
                    else {
                        continue;
                    };
                    match parse_level(&level_text) {
                        Some(level) => options.severity.push((selector_text, level)),
                        None => cx.report(
                            cx.range(level.span()),
                            format!(
                                "`{level_text}` is not a severity; use one of \"error\", \"warning\", \"info\", \"hint\", \"off\""
                            ),
                        ),
                    }
                }
            }
            "per-file-ignores" => {
                let Some(globs) = cx.as_table(value, &path) else { continue };
                let mut globs: Vec<_> = globs.iter().collect();
                globs.sort_by_key(|(key, _)| key.span().start);
                for (glob, codes) in globs {
                    let glob_text = glob.get_ref().to_string();
                    if let Err(err) = compile_glob(&glob_text) {
                        cx.report(cx.range(glob.span()), format!("`{glob_text}` is not a valid glob: {err}"));
                        continue;
                    }
                    let codes = cx.selectors(codes, &format!("{path}.\"{glob_text}\""));
                    options.per_file_ignores.push((glob_text, codes));
                }
            }
            "failure-threshold" => {
                let Some(text) = cx.string(value, &path).map(|it| it.value) else { continue };
                match FailureThreshold::from_name(&text) {
                    Some(threshold) => options.failure_threshold = Some(threshold),
                    None => cx.report(
                        cx.range(value.span()),
                        format!(
                            "`{text}` is not a failure threshold; use one of \"error\", \"warning\", \"info\", \"hint\", \"none\""
                        ),
                    ),
                }
            }
            "trusted-registries" => {
                options.trusted_registries =
                    Some(cx.string_list(value, &path).into_iter().map(|it| it.value).collect());
            }
            "network" => {
                let Some(network) = cx.as_table(value, &path) else { continue };
                for (key, value) in network.iter() {
                    match key.get_ref().as_ref() {
                        "enabled" => match value.get_ref() {
                            DeValue::Boolean(enabled) => options.network_enabled = Some(*enabled),
                            other => cx.report(
                                cx.range(value.span()),
                                format!("`{path}.enabled` must be true or false, found {}", other.type_str()),
                            ),
                        },
                        other => cx.report(
                            cx.range(key.span()),
                            format!("unknown key `{path}.{other}`; the only key here is `enabled`"),
                        ),
                    }
                }
            }
            other => {
                let hint = closest(other, KEYS).map(|it| format!("; did you mean `{it}`?")).unwrap_or_default();
                cx.report(cx.range(key.span()), format!("unknown key `{path}`{hint}"));
            }
        }
    }
}

/// `error`/`warning`/`info`/`hint` → `Some`, `off` → `None` (rule disabled).
fn parse_level(text: &str) -> Option<Option<Severity>> {
    match text.to_ascii_lowercase().as_str() {
        "off" | "none" | "ignore" => Some(None),
        other => Severity::from_name(other).map(Some),
    }
}

/// Reads a severity (`error`, `warning`, `info`, `hint`) or `off` (given as `Some(None)`).
pub fn parse_severity_level(text: &str) -> Option<Option<Severity>> {
    parse_level(text)
}

/// Reads typed values out of a parsed TOML document, reporting each value of the wrong type at
/// its range. Shared by pyproject.toml and berth.toml reading, which word problems alike.
pub(crate) struct TomlReader {
    /// Length of the text, to clamp recovered spans that point past its end.
    len: usize,
    pub(crate) problems: Vec<(TextRange, String)>,
}

pub(crate) type TomlValue<'i> = TomlSpanned<DeValue<'i>>;

impl TomlReader {
    pub(crate) fn new(text: &str) -> TomlReader {
        TomlReader { len: text.len(), problems: Vec::new() }
    }

    pub(crate) fn report(&mut self, range: TextRange, message: String) {
        self.problems.push((range, message));
    }

    /// Converts a toml span, clamping it to the text (recovered spans can point past the end).
    pub(crate) fn range(&self, span: Range<usize>) -> TextRange {
        let end = span.end.min(self.len);
        TextRange::new(span.start.min(end), end)
    }

    pub(crate) fn table<'t, 'i>(&mut self, parent: &'t DeTable<'i>, key: &str, path: &str) -> Option<&'t DeTable<'i>> {
        let value = parent.get(key)?;
        self.as_table(value, path)
    }

    pub(crate) fn as_table<'t, 'i>(&mut self, value: &'t TomlValue<'i>, path: &str) -> Option<&'t DeTable<'i>> {
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            other => {
                let message = format!("`{path}` must be a table, found {}", other.type_str());
                self.report(self.range(value.span()), message);
                None
            }
        }
    }

    pub(crate) fn string(&mut self, value: &TomlValue<'_>, path: &str) -> Option<Spanned<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(s.to_string(), self.range(value.span()))),
            other => {
                let message = format!("`{path}` must be a string, found {}", other.type_str());
                self.report(self.range(value.span()), message);
                None
            }
        }
    }

    pub(crate) fn bool(&mut self, value: &TomlValue<'_>, path: &str) -> Option<Spanned<bool>> {
        match value.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(*b, self.range(value.span()))),
            other => {
                let message = format!("`{path}` must be true or false, found {}", other.type_str());
                self.report(self.range(value.span()), message);
                None
            }
        }
    }

    /// An array of strings; items of another type are reported and skipped.
    pub(crate) fn string_list(&mut self, value: &TomlValue<'_>, path: &str) -> Vec<Spanned<String>> {
        let DeValue::Array(items) = value.get_ref() else {
            let message = format!("`{path}` must be an array of strings, found {}", value.get_ref().type_str());
            self.report(self.range(value.span()), message);
            return Vec::new();
        };
        let mut res = Vec::new();
        for item in items.iter() {
            match item.get_ref() {
                DeValue::String(s) => res.push(Spanned::new(s.to_string(), self.range(item.span()))),
                other => {
                    let message = format!("`{path}` items must be strings, found {}", other.type_str());
                    self.report(self.range(item.span()), message);
                }
            }
        }
        res
    }

    pub(crate) fn check_choice(&mut self, value: &Spanned<String>, path: &str, choices: &[&str]) {
        if choices.contains(&value.value.as_str()) {
            return;
        }
        let expected = choices.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
        self.report(value.range, format!("`{path}` must be one of {expected}, found \"{}\"", value.value));
    }
}

/// The checks only berth's settings need, on top of the shared TOML reader.
trait SettingsReader {
    /// A list of rule selectors; unknown ones are reported and dropped.
    fn selectors(&mut self, value: &TomlValue<'_>, path: &str) -> Vec<String>;
    fn check_selector(&mut self, text: &str, range: TextRange) -> bool;
}

impl SettingsReader for TomlReader {
    fn selectors(&mut self, value: &TomlValue<'_>, path: &str) -> Vec<String> {
        let mut res = Vec::new();
        for item in self.string_list(value, path) {
            if self.check_selector(&item.value, item.range) {
                res.push(item.value);
            }
        }
        res
    }

    fn check_selector(&mut self, text: &str, range: TextRange) -> bool {
        match selector_problem(text) {
            None => true,
            Some(message) => {
                self.report(range, message);
                false
            }
        }
    }
}

/// Why `text` selects no rule (with a did-you-mean), or `None` when it selects some.
pub fn selector_problem(text: &str) -> Option<String> {
    if rules_matching(text).next().is_some() {
        return None;
    }
    let candidates = REGISTRY.iter().flat_map(|(rule, _)| [rule.code, rule.name]);
    let hint = closest(text, candidates).map(|it| format!("; did you mean `{it}`?")).unwrap_or_default();
    Some(format!("`{text}` matches no berth rule{hint}"))
}

fn rules_matching(selector: &str) -> impl Iterator<Item = &'static Rule> + '_ {
    REGISTRY.iter().map(|(rule, _)| *rule).filter(move |rule| specificity(selector, rule).is_some())
}

/// How precisely `selector` names `rule`: `ALL` 0, a code prefix its length, a full code or a
/// name the most; `None` when it does not match.
fn specificity(selector: &str, rule: &Rule) -> Option<usize> {
    let selector = selector.trim();
    if selector.eq_ignore_ascii_case(rule.code) || selector.eq_ignore_ascii_case(rule.name) {
        return Some(usize::MAX);
    }
    if selector.eq_ignore_ascii_case("ALL") {
        return Some(0);
    }
    let is_prefix = !selector.is_empty()
        && selector.len() < rule.code.len()
        && rule.code.get(..selector.len()).is_some_and(|head| head.eq_ignore_ascii_case(selector))
        && selector.chars().all(|c| c.is_ascii_alphanumeric());
    // `U` would match the UV family as well as any later family starting with U; require the
    // whole family name (the letters) so a prefix means what it says.
    let family_len = rule.code.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    (is_prefix && selector.len() >= family_len).then_some(selector.len())
}

/// Compiles a per-file-ignores glob (`*` stays within a folder, `**` crosses folders).
fn compile_glob(glob: &str) -> Result<globset::GlobMatcher, globset::Error> {
    Ok(globset::GlobBuilder::new(glob).literal_separator(true).build()?.compile_matcher())
}

/// The resolved settings for one Dockerfile: which rules report, at which severity, and the
/// options rules may read.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// The configuration file in effect, for reporting its problems.
    pub config: Option<Arc<ConfigFile>>,
    pub failure_threshold: Option<FailureThreshold>,
    /// Registry hosts images may come from; empty means any.
    pub trusted_registries: Vec<String>,
    pub network_enabled: bool,
    /// Per rule code: its effective severity, `None` when it is off. Rules not listed keep
    /// their default severity.
    levels: HashMap<&'static str, Option<Severity>>,
}

/// The settings with no configuration: every rule at its default severity.
pub static DEFAULT_SETTINGS: LazyLock<Settings> = LazyLock::new(Settings::default);

impl Settings {
    /// Layers `overrides` (editor settings, command-line flags) over the configuration file and
    /// resolves them for the Dockerfile at `dockerfile` (for per-file ignores).
    pub fn resolve(config: Option<Arc<ConfigFile>>, overrides: &[&Options], dockerfile: Option<&Path>) -> Settings {
        let mut layers: Vec<&Options> = Vec::new();
        if let Some(config) = &config {
            layers.push(&config.options);
        }
        layers.extend(overrides.iter().copied());

        let mut select: Option<&[String]> = None;
        let mut enable: Vec<&str> = Vec::new();
        let mut disable: Vec<&str> = Vec::new();
        let mut severity: Vec<(&str, Option<Severity>)> = Vec::new();
        let mut settings = Settings { config: config.clone(), ..Settings::default() };
        let dockerfile = dockerfile.map(absolute_clean);
        for layer in &layers {
            if let Some(layer_select) = &layer.select {
                select = Some(layer_select);
            }
            enable.extend(layer.extend_select.iter().map(String::as_str));
            disable.extend(layer.ignore.iter().map(String::as_str));
            severity.extend(layer.severity.iter().map(|(selector, level)| (selector.as_str(), *level)));
            if let Some(dockerfile) = &dockerfile {
                for (glob, codes) in &layer.per_file_ignores {
                    if per_file_glob_matches(glob, layer.base.as_deref(), dockerfile) {
                        disable.extend(codes.iter().map(String::as_str));
                    }
                }
            }
            if layer.failure_threshold.is_some() {
                settings.failure_threshold = layer.failure_threshold;
            }
            if let Some(registries) = &layer.trusted_registries {
                settings.trusted_registries.clone_from(registries);
            }
            if let Some(enabled) = layer.network_enabled {
                settings.network_enabled = enabled;
            }
        }
        let all = ["ALL".to_owned()];
        let select = select.unwrap_or(&all);
        for (rule, _) in REGISTRY {
            let best =
                |selectors: &mut dyn Iterator<Item = &str>| selectors.filter_map(|it| specificity(it, rule)).max();
            let on = best(&mut select.iter().map(String::as_str).chain(enable.iter().copied()));
            let off = best(&mut disable.iter().copied());
            // The more specific selector wins (`ignore = ["UV"]` with `select = ["UV001"]` keeps
            // UV001); on a tie, ignoring wins.
            let enabled = match (on, off) {
                (Some(on), Some(off)) => on > off,
                (Some(_), None) => true,
                (None, _) => false,
            };
            // The most specific severity entry wins; among equals, the later layer.
            let mut level = Some(rule.default_severity);
            let mut level_specificity = None;
            for (selector, value) in &severity {
                if let Some(found) = specificity(selector, rule)
                    && level_specificity.is_none_or(|current| found >= current)
                {
                    level = *value;
                    level_specificity = Some(found);
                }
            }
            let level = if enabled { level } else { None };
            if level != Some(rule.default_severity) {
                settings.levels.insert(rule.code, level);
            }
        }
        settings
    }

    /// The severity findings of `code` get, or `None` when the rule is off.
    pub fn level(&self, code: &str, default: Severity) -> Option<Severity> {
        match self.levels.get(code) {
            Some(level) => *level,
            None => Some(default),
        }
    }

    /// The configured level of the rule with this code: `None` when it keeps its default,
    /// `Some(None)` when it is off.
    pub fn configured_level(&self, code: &str) -> Option<Option<Severity>> {
        self.levels.get(code).copied()
    }

    /// Whether any rule is off or at a severity other than its default.
    pub fn changes_any_rule(&self) -> bool {
        !self.levels.is_empty()
    }

    /// Whether the rule with this code reports at all.
    pub fn is_enabled(&self, code: &str) -> bool {
        self.levels.get(code).is_none_or(Option::is_some)
    }
}

/// Whether a per-file-ignores `glob` (relative to `base`) matches the Dockerfile. A glob without
/// a `/` also matches the file name alone, so `"*.Dockerfile"` works in any folder.
fn per_file_glob_matches(glob: &str, base: Option<&Path>, dockerfile: &Path) -> bool {
    let Ok(matcher) = compile_glob(glob) else { return false };
    if !glob.contains('/') && dockerfile.file_name().is_some_and(|name| matcher.is_match(Path::new(name))) {
        return true;
    }
    let relative = match base {
        Some(base) => match dockerfile.strip_prefix(base) {
            Ok(relative) => relative,
            Err(_) => return false,
        },
        None => dockerfile,
    };
    matcher.is_match(relative)
}

/// The candidate closest to `word`, for did-you-mean.
pub(crate) fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    crate::syntax::suggest::closest(word, candidates)
}

/// An absolute path with `.` and `..` removed lexically.
fn absolute_clean(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut res = PathBuf::new();
    for component in absolute.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                res.pop();
            }
            other => res.push(other),
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ConfigFile {
        let file = SourceFile { path: PathBuf::from("/w/berth.toml"), text: text.into() };
        parse_config(file, ConfigKind::BerthToml).unwrap()
    }

    #[test]
    fn specificity_of_selectors() {
        let rule = crate::rules::find("DF001").unwrap();
        assert_eq!(specificity("ALL", rule), Some(0));
        assert_eq!(specificity("DF", rule), Some(2));
        assert_eq!(specificity("df0", rule), Some(3));
        assert_eq!(specificity("DF001", rule), Some(usize::MAX));
        assert_eq!(specificity(rule.name, rule), Some(usize::MAX));
        assert_eq!(specificity("D", rule), None);
        assert_eq!(specificity("UV", rule), None);
        assert_eq!(specificity("DF0011", rule), None);
    }

    #[test]
    fn every_key_is_read() {
        let config = parse(
            r#"
select = ["DF", "PY001"]
extend-select = ["UV"]
ignore = ["DF002"]
severity = { DF001 = "hint", "unlocked-uv-sync" = "off" }
per-file-ignores = { "docker/*.Dockerfile" = ["DF003"] }
failure-threshold = "error"
trusted-registries = ["ghcr.io"]
network = { enabled = true }
"#,
        );
        assert_eq!(config.problems, []);
        let options = &config.options;
        assert_eq!(options.select, Some(vec!["DF".to_owned(), "PY001".to_owned()]));
        assert_eq!(options.extend_select, ["UV"]);
        assert_eq!(options.ignore, ["DF002"]);
        assert_eq!(
            options.severity,
            [("DF001".to_owned(), Some(Severity::Hint)), ("unlocked-uv-sync".to_owned(), None)]
        );
        assert_eq!(options.per_file_ignores, [("docker/*.Dockerfile".to_owned(), vec!["DF003".to_owned()])]);
        assert_eq!(options.failure_threshold, Some(FailureThreshold::At(Severity::Error)));
        assert_eq!(options.trusted_registries, Some(vec!["ghcr.io".to_owned()]));
        assert_eq!(options.network_enabled, Some(true));
        assert_eq!(options.base.as_deref(), Some(Path::new("/w")));
    }

    #[test]
    fn problems_point_at_the_value() {
        let text = "selct = []\nignore = [\"DF999\", 3]\nseverity = { DF001 = \"loud\" }\nfailure-threshold = 1\n";
        let config = parse(text);
        let rendered: Vec<String> =
            config.problems.iter().map(|it| format!("{:?}: {}", &text[it.range.as_range()], it.message)).collect();
        assert_eq!(
            rendered,
            [
                "\"selct\": unknown key `selct`; did you mean `select`?",
                "\"\\\"DF999\\\"\": `DF999` matches no berth rule; did you mean `DF009`?",
                "\"3\": `ignore` items must be strings, found integer",
                "\"\\\"loud\\\"\": `loud` is not a severity; use one of \"error\", \"warning\", \"info\", \"hint\", \"off\"",
                "\"1\": `failure-threshold` must be a string, found integer",
            ]
        );
    }

    #[test]
    fn pyproject_without_tool_berth_is_not_a_config() {
        let file = SourceFile { path: PathBuf::from("/w/pyproject.toml"), text: "[project]\nname = 'x'\n".into() };
        assert!(parse_config(file, ConfigKind::Pyproject).is_none());
        let file =
            SourceFile { path: PathBuf::from("/w/pyproject.toml"), text: "[tool.berth]\nignore = ['DF001']\n".into() };
        let config = parse_config(file, ConfigKind::Pyproject).unwrap();
        assert_eq!(config.options.ignore, ["DF001"]);
        assert_eq!(config.range, TextRange::new(0, 12), "the `[tool.berth]` header");
    }

    #[test]
    fn resolution_prefers_the_more_specific_selector() {
        let options = Options {
            select: Some(vec!["DF001".to_owned()]),
            ignore: vec!["DF".to_owned()],
            severity: vec![("DF".to_owned(), Some(Severity::Hint)), ("DF001".to_owned(), Some(Severity::Warning))],
            ..Options::default()
        };
        let settings = Settings::resolve(None, &[&options], None);
        assert_eq!(settings.level("DF001", Severity::Error), Some(Severity::Warning));
        assert!(!settings.is_enabled("DF002"));
        assert!(!settings.is_enabled("PY001"), "select replaces the default set");
        let later = Options { ignore: vec!["DF001".to_owned()], ..Options::default() };
        let settings = Settings::resolve(None, &[&options, &later], None);
        assert!(!settings.is_enabled("DF001"), "a code in ignore beats the same code in select");
    }

    #[test]
    fn per_file_globs() {
        assert!(per_file_glob_matches(
            "docker/*.Dockerfile",
            Some(Path::new("/w")),
            Path::new("/w/docker/a.Dockerfile")
        ));
        assert!(!per_file_glob_matches(
            "docker/*.Dockerfile",
            Some(Path::new("/w")),
            Path::new("/w/x/docker/a.Dockerfile")
        ));
        assert!(per_file_glob_matches("**/Dockerfile", Some(Path::new("/w")), Path::new("/w/a/b/Dockerfile")));
        assert!(per_file_glob_matches("Dockerfile.*", Some(Path::new("/w")), Path::new("/w/a/Dockerfile.dev")));
        assert!(!per_file_glob_matches("a/Dockerfile", Some(Path::new("/w")), Path::new("/elsewhere/a/Dockerfile")));
    }
}
