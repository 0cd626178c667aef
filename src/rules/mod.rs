//! The rule registry: every rule's metadata and check function, sorted by code.
//!
//! Each rule lives in its own file with a doc comment (What it flags / Why it matters / Example /
//! Fix safety) that is the single source for `berth rules`, `berth explain`, hovers and the
//! generated rules reference. Severity and enablement come from settings, never from a rule.

use crate::diagnostic::{Diagnostic, Fix, RelatedLocation, Severity, Tag};
use crate::project::ProjectFacts;
use crate::semantics::shell::UvInvocation;
use crate::semantics::{CommandSite, Semantics};
use crate::syntax::Parse;
use crate::text::TextRange;

mod binary_content;
mod bytecode_compiled_at_start;
mod bytecode_not_compiled;
mod cache_mount_link_mode;
mod cache_mount_with_no_cache;
mod cache_mount_wrong_target;
mod conflicting_lock_flags;
mod conflicting_uv_flags;
mod deprecated_uv_variable;
mod dev_dependencies_at_start;
mod dev_server_in_image;
mod editable_mismatch_at_start;
mod export_includes_dev;
mod extra_arguments;
mod insecure_uv_setting;
mod invalid_directive;
mod invalid_json_array;
mod invalid_project_file;
mod invalid_syntax;
mod invalid_uv_boolean;
mod invalid_uv_value;
mod locked_workspace_layer;
mod malformed_flag;
mod missing_arguments;
mod missing_from;
mod missing_lockfile;
mod pip_sync_system;
mod python_version_mismatch;
mod python_version_not_in_dependency_layer;
mod root_owned_runtime_sync;
mod shell_form_start_command;
mod source_before_dependencies;
mod support_env;
mod support_runtime;
pub(crate) mod support_uv;
mod symlink_link_mode;
mod unknown_flag;
mod unknown_instruction;
mod unknown_uv_variable;
mod unlocked_uv_sync;
mod unterminated_heredoc;
mod uv_cache_in_layer;
mod uv_credentials_in_image;
mod uv_feature_newer_than_pin;
mod uv_run_syncs_at_start;
mod venv_in_build_context;

/// Declares a rule's metadata as a `static`, keeping its doc comment as data.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $id:ident = {
            code: $code:literal,
            name: $name:literal,
            severity: $sev:ident,
            fix: $fix:ident,
            $(hadolint: $hadolint:literal,)?
            $(buildkit: $buildkit:literal,)?
        };
    ) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::rules::Rule = $crate::rules::Rule {
            code: $code,
            name: $name,
            default_severity: $crate::diagnostic::Severity::$sev,
            fix: $crate::rules::FixAvailability::$fix,
            doc: concat!($($doc, "\n"),*),
            hadolint: declare_rule!(@opt $($hadolint)?),
            buildkit: declare_rule!(@opt $($buildkit)?),
        };
    };
    (@opt) => { None };
    (@opt $value:literal) => { Some($value) };
}
pub(crate) use declare_rule;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

/// A rule's metadata. The check function is kept beside it in [`REGISTRY`].
#[derive(Debug)]
pub struct Rule {
    /// Stable code (`DF001`, `UV001`, `PY001`); never reused.
    pub code: &'static str,
    /// Kebab-case name naming the pattern, not the fix.
    pub name: &'static str,
    pub default_severity: Severity,
    pub fix: FixAvailability,
    /// The rule's doc comment, one source line per line, each with the leading space `///` leaves.
    pub doc: &'static str,
    /// The hadolint rule this corresponds to, for `# hadolint ignore=`.
    pub hadolint: Option<&'static str>,
    /// The BuildKit check this corresponds to, for `# check=skip=`.
    pub buildkit: Option<&'static str>,
}

