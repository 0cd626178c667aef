//! The rule registry: every rule's metadata and check function, sorted by code.
//!
//! Each rule lives in its own file with a doc comment (What it flags / Why it matters / Example /
//! Fix safety) that is the single source for `berth rules`, `berth explain`, hovers and the
//! generated rules reference. Severity and enablement come from settings, never from a rule.

use crate::config::{DEFAULT_SETTINGS, Settings};
use crate::diagnostic::{Diagnostic, Fix, RelatedLocation, Severity, Tag};
use crate::project::ProjectFacts;
use crate::semantics::shell::UvInvocation;
use crate::semantics::{CommandSite, Semantics, Stage};
use crate::syntax::{Instruction, Keyword, Parse};
use crate::text::TextRange;
use std::ops::Range;
use std::sync::OnceLock;

mod add_for_local_files;
mod apt_install_recommends;
mod apt_lists_not_removed;
mod binary_content;
mod bytecode_compiled_at_start;
mod bytecode_not_compiled;
mod cache_mount_link_mode;
mod cache_mount_with_no_cache;
mod cache_mount_wrong_target;
mod cd_in_run;
mod conflicting_lock_flags;
mod conflicting_uv_flags;
mod consecutive_run;
mod console_script_not_on_path;
mod constant_platform_in_from;
mod copy_from_own_stage;
mod copy_ignored_file;
mod credentials_in_url;
mod deprecated_uv_variable;
mod dev_dependencies_at_start;
mod dev_server_in_image;
mod duplicate_stage_name;
mod editable_mismatch_at_start;
mod empty_continuation_line;
mod export_includes_dev;
mod expose_invalid_format;
mod expose_proto_casing;
mod extra_arguments;
mod facts;
mod floating_python_tag;
mod floating_uv_image;
mod from_as_casing;
mod inconsistent_instruction_casing;
pub mod incremental;
mod insecure_uv_setting;
mod invalid_config;
mod invalid_default_arg_in_from;
mod invalid_definition_description;
mod invalid_directive;
mod invalid_json_array;
mod invalid_port;
mod invalid_project_file;
mod invalid_syntax;
mod invalid_uv_boolean;
mod invalid_uv_value;
mod latest_tag;
mod legacy_key_value_format;
mod locked_workspace_layer;
mod maintainer_deprecated;
mod malformed_flag;
mod managed_python_default_dir;
mod missing_arguments;
mod missing_from;
mod missing_lockfile;
mod multiple_instructions;
mod no_config_ignores_python_version;
mod nonexistent_python_tag;
mod nonexistent_uv_image_tag;
mod pip_cache_kept;
mod pip_install_without_environment;
mod pip_sync_system;
mod pipe_without_pipefail;
mod project_environment_at_system_prefix;
mod python_end_of_life;
mod python_install_without_downloads;
mod python_tag_without_distro;
mod python_version_mismatch;
mod python_version_not_in_dependency_layer;
mod redundant_target_platform;
mod relative_workdir;
mod reserved_stage_name;
mod retired_uv_image_tag;
mod root_owned_runtime_sync;
mod root_user;
mod runs_as_root;
mod secret_in_arg_or_env;
mod shell_form_cmd;
mod source_before_dependencies;
mod ssh_port_exposed;
mod stage_name_casing;
mod sudo_in_run;
mod support_df;
mod support_env;
pub(crate) mod support_images;
mod support_pip;
pub(crate) mod support_python;
mod support_runtime;
pub(crate) mod support_uv;
mod symlink_link_mode;
mod system_install_into_managed_python;
mod system_python_with_project_commands;
mod tls_verification_disabled;
mod tool_bin_not_on_path;
mod undefined_arg_in_from;
mod undefined_variable;
mod unknown_copy_from;
mod unknown_flag;
mod unknown_instruction;
mod unknown_suppression_code;
mod unknown_uv_command;
mod unknown_uv_flag;
mod unknown_uv_variable;
mod unlocked_uv_sync;
mod unpinned_apt_package;
mod unpinned_pip_package;
mod unpinned_uv_installer;
mod untagged_image;
mod unterminated_heredoc;
mod untrusted_registry;
mod unused_suppression;
mod uv_cache_in_layer;
mod uv_credentials_in_image;
mod uv_feature_newer_than_pin;
mod uv_not_installed;
mod uv_path_in_derived_image;
mod uv_run_syncs_at_start;
mod venv_base_mismatch;
mod venv_in_build_context;
mod venv_interpreter_missing;
mod venv_moved;
mod venv_over_existing_path;
mod virtual_env_ignored;

