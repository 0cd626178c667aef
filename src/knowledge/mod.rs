//! Built-in knowledge for hovers, completions and rules: uv's environment variables and flags,
//! Dockerfile instructions, `RUN --mount` options, and the base images berth understands.
//!
//! The facts live in TOML files next to this module. The build script turns each into JSON,
//! which is compiled into the binary with `include_str!` and parsed on first use (a tenth of the
//! time the TOML took). A file that fails to parse is logged and replaced by empty data, so a bad
//! edit degrades hovers instead of crashing the server; the tests make sure that never ships.

mod markdown;

use std::sync::LazyLock;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::syntax::suggest::distance_within;

const UV_ENV_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/uv_env.json"));
const UV_CLI_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/uv_cli.json"));
const DOCKERFILE_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/dockerfile.json"));
const IMAGES_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/images.json"));

// ---------------------------------------------------------------------------------------------
// Shared value types
// ---------------------------------------------------------------------------------------------

/// One accepted value of an enumerated setting, with the spellings uv treats as the same value.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumValue {
    pub value: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub meaning: String,
}

impl EnumValue {
    fn matches(&self, text: &str) -> bool {
        self.value == text || self.aliases.iter().any(|alias| alias == text)
    }
}

/// What kind of value an environment variable holds; drives validation and the hover's type line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueKind {
    Bool,
    Enum,
    String,
    Path,
    Url,
    Int,
    Secs,
    Bytes,
    /// Whitespace-separated list.
    List,
    CommaList,
    /// Whitespace-separated list of file paths.
    FileList,
    /// Paths separated by the platform's path-list separator.
    PathList,
    /// A date, an RFC 3339 timestamp or a relative span such as `7 days`.
    Timestamp,
    /// A Python request: version, specifier, implementation, name or path.
    PythonRequest,
}

impl ValueKind {
    pub fn label(self) -> &'static str {
        match self {
            ValueKind::Bool => "boolean",
            ValueKind::Enum => "one of the values below",
            ValueKind::String => "string",
            ValueKind::Path => "path",
            ValueKind::Url => "URL",
            ValueKind::Int => "integer",
            ValueKind::Secs => "seconds",
            ValueKind::Bytes => "bytes",
            ValueKind::List => "whitespace-separated list",
            ValueKind::CommaList => "comma-separated list",
            ValueKind::FileList => "list of files",
            ValueKind::PathList => "list of paths",
            ValueKind::Timestamp => "date, timestamp or duration",
            ValueKind::PythonRequest => "Python version, specifier or path",
        }
    }
}

/// How often a variable matters in a Dockerfile; hovers and completions rank by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relevance {
    Low,
    Medium,
    High,
}

// ---------------------------------------------------------------------------------------------
// uv environment variables
// ---------------------------------------------------------------------------------------------

/// A `UV_*` environment variable. Names with `{name}` are patterns such as `UV_INDEX_{name}_PASSWORD`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UvEnvVar {
    pub name: String,
    pub summary: String,
    pub description: String,
    pub kind: ValueKind,
    /// Accepted values for `kind = enum`.
    #[serde(default)]
    pub values: Vec<EnumValue>,
    pub default: Option<String>,
    /// The CLI flag this variable mirrors.
    pub flag: Option<String>,
    /// The command that owns `flag`, when it is not a global or widely shared flag.
    pub flag_command: Option<String>,
    /// The `uv.toml` / `[tool.uv]` setting this variable mirrors, when there is no flag.
    pub setting: Option<String>,
    /// Smallest accepted value for integer kinds.
    pub min: Option<u64>,
    /// First uv release that reads the variable; absent for hidden ones.
    pub since: Option<String>,
    /// Why and when the variable matters in a Dockerfile.
    pub docker: String,
    pub relevance: Relevance,
    /// Name of the variable that replaces this one.
    pub deprecated: Option<String>,
    #[serde(default)]
    pub secret: bool,
    /// Weakens TLS, hash or archive checks.
    #[serde(default)]
    pub insecure: bool,
    /// Read by uv but absent from its reference documentation.
    #[serde(default)]
    pub hidden: bool,
}

/// The spellings uv accepts for a true boolean, compared case-insensitively.
pub const BOOL_TRUE: [&str; 6] = ["1", "true", "yes", "y", "t", "on"];
/// The spellings uv accepts for a false boolean, compared case-insensitively.
pub const BOOL_FALSE: [&str; 6] = ["0", "false", "no", "n", "f", "off"];

/// Reads a value the way uv reads boolean environment variables; `None` when uv would reject it.
pub fn boolish(value: &str) -> Option<bool> {
    if BOOL_TRUE.iter().any(|it| it.eq_ignore_ascii_case(value)) {
        return Some(true);
    }
    if BOOL_FALSE.iter().any(|it| it.eq_ignore_ascii_case(value)) {
        return Some(false);
    }
    None
}