impl Rule {
    /// The rule's documentation as Markdown.
    pub fn documentation(&self) -> String {
        let mut res = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            res.push_str(line.strip_prefix(' ').unwrap_or(line));
            res.push('\n');
        }
        res
    }

    /// The first line of the "What it flags" section, used as a one-line summary.
    pub fn summary(&self) -> String {
        let doc = self.documentation();
        let mut lines = doc.lines().skip_while(|it| !it.starts_with("## What it flags")).skip(1);
        lines.find(|it| !it.trim().is_empty()).unwrap_or("").trim().to_owned()
    }

    /// A diagnostic of this rule with its default severity.
    pub fn report(&'static self, range: TextRange, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: self.code,
            name: self.name,
            severity: self.default_severity,
            range,
            message: message.into(),
            related: Vec::new(),
            tags: Vec::new(),
            fixes: Vec::new(),
        }
    }
}

/// Builder-style additions to a freshly reported diagnostic.
pub trait DiagnosticExt {
    fn with_related(self, related: RelatedLocation) -> Self;
    fn with_fix(self, fix: Fix) -> Self;
    fn with_tag(self, tag: Tag) -> Self;
    fn with_severity(self, severity: Severity) -> Self;
}

impl DiagnosticExt for Diagnostic {
    fn with_related(mut self, related: RelatedLocation) -> Diagnostic {
        self.related.push(related);
        self
    }

    fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fixes.push(fix);
        self
    }

    fn with_tag(mut self, tag: Tag) -> Diagnostic {
        self.tags.push(tag);
        self
    }

    fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }
}

/// Everything a rule may look at. Nothing in here does IO.
pub struct RuleContext<'a> {
    pub text: &'a str,
    pub parse: &'a Parse,
    pub semantics: &'a Semantics,
    pub project: &'a ProjectFacts,
    /// Every uv invocation with the index of its site in `semantics.commands`, parsed once for
    /// all rules.
    uv: Vec<(usize, UvInvocation<'a>)>,
}

impl<'a> RuleContext<'a> {
    pub fn new(
        text: &'a str,
        parse: &'a Parse,
        semantics: &'a Semantics,
        project: &'a ProjectFacts,
    ) -> RuleContext<'a> {
        let uv = semantics
            .commands
            .iter()
            .enumerate()
            .filter_map(|(idx, site)| Some((idx, site.command.as_uv()?)))
            .collect();
        RuleContext { text, parse, semantics, project, uv }
    }

    /// Every uv invocation in the file with the command site it belongs to, in source order.
    pub fn uv_commands(&self) -> impl Iterator<Item = (&'a CommandSite, &UvInvocation<'a>)> + '_ {
        let commands = &self.semantics.commands;
        self.uv.iter().map(move |(idx, uv)| (&commands[*idx], uv))
    }
}

