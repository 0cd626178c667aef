//! Facts the environment rules (UV040–UV045, UV067–UV069, UV102) share: which environments exist
//! where at each point of a stage, the working directory and user per instruction, what the base
//! image is, the uv version a stage pins, and PATH as a list of folders.
//!
//! [`EnvFacts::new`] walks the instructions and commands once; the rules then ask cheap questions
//! per command. Paths are plain strings resolved against WORKDIR; anything built from a variable
//! the file does not define is `None`, which the rules read as "cannot tell, stay silent".

use crate::rules::RuleContext;
use crate::rules::facts::{Walked, WorkdirUser};
use crate::rules::support_python::plain_venv;
use crate::rules::support_uv::{is_within, resolve};
use crate::semantics::image::{self, ImageRef, Version};
use crate::semantics::shell::UvInvocation;
use crate::semantics::{Base, CommandOrigin, CommandSite, Semantics, VarDef, expand};
use crate::syntax::{Args, Keyword};
use crate::text::TextRange;

/// The PATH Debian, Ubuntu, Alpine and the Python/uv images start with.
pub(crate) const DEFAULT_PATH: &[&str] =
    &["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/// What the root image of a stage is, as far as these rules care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BaseKind {
    /// The official `python` image: Python in `/usr/local`, not externally managed.
    Python,
    /// A uv image with Python (`uv:python3.12-trixie-slim`): the Python image plus uv, with
    /// `UV_TOOL_BIN_DIR=/usr/local/bin`.
    UvPython,
    /// A uv image on a distribution without Python (`uv:trixie-slim`); it sets
    /// `UV_TOOL_BIN_DIR=/usr/local/bin`. `managed` tells whether the distribution's own Python
    /// is externally managed.
    UvDerived { managed: bool },
    /// `debian`, `ubuntu` or `alpine`; `managed` as above.
    Distro { managed: bool },
    /// The distroless uv image, scratch, or an image we know nothing about.
    Other,
}

impl BaseKind {
    /// Whether the image's configuration is known well enough to assume no surprising ENV
    /// (`VIRTUAL_ENV`, `PATH`, `UV_*`).
    pub(crate) fn is_known(self) -> bool {
        self != BaseKind::Other
    }

    pub(crate) fn distro_python_managed(self) -> bool {
        matches!(self, BaseKind::UvDerived { managed: true } | BaseKind::Distro { managed: true })
    }
}

/// How an environment came to exist at a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EnvKind {
    /// `uv venv P`, `python -m venv P`, `virtualenv P`.
    Venv,
    /// The project environment of `uv sync` / `uv run` / `uv add` (at `dir/.venv` or
    /// `UV_PROJECT_ENVIRONMENT`).
    Project,
    /// A folder copied from another stage or image that may hold an environment.
    Copied,
    /// `rm -rf P`.
    Removed,
}

/// One change to the environments of a stage.
#[derive(Clone, Debug)]
pub(crate) struct EnvEvent {
    pub(crate) instruction: usize,
    /// Start of the command, to order several commands of one RUN.
    pub(crate) offset: usize,
    pub(crate) kind: EnvKind,
    /// The environment's absolute path; `None` when it cannot be told.
    pub(crate) path: Option<String>,
    /// The folder the command ran in (for project environments, uv may find the project in a
    /// parent of it).
    pub(crate) dir: Option<String>,
    pub(crate) range: TextRange,
    /// False when the environment only exists under conditions the file does not show (`uv
    /// run` makes `.venv` only inside a project).
    pub(crate) sure: bool,
}

/// Per-instruction and per-stage facts, computed in one pass.
pub(crate) struct EnvFacts<'c> {
    /// WORKDIR and USER per instruction, shared with every rule.
    layout: &'c WorkdirUser<'c>,
    /// The stage of each walked instruction.
    stage_of: &'c Walked<Option<usize>>,
    /// Per stage: its root image is known to start in `/` (an image we know nothing about may
    /// set its own WORKDIR).
    start_known: Vec<bool>,
    /// Per walked instruction: where its RUN first changes the shell's state (`cd`, `source`,
    /// `export`, activation), so later commands of the RUN see another directory or variables.
    state_change: Walked<Option<usize>>,
    /// Environment changes made by each stage (not inherited), in order.
    pub(crate) events: Vec<Vec<EnvEvent>>,
    /// The root image kind of each stage.
    pub(crate) base: Vec<BaseKind>,
    /// The uv version each stage pins (image tag, `pip install uv==`, installer URL), inherited
    /// through `FROM <stage>`.
    pub(crate) uv_version: Vec<Option<Version>>,
    /// The parent stage of each stage (`FROM <stage>`).
    pub(crate) parent: Vec<Option<usize>>,
}