impl UvEnvVar {
    /// Whether the name is a pattern (`UV_INDEX_{name}_USERNAME`) rather than a concrete variable.
    pub fn is_pattern(&self) -> bool {
        self.name.contains('{')
    }

    /// Checks a value the way uv would parse it. Kinds uv reads as free text always pass.
    pub fn accepts(&self, value: &str) -> Result<(), String> {
        match self.kind {
            ValueKind::Bool => {
                if boolish(value).is_some() {
                    return Ok(());
                }
                let got = if value.is_empty() { "an empty value".to_owned() } else { format!("`{value}`") };
                Err(format!(
                    "{} expects a boolean, not {got}; use one of {} or {} (any case)",
                    self.name,
                    BOOL_TRUE.join(", "),
                    BOOL_FALSE.join(", ")
                ))
            }
            ValueKind::Enum => {
                if self.values.iter().any(|it| it.matches(value)) {
                    return Ok(());
                }
                Err(format!(
                    "`{value}` is not a valid value for {}; expected one of: {}",
                    self.name,
                    self.allowed_values()
                ))
            }
            ValueKind::Int | ValueKind::Secs | ValueKind::Bytes => {
                let number = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
                    value.parse::<u64>().ok()
                } else {
                    None
                };
                let Some(number) = number else {
                    return Err(format!(
                        "{} expects a whole number{}, not `{value}`",
                        self.name,
                        if self.kind == ValueKind::Secs { " of seconds" } else { "" }
                    ));
                };
                match self.min {
                    Some(min) if number < min => Err(format!("{} must be at least {min}, not {number}", self.name)),
                    _ => Ok(()),
                }
            }
            ValueKind::String
            | ValueKind::Path
            | ValueKind::Url
            | ValueKind::List
            | ValueKind::CommaList
            | ValueKind::FileList
            | ValueKind::PathList
            | ValueKind::Timestamp
            | ValueKind::PythonRequest => Ok(()),
        }
    }

    /// The enum values as one line, aliases in parentheses: `clone (reflink), copy, hardlink`.
    pub fn allowed_values(&self) -> String {
        let mut acc = Vec::with_capacity(self.values.len());
        for it in &self.values {
            if it.aliases.is_empty() {
                acc.push(it.value.clone());
            } else {
                acc.push(format!("{} ({})", it.value, it.aliases.join(", ")));
            }
        }
        acc.join(", ")
    }

    /// Hover text: title, summary, values, facts line, description and Dockerfile advice.
    pub fn to_markdown(&self) -> String {
        markdown::env_var(self)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UvEnvFile {
    #[serde(rename = "var", default)]
    vars: Vec<UvEnvVar>,
}

static UV_ENV: LazyLock<UvEnvFile> = LazyLock::new(|| load("uv_env.toml", UV_ENV_JSON));

/// Every known `UV_*` variable, hidden ones included, in file order.
pub fn uv_env_vars() -> &'static [UvEnvVar] {
    &UV_ENV.vars
}

/// Looks a variable up by its exact name. `UV_INDEX_<NAME>_USERNAME` and `UV_INDEX_<NAME>_PASSWORD`
/// resolve to their pattern entries for any index name.
pub fn uv_env(name: &str) -> Option<&'static UvEnvVar> {
    let vars = uv_env_vars();
    if let Some(var) = vars.iter().find(|it| it.name == name) {
        return Some(var);
    }
    let suffix = index_credential_suffix(name)?;
    let pattern = format!("UV_INDEX_{{name}}{suffix}");
    vars.iter().find(|it| it.name == pattern)
}

/// `_USERNAME` or `_PASSWORD` when `name` is `UV_INDEX_<something>_USERNAME|PASSWORD`.
fn index_credential_suffix(name: &str) -> Option<&'static str> {
    let rest = name.strip_prefix("UV_INDEX_")?;
    for suffix in ["_USERNAME", "_PASSWORD"] {
        let Some(index_name) = rest.strip_suffix(suffix) else {
            continue;
        };
        if !index_name.is_empty() {
            return Some(suffix);
        }
    }
    None
}

