//! Re-running the rules after an edit: the stages an edit can reach are checked again, and
//! every other stage keeps the previous version's findings, moved by the edit's length.
//!
//! A rule takes part when it is *stage-local* (listed in [`STAGE_LOCAL`]): what it reports in a
//! stage depends only on that stage's *component* (the stages linked to it by `FROM <stage>`,
//! `COPY`/`ADD --from` and `RUN --mount=from=`, in either direction, step by step), on what
//! comes before the first FROM, on the FROM lines, on the project and on the settings; and what
//! it reports before the first FROM does not depend on any stage's instructions. Every other
//! rule runs over the whole file each time.
//!
//! An edit that touches a FROM line or anything before the first FROM changes what the
//! components are, so it runs every rule over the whole file, as does any edit the previous
//! findings cannot be carried over from.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::LazyLock;

use crate::diagnostic::Diagnostic;
use crate::semantics::Base;
use crate::syntax::{Keyword, Splice};
use crate::text::TextRange;

use super::{REGISTRY, Rule, RuleContext};

/// The rules whose findings may be carried over from stages an edit did not reach (see the
/// module documentation for what that takes).
static STAGE_LOCAL: &[&Rule] = &[
    &super::add_for_local_files::ADD_FOR_LOCAL_FILES,
    &super::apt_install_recommends::APT_INSTALL_RECOMMENDS,
    &super::apt_lists_not_removed::APT_LISTS_NOT_REMOVED,
    &super::bytecode_compiled_at_start::BYTECODE_COMPILED_AT_START,
    &super::bytecode_not_compiled::BYTECODE_NOT_COMPILED,
    &super::cache_mount_link_mode::CACHE_MOUNT_LINK_MODE,
    &super::cache_mount_with_no_cache::CACHE_MOUNT_WITH_NO_CACHE,
    &super::cache_mount_wrong_target::CACHE_MOUNT_WRONG_TARGET,
    &super::cd_in_run::CD_IN_RUN,
    &super::conflicting_lock_flags::CONFLICTING_LOCK_FLAGS,
    &super::conflicting_uv_flags::CONFLICTING_UV_FLAGS,
    &super::consecutive_run::CONSECUTIVE_RUN,
    &super::console_script_not_on_path::CONSOLE_SCRIPT_NOT_ON_PATH,
    &super::constant_platform_in_from::CONSTANT_PLATFORM_IN_FROM,
    &super::copy_from_own_stage::COPY_FROM_OWN_STAGE,
    &super::copy_ignored_file::COPY_IGNORED_FILE,
    &super::credentials_in_url::CREDENTIALS_IN_URL,
    &super::deprecated_uv_variable::DEPRECATED_UV_VARIABLE,
    &super::dev_dependencies_at_start::DEV_DEPENDENCIES_AT_START,
    &super::dev_server_in_image::DEV_SERVER_IN_IMAGE,
    &super::duplicate_stage_name::DUPLICATE_STAGE_NAME,
    &super::editable_mismatch_at_start::EDITABLE_MISMATCH_AT_START,
    &super::empty_continuation_line::EMPTY_CONTINUATION_LINE,
    &super::export_includes_dev::EXPORT_INCLUDES_DEV,
    &super::expose_invalid_format::EXPOSE_INVALID_FORMAT,
    &super::expose_proto_casing::EXPOSE_PROTO_CASING,
    &super::extra_arguments::EXTRA_ARGUMENTS,
    &super::floating_python_tag::FLOATING_PYTHON_TAG,
    &super::floating_uv_image::FLOATING_UV_IMAGE,
    &super::from_as_casing::FROM_AS_CASING,
    &super::insecure_uv_setting::INSECURE_UV_SETTING,
    &super::invalid_config::INVALID_CONFIG,
    &super::invalid_default_arg_in_from::INVALID_DEFAULT_ARG_IN_FROM,
    &super::invalid_directive::INVALID_DIRECTIVE,
    &super::invalid_json_array::INVALID_JSON_ARRAY,
    &super::invalid_port::INVALID_PORT,
    &super::invalid_project_file::INVALID_PROJECT_FILE,
    &super::invalid_syntax::INVALID_SYNTAX,
    &super::invalid_uv_boolean::INVALID_UV_BOOLEAN,
    &super::invalid_uv_value::INVALID_UV_VALUE,
    &super::latest_tag::LATEST_TAG,
    &super::legacy_key_value_format::LEGACY_KEY_VALUE_FORMAT,
    &super::locked_workspace_layer::LOCKED_WORKSPACE_LAYER,
    &super::maintainer_deprecated::MAINTAINER_DEPRECATED,
    &super::malformed_flag::MALFORMED_FLAG,
    &super::managed_python_default_dir::MANAGED_PYTHON_DEFAULT_DIR,
    &super::missing_arguments::MISSING_ARGUMENTS,
    &super::missing_from::MISSING_FROM,
    &super::missing_lockfile::MISSING_LOCKFILE,
    &super::multiple_instructions::MULTIPLE_INSTRUCTIONS,
    &super::no_config_ignores_python_version::NO_CONFIG_IGNORES_PYTHON_VERSION,
    &super::nonexistent_python_tag::NONEXISTENT_PYTHON_TAG,
    &super::nonexistent_uv_image_tag::NONEXISTENT_UV_IMAGE_TAG,
    &super::pip_cache_kept::PIP_CACHE_KEPT,
    &super::pip_install_without_environment::PIP_INSTALL_WITHOUT_ENVIRONMENT,
    &super::pip_sync_system::PIP_SYNC_SYSTEM,
    &super::pipe_without_pipefail::PIPE_WITHOUT_PIPEFAIL,
    &super::project_environment_at_system_prefix::PROJECT_ENVIRONMENT_AT_SYSTEM_PREFIX,
    &super::python_end_of_life::PYTHON_END_OF_LIFE,
    &super::python_install_without_downloads::PYTHON_INSTALL_WITHOUT_DOWNLOADS,
    &super::python_tag_without_distro::PYTHON_TAG_WITHOUT_DISTRO,
    &super::python_version_mismatch::PYTHON_VERSION_MISMATCH,
    &super::python_version_not_in_dependency_layer::PYTHON_VERSION_NOT_IN_DEPENDENCY_LAYER,
    &super::redundant_target_platform::REDUNDANT_TARGET_PLATFORM,
    &super::relative_workdir::RELATIVE_WORKDIR,
    &super::reserved_stage_name::RESERVED_STAGE_NAME,
    &super::retired_uv_image_tag::RETIRED_UV_IMAGE_TAG,
    &super::root_owned_runtime_sync::ROOT_OWNED_RUNTIME_SYNC,
    &super::root_user::ROOT_USER,
    &super::runs_as_root::RUNS_AS_ROOT,
    &super::secret_in_arg_or_env::SECRET_IN_ARG_OR_ENV,
    &super::shell_form_cmd::SHELL_FORM_CMD,
    &super::source_before_dependencies::SOURCE_BEFORE_DEPENDENCIES,
    &super::ssh_port_exposed::SSH_PORT_EXPOSED,
    &super::stage_name_casing::STAGE_NAME_CASING,
    &super::sudo_in_run::SUDO_IN_RUN,
    &super::symlink_link_mode::SYMLINK_LINK_MODE,
    &super::system_install_into_managed_python::SYSTEM_INSTALL_INTO_MANAGED_PYTHON,
    &super::system_python_with_project_commands::SYSTEM_PYTHON_WITH_PROJECT_COMMANDS,
    &super::tls_verification_disabled::TLS_VERIFICATION_DISABLED,
    &super::tool_bin_not_on_path::TOOL_BIN_NOT_ON_PATH,
    &super::undefined_arg_in_from::UNDEFINED_ARG_IN_FROM,
    &super::undefined_variable::UNDEFINED_VARIABLE,
    &super::unknown_copy_from::UNKNOWN_COPY_FROM,
    &super::unknown_flag::UNKNOWN_FLAG,
    &super::unknown_instruction::UNKNOWN_INSTRUCTION,
    &super::unknown_uv_command::UNKNOWN_UV_COMMAND,
    &super::unknown_uv_flag::UNKNOWN_UV_FLAG,
    &super::unlocked_uv_sync::UNLOCKED_UV_SYNC,
    &super::unpinned_apt_package::UNPINNED_APT_PACKAGE,
    &super::unpinned_pip_package::UNPINNED_PIP_PACKAGE,
    &super::unpinned_uv_installer::UNPINNED_UV_INSTALLER,
    &super::untagged_image::UNTAGGED_IMAGE,
    &super::unterminated_heredoc::UNTERMINATED_HEREDOC,
    &super::untrusted_registry::UNTRUSTED_REGISTRY,
    &super::uv_cache_in_layer::UV_CACHE_IN_LAYER,
    &super::uv_credentials_in_image::UV_CREDENTIALS_IN_IMAGE,
    &super::uv_feature_newer_than_pin::UV_FEATURE_NEWER_THAN_PIN,
    &super::uv_not_installed::UV_NOT_INSTALLED,
    &super::uv_path_in_derived_image::UV_PATH_IN_DERIVED_IMAGE,
    &super::uv_run_syncs_at_start::UV_RUN_SYNCS_AT_START,
    &super::venv_base_mismatch::VENV_BASE_MISMATCH,
    &super::venv_interpreter_missing::VENV_INTERPRETER_MISSING,
    &super::venv_moved::VENV_MOVED,
    &super::venv_over_existing_path::VENV_OVER_EXISTING_PATH,
    &super::virtual_env_ignored::VIRTUAL_ENV_IGNORED,
];