impl<'c> EnvFacts<'c> {
    pub(crate) fn new(ctx: &'c RuleContext<'_>) -> EnvFacts<'c> {
        let semantics = ctx.semantics;
        let escape = ctx.parse.file.escape;
        let count = semantics.stages.len();
        let mut res = EnvFacts {
            layout: ctx.workdir_user(),
            stage_of: ctx.instruction_stages(),
            start_known: vec![false; count],
            state_change: Walked::new(ctx.walked_instruction_ranges(), None),
            events: vec![Vec::new(); count],
            base: vec![BaseKind::Other; count],
            uv_version: vec![None; count],
            parent: vec![None; count],
        };
        // Only the walked stages: what a stage holds depends on itself, its ancestors and the
        // stages it copies from, which are all linked to it.
        for stage in ctx.stages() {
            let parent = match stage.base {
                Base::Stage(parent) if parent < stage.index => Some(parent),
                _ => None,
            };
            res.parent[stage.index] = parent;
            let mut uv_version = parent.and_then(|it| res.uv_version[it]);
            res.base[stage.index] = match (&stage.base, parent) {
                (_, Some(parent)) => res.base[parent],
                (Base::Image(reference), None) => {
                    if let Some(uv) = image::uv_image_info(reference) {
                        uv_version = uv.uv_version_parts;
                    }
                    base_kind(reference)
                }
                _ => BaseKind::Other,
            };
            res.start_known[stage.index] = match parent {
                Some(parent) => res.start_known[parent],
                None => res.base[stage.index].is_known() || stage.base == Base::Scratch,
            };
            for (idx, instruction) in
                ctx.instructions_with_in(&[Keyword::Copy, Keyword::Add], stage.instructions.clone())
            {
                let lookup = |name: &str| {
                    ctx.build_var(stage.index, idx, name).and_then(|it| it.value.as_deref().map(String::from))
                };
                let from = instruction.flag("from").and_then(|it| it.value.as_ref()).map(|it| {
                    let expansion = expand::expand(&it.value, escape, &lookup);
                    expansion.value
                });
                let from_stage = from.as_deref().and_then(|it| ctx.stage_by_reference(it));
                match (&from, from_stage) {
                    (Some(_), Some(source)) if source.index < stage.index && copies_uv(instruction) => {
                        uv_version = uv_version.or(res.uv_version[source.index]);
                    }
                    (Some(from), None) => {
                        let uv = image::parse_image_ref(from).and_then(|it| image::uv_image_info(&it));
                        if let Some(uv) = uv {
                            uv_version = uv.uv_version_parts.or(uv_version);
                        }
                    }
                    _ => {}
                }
                if let Some(event) = copy_event(idx, instruction, res.workdir_at(idx), from.is_some(), escape, &lookup)
                {
                    res.events[stage.index].push(event);
                }
            }
            for site in semantics.commands_in(stage.index) {
                if site.origin != CommandOrigin::Run {
                    continue;
                }
                res.note_command(site, stage.index, &mut uv_version);
            }
            res.uv_version[stage.index] = uv_version;
        }
        for (site, uv) in ctx.uv_commands() {
            if site.origin != CommandOrigin::Run {
                continue;
            }
            let Some(stage) = site.stage else { continue };
            if let Some(event) = res.uv_event(ctx, site, uv) {
                res.events[stage].push(event);
            }
        }
        for events in &mut res.events {
            events.sort_by_key(|it| (it.instruction, it.offset));
        }
        res
    }

    /// Shell-level facts of one RUN command: state changes, plain venvs, removals, uv pins.
    fn note_command(&mut self, site: &CommandSite, stage: usize, uv_version: &mut Option<Version>) {
        let command = &site.command;
        let Some(program) = command.program() else { return };
        let name = program.basename();
        let start = command.range.start;
        if matches!(name, "cd" | "pushd" | "." | "source" | "export" | "conda" | "mamba" | "micromamba" | "pyenv")
            && let Some(slot) = self.state_change.get_mut(site.instruction)
            && slot.is_none_or(|it| it > start)
        {
            *slot = Some(start);
        }
        let dir = self.workdir_at(site.instruction).map(str::to_owned);
        let args = command.args_after_program();
        if name == "rm" && args.iter().any(|it| it.value.starts_with('-') && it.value.contains(['r', 'R'])) {
            for arg in args.iter().filter(|it| !it.value.starts_with('-')) {
                let path = dir.as_deref().and_then(|dir| resolve(dir, &arg.value));
                self.push(stage, site, EnvKind::Removed, path, dir.clone(), arg.range);
            }
        }
        if let Some(word) = plain_venv(&command.words) {
            let path = dir.as_deref().and_then(|dir| resolve(dir, &word.value));
            self.push(stage, site, EnvKind::Venv, path, dir.clone(), word.range);
        }
        for word in args {
            if let Some(version) = installer_version(&word.value).or_else(|| pinned_uv_requirement(&word.value)) {
                *uv_version = Some(version);
            }
        }
    }

    fn push(
        &mut self,
        stage: usize,
        site: &CommandSite,
        kind: EnvKind,
        path: Option<String>,
        dir: Option<String>,
        range: TextRange,
    ) {
        let event = EnvEvent {
            instruction: site.instruction,
            offset: site.command.range.start,
            kind,
            path,
            dir,
            range,
            sure: true,
        };
        if let Some(events) = self.events.get_mut(stage) {
            events.push(event);
        }
    }

    /// The environment a uv command creates, if any.
    fn uv_event(&self, ctx: &RuleContext<'_>, site: &CommandSite, uv: &UvInvocation<'_>) -> Option<EnvEvent> {
        let kind = match uv.subcommand() {
            "venv" => EnvKind::Venv,
            "sync" | "run" | "add" | "remove" => EnvKind::Project,
            _ => return None,
        };
        if uv.has_flag("--dry-run")
            || uv.has_flag("--script")
            || (kind == EnvKind::Project && uv.has_flag("--no-project"))
        {
            return None;
        }
        let moved = self.shell_changed_before(site) || uv.has_flag("--directory") || uv.has_flag("--project");
        let dir = if moved { None } else { self.workdir_at(site.instruction).map(str::to_owned) };
        let project_env = var_at(ctx, site, "UV_PROJECT_ENVIRONMENT");
        let written = match kind {
            EnvKind::Venv => match uv.positionals.first() {
                Some(word) if !word.has_expansion => Some(word.value.to_string()),
                Some(_) => None,
                None if project_env.is_some() => None,
                None => Some(".venv".to_owned()),
            },
            _ if uv.has_flag("--active") => None,
            _ => match project_env {
                Some(value) if value.contains('$') => None,
                Some(value) => Some(value),
                None => Some(".venv".to_owned()),
            },
        };
        let path = match (&dir, written) {
            (Some(dir), Some(written)) => resolve(dir, &written),
            _ => None,
        };
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        let sure = !uv.is("run");
        Some(EnvEvent { instruction: site.instruction, offset: site.command.range.start, kind, path, dir, range, sure })
    }

    /// Whether an earlier command of the same RUN changed directory or variables.
    pub(crate) fn shell_changed_before(&self, site: &CommandSite) -> bool {
        self.state_change.get(site.instruction).copied().flatten().is_some_and(|it| it < site.command.range.start)
    }

    /// WORKDIR in effect at an instruction; `None` when a variable, or a root image that may
    /// set its own, makes it unknown.
    pub(crate) fn workdir_at(&self, instruction: usize) -> Option<&'c str> {
        let dir = self.layout.workdir_at(instruction)?;
        let stage = self.stage_of.get(instruction).copied().flatten();
        let start_known = stage.and_then(|it| self.start_known.get(it).copied()).unwrap_or(false);
        if self.layout.assumes_image_start_at(instruction) && !start_known { None } else { Some(dir) }
    }

    /// USER in effect at an instruction (`None` for root).
    pub(crate) fn user_at(&self, instruction: usize) -> Option<&'c str> {
        self.layout.user_at(instruction)
    }

    pub(crate) fn base_of(&self, stage: usize) -> BaseKind {
        self.base.get(stage).copied().unwrap_or(BaseKind::Other)
    }

    /// The stage and its `FROM <stage>` ancestors, nearest first.
    pub(crate) fn chain(&self, stage: usize) -> impl Iterator<Item = usize> + '_ {
        let mut current = Some(stage);
        std::iter::from_fn(move || {
            let idx = current?;
            current = self.parent.get(idx).copied().flatten().filter(|it| *it < idx);
            Some(idx)
        })
    }

    /// Whether `ancestor` is `stage` or one of the stages it is built on.
    pub(crate) fn builds_on(&self, stage: usize, ancestor: usize) -> bool {
        self.chain(stage).any(|it| it == ancestor)
    }

    /// Environment changes visible to the command at `site`: the ancestors' ones, then the
    /// stage's own earlier ones, oldest first.
    pub(crate) fn events_before(&self, site: &CommandSite) -> Vec<&EnvEvent> {
        let Some(stage) = site.stage else { return Vec::new() };
        let chain: Vec<usize> = self.chain(stage).collect();
        let position = (site.instruction, site.command.range.start);
        let mut res = Vec::new();
        for idx in chain.into_iter().rev() {
            let Some(events) = self.events.get(idx) else { continue };
            res.extend(events.iter().filter(|it| idx != stage || (it.instruction, it.offset) < position));
        }
        res
    }
}