/// Did-you-mean for an unknown `UV_*` name: the closest documented, non-deprecated variable.
///
/// Returns `None` for names that are already known, and when nothing is close enough. Small typos
/// are found by edit distance; names that extend a real one (`UV_NO_DEV_DEPS`, `UV_FROZEN_LOCK`)
/// by comparing their `_`-separated words.
pub fn closest_uv_env(name: &str) -> Option<&'static str> {
    if uv_env(name).is_some() {
        return None;
    }
    let query = name.to_ascii_uppercase();
    let query_body = query.strip_prefix("UV_").unwrap_or(&query);
    let candidates: Vec<&'static UvEnvVar> =
        uv_env_vars().iter().filter(|it| !it.hidden && it.deprecated.is_none() && !it.is_pattern()).collect();

    // Allow roughly one edit per three characters, and at least two.
    let query_chars: Vec<char> = query_body.chars().collect();
    let query_len = query_chars.len();
    let threshold = (query_len / 3).max(2);
    let mut best: Option<(usize, &'static UvEnvVar)> = None;
    let (mut body_chars, mut rows) = (Vec::new(), Vec::new());
    for var in &candidates {
        let body = var.name.strip_prefix("UV_").unwrap_or(&var.name);
        // Each edit changes the length by at most one. Skipping the names too far apart in
        // length first also bounds the work: the distance table grows with the product of the
        // two lengths, and a name typed in a Dockerfile can be a megabyte long.
        if body.len().abs_diff(query_len) > threshold {
            continue;
        }
        body_chars.clear();
        body_chars.extend(body.chars());
        let Some(distance) = distance_within(&query_chars, &body_chars, threshold, &mut rows) else { continue };
        let better = match best {
            None => true,
            Some((best_distance, best_var)) => {
                distance < best_distance || (distance == best_distance && var.relevance > best_var.relevance)
            }
        };
        if better {
            best = Some((distance, var));
        }
    }
    if let Some((_, var)) = best {
        return Some(var.name.as_str());
    }

    // One name's words are a prefix of the other's: prefer the longest shared prefix, then the
    // candidate closest in length.
    let query_words: Vec<&str> = query_body.split('_').filter(|it| !it.is_empty()).collect();
    let mut best: Option<(usize, usize, &'static UvEnvVar)> = None;
    for var in &candidates {
        let body = var.name.strip_prefix("UV_").unwrap_or(&var.name);
        let words: Vec<&str> = body.split('_').collect();
        let shared = query_words.iter().zip(&words).take_while(|(a, b)| a == b).count();
        if shared == 0 || shared < words.len().min(query_words.len()) {
            continue;
        }
        // At least half of the query must be explained by the candidate.
        if shared * 2 < query_words.len() {
            continue;
        }
        let gap = words.len().abs_diff(query_words.len());
        let better = match best {
            None => true,
            Some((best_shared, best_gap, _)) => shared > best_shared || (shared == best_shared && gap < best_gap),
        };
        if better {
            best = Some((shared, gap, var));
        }
    }
    best.map(|(_, _, var)| var.name.as_str())
}

// ---------------------------------------------------------------------------------------------
// uv command line
// ---------------------------------------------------------------------------------------------

/// A uv command-line flag.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UvFlag {
    /// Long form, e.g. `--frozen`.
    pub name: String,
    /// Short form, e.g. `-p`.
    pub short: Option<String>,
    /// Other long spellings uv accepts.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Placeholder for the flag's value; `None` for switches.
    pub value: Option<String>,
    /// Accepted values when the value is enumerated.
    #[serde(default)]
    pub values: Vec<EnumValue>,
    pub summary: String,
    pub description: String,
    /// Environment variable with the same effect.
    pub env: Option<String>,
    /// Flags uv refuses in the same invocation.
    #[serde(default)]
    pub conflicts: Vec<String>,
    pub since: Option<String>,
    pub docker: Option<String>,
    #[serde(default)]
    pub hidden: bool,
    /// The flag that replaces this one.
    pub deprecated: Option<String>,
    /// Show the lockfile-mode table in this flag's hover.
    #[serde(default)]
    pub show_lock_modes: bool,
}

impl UvFlag {
    /// Whether `text` (long, short or alias, without `=value`) names this flag.
    pub fn matches(&self, text: &str) -> bool {
        self.name == text || self.short.as_deref() == Some(text) || self.aliases.iter().any(|alias| alias == text)
    }

    /// Hover text without command context.
    pub fn to_markdown(&self) -> String {
        markdown::uv_flag(self, None)
    }

    /// Hover text titled with the command, e.g. `uv sync --frozen`.
    pub fn to_markdown_in(&self, command_path: &str) -> String {
        markdown::uv_flag(self, Some(command_path))
    }
}

/// A uv subcommand such as `sync` or `pip install`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UvCommand {
    /// Words after `uv`, e.g. `pip install`.
    pub path: String,
    /// Other ways to invoke it, e.g. `uvx` for `tool run`.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub usage: String,
    pub summary: String,
    pub description: String,
    pub docker: Option<String>,
    /// Names of shared flag sets this command accepts (the global set always applies).
    #[serde(default)]
    pub includes: Vec<String>,
    /// Flags specific to this command.
    #[serde(rename = "flag", default)]
    pub flags: Vec<UvFlag>,
}

impl UvCommand {
    /// Every flag the command accepts: its own, then its shared sets, then the global ones.
    pub fn all_flags(&'static self) -> impl Iterator<Item = &'static UvFlag> {
        let shared = self
            .includes
            .iter()
            .filter_map(|name| uv_flag_sets().iter().find(|set| &set.name == name))
            .flat_map(|set| set.flags.iter());
        self.flags.iter().chain(shared).chain(uv_global_flags())
    }

    pub fn to_markdown(&self) -> String {
        markdown::uv_command(self)
    }
}

/// One named group of flags shared by several commands.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagSet {
    pub name: String,
    #[serde(rename = "flag", default)]
    pub flags: Vec<UvFlag>,
}