pub(crate) use unknown_suppression_code::UNKNOWN_SUPPRESSION_CODE;
pub(crate) use unused_suppression::UNUSED_SUPPRESSION;

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
            $(hadolint_also: [$($hadolint_also:literal),* $(,)?],)?
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
            hadolint_also: &[$($($hadolint_also),*)?],
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
    /// Further hadolint rules this one covers (one BuildKit check can match several hadolint
    /// rules, e.g. multiple CMD / ENTRYPOINT / HEALTHCHECK).
    pub hadolint_also: &'static [&'static str],
    /// The BuildKit check this corresponds to, for `# check=skip=`.
    pub buildkit: Option<&'static str>,
}

impl Rule {
    /// Every hadolint code this rule corresponds to, for `# hadolint ignore=`.
    pub fn hadolint_codes(&self) -> impl Iterator<Item = &'static str> {
        self.hadolint.into_iter().chain(self.hadolint_also.iter().copied())
    }

    /// The rule's documentation as Markdown.
    pub fn documentation(&self) -> String {
        let mut res = String::with_capacity(self.doc.len());
        for line in self.doc.lines() {
            res.push_str(line.strip_prefix(' ').unwrap_or(line));
            res.push('\n');
        }
        res
    }

    /// The first sentence of the "What it flags" section, on one line, as a one-line summary.
    pub fn summary(&self) -> String {
        let doc = self.documentation();
        let mut paragraph = String::new();
        let lines = doc.lines().skip_while(|it| !it.starts_with("## What it flags")).skip(1);
        for line in lines.skip_while(|it| it.trim().is_empty()) {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with("```") {
                break;
            }
            if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(line);
        }
        // A sentence ends at a period followed by a space and a capital letter (or the end).
        let bytes = paragraph.as_bytes();
        for (idx, _) in paragraph.match_indices(". ") {
            if bytes.get(idx + 2).is_some_and(u8::is_ascii_uppercase) {
                return paragraph[..=idx].to_owned();
            }
        }
        paragraph
    }

    /// A diagnostic of this rule with its default severity.
    pub fn report(&'static self, range: TextRange, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: self.code,
            name: self.name,
            severity: self.default_severity,
            range,
            message: std::sync::Arc::from(message.into()),
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
    /// The resolved configuration (rules read options such as `trusted_registries` from it;
    /// selection and severities are applied by analysis, never by rules).
    pub settings: &'a Settings,
    /// Every uv invocation (of the focused stages) with the index of its site in
    /// `semantics.commands`, parsed once for all rules, on first use.
    uv: OnceLock<Vec<(usize, UvInvocation<'a>)>>,
    /// Where each keyword's instructions are, so rules about a few keywords do not walk the
    /// whole syntax tree (every instruction node is a couple of cache lines; the index is a
    /// few bytes per instruction).
    keywords: KeywordIndex,
    /// Facts several rules share, built on first use.
    facts: facts::Facts<'a>,
    /// The stages checked again after an edit (see [`incremental`]); `None` checks them all.
    focus: Option<incremental::Focus>,
}

impl<'a> RuleContext<'a> {
    pub fn new(
        text: &'a str,
        parse: &'a Parse,
        semantics: &'a Semantics,
        project: &'a ProjectFacts,
    ) -> RuleContext<'a> {
        let keywords = KeywordIndex::new(&parse.file.instructions);
        RuleContext {
            text,
            parse,
            semantics,
            project,
            settings: &DEFAULT_SETTINGS,
            uv: OnceLock::new(),
            keywords,
            facts: facts::Facts::default(),
            focus: None,
        }
    }

    /// A context over the same file and settings seeing only the stages of `focus`: the walks
    /// over instructions and uv commands skip the others. The facts rules gather start afresh;
    /// the keyword index, the same for both, is copied rather than built again.
    pub(crate) fn focused(&self, focus: incremental::Focus) -> RuleContext<'a> {
        RuleContext {
            text: self.text,
            parse: self.parse,
            semantics: self.semantics,
            project: self.project,
            settings: self.settings,
            uv: OnceLock::new(),
            keywords: self.keywords.clone(),
            facts: facts::Facts::default(),
            focus: Some(focus),
        }
    }

    /// Whether findings in `stage` are wanted: always, unless an edit narrowed the check.
    pub(crate) fn in_focus(&self, stage: usize) -> bool {
        self.focus.as_ref().is_none_or(|focus| focus.has_stage(stage))
    }

    /// The stages whose findings are wanted (see [`RuleContext::in_focus`]).
    pub(crate) fn stages(&self) -> impl DoubleEndedIterator<Item = &'a Stage> + '_ {
        let stages: &'a [Stage] = &self.semantics.stages;
        stages.iter().filter(|stage| self.in_focus(stage.index))
    }

    /// The instruction index ranges the context walks, in order: all of them, or after an edit
    /// the part before the first FROM and the focused stages.
    pub(crate) fn walked_instruction_ranges(&self) -> impl Iterator<Item = Range<usize>> + use<'_, 'a> {
        let (whole, focused) = match &self.focus {
            None => (Some(0..self.parse.file.instructions.len()), &[][..]),
            Some(focus) => (None, focus.instruction_ranges()),
        };
        whole.into_iter().chain(focused.iter().cloned())
    }

    /// The ranges of `semantics.commands` the context walks, in order (what
    /// [`RuleContext::commands`] walks, as ranges).
    pub(crate) fn walked_command_ranges(&self) -> impl Iterator<Item = Range<usize>> + use<'_, 'a> {
        let (whole, focused) = match &self.focus {
            None => (Some(0..self.semantics.commands.len()), &[][..]),
            Some(focus) => (None, focus.command_ranges()),
        };
        whole.into_iter().chain(focused.iter().cloned())
    }

    /// The command sites of the stages whose findings are wanted, with their indices in
    /// `semantics.commands`.
    pub(crate) fn commands(&self) -> impl Iterator<Item = (usize, &'a CommandSite)> + '_ {
        let commands: &'a [CommandSite] = &self.semantics.commands;
        self.walked_command_ranges().flat_map(move |range| {
            let start = range.start;
            commands.get(range.clone()).unwrap_or_default().iter().enumerate().map(move |(at, site)| (start + at, site))
        })
    }

    /// Every uv invocation of the stages whose findings are wanted, with the index of its
    /// command site in `semantics.commands`, in source order.
    pub(crate) fn uv_list(&self) -> &[(usize, UvInvocation<'a>)] {
        self.uv.get_or_init(|| {
            // `as_uv` needs a word naming uv (`uv`, `uvx`, `/usr/bin/uv`, `python -m uv`): most
            // commands have none, and finding their program is not free.
            let may_be_uv = |site: &CommandSite| {
                site.command.words.iter().any(|word| word.value.ends_with("uv") || word.value.ends_with("uvx"))
            };
            self.commands()
                .filter(|(_, site)| may_be_uv(site))
                .filter_map(|(idx, site)| Some((idx, site.command.as_uv()?)))
                .collect()
        })
    }

    /// The same context with these settings instead of the defaults.
    pub fn with_settings(mut self, settings: &'a Settings) -> RuleContext<'a> {
        self.settings = settings;
        self
    }

    /// Every uv invocation in the file with the command site it belongs to, in source order.
    pub fn uv_commands(&self) -> impl Iterator<Item = (&'a CommandSite, &UvInvocation<'a>)> + '_ {
        let commands = &self.semantics.commands;
        self.uv_list().iter().map(move |(idx, uv)| (&commands[*idx], uv))
    }

    /// The keyword of the instruction at `idx` (`Unknown` past the end), read from the index
    /// instead of the instruction itself.
    pub(crate) fn keyword_at(&self, idx: usize) -> Keyword {
        self.keywords.keywords.get(idx).copied().unwrap_or(Keyword::Unknown)
    }

    /// The instructions whose keyword is one of `keywords` (of the stages whose findings are
    /// wanted), with their indices, in source order.
    pub(crate) fn instructions_with(&self, keywords: &[Keyword]) -> KeywordWalk<'a, '_> {
        let instructions: &'a [Instruction] = &self.parse.file.instructions;
        debug_assert!(keywords.len() <= MAX_KEYWORDS_AT_ONCE, "too many keywords for one walk");
        let source = match &self.focus {
            None => {
                let mut lists: [&[u32]; MAX_KEYWORDS_AT_ONCE] = [&[]; MAX_KEYWORDS_AT_ONCE];
                for (slot, keyword) in lists.iter_mut().zip(keywords) {
                    *slot = self.keywords.of(*keyword);
                }
                let used = keywords.len().min(MAX_KEYWORDS_AT_ONCE);
                WalkSource::Merged(Merged { lists, used })
            }
            // A few stages: reading their one-byte keywords beats searching the lists.
            Some(focus) => {
                let mask = keywords.iter().fold(0u32, |mask, keyword| mask | keyword_bit(*keyword));
                let all = &self.keywords.keywords;
                let mut found = Vec::new();
                for range in focus.instruction_ranges() {
                    let own = all.get(range.start..range.end.min(all.len())).unwrap_or_default();
                    let hits = own.iter().enumerate().filter(|(_, keyword)| mask & keyword_bit(**keyword) != 0);
                    found.extend(hits.map(|(offset, _)| u32::try_from(range.start + offset).unwrap_or(u32::MAX)));
                }
                WalkSource::Listed(found.into_iter())
            }
        };
        KeywordWalk { instructions, source }
    }

    /// The instructions among `range` (instruction indices, as in `Stage::instructions`; the
    /// part past the last instruction is ignored) whose keyword is one of `keywords`, with
    /// their indices, in source order.
    pub(crate) fn instructions_with_in<'s>(
        &'s self,
        keywords: &[Keyword],
        range: Range<usize>,
    ) -> impl DoubleEndedIterator<Item = (usize, &'a Instruction)> + use<'a, 's> {
        let instructions: &'a [Instruction] = &self.parse.file.instructions;
        let mask = keywords.iter().fold(0u32, |mask, keyword| mask | keyword_bit(*keyword));
        // A stage holds a handful of instructions: reading their one-byte keywords in a row is
        // cheaper than searching each keyword's list for the stage's bounds.
        let all = &self.keywords.keywords;
        let start = range.start;
        let own = all.get(start..range.end.min(all.len())).unwrap_or_default();
        own.iter().enumerate().filter(move |(_, keyword)| mask & keyword_bit(**keyword) != 0).filter_map(
            move |(offset, _)| {
                let idx = start + offset;
                Some((idx, instructions.get(idx)?))
            },
        )
    }

    /// Whether a finding whose range starts at `offset` is kept: always, unless an edit
    /// narrowed the check, which keeps only the findings in the focused stages (those of the
    /// other stages and before the first FROM are carried over from the previous version). For
    /// rules that read a whole-file list, so that they do not word findings only to drop them.
    pub(crate) fn wanted_at(&self, offset: usize) -> bool {
        let Some(focus) = &self.focus else { return true };
        // The stage an offset is in, found as the carried-over findings' stages are.
        incremental::stage_at(self, offset).is_some_and(|stage| focus.has_stage(stage as usize))
    }
}