/// The root image of a stage as a [`BaseKind`].
pub(crate) fn base_kind(reference: &ImageRef) -> BaseKind {
    if image::python_image_info(reference).is_some() {
        return BaseKind::Python;
    }
    if let Some(uv) = image::uv_image_info(reference) {
        // Hardened images are configured differently (users, PATH, prefixes).
        if uv.dhi {
            return BaseKind::Other;
        }
        if uv.python.is_some() {
            return BaseKind::UvPython;
        }
        return match uv.base.as_deref() {
            None => BaseKind::Other,
            Some(base) if base.starts_with("alpine") => {
                BaseKind::UvDerived { managed: alpine_managed(base.trim_start_matches("alpine")) }
            }
            Some(base) => BaseKind::UvDerived { managed: !base.starts_with("bullseye") },
        };
    }
    if !reference.is_docker_hub() {
        return BaseKind::Other;
    }
    let tag = reference.effective_tag().unwrap_or("latest");
    match reference.full_repository().as_str() {
        "library/debian" => BaseKind::Distro { managed: debian_managed(tag) },
        "library/ubuntu" => BaseKind::Distro { managed: ubuntu_managed(tag) },
        "library/alpine" => BaseKind::Distro { managed: alpine_managed(tag) },
        _ => BaseKind::Other,
    }
}