/// One situation in the lockfile-mode comparison.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockModeRow {
    pub situation: String,
    pub neither: String,
    pub locked: String,
    pub frozen: String,
}

/// No flag vs `--locked` vs `--frozen`, side by side, plus advice on choosing.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockModes {
    pub summary: String,
    #[serde(default)]
    pub choose: Vec<String>,
    #[serde(rename = "row", default)]
    pub rows: Vec<LockModeRow>,
}

impl LockModes {
    pub fn to_markdown(&self) -> String {
        markdown::lock_modes(self)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UvCliFile {
    #[serde(rename = "flag_set", default)]
    flag_sets: Vec<FlagSet>,
    #[serde(rename = "command", default)]
    commands: Vec<UvCommand>,
    #[serde(default)]
    lock_modes: LockModes,
    /// Every long flag uv parses, per command.
    #[serde(default)]
    accepted: Vec<AcceptedFlags>,
    /// Every command uv parses, per group.
    #[serde(default)]
    subcommands: Vec<Subcommands>,
}

/// The commands uv parses after `uv <group>` (`""` for the top level), sorted.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Subcommands {
    group: String,
    names: Vec<String>,
}

/// The commands uv parses after `uv <group>` (`""` for `uv` itself), sorted; empty for a group
/// uv does not have.
pub fn uv_subcommands(group: &str) -> &'static [String] {
    UV_CLI.subcommands.iter().find(|it| it.group == group).map_or(&[], |it| it.names.as_slice())
}

/// Every long flag uv parses for one command, hidden ones included, sorted.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptedFlags {
    path: String,
    flags: Vec<String>,
}

/// Whether uv parses the long flag `flag` (`--locked`, as written) after `uv <path>`; `None`
/// when berth has no list for that command.
pub fn uv_accepts_flag(path: &str, flag: &str) -> Option<bool> {
    let accepted = UV_CLI.accepted.iter().find(|it| it.path == path)?;
    Some(accepted.flags.binary_search_by(|it| it.as_str().cmp(flag)).is_ok())
}

/// The commands (`sync`, `pip install`) that parse the long flag `flag`, in file order.
pub fn uv_commands_accepting(flag: &str) -> impl Iterator<Item = &'static str> + use<'_> {
    UV_CLI
        .accepted
        .iter()
        .filter(move |it| it.flags.binary_search_by(|known| known.as_str().cmp(flag)).is_ok())
        .map(|it| it.path.as_str())
}

/// The long flags uv parses after `uv <path>`, sorted (empty for a command berth has no list for).
pub fn uv_accepted_flags(path: &str) -> &'static [String] {
    UV_CLI.accepted.iter().find(|it| it.path == path).map_or(&[], |it| it.flags.as_slice())
}

static UV_CLI: LazyLock<UvCliFile> = LazyLock::new(|| load("uv_cli.toml", UV_CLI_JSON));

/// Every documented uv command.
pub fn uv_commands() -> &'static [UvCommand] {
    &UV_CLI.commands
}

/// Flags every uv command accepts (`--no-cache`, `--offline`, `-q`, ...).
pub fn uv_global_flags() -> &'static [UvFlag] {
    UV_CLI.flag_sets.iter().find(|set| set.name == "global").map_or(&[], |set| set.flags.as_slice())
}

/// The shared flag sets (`lock`, `groups`, `resolver`, ...), including `global`.
pub fn uv_flag_sets() -> &'static [FlagSet] {
    &UV_CLI.flag_sets
}

/// The lockfile-mode comparison.
pub fn lock_modes() -> &'static LockModes {
    &UV_CLI.lock_modes
}

/// Looks a command up by its words after `uv` (`"sync"`, `"pip install"`) or an alias (`"uvx"`).
/// Extra whitespace and a leading `uv` are ignored.
pub fn uv_command(path: &str) -> Option<&'static UvCommand> {
    let words: Vec<&str> = path.split_whitespace().collect();
    let words = match words.split_first() {
        Some((&"uv", rest)) if !rest.is_empty() => rest,
        _ => &words[..],
    };
    let wanted = words.join(" ");
    uv_commands().iter().find(|it| it.path == wanted || it.aliases.contains(&wanted))
}

/// Looks a flag up for a command: its own flags, then its shared sets, then the global flags.
/// Accepts long names, short names and aliases, with or without an `=value` suffix. An unknown
/// command only sees the global flags.
pub fn uv_flag(command_path: &str, flag: &str) -> Option<&'static UvFlag> {
    let flag = flag.split_once('=').map_or(flag, |(name, _)| name);
    if !flag.starts_with('-') {
        return None;
    }
    match uv_command(command_path) {
        Some(command) => command.all_flags().find(|it| it.matches(flag)),
        None => uv_global_flags().iter().find(|it| it.matches(flag)),
    }
}