/// A keyword as one bit of a set of keywords.
fn keyword_bit(keyword: Keyword) -> u32 {
    1 << (keyword as u32)
}

/// How many keywords one call of [`RuleContext::instructions_with`] merges.
const MAX_KEYWORDS_AT_ONCE: usize = 3;

/// Each keyword's instruction indices, grouped by keyword and in source order within a group.
#[derive(Clone)]
struct KeywordIndex {
    /// The keyword of every instruction, one byte each.
    keywords: Vec<Keyword>,
    /// Instruction indices sorted by keyword, then position.
    order: Vec<u32>,
    /// Where each keyword's indices start in `order` (by `Keyword as usize`), and the end.
    starts: [u32; KEYWORD_COUNT + 1],
}

/// The number of `Keyword` variants (`Unknown` included).
const KEYWORD_COUNT: usize = Keyword::ALL.len() + 1;

impl KeywordIndex {
    fn new(instructions: &[Instruction]) -> KeywordIndex {
        let keywords: Vec<Keyword> = instructions.iter().map(|it| it.keyword).collect();
        // A counting sort: the indices of each keyword land in their own run, in source order.
        let mut starts = [0u32; KEYWORD_COUNT + 1];
        for keyword in &keywords {
            starts[*keyword as usize + 1] += 1;
        }
        for slot in 1..starts.len() {
            starts[slot] += starts[slot - 1];
        }
        let mut next = starts;
        let mut order = vec![0u32; keywords.len()];
        for (idx, keyword) in keywords.iter().enumerate() {
            let slot = &mut next[*keyword as usize];
            // Files with more than four billion instructions are not parsed to begin with.
            order[*slot as usize] = u32::try_from(idx).unwrap_or(u32::MAX);
            *slot += 1;
        }
        KeywordIndex { keywords, order, starts }
    }