/// Per entry of [`REGISTRY`]: the rule is in [`STAGE_LOCAL`].
static IS_STAGE_LOCAL: LazyLock<Vec<bool>> = LazyLock::new(|| {
    REGISTRY.iter().map(|(rule, _)| STAGE_LOCAL.iter().any(|local| std::ptr::eq(*local, *rule))).collect()
});

/// A link between two stages: (the stage whose instruction makes it, the other stage).
type Link = (u32, u32);

/// What one version's rule run leaves for the next version's: the findings of the stage-local
/// rules with the stage each is in, and how the stages are linked.
#[derive(Clone, Debug, Default)]
pub struct RuleFindings {
    /// The stage-local rules' findings, each with the stage its range starts in (`None`
    /// before the first FROM), before suppression comments and settings.
    local: Vec<(Option<u32>, Diagnostic)>,
    /// Every link between two stages.
    links: Vec<Link>,
    /// The index of each stage's FROM instruction.
    from_instructions: Vec<usize>,
    /// The text of each stage's FROM instruction: a FROM parsed again unchanged leaves the
    /// stages as they were.
    from_texts: Vec<Box<str>>,
    /// False when nothing may be carried over (a binary file, whose rules did not run).
    reusable: bool,
}

/// The stages checked again after an edit, with the instructions and shell commands the rules
/// walk: those of the focused stages and of the part before the first FROM.
#[derive(Clone, Debug)]
pub(crate) struct Focus {
    stages: Vec<bool>,
    instructions: Vec<Range<usize>>,
    commands: Vec<Range<usize>>,
}