/// Debian 12 (bookworm) and later mark their Python as externally managed.
fn debian_managed(tag: &str) -> bool {
    let release = tag.split('-').next().unwrap_or(tag);
    match release {
        "bookworm" | "trixie" | "forky" | "sid" | "unstable" | "testing" | "stable" | "latest" => true,
        _ => release.split('.').next().and_then(|it| it.parse::<u64>().ok()).is_some_and(|it| it >= 12),
    }
}

/// Ubuntu 23.04 and later mark their Python as externally managed.
fn ubuntu_managed(tag: &str) -> bool {
    let release = tag.split('-').next().unwrap_or(tag);
    match release {
        "lunar" | "mantic" | "noble" | "oracular" | "plucky" | "questing" | "latest" | "rolling" | "devel" => true,
        _ => {
            let mut fields = release.split('.');
            let major = fields.next().and_then(|it| it.parse::<u64>().ok());
            let minor = fields.next().and_then(|it| it.parse::<u64>().ok()).unwrap_or(0);
            major.is_some_and(|major| (major, minor) >= (23, 4))
        }
    }
}

/// Alpine 3.19 and later mark their Python as externally managed (`""` is the newest).
fn alpine_managed(tag: &str) -> bool {
    let release = tag.split('-').next().unwrap_or(tag);
    if matches!(release, "" | "latest" | "edge") {
        return true;
    }
    let mut fields = release.split('.');
    let major = fields.next().and_then(|it| it.parse::<u64>().ok());
    let minor = fields.next().and_then(|it| it.parse::<u64>().ok());
    match (major, minor) {
        (Some(major), Some(minor)) => (major, minor) >= (3, 19),
        _ => false,
    }
}