    /// The indices of `keyword`'s instructions.
    fn of(&self, keyword: Keyword) -> &[u32] {
        let at = keyword as usize;
        let (start, end) = (self.starts[at] as usize, self.starts[at + 1] as usize);
        self.order.get(start..end).unwrap_or_default()
    }
}

/// The instructions with some keywords, from [`RuleContext::instructions_with`].
pub(crate) struct KeywordWalk<'a, 's> {
    instructions: &'a [Instruction],
    source: WalkSource<'s>,
}

/// Where a [`KeywordWalk`] takes its instruction indices from.
enum WalkSource<'s> {
    /// The whole file: the keywords' lists merged.
    Merged(Merged<'s>),
    /// The focused stages: their matching indices, collected.
    Listed(std::vec::IntoIter<u32>),
}

impl<'a> Iterator for KeywordWalk<'a, '_> {
    type Item = (usize, &'a Instruction);

    fn next(&mut self) -> Option<(usize, &'a Instruction)> {
        loop {
            let idx = match &mut self.source {
                WalkSource::Merged(merged) => merged.next()?,
                WalkSource::Listed(listed) => listed.next()? as usize,
            };
            if let Some(instruction) = self.instructions.get(idx) {
                return Some((idx, instruction));
            }
        }
    }
}

impl<'a> DoubleEndedIterator for KeywordWalk<'a, '_> {
    fn next_back(&mut self) -> Option<(usize, &'a Instruction)> {
        loop {
            let idx = match &mut self.source {
                WalkSource::Merged(merged) => merged.next_back()?,
                WalkSource::Listed(listed) => listed.next_back()? as usize,
            };
            if let Some(instruction) = self.instructions.get(idx) {
                return Some((idx, instruction));
            }
        }
    }
}