pub type CheckFn = fn(&RuleContext<'_>, &mut Vec<Diagnostic>);

/// Every rule, sorted by code (a test keeps it sorted and unique).
pub static REGISTRY: &[(&Rule, CheckFn)] = &[
    (&unknown_instruction::UNKNOWN_INSTRUCTION, unknown_instruction::check),
    (&missing_arguments::MISSING_ARGUMENTS, missing_arguments::check),
    (&extra_arguments::EXTRA_ARGUMENTS, extra_arguments::check),
    (&unknown_flag::UNKNOWN_FLAG, unknown_flag::check),
    (&malformed_flag::MALFORMED_FLAG, malformed_flag::check),
    (&unterminated_heredoc::UNTERMINATED_HEREDOC, unterminated_heredoc::check),
    (&missing_from::MISSING_FROM, missing_from::check),
    (&invalid_json_array::INVALID_JSON_ARRAY, invalid_json_array::check),
    (&invalid_directive::INVALID_DIRECTIVE, invalid_directive::check),
    (&invalid_syntax::INVALID_SYNTAX, invalid_syntax::check),
    (&binary_content::BINARY_CONTENT, binary_content::check),
    (&python_version_mismatch::PYTHON_VERSION_MISMATCH, python_version_mismatch::check),
    (&invalid_project_file::INVALID_PROJECT_FILE, invalid_project_file::check),
    (&unlocked_uv_sync::UNLOCKED_UV_SYNC, unlocked_uv_sync::check),
    (&conflicting_lock_flags::CONFLICTING_LOCK_FLAGS, conflicting_lock_flags::check),
    (&conflicting_uv_flags::CONFLICTING_UV_FLAGS, conflicting_uv_flags::check),
    (&locked_workspace_layer::LOCKED_WORKSPACE_LAYER, locked_workspace_layer::check),
    (&missing_lockfile::MISSING_LOCKFILE, missing_lockfile::check),
    (&source_before_dependencies::SOURCE_BEFORE_DEPENDENCIES, source_before_dependencies::check),
    (
        &python_version_not_in_dependency_layer::PYTHON_VERSION_NOT_IN_DEPENDENCY_LAYER,
        python_version_not_in_dependency_layer::check,
    ),
    (&cache_mount_link_mode::CACHE_MOUNT_LINK_MODE, cache_mount_link_mode::check),
    (&cache_mount_wrong_target::CACHE_MOUNT_WRONG_TARGET, cache_mount_wrong_target::check),
    (&cache_mount_with_no_cache::CACHE_MOUNT_WITH_NO_CACHE, cache_mount_with_no_cache::check),
    (&uv_cache_in_layer::UV_CACHE_IN_LAYER, uv_cache_in_layer::check),
    (&symlink_link_mode::SYMLINK_LINK_MODE, symlink_link_mode::check),
    (&venv_in_build_context::VENV_IN_BUILD_CONTEXT, venv_in_build_context::check),
    (&bytecode_not_compiled::BYTECODE_NOT_COMPILED, bytecode_not_compiled::check),
    (&uv_run_syncs_at_start::UV_RUN_SYNCS_AT_START, uv_run_syncs_at_start::check),
    (&dev_dependencies_at_start::DEV_DEPENDENCIES_AT_START, dev_dependencies_at_start::check),
    (&editable_mismatch_at_start::EDITABLE_MISMATCH_AT_START, editable_mismatch_at_start::check),
    (&bytecode_compiled_at_start::BYTECODE_COMPILED_AT_START, bytecode_compiled_at_start::check),
    (&dev_server_in_image::DEV_SERVER_IN_IMAGE, dev_server_in_image::check),
    (&shell_form_start_command::SHELL_FORM_START_COMMAND, shell_form_start_command::check),
    (&root_owned_runtime_sync::ROOT_OWNED_RUNTIME_SYNC, root_owned_runtime_sync::check),
    (&pip_sync_system::PIP_SYNC_SYSTEM, pip_sync_system::check),
    (&export_includes_dev::EXPORT_INCLUDES_DEV, export_includes_dev::check),
    (&invalid_uv_boolean::INVALID_UV_BOOLEAN, invalid_uv_boolean::check),
    (&invalid_uv_value::INVALID_UV_VALUE, invalid_uv_value::check),
    (&unknown_uv_variable::UNKNOWN_UV_VARIABLE, unknown_uv_variable::check),
    (&deprecated_uv_variable::DEPRECATED_UV_VARIABLE, deprecated_uv_variable::check),
    (&uv_credentials_in_image::UV_CREDENTIALS_IN_IMAGE, uv_credentials_in_image::check),
    (&uv_feature_newer_than_pin::UV_FEATURE_NEWER_THAN_PIN, uv_feature_newer_than_pin::check),
    (&insecure_uv_setting::INSECURE_UV_SETTING, insecure_uv_setting::check),
];

/// Looks a rule up by code or name (case-insensitive).
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    REGISTRY
        .iter()
        .map(|(rule, _)| *rule)
        .find(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name.eq_ignore_ascii_case(code_or_name))
}