impl Focus {
    pub(crate) fn has_stage(&self, stage: usize) -> bool {
        self.stages.get(stage).copied().unwrap_or(false)
    }

    /// The instruction indices the rules walk, in order.
    pub(crate) fn instruction_ranges(&self) -> &[Range<usize>] {
        &self.instructions
    }

    /// The indices into `Semantics::commands` the rules walk, in order.
    pub(crate) fn command_ranges(&self) -> &[Range<usize>] {
        &self.commands
    }

    fn new(ctx: &RuleContext<'_>, stages: Vec<bool>) -> Focus {
        let all = &ctx.semantics.stages;
        let (prologue_instructions, prologue_commands) =
            all.first().map_or((0..0, 0..0), |first| (0..first.from_instruction, 0..first.commands.start));
        let (mut instructions, mut commands) = (vec![prologue_instructions], vec![prologue_commands]);
        for stage in all.iter().filter(|stage| stages.get(stage.index).copied().unwrap_or(false)) {
            push_merged(&mut instructions, stage.instructions.clone());
            push_merged(&mut commands, stage.commands.clone());
        }
        Focus { stages, instructions, commands }
    }
}

/// Appends `range` to sorted, disjoint `ranges`, joining it to the last one when they touch.
fn push_merged(ranges: &mut Vec<Range<usize>>, range: Range<usize>) {
    match ranges.last_mut() {
        Some(last) if last.end >= range.start => last.end = last.end.max(range.end),
        _ => ranges.push(range),
    }
}