/// Merges a few sorted lists of instruction indices into one sorted walk, from either end.
struct Merged<'s> {
    lists: [&'s [u32]; MAX_KEYWORDS_AT_ONCE],
    /// How many of `lists` are in use.
    used: usize,
}

impl Iterator for Merged<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        let slot = if self.used == 1 {
            0
        } else {
            // The list with the smallest head (the first on a tie), an empty list counting as
            // past every index: three comparisons, for a walk that takes a step per instruction.
            let head = |list: &[u32]| list.first().map_or(u64::MAX, |it| u64::from(*it));
            let [a, b, c] = self.lists.map(head);
            if a <= b && a <= c {
                0
            } else if b <= c {
                1
            } else {
                2
            }
        };
        let (first, rest) = self.lists[slot].split_first()?;
        self.lists[slot] = rest;
        Some(*first as usize)
    }
}

impl DoubleEndedIterator for Merged<'_> {
    fn next_back(&mut self) -> Option<usize> {
        let slot = if self.used == 1 {
            0
        } else {
            // The list with the largest tail (the last on a tie), an empty list counting as
            // before every index.
            let tail = |list: &[u32]| list.last().map_or(0, |it| u64::from(*it) + 1);
            let [a, b, c] = self.lists.map(tail);
            if c >= b && c >= a {
                2
            } else if b >= a {
                1
            } else {
                0
            }
        };
        let (last, rest) = self.lists[slot].split_last()?;
        self.lists[slot] = rest;
        Some(*last as usize)
    }
}