// ---------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------

/// A flag of a Dockerfile instruction, e.g. `COPY --from`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstructionFlag {
    /// With leading dashes, e.g. `--from`.
    pub name: String,
    /// Value syntax, e.g. `<stage|image|context>`.
    pub value: String,
    pub default: Option<String>,
    /// Minimum Dockerfile syntax version.
    pub since: Option<String>,
    #[serde(default)]
    pub values: Vec<EnumValue>,
    pub summary: String,
    pub description: String,
    /// Advice for Python projects built with uv.
    pub python: Option<String>,
}

impl InstructionFlag {
    pub fn to_markdown(&self) -> String {
        markdown::instruction_flag(self, None)
    }

    /// Hover text titled with the instruction, e.g. `COPY --from`.
    pub fn to_markdown_in(&self, instruction: &str) -> String {
        markdown::instruction_flag(self, Some(instruction))
    }
}

/// A Dockerfile instruction.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstructionDoc {
    /// Upper case, e.g. `COPY`.
    pub name: String,
    pub syntax: Vec<String>,
    pub summary: String,
    pub description: String,
    pub python: Option<String>,
    /// What to use instead, for deprecated instructions.
    pub deprecated: Option<String>,
    #[serde(rename = "flag", default)]
    pub flags: Vec<InstructionFlag>,
}

impl InstructionDoc {
    pub fn flag(&self, flag: &str) -> Option<&InstructionFlag> {
        let flag = flag.split_once('=').map_or(flag, |(name, _)| name);
        let flag = flag.trim_start_matches('-');
        self.flags.iter().find(|it| it.name.trim_start_matches('-').eq_ignore_ascii_case(flag))
    }

    pub fn to_markdown(&self) -> String {
        markdown::instruction(self)
    }
}

/// One option of a `RUN --mount` type, e.g. `target` of `type=cache`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountOption {
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub value: String,
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    pub since: Option<String>,
    #[serde(default)]
    pub values: Vec<EnumValue>,
    pub summary: String,
    pub description: String,
    pub python: Option<String>,
}

impl MountOption {
    pub fn matches(&self, key: &str) -> bool {
        self.name.eq_ignore_ascii_case(key) || self.aliases.iter().any(|alias| alias.eq_ignore_ascii_case(key))
    }

    pub fn to_markdown(&self) -> String {
        markdown::mount_option(self, None)
    }

    /// Hover text titled with the mount type, e.g. `type=cache` · `target`.
    pub fn to_markdown_in(&self, mount_type: &str) -> String {
        markdown::mount_option(self, Some(mount_type))
    }
}

/// A `RUN --mount` type: bind, cache, tmpfs, secret or ssh.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MountType {
    pub name: String,
    pub summary: String,
    pub description: String,
    pub python: Option<String>,
    #[serde(rename = "option", default)]
    pub options: Vec<MountOption>,
}

impl MountType {
    pub fn option(&self, key: &str) -> Option<&MountOption> {
        self.options.iter().find(|it| it.matches(key))
    }

    pub fn to_markdown(&self) -> String {
        markdown::mount_type(self)
    }
}

/// A parser directive: `syntax`, `escape` or `check`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Directive {
    pub name: String,
    pub syntax: String,
    pub since: Option<String>,
    pub summary: String,
    pub description: String,
    pub python: Option<String>,
}

impl Directive {
    pub fn to_markdown(&self) -> String {
        markdown::directive(self)
    }
}

/// Where a predefined build argument comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArgGroup {
    /// Automatic platform arguments (global scope only).
    Platform,
    /// Proxy variables, kept out of the image history.
    Proxy,
    /// BuildKit's built-in switches.
    Buildkit,
}

/// A build argument the builder defines without an `ARG` instruction.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredefinedArg {
    pub name: String,
    pub group: ArgGroup,
    pub summary: String,
}

impl PredefinedArg {
    pub fn to_markdown(&self) -> String {
        markdown::predefined_arg(self)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DockerfileFile {
    #[serde(rename = "instruction", default)]
    instructions: Vec<InstructionDoc>,
    #[serde(rename = "mount_type", default)]
    mount_types: Vec<MountType>,
    #[serde(rename = "directive", default)]
    directives: Vec<Directive>,
    #[serde(rename = "predefined_arg", default)]
    predefined_args: Vec<PredefinedArg>,
}

static DOCKERFILE: LazyLock<DockerfileFile> = LazyLock::new(|| load("dockerfile.toml", DOCKERFILE_JSON));

pub fn instructions() -> &'static [InstructionDoc] {
    &DOCKERFILE.instructions
}

/// Looks an instruction up, ignoring case (`copy` finds `COPY`).
pub fn instruction(name: &str) -> Option<&'static InstructionDoc> {
    instructions().iter().find(|it| it.name.eq_ignore_ascii_case(name))
}

/// Looks a flag of an instruction up; `flag` may be `--from`, `from` or `--from=builder`.
pub fn instruction_flag(instruction_name: &str, flag: &str) -> Option<&'static InstructionFlag> {
    instruction(instruction_name)?.flag(flag)
}