/// Runs every rule over the whole file, like [`super::run_all`], and keeps what the next
/// version's run may reuse.
pub fn run_all_keeping(ctx: &RuleContext<'_>) -> (Vec<Diagnostic>, RuleFindings) {
    if super::binary_content::first_nul(ctx.text).is_some() {
        return (super::run_all(ctx), RuleFindings::default());
    }
    let mut acc = Vec::new();
    let mut local = Vec::new();
    for ((_, check), is_local) in REGISTRY.iter().zip(IS_STAGE_LOCAL.iter()) {
        let before = acc.len();
        check(ctx, &mut acc);
        if *is_local {
            local.extend(acc[before..].iter().map(|it| (stage_at(ctx, it.range.start), it.clone())));
        }
    }
    let findings = RuleFindings {
        local,
        links: stage_links(ctx, 0..ctx.semantics.stages.len()),
        from_instructions: ctx.semantics.stages.iter().map(|it| it.from_instruction).collect(),
        from_texts: ctx.semantics.stages.iter().map(|it| from_text(ctx, it.from_instruction).into()).collect(),
        reusable: true,
    };
    super::sort_findings(&mut acc);
    (acc, findings)
}

/// Runs the rules after an edit that `splice` describes, given the findings of the version
/// before it: the stage-local rules check only the stages the edit can reach. The result is
/// the same as [`run_all_keeping`]'s.
pub fn run_after_edit(
    ctx: &RuleContext<'_>,
    previous: RuleFindings,
    splice: &Splice,
) -> (Vec<Diagnostic>, RuleFindings) {
    let Some((touched, links)) = reach_of_edit(ctx, &previous, splice) else {
        return run_all_keeping(ctx);
    };
    let focus = Focus::new(ctx, components(ctx.semantics.stages.len(), touched.clone(), &previous.links, &links));
    let from_instructions = ctx.semantics.stages.iter().map(|it| it.from_instruction).collect();
    // An edit rarely changes how much is found: sized from the previous version, the lists are
    // not grown (and copied) step by step on every keystroke.
    let previous_local = previous.local.len();
    // The findings of the stages out of reach (and before the first FROM), moved.
    let mut kept = Vec::with_capacity(previous_local);
    for (stage, mut diagnostic) in previous.local {
        if stage.is_some_and(|stage| focus.has_stage(stage as usize)) {
            continue;
        }
        if !move_diagnostic(&mut diagnostic, splice) {
            // Something reaches into the edited text after all: check everything.
            return run_all_keeping(ctx);
        }
        kept.push((stage, diagnostic));
    }
    let focused = ctx.focused(focus.clone());
    let mut acc = Vec::with_capacity(previous_local + 64);
    let mut local = Vec::with_capacity(previous_local + 16);
    for ((_, check), is_local) in REGISTRY.iter().zip(IS_STAGE_LOCAL.iter()) {
        if !*is_local {
            check(ctx, &mut acc);
            continue;
        }
        let before = acc.len();
        check(&focused, &mut acc);
        // Only the focused stages' findings are new; the rest are carried over.
        let mut at = before;
        while at < acc.len() {
            let stage = stage_at(ctx, acc[at].range.start);
            if stage.is_some_and(|stage| focus.has_stage(stage as usize)) {
                local.push((stage, acc[at].clone()));
                at += 1;
            } else {
                acc.swap_remove(at);
            }
        }
    }
    acc.extend(kept.iter().map(|(_, diagnostic)| diagnostic.clone()));
    local.extend(kept);
    let mut links: Vec<Link> =
        previous.links.into_iter().filter(|(stage, _)| !touched.contains(&(*stage as usize))).chain(links).collect();
    links.sort_unstable();
    let findings = RuleFindings { local, links, from_instructions, from_texts: previous.from_texts, reusable: true };
    super::sort_findings(&mut acc);
    (acc, findings)
}