// The registry may be split across threads sharing one context: its lazily built facts are
// behind `OnceLock`s and locks, so this must keep compiling.
const _: () = {
    const fn assert_sync<T: Sync>() {}
    assert_sync::<RuleContext<'static>>();
};

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
    (&invalid_config::INVALID_CONFIG, invalid_config::check),
    (&unknown_suppression_code::UNKNOWN_SUPPRESSION_CODE, unknown_suppression_code::check),
    (&unused_suppression::UNUSED_SUPPRESSION, unused_suppression::check),
    (&untrusted_registry::UNTRUSTED_REGISTRY, untrusted_registry::check),
    (&stage_name_casing::STAGE_NAME_CASING, stage_name_casing::check),
    (&from_as_casing::FROM_AS_CASING, from_as_casing::check),
    (&empty_continuation_line::EMPTY_CONTINUATION_LINE, empty_continuation_line::check),
    (&inconsistent_instruction_casing::INCONSISTENT_INSTRUCTION_CASING, inconsistent_instruction_casing::check),
    (&duplicate_stage_name::DUPLICATE_STAGE_NAME, duplicate_stage_name::check),
    (&reserved_stage_name::RESERVED_STAGE_NAME, reserved_stage_name::check),
    (&shell_form_cmd::SHELL_FORM_CMD, shell_form_cmd::check),
    (&maintainer_deprecated::MAINTAINER_DEPRECATED, maintainer_deprecated::check),
    (&undefined_arg_in_from::UNDEFINED_ARG_IN_FROM, undefined_arg_in_from::check),
    (&relative_workdir::RELATIVE_WORKDIR, relative_workdir::check),
    (&undefined_variable::UNDEFINED_VARIABLE, undefined_variable::check),
    (&multiple_instructions::MULTIPLE_INSTRUCTIONS, multiple_instructions::check),
    (&legacy_key_value_format::LEGACY_KEY_VALUE_FORMAT, legacy_key_value_format::check),
    (&redundant_target_platform::REDUNDANT_TARGET_PLATFORM, redundant_target_platform::check),
    (&invalid_default_arg_in_from::INVALID_DEFAULT_ARG_IN_FROM, invalid_default_arg_in_from::check),
    (&constant_platform_in_from::CONSTANT_PLATFORM_IN_FROM, constant_platform_in_from::check),
    (&copy_ignored_file::COPY_IGNORED_FILE, copy_ignored_file::check),
    (&expose_proto_casing::EXPOSE_PROTO_CASING, expose_proto_casing::check),
    (&expose_invalid_format::EXPOSE_INVALID_FORMAT, expose_invalid_format::check),
    (&invalid_definition_description::INVALID_DEFINITION_DESCRIPTION, invalid_definition_description::check),
    (&root_user::ROOT_USER, root_user::check),
    (&cd_in_run::CD_IN_RUN, cd_in_run::check),
    (&sudo_in_run::SUDO_IN_RUN, sudo_in_run::check),
    (&untagged_image::UNTAGGED_IMAGE, untagged_image::check),
    (&latest_tag::LATEST_TAG, latest_tag::check),
    (&unpinned_apt_package::UNPINNED_APT_PACKAGE, unpinned_apt_package::check),
    (&apt_lists_not_removed::APT_LISTS_NOT_REMOVED, apt_lists_not_removed::check),
    (&invalid_port::INVALID_PORT, invalid_port::check),
    (&unpinned_pip_package::UNPINNED_PIP_PACKAGE, unpinned_pip_package::check),
    (&apt_install_recommends::APT_INSTALL_RECOMMENDS, apt_install_recommends::check),
    (&add_for_local_files::ADD_FOR_LOCAL_FILES, add_for_local_files::check),
    (&unknown_copy_from::UNKNOWN_COPY_FROM, unknown_copy_from::check),
    (&copy_from_own_stage::COPY_FROM_OWN_STAGE, copy_from_own_stage::check),
    (&pip_cache_kept::PIP_CACHE_KEPT, pip_cache_kept::check),
    (&consecutive_run::CONSECUTIVE_RUN, consecutive_run::check),
    (&pipe_without_pipefail::PIPE_WITHOUT_PIPEFAIL, pipe_without_pipefail::check),
    (&python_version_mismatch::PYTHON_VERSION_MISMATCH, python_version_mismatch::check),
    (&invalid_project_file::INVALID_PROJECT_FILE, invalid_project_file::check),
    (&python_install_without_downloads::PYTHON_INSTALL_WITHOUT_DOWNLOADS, python_install_without_downloads::check),
    (&managed_python_default_dir::MANAGED_PYTHON_DEFAULT_DIR, managed_python_default_dir::check),
    (&venv_interpreter_missing::VENV_INTERPRETER_MISSING, venv_interpreter_missing::check),
    (&venv_base_mismatch::VENV_BASE_MISMATCH, venv_base_mismatch::check),
    (&venv_moved::VENV_MOVED, venv_moved::check),
    (&console_script_not_on_path::CONSOLE_SCRIPT_NOT_ON_PATH, console_script_not_on_path::check),
    (&floating_python_tag::FLOATING_PYTHON_TAG, floating_python_tag::check),
    (&python_tag_without_distro::PYTHON_TAG_WITHOUT_DISTRO, python_tag_without_distro::check),
    (&nonexistent_python_tag::NONEXISTENT_PYTHON_TAG, nonexistent_python_tag::check),
    (&python_end_of_life::PYTHON_END_OF_LIFE, python_end_of_life::check),
    (&unlocked_uv_sync::UNLOCKED_UV_SYNC, unlocked_uv_sync::check),
    (&conflicting_lock_flags::CONFLICTING_LOCK_FLAGS, conflicting_lock_flags::check),
    (&conflicting_uv_flags::CONFLICTING_UV_FLAGS, conflicting_uv_flags::check),
    (&locked_workspace_layer::LOCKED_WORKSPACE_LAYER, locked_workspace_layer::check),
    (&missing_lockfile::MISSING_LOCKFILE, missing_lockfile::check),
    (&unknown_uv_flag::UNKNOWN_UV_FLAG, unknown_uv_flag::check),
    (&unknown_uv_command::UNKNOWN_UV_COMMAND, unknown_uv_command::check),
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
    (&root_owned_runtime_sync::ROOT_OWNED_RUNTIME_SYNC, root_owned_runtime_sync::check),
    (&pip_install_without_environment::PIP_INSTALL_WITHOUT_ENVIRONMENT, pip_install_without_environment::check),
    (
        &system_install_into_managed_python::SYSTEM_INSTALL_INTO_MANAGED_PYTHON,
        system_install_into_managed_python::check,
    ),
    (&pip_sync_system::PIP_SYNC_SYSTEM, pip_sync_system::check),
    (
        &system_python_with_project_commands::SYSTEM_PYTHON_WITH_PROJECT_COMMANDS,
        system_python_with_project_commands::check,
    ),
    (
        &project_environment_at_system_prefix::PROJECT_ENVIRONMENT_AT_SYSTEM_PREFIX,
        project_environment_at_system_prefix::check,
    ),
    (&virtual_env_ignored::VIRTUAL_ENV_IGNORED, virtual_env_ignored::check),
    (&export_includes_dev::EXPORT_INCLUDES_DEV, export_includes_dev::check),
    (&invalid_uv_boolean::INVALID_UV_BOOLEAN, invalid_uv_boolean::check),
    (&invalid_uv_value::INVALID_UV_VALUE, invalid_uv_value::check),
    (&unknown_uv_variable::UNKNOWN_UV_VARIABLE, unknown_uv_variable::check),
    (&deprecated_uv_variable::DEPRECATED_UV_VARIABLE, deprecated_uv_variable::check),
    (&uv_credentials_in_image::UV_CREDENTIALS_IN_IMAGE, uv_credentials_in_image::check),
    (&uv_feature_newer_than_pin::UV_FEATURE_NEWER_THAN_PIN, uv_feature_newer_than_pin::check),
    (&insecure_uv_setting::INSECURE_UV_SETTING, insecure_uv_setting::check),
    (&tool_bin_not_on_path::TOOL_BIN_NOT_ON_PATH, tool_bin_not_on_path::check),
    (&venv_over_existing_path::VENV_OVER_EXISTING_PATH, venv_over_existing_path::check),
    (&no_config_ignores_python_version::NO_CONFIG_IGNORES_PYTHON_VERSION, no_config_ignores_python_version::check),
    (&uv_not_installed::UV_NOT_INSTALLED, uv_not_installed::check),
    (&floating_uv_image::FLOATING_UV_IMAGE, floating_uv_image::check),
    (&unpinned_uv_installer::UNPINNED_UV_INSTALLER, unpinned_uv_installer::check),
    (&nonexistent_uv_image_tag::NONEXISTENT_UV_IMAGE_TAG, nonexistent_uv_image_tag::check),
    (&retired_uv_image_tag::RETIRED_UV_IMAGE_TAG, retired_uv_image_tag::check),
    (&uv_path_in_derived_image::UV_PATH_IN_DERIVED_IMAGE, uv_path_in_derived_image::check),
    (&secret_in_arg_or_env::SECRET_IN_ARG_OR_ENV, secret_in_arg_or_env::check),
    (&credentials_in_url::CREDENTIALS_IN_URL, credentials_in_url::check),
    (&tls_verification_disabled::TLS_VERIFICATION_DISABLED, tls_verification_disabled::check),
    (&runs_as_root::RUNS_AS_ROOT, runs_as_root::check),
    (&ssh_port_exposed::SSH_PORT_EXPOSED, ssh_port_exposed::check),
];