pub fn mount_types() -> &'static [MountType] {
    &DOCKERFILE.mount_types
}

/// Looks a mount type up, ignoring case.
pub fn mount_type(name: &str) -> Option<&'static MountType> {
    mount_types().iter().find(|it| it.name.eq_ignore_ascii_case(name))
}

/// Looks an option of a mount type up by name or alias (`dst` finds `target`), ignoring case.
pub fn mount_option(mount_type_name: &str, key: &str) -> Option<&'static MountOption> {
    mount_type(mount_type_name)?.option(key)
}

pub fn directives() -> &'static [Directive] {
    &DOCKERFILE.directives
}

/// Looks a parser directive up, ignoring case (directive keys are case-insensitive).
pub fn directive(name: &str) -> Option<&'static Directive> {
    directives().iter().find(|it| it.name.eq_ignore_ascii_case(name))
}

pub fn predefined_args() -> &'static [PredefinedArg] {
    &DOCKERFILE.predefined_args
}

/// Looks a predefined build argument up by its exact name (`http_proxy` and `HTTP_PROXY` differ).
pub fn predefined_arg(name: &str) -> Option<&'static PredefinedArg> {
    predefined_args().iter().find(|it| it.name == name)
}

// ---------------------------------------------------------------------------------------------
// Images
// ---------------------------------------------------------------------------------------------

/// A version spelling accepted in `python` image tags.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersionForm {
    pub form: String,
    pub meaning: String,
}

/// An image variant (`slim`, `alpine`, ...); the empty name is the full image.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonVariant {
    pub name: String,
    pub summary: String,
    pub description: String,
}

/// A distribution suffix of `python` tags.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonDistro {
    pub name: String,
    pub os: String,
    pub status: String,
}

/// The official `python` image.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonImageDoc {
    /// Spellings that name this image in `FROM`.
    pub repositories: Vec<String>,
    pub summary: String,
    pub description: String,
    pub tag_grammar: String,
    /// How to get uv into it.
    pub uv: String,
    /// What changed when `-slim` moved from bookworm to trixie.
    pub slim_move: String,
    /// Pinning levels, weakest first.
    pub pinning: Vec<String>,
    #[serde(rename = "version_form", default)]
    pub version_forms: Vec<VersionForm>,
    #[serde(rename = "variant", default)]
    pub variants: Vec<PythonVariant>,
    #[serde(rename = "distro", default)]
    pub distros: Vec<PythonDistro>,
}

impl PythonImageDoc {
    pub fn distro(&self, name: &str) -> Option<&PythonDistro> {
        self.distros.iter().find(|it| it.name == name)
    }

    pub fn to_markdown(&self) -> String {
        markdown::python_image(self)
    }
}

/// Support phase of a CPython minor version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PythonStatus {
    Prerelease,
    Bugfix,
    Security,
    EndOfLife,
}

/// Release-cycle facts for one CPython minor.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonVersion {
    /// E.g. `3.12`.
    pub minor: String,
    pub status: PythonStatus,
    /// Planned end of life, `YYYY-MM`; absent when not yet scheduled.
    pub end_of_life: Option<String>,
    /// A patch published after trixie became the official image's default Debian release
    /// (August 2025), so also tagged `-trixie` and `-alpine3.22`. The image maintainers rebuild
    /// only the newest patch's tags, so an earlier patch's tags no longer change.
    pub trixie_patch: Option<String>,
}

impl PythonVersion {
    /// Whether the minor is past its end of life as of the table's date. The table, not the
    /// clock, decides, so that a given berth release reports the same for the same file.
    pub fn is_end_of_life(&self) -> bool {
        self.status == PythonStatus::EndOfLife
    }

    /// Whether patch `patch` of this minor is older than one known to be published, so its
    /// tags are no longer rebuilt.
    pub fn patch_superseded(&self, patch: u64) -> bool {
        let newer = self.trixie_patch.as_deref().and_then(|it| it.rsplit('.').next()?.parse::<u64>().ok());
        newer.is_some_and(|newer| patch < newer)
    }
}

/// Whether CPython `major.minor` is past its end of life: per the version table, and for every
/// minor older than the table's first (Python 2, 3.0 to 3.7). A minor newer than the table knows
/// is not.
pub fn python_minor_end_of_life(major: u64, minor: u64) -> bool {
    if let Some(known) = python_minor(major, minor) {
        return known.is_end_of_life();
    }
    let oldest = PYTHON_MINOR_NUMBERS.first().copied().flatten();
    oldest.is_some_and(|oldest| (major, minor) < oldest)
}

/// The Python version table and the month its statuses describe.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonVersions {
    /// `YYYY-MM` at which `status` was true.
    pub as_of: String,
    #[serde(rename = "version", default)]
    pub versions: Vec<PythonVersion>,
}