/// A COPY/ADD that may put an environment at its destination: a folder (or `.venv`) from
/// another stage or image, or a `.venv` named in the context.
fn copy_event(
    idx: usize,
    instruction: &crate::syntax::Instruction,
    workdir: Option<&str>,
    from_elsewhere: bool,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<EnvEvent> {
    let words: Vec<(&str, TextRange)> = match &instruction.args {
        Args::Words(words) => words.iter().map(|it| (it.value.as_str(), it.range)).collect(),
        Args::Exec(exec) => exec.elements.iter().map(|it| (it.value.as_str(), it.range)).collect(),
        _ => return None,
    };
    let ((dest, dest_range), sources) = words.split_last()?;
    let names_venv = |text: &str| text.trim_end_matches('/').rsplit('/').next().is_some_and(|it| it.contains("venv"));
    let folder = |text: &str| {
        let last = text.trim_end_matches('/').rsplit('/').next().unwrap_or(text);
        !last.contains('.') || last.starts_with('.')
    };
    let relevant = sources
        .iter()
        .any(|(source, _)| !source.starts_with("<<") && (names_venv(source) || (from_elsewhere && folder(source))));
    if !relevant {
        return None;
    }
    let expanded = expand::expand(dest, escape, lookup);
    let path = match workdir {
        Some(dir) if expanded.complete => resolve(dir, &expanded.value),
        None if expanded.complete && expanded.value.starts_with('/') => resolve("/", &expanded.value),
        _ => None,
    };
    Some(EnvEvent {
        instruction: idx,
        offset: instruction.range.start,
        kind: EnvKind::Copied,
        path,
        dir: workdir.map(str::to_owned),
        range: *dest_range,
        sure: true,
    })
}

/// Whether a COPY takes the uv binary itself (`/uv`, `/usr/local/bin/uv`, `/bin/uvx`).
fn copies_uv(instruction: &crate::syntax::Instruction) -> bool {
    let Args::Words(words) = &instruction.args else { return false };
    let Some((_, sources)) = words.split_last() else { return false };
    sources.iter().any(|it| matches!(it.value.rsplit('/').next(), Some("uv" | "uvx")))
}

/// The uv version of a pinned installer URL (`https://astral.sh/uv/0.12.5/install.sh`).
pub(crate) fn installer_version(text: &str) -> Option<Version> {
    let (_, rest) = text.split_once("astral.sh/uv/")?;
    let (version, _) = rest.split_once('/')?;
    parse_version(version)
}

/// The version of a `uv==X.Y.Z` requirement.
pub(crate) fn pinned_uv_requirement(text: &str) -> Option<Version> {
    let version = text.strip_prefix("uv==")?;
    parse_version(version)
}

fn parse_version(text: &str) -> Option<Version> {
    let mut fields = text.split('.');
    let major = fields.next()?.parse().ok()?;
    let minor = fields.next()?.parse().ok()?;
    let patch = match fields.next() {
        Some(it) => Some(it.parse().ok()?),
        None => None,
    };
    Some((major, minor, patch))
}

/// The value of a variable for a command: a `NAME=value` prefix, else the ENV/ARG in effect at
/// a RUN, or the ENV of the image for CMD/ENTRYPOINT/HEALTHCHECK.
pub(crate) fn var_at(ctx: &RuleContext<'_>, site: &CommandSite, name: &str) -> Option<String> {
    if let Some(assignment) = site.command.assignments.iter().rev().find(|it| it.name == name) {
        return Some(assignment.value.clone());
    }
    var_def_at(ctx.semantics, site, name).and_then(|it| it.value.as_deref().map(String::from))
}

/// The ENV/ARG definition a command sees for `name` (prefix assignments not included).
pub(crate) fn var_def_at<'s>(semantics: &'s Semantics, site: &CommandSite, name: &str) -> Option<&'s VarDef> {
    let stage = site.stage?;
    if site.origin == CommandOrigin::Run {
        semantics.build_var(stage, site.instruction, name)
    } else {
        semantics.runtime_env(stage, name)
    }
}