/// Looks a rule up by code or name (case-insensitive).
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    let code_or_name = code_or_name.trim();
    REGISTRY
        .iter()
        .map(|(rule, _)| *rule)
        .find(|rule| rule.code.eq_ignore_ascii_case(code_or_name) || rule.name.eq_ignore_ascii_case(code_or_name))
}

/// The rule whose code or name is closest to `code_or_name`, for did-you-mean.
pub fn closest(code_or_name: &str) -> Option<&'static Rule> {
    let candidates = REGISTRY.iter().flat_map(|(rule, _)| [rule.code, rule.name]);
    let best = crate::syntax::suggest::closest(code_or_name.trim(), candidates)?;
    find(best)
}

/// Every rule's metadata, in registry order.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    REGISTRY.iter().map(|(rule, _)| *rule)
}

/// The check of a rule whose findings are produced after all rules ran (suppression hints).
pub(crate) fn reported_after_rules(_: &RuleContext<'_>, _: &mut Vec<Diagnostic>) {}

/// Runs every rule and returns the diagnostics sorted by position, then code, then message.
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
    sort_findings(&mut acc);
    acc
}

/// Sorts findings by position, then code, then message: a total order, so findings gathered
/// in another order (carried over after an edit, or found afresh) come out the same.
fn sort_findings(findings: &mut [Diagnostic]) {
    findings.sort_by(|a, b| {
        (a.range.start, a.range.end, a.code, &a.message).cmp(&(b.range.start, b.range.end, b.code, &b.message))
    });
}