/// The stages an edit touched, with the links they make now; `None` when the edit may have
/// changed the stages themselves (or the previous findings cannot be used).
fn reach_of_edit(ctx: &RuleContext<'_>, previous: &RuleFindings, splice: &Splice) -> Option<(Range<usize>, Vec<Link>)> {
    let stages = &ctx.semantics.stages;
    if !previous.reusable || previous.from_instructions.len() != stages.len() {
        return None;
    }
    if super::binary_content::first_nul(ctx.text).is_some() {
        return None;
    }
    if splice.removed == 0 && splice.inserted == 0 {
        return Some((0..0, Vec::new()));
    }
    // The FROMs among the replaced instructions must come back word for word, as the same
    // stages: then every stage starts where it did and reads as it did.
    let removed = splice.first..splice.first + splice.removed;
    let inserted = splice.first..splice.first + splice.inserted;
    let old_froms = previous.from_instructions.iter().enumerate().filter(|(_, idx)| removed.contains(idx));
    let new_froms = stages.iter().filter(|it| inserted.contains(&it.from_instruction));
    let mut old_froms = old_froms.map(|(stage, _)| stage);
    for stage in new_froms {
        if old_froms.next() != Some(stage.index) {
            return None;
        }
        let unchanged =
            previous.from_texts.get(stage.index).is_some_and(|old| **old == *from_text(ctx, stage.from_instruction));
        if !unchanged {
            return None;
        }
    }
    if old_froms.next().is_some() {
        return None;
    }
    // Every replaced and new instruction lies in these stages; before the first FROM, the
    // edit may have changed what every stage sees.
    let stage_of = |idx: usize| stages.partition_point(|it| it.from_instruction <= idx).checked_sub(1);
    let (first, last) = match splice.inserted {
        0 => (splice.first.checked_sub(1)?, splice.first.checked_sub(1)?),
        n => (splice.first, splice.first + n - 1),
    };
    let touched = stage_of(first)?..stage_of(last)? + 1;
    let links = stage_links(ctx, touched.clone());
    Some((touched, links))
}

/// The text of the instruction at `idx`.
fn from_text<'t>(ctx: &RuleContext<'t>, idx: usize) -> &'t str {
    let range = ctx.parse.file.instructions.get(idx).map_or(TextRange::new(0, 0), |it| it.range);
    ctx.text.get(range.start..range.end).unwrap_or_default()
}

/// Every stage linked to one of `touched` through `old` or `new` links, step by step, `touched`
/// included.
fn components(count: usize, touched: Range<usize>, old: &[Link], new: &[Link]) -> Vec<bool> {
    let mut reached = vec![false; count];
    let touched = touched.start.min(count)..touched.end.min(count);
    if touched.is_empty() {
        return reached;
    }
    let mut neighbours: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (a, b) in old.iter().chain(new) {
        let (a, b) = (*a as usize, *b as usize);
        if a < count && b < count {
            neighbours[a].push(b);
            neighbours[b].push(a);
        }
    }
    let mut queue = VecDeque::new();
    for stage in touched {
        reached[stage] = true;
        queue.push_back(stage);
    }
    while let Some(stage) = queue.pop_front() {
        for next in &neighbours[stage] {
            if !reached[*next] {
                reached[*next] = true;
                queue.push_back(*next);
            }
        }
    }
    reached
}