/// A distroless tag form of the uv image.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UvTagForm {
    pub pattern: String,
    pub meaning: String,
}

/// A base of the derived uv images, usable as `<base>`, `<X.Y>-<base>` and `<X.Y.Z>-<base>`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UvImageBase {
    /// E.g. `python3.12-trixie-slim`.
    pub name: String,
    /// What the image is built on.
    pub image: String,
    /// Python minor it ships, if any.
    pub python: Option<String>,
}

/// A derived-image base that is no longer published. `*` in `name` matches any text.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetiredUvTag {
    pub name: String,
    /// Last uv release published with this base.
    pub last_version: String,
    pub note: String,
}

impl RetiredUvTag {
    /// Whether `base` (the tag without any uv version prefix) matches this entry.
    pub fn matches(&self, base: &str) -> bool {
        glob_match(&self.name, base)
    }
}

/// Astral's `ghcr.io/astral-sh/uv` images.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UvImageDoc {
    pub repositories: Vec<String>,
    pub summary: String,
    pub description: String,
    /// How to use the distroless image.
    pub distroless: String,
    /// Tag scheme and paths of the derived images.
    pub derived: String,
    pub pinning: Vec<String>,
    pub provenance: String,
    #[serde(rename = "distroless_tag", default)]
    pub distroless_tags: Vec<UvTagForm>,
    #[serde(default)]
    pub retired: Vec<RetiredUvTag>,
    #[serde(rename = "base", default)]
    pub bases: Vec<UvImageBase>,
}

impl UvImageDoc {
    /// A currently published derived-image base, by exact name.
    pub fn base(&self, name: &str) -> Option<&UvImageBase> {
        self.bases.iter().find(|it| it.name == name)
    }

    /// The retired-base entry matching `base`, if any.
    pub fn retired(&self, base: &str) -> Option<&RetiredUvTag> {
        self.retired.iter().find(|it| it.matches(base))
    }

    pub fn to_markdown(&self) -> String {
        markdown::uv_image(self)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImagesFile {
    #[serde(default)]
    python: PythonImageDoc,
    #[serde(default)]
    python_versions: PythonVersions,
    #[serde(default)]
    uv: UvImageDoc,
}

static IMAGES: LazyLock<ImagesFile> = LazyLock::new(|| load("images.toml", IMAGES_JSON));

pub fn python_image_doc() -> &'static PythonImageDoc {
    &IMAGES.python
}

pub fn uv_image_doc() -> &'static UvImageDoc {
    &IMAGES.uv
}

pub fn python_versions() -> &'static PythonVersions {
    &IMAGES.python_versions
}

/// Release-cycle facts for a minor such as `3.12`; a patch (`3.12.7`) is reduced to its minor.
pub fn python_version(version: &str) -> Option<&'static PythonVersion> {
    let mut parts = version.split('.');
    let (major, minor) = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
    python_minor(major, minor)
}

/// Release-cycle facts for CPython `major.minor`.
pub fn python_minor(major: u64, minor: u64) -> Option<&'static PythonVersion> {
    let row = PYTHON_MINOR_NUMBERS.iter().position(|it| *it == Some((major, minor)))?;
    python_versions().versions.get(row)
}

/// The rows of the version table whose minor reads as numbers, each with its `(major, minor)`,
/// in table order (oldest first).
pub fn python_minors() -> impl Iterator<Item = (&'static PythonVersion, (u64, u64))> {
    python_versions()
        .versions
        .iter()
        .zip(PYTHON_MINOR_NUMBERS.iter())
        .filter_map(|(row, numbers)| Some((row, (*numbers)?)))
}

/// Each row of the version table as `(major, minor)`, in table order: rules look a minor up for
/// every image of a file, and comparing numbers spares them building text for each lookup.
static PYTHON_MINOR_NUMBERS: LazyLock<Vec<Option<(u64, u64)>>> = LazyLock::new(|| {
    python_versions()
        .versions
        .iter()
        .map(|it| {
            let (major, minor) = it.minor.split_once('.')?;
            Some((major.parse().ok()?, minor.parse().ok()?))
        })
        .collect()
});

// ---------------------------------------------------------------------------------------------
// Versions, loading, validation
// ---------------------------------------------------------------------------------------------

/// Whether version `have` is at least `need`, comparing dot-separated numbers (`0.11.20`).
///
/// Missing parts count as zero and a part's non-digit tail is ignored (`0.9.0rc1` reads as
/// `0.9.0`). When either side has no number at all the answer is `true`: callers use this to warn
/// about too-old versions and must stay quiet about versions they cannot read.
pub fn version_at_least(have: &str, need: &str) -> bool {
    let (Some(have), Some(need)) = (version_parts(have), version_parts(need)) else {
        return true;
    };
    let len = have.len().max(need.len());
    for i in 0..len {
        let a = have.get(i).copied().unwrap_or(0);
        let b = need.get(i).copied().unwrap_or(0);
        if a != b {
            return a > b;
        }
    }
    true
}