/// Runs every rule and returns the diagnostics sorted by position, then code.
pub fn run_all(ctx: &RuleContext<'_>) -> Vec<Diagnostic> {
    let mut acc = Vec::new();
    // A binary file would drown in findings about garbage; one clear finding says it all.
    if binary_content::first_nul(ctx.text).is_some() {
        binary_content::check(ctx, &mut acc);
        return acc;
    }
    for (rule, check) in REGISTRY {
        // Already decided above.
        if std::ptr::eq(*rule, &binary_content::BINARY_CONTENT) {
            continue;
        }
        check(ctx, &mut acc);
    }
    acc.sort_by(|a, b| (a.range.start, a.range.end, a.code).cmp(&(b.range.start, b.range.end, b.code)));
    acc
}

/// Where a rule's documentation lives (the generated rules reference in the repository).
pub fn doc_url(code: &str) -> String {
    format!("https://github.com/berth-lsp/berth/blob/main/docs/rules.md#{}", code.to_ascii_lowercase())
}

/// uv's reading of a boolean environment variable: `1/true/yes/y/t/on`, case-insensitive.
pub(crate) fn is_truthy(value: &str) -> bool {
    matches!(value.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "y" | "t" | "on")
}

/// Where a boolean `UV_*` variable is switched on for a command.
pub(crate) struct EnvSetting {
    /// The assignment or ENV/ARG value that sets it (`None` when not visible in the file).
    pub(crate) range: Option<TextRange>,
}

/// Whether `name` is truthy for the command at `site`: a `NAME=1 uv ...` prefix, else the ENV or
/// ARG in effect at that instruction.
pub(crate) fn uv_env_flag(
    ctx: &RuleContext<'_>,
    site: &crate::semantics::CommandSite,
    name: &str,
) -> Option<EnvSetting> {
    if let Some(assignment) = site.command.assignments.iter().rev().find(|it| it.name == name) {
        return is_truthy(&assignment.value).then_some(EnvSetting { range: Some(assignment.range) });
    }
    let stage = site.stage?;
    let def = ctx.semantics.build_var(stage, site.instruction, name)?;
    let value = def.value.as_deref()?;
    is_truthy(value).then_some(EnvSetting { range: Some(def.value_range.unwrap_or(def.name_range)) })
}

/// Reports every syntax error of one kind as a diagnostic of `rule`.
fn report_syntax_errors(
    acc: &mut Vec<Diagnostic>,
    ctx: &RuleContext<'_>,
    rule: &'static Rule,
    matches: fn(&crate::syntax::SyntaxErrorKind) -> bool,
) {
    for error in &ctx.parse.errors {
        if matches(&error.kind) {
            acc.push(rule.report(error.range, error.message.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_sorted_unique_and_documented() {
        let codes: Vec<&str> = REGISTRY.iter().map(|(rule, _)| rule.code).collect();
        let family_order = |code: &str| -> (usize, String) {
            let family = code.trim_end_matches(|c: char| c.is_ascii_digit());
            let rank = ["DF", "PY", "UV", "SEC"].iter().position(|it| *it == family).unwrap_or(usize::MAX);
            (rank, code.to_owned())
        };
        let mut sorted = codes.clone();
        sorted.sort_by_key(|it| family_order(it));
        sorted.dedup();
        assert_eq!(codes, sorted, "REGISTRY must be sorted by family then code, without duplicates");
        let mut names: Vec<&str> = REGISTRY.iter().map(|(rule, _)| rule.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REGISTRY.len(), "rule names must be unique");
        for (rule, _) in REGISTRY {
            let doc = rule.documentation();
            for section in ["## What it flags", "## Why it matters", "## Example"] {
                assert!(doc.contains(section), "{} lacks `{section}`", rule.code);
            }
            if rule.fix != FixAvailability::None {
                assert!(doc.contains("## Fix safety"), "{} is fixable but lacks `## Fix safety`", rule.code);
            }
            assert!(
                rule.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}: name `{}` is not kebab-case",
                rule.code,
                rule.name
            );
        }
    }
}