/// Numbers the stages so that linked stages share a number.
pub(crate) fn component_numbers(count: usize, links: &[Link]) -> Vec<u32> {
    // Union-find with path halving: each stage points towards its component's root.
    let mut parent: Vec<usize> = (0..count).collect();
    fn root(parent: &mut [usize], mut at: usize) -> usize {
        while parent[at] != at {
            parent[at] = parent[parent[at]];
            at = parent[at];
        }
        at
    }
    for (a, b) in links {
        let (a, b) = (*a as usize, *b as usize);
        if a < count && b < count {
            let (ra, rb) = (root(&mut parent, a), root(&mut parent, b));
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    (0..count).map(|stage| u32::try_from(root(&mut parent, stage)).unwrap_or(u32::MAX)).collect()
}

/// The links the instructions of the stages `within` make: `FROM <stage>`, `COPY`/`ADD --from`
/// and `RUN --mount=from=` naming a stage (after ARG expansion, as the rules resolve them, a
/// variable with no known value taken as empty).
pub(crate) fn stage_links(ctx: &RuleContext<'_>, within: Range<usize>) -> Vec<Link> {
    let mut links = Vec::new();
    let as_u32 = |it: usize| u32::try_from(it).unwrap_or(u32::MAX);
    for stage in ctx.semantics.stages.get(within).unwrap_or_default() {
        if let Base::Stage(parent) = stage.base {
            links.push((as_u32(stage.index), as_u32(parent)));
        }
        let mut link = |reference: &str, idx: usize| {
            // Some rules resolve a reference whose variables are not all known (taking those as
            // empty, as the build does), so a link is made for that value too: a missed link
            // would keep findings in a stage whose meaning the edit changed.
            let (expanded, _) = super::support_python::expansion_in(ctx, Some(stage.index), idx, reference);
            if let Some(other) = ctx.stage_by_reference(&expanded) {
                links.push((as_u32(stage.index), as_u32(other.index)));
            }
        };
        // Only COPY, ADD and RUN link stages: the others are passed over by their keyword alone.
        for (idx, instruction) in
            ctx.instructions_with_in(&[Keyword::Copy, Keyword::Add, Keyword::Run], stage.instructions.clone())
        {
            match instruction.keyword {
                Keyword::Copy | Keyword::Add => {
                    if let Some(value) = instruction.flag("from").and_then(|it| it.value.as_ref()) {
                        link(&value.value, idx);
                    }
                }
                Keyword::Run => {
                    let mounts = instruction.flags.iter().filter(|it| it.name.value == "mount");
                    for flag in mounts.filter(|it| super::support_python::mentions_from(it)) {
                        for option in flag.options().into_iter().filter(|it| it.key.value.eq_ignore_ascii_case("from"))
                        {
                            if let Some(value) = &option.value {
                                link(&value.value, idx);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }
    links
}

/// The stage whose instructions `offset` is in or after (`None` before the first FROM).
pub(crate) fn stage_at(ctx: &RuleContext<'_>, offset: usize) -> Option<u32> {
    let instructions = &ctx.parse.file.instructions;
    let instruction = instructions.partition_point(|it| it.range.start <= offset).checked_sub(1)?;
    let stages = &ctx.semantics.stages;
    let stage = stages.partition_point(|it| it.from_instruction <= instruction).checked_sub(1)?;
    u32::try_from(stage).ok()
}

/// Moves every range of `diagnostic` in the Dockerfile as the edit moved the text; false when
/// one lies in the text parsed again.
fn move_diagnostic(diagnostic: &mut Diagnostic, splice: &Splice) -> bool {
    let mut ok = move_range(&mut diagnostic.range, splice);
    for related in diagnostic.related.iter_mut().filter(|it| it.path.is_none()) {
        ok &= move_range(&mut related.range, splice);
    }
    for edit in diagnostic.fixes.iter_mut().flat_map(|it| &mut it.edits).filter(|it| it.path.is_none()) {
        ok &= move_range(&mut edit.range, splice);
    }
    ok
}

fn move_range(range: &mut TextRange, splice: &Splice) -> bool {
    if range.end <= splice.start {
        true
    } else if range.start >= splice.resume {
        *range =
            TextRange::new(range.start.wrapping_add_signed(splice.delta), range.end.wrapping_add_signed(splice.delta));
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A rule left out of [`STAGE_LOCAL`] runs over the whole file at every keystroke, which
    /// costs the server's typing latency; each such rule is listed here on purpose.
    #[test]
    fn every_rule_left_out_of_the_stage_local_list_is_meant_to_be() {
        let whole_file: Vec<&str> = REGISTRY
            .iter()
            .zip(IS_STAGE_LOCAL.iter())
            .filter(|(_, is_local)| !**is_local)
            .map(|((rule, _), _)| rule.code)
            .collect();
        expect_test::expect!["DF011 DF013 DF014 DF103 DF119 UV017 UV062"].assert_eq(&whole_file.join(" "));
    }
}