fn version_parts(version: &str) -> Option<Vec<u64>> {
    let version = version.trim().trim_start_matches(['v', 'V']);
    let mut acc = Vec::new();
    for part in version.split('.') {
        let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
        let Ok(number) = digits.parse::<u64>() else {
            break;
        };
        acc.push(number);
        // A part like `0rc1` ends the numeric prefix.
        if digits.len() != part.len() {
            break;
        }
    }
    if acc.is_empty() { None } else { Some(acc) }
}

/// Minimal glob: `*` matches any run of characters, everything else matches itself.
fn glob_match(pattern: &str, text: &str) -> bool {
    let Some((head, tail)) = pattern.split_once('*') else {
        return pattern == text;
    };
    let Some(rest) = text.strip_prefix(head) else {
        return false;
    };
    if tail.is_empty() {
        return true;
    }
    (0..=rest.len()).filter(|i| rest.is_char_boundary(*i)).any(|i| glob_match(tail, &rest[i..]))
}

/// Reads one knowledge file from its JSON form (`json`).
fn load<T: DeserializeOwned + Default>(file: &str, json: &str) -> T {
    match serde_json::from_str(json) {
        Ok(data) => data,
        Err(err) => {
            tracing::error!("built-in knowledge file {file} is invalid, using empty data: {err}");
            T::default()
        }
    }
}

/// Parse errors of the built-in data files, one message per broken file. Empty in a good build.
///
/// Checks the JSON the binary loads (the build script has already refused TOML that does not
/// parse, so what is left to catch is data that does not fit the types; serde's message names
/// the field).
pub fn data_errors() -> Vec<String> {
    fn check<T: DeserializeOwned>(acc: &mut Vec<String>, file: &str, json: &str) {
        if let Err(err) = serde_json::from_str::<T>(json) {
            acc.push(format!("{file}: {err}"));
        }
    }
    let mut acc = Vec::new();
    check::<UvEnvFile>(&mut acc, "uv_env.toml", UV_ENV_JSON);
    check::<UvCliFile>(&mut acc, "uv_cli.toml", UV_CLI_JSON);
    check::<DockerfileFile>(&mut acc, "dockerfile.toml", DOCKERFILE_JSON);
    check::<ImagesFile>(&mut acc, "images.toml", IMAGES_JSON);
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_life_and_superseded_patches() {
        let of = |minor: &str| python_version(minor).expect(minor);
        assert!(of("3.8").is_end_of_life() && of("3.9").is_end_of_life());
        assert!(!of("3.13").is_end_of_life() && !of("3.14").is_end_of_life());
        assert!(of("3.12").patch_superseded(4) && !of("3.12").patch_superseded(12));
        assert!(!of("3.15").patch_superseded(0));
        assert!(python_minor_end_of_life(2, 7) && python_minor_end_of_life(3, 7) && python_minor_end_of_life(3, 9));
        assert!(
            !python_minor_end_of_life(3, 13) && !python_minor_end_of_life(3, 16) && !python_minor_end_of_life(4, 0)
        );
        // A patch or a numeric minor finds the same row; text after a number finds none.
        assert!(std::ptr::eq(of("3.12.7"), python_minor(3, 12).expect("3.12")));
        assert_eq!(python_version("3.12.7").map(|it| it.minor.as_str()), Some("3.12"));
        assert!(python_version("3.12rc1").is_none() && python_version("3").is_none() && python_minor(3, 99).is_none());
        // Every supported minor names its patch built on trixie, which the rules rely on.
        for version in &python_versions().versions {
            if matches!(version.status, PythonStatus::Bugfix | PythonStatus::Security) {
                let patch = version.trixie_patch.as_deref().unwrap_or_default();
                assert!(patch.starts_with(&format!("{}.", version.minor)), "{}: {patch}", version.minor);
            }
        }
    }

    #[test]
    fn glob_matches_star_anywhere() {
        assert!(glob_match("python3.*-bookworm", "python3.12-bookworm"));
        assert!(!glob_match("python3.*-bookworm", "python3.12-bookworm-slim"));
        assert!(glob_match("python3.8-*", "python3.8-alpine"));
        assert!(glob_match("alpine3.21", "alpine3.21"));
        assert!(!glob_match("alpine3.21", "alpine3.22"));
    }

    #[test]
    fn version_parts_stop_at_suffixes() {
        assert_eq!(version_parts("0.9.0rc1"), Some(vec![0, 9, 0]));
        assert_eq!(version_parts("v1.2"), Some(vec![1, 2]));
        assert_eq!(version_parts("latest"), None);
    }

    #[test]
    fn index_credential_suffix_needs_a_name() {
        assert_eq!(index_credential_suffix("UV_INDEX_X_PASSWORD"), Some("_PASSWORD"));
        assert_eq!(index_credential_suffix("UV_INDEX_PASSWORD"), None);
        assert_eq!(index_credential_suffix("UV_INDEX_URL"), None);
    }
}