/// The folders of PATH as a command sees them; `None` when PATH is built from something the
/// file does not tell (an unknown image, `$HOME`, a variable of the base image).
pub(crate) fn path_dirs(ctx: &RuleContext<'_>, facts: &EnvFacts, site: &CommandSite) -> Option<Vec<String>> {
    let stage = site.stage?;
    if !facts.base_of(stage).is_known() {
        return None;
    }
    if site.command.assignments.iter().any(|it| it.name == "PATH") {
        return None;
    }
    let Some(def) = var_def_at(ctx.semantics, site, "PATH") else {
        return Some(DEFAULT_PATH.iter().map(|it| (*it).to_owned()).collect());
    };
    path_from_def(ctx, def)
}

/// The folders of a PATH definition, with the image's PATH where `$PATH` expanded to nothing.
pub(crate) fn path_from_def(ctx: &RuleContext<'_>, def: &VarDef) -> Option<Vec<String>> {
    let value = def.value.as_deref()?;
    let raw = def.value_range.and_then(|range| ctx.text.get(range.as_range())).unwrap_or("");
    let def_stage = ctx.semantics.stage_of(def.instruction)?.index;
    for reference in expand::references(raw, ctx.parse.file.escape) {
        if reference.name != "PATH" && ctx.build_var(def_stage, def.instruction, &reference.name).is_none() {
            return None;
        }
    }
    let mut res = Vec::new();
    for part in value.split(':') {
        if part.is_empty() {
            res.extend(DEFAULT_PATH.iter().map(|it| (*it).to_owned()));
        } else {
            res.push(part.trim_end_matches('/').to_owned());
        }
    }
    Some(res)
}

/// Whether folder `dir` is one of `dirs`.
pub(crate) fn on_path(dirs: &[String], dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    dirs.iter().any(|it| it == dir)
}

/// Whether an environment at `path` is one uv finds from `cwd` without being told: a `.venv`
/// in `cwd` or one of its parents.
pub(crate) fn found_from(path: &str, cwd: &str) -> bool {
    match path.strip_suffix("/.venv") {
        Some("") => true,
        Some(parent) => is_within(cwd, parent),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distro_releases_with_managed_python() {
        assert!(debian_managed("bookworm-slim"));
        assert!(debian_managed("12.5"));
        assert!(!debian_managed("bullseye"));
        assert!(!debian_managed("11-slim"));
        assert!(ubuntu_managed("24.04"));
        assert!(ubuntu_managed("noble-20240101"));
        assert!(!ubuntu_managed("22.04"));
        assert!(!ubuntu_managed("jammy"));
        assert!(alpine_managed("3.19"));
        assert!(alpine_managed("3.22.1"));
        assert!(!alpine_managed("3.18"));
    }

    #[test]
    fn versions_from_installer_urls_and_requirements() {
        assert_eq!(installer_version("https://astral.sh/uv/0.12.5/install.sh"), Some((0, 12, Some(5))));
        assert_eq!(installer_version("https://astral.sh/uv/install.sh"), None);
        assert_eq!(pinned_uv_requirement("uv==0.9.1"), Some((0, 9, Some(1))));
        assert_eq!(pinned_uv_requirement("uv>=0.9"), None);
    }

    #[test]
    fn venvs_found_from_the_working_directory() {
        assert!(found_from("/app/.venv", "/app"));
        assert!(found_from("/app/.venv", "/app/src"));
        assert!(!found_from("/app/.venv", "/srv"));
        assert!(!found_from("/opt/venv", "/opt/venv"));
        assert!(found_from("/.venv", "/anything"));
    }
}