/// Where a rule's documentation lives (the generated rules reference in the repository).
pub fn doc_url(code: &str) -> String {
    format!("https://github.com/berth-lsp/berth/blob/main/docs/rules.md#{}", code.to_ascii_lowercase())
}

/// uv's reading of a boolean environment variable: `1/true/yes/y/t/on`, case-insensitive.
pub(crate) fn is_truthy(value: &str) -> bool {
    let value = value.trim();
    ["1", "true", "yes", "y", "t", "on"].iter().any(|it| value.eq_ignore_ascii_case(it))
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
    let def = ctx.build_var(stage, site.instruction, name)?;
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
    fn keyword_index_finds_what_a_full_walk_finds() {
        let text = "ARG A=1\nFROM python AS base\nRUN a\nCMD x\nrun b\nENTRYPOINT y\nONBUILD RUN c\n\
                    FROM base\nCOPY a b\nADD c d\nCMD z\nBOGUS q\nRUN d\nRUN e\n";
        let parse = crate::syntax::parse(text);
        let semantics = crate::semantics::analyze(&parse);
        let project = ProjectFacts::default();
        let ctx = RuleContext::new(text, &parse, &semantics, &project);
        let instructions = &parse.file.instructions;
        let naive = |keywords: &[Keyword], range: Range<usize>| -> Vec<usize> {
            let range = range.start.min(instructions.len())..range.end.min(instructions.len());
            range.filter(|idx| keywords.contains(&instructions[*idx].keyword)).collect()
        };
        let sets: [&[Keyword]; 6] = [
            &[Keyword::Run],
            &[Keyword::Cmd, Keyword::Entrypoint],
            &[Keyword::Copy, Keyword::Add, Keyword::Unknown],
            &[Keyword::Onbuild],
            &[Keyword::Healthcheck],
            &[],
        ];
        for keywords in sets {
            let forward: Vec<usize> = ctx.instructions_with(keywords).map(|(idx, _)| idx).collect();
            assert_eq!(forward, naive(keywords, 0..usize::MAX), "{keywords:?}");
            let mut backward: Vec<usize> = ctx.instructions_with(keywords).rev().map(|(idx, _)| idx).collect();
            backward.reverse();
            assert_eq!(backward, forward, "{keywords:?} from the end");
            // A backwards range holds nothing.
            for range in [0..3, 2..9, 7..instructions.len(), 5..100, Range { start: 9, end: 4 }] {
                let within: Vec<usize> =
                    ctx.instructions_with_in(keywords, range.clone()).map(|(idx, _)| idx).collect();
                assert_eq!(within, naive(keywords, range.clone()), "{keywords:?} in {range:?}");
                let last = ctx.instructions_with_in(keywords, range.clone()).next_back().map(|(idx, _)| idx);
                assert_eq!(last, naive(keywords, range.clone()).last().copied(), "{keywords:?} in {range:?}");
            }
        }
        for (idx, instruction) in instructions.iter().enumerate() {
            assert_eq!(ctx.keyword_at(idx), instruction.keyword);
            let (found, found_instruction) =
                ctx.instructions_with(&[instruction.keyword]).find(|(it, _)| *it == idx).unwrap();
            assert_eq!(found, idx);
            assert!(std::ptr::eq(found_instruction, instruction));
        }
        assert_eq!(ctx.keyword_at(instructions.len()), Keyword::Unknown);
    }

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
