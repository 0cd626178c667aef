//! Layer rewrites: a dependency-only `uv sync` before the source copy, and uv cache mounts.

use super::{Refactor, Rewriter, instructions_touching, raw_words, touches};
use crate::diagnostic::{Applicability, Edit, Fix};
use crate::semantics::CommandOrigin;
use crate::semantics::shell::UvInvocation;
use crate::syntax::Keyword;
use crate::text::TextRange;

/// The default uv cache folder for root.
const DEFAULT_CACHE_DIR: &str = "/root/.cache/uv";

/// A `COPY . …` followed by the stage's first installing `uv sync`.
struct Split {
    copy: usize,
    run: usize,
    fix: Fix,
}

/// Quick fix on UV010, whose range is the `.` source of the COPY.
pub(super) fn split_fixes(rw: &Rewriter<'_>, range: TextRange) -> Vec<Fix> {
    let Some((copy, _)) = crate::ide::instruction_at(rw.file(), range.start) else { return Vec::new() };
    candidates(rw, range).into_iter().filter(|it| it.copy == copy).map(|it| it.fix).collect()
}

/// The same rewrite, offered on the COPY and on the sync.
pub(super) fn split_refactors(rw: &Rewriter<'_>, range: TextRange, acc: &mut Vec<Refactor>) {
    for split in candidates(rw, range) {
        for idx in [split.copy, split.run] {
            let Some(instruction) = rw.instruction(idx) else { continue };
            acc.push(Refactor { anchor: instruction.range, fix: split.fix.clone(), extract: true });
        }
    }
}

/// The splits of the stages touching `range`.
fn candidates(rw: &Rewriter<'_>, range: TextRange) -> Vec<Split> {
    let semantics = rw.semantics();
    // A member of a workspace further up syncs from the workspace root; the context is unclear.
    if rw.project.uv_workspace.is_some() {
        return Vec::new();
    }
    let mut acc = Vec::new();
    for stage in semantics.stages.iter().filter(|stage| touches(stage.range, range)) {
        let mut first_sync = None;
        for site in semantics.commands_in(stage.index) {
            if site.origin != CommandOrigin::Run {
                continue;
            }
            let Some(uv) = site.command.as_uv() else { continue };
            let installs = (uv.is("sync") && !uv.has_flag("--dry-run") && !uv.has_flag("--check"))
                || uv.is("pip install")
                || uv.is("pip sync");
            if installs {
                first_sync = Some((site, uv));
                break;
            }
        }
        let Some((site, uv)) = first_sync else { continue };
        if !uv.is("sync") || deps_only(&uv) || uv.has_flag("--script") || uv.has_flag("--directory") {
            continue;
        }
        // `cd` before the sync would run the dependency layer somewhere else.
        if rw.commands_of(site.instruction).any(|it| it.command.program_name() == Some("cd")) {
            continue;
        }
        let Some(copy) = (stage.instructions.start..site.instruction).rev().find(|idx| rw.copies_whole_context(*idx))
        else {
            continue;
        };
        let Some(fix) = split_fix(rw, stage.index, copy, site.instruction, &uv) else { continue };
        acc.push(Split { copy, run: site.instruction, fix });
    }
    acc
}

fn deps_only(uv: &UvInvocation<'_>) -> bool {
    ["--no-install-project", "--no-install-workspace", "--only-dev", "--no-install-local"]
        .iter()
        .any(|flag| uv.has_flag(flag))
}

fn is_workspace(rw: &Rewriter<'_>) -> bool {
    rw.project.pyproject.as_ref().and_then(|it| it.tool_uv.as_ref()).is_some_and(|it| it.workspace_members.is_some())
}

/// The `--mount=type=cache,…` for uv's cache in a RUN at `idx`, or `None` when the cache is off.
pub(super) fn cache_mount(rw: &Rewriter<'_>, stage: usize, idx: usize, uv: &UvInvocation<'_>) -> Option<String> {
    if uv.has_flag("--no-cache") || rw.var(stage, idx, "UV_NO_CACHE").is_some_and(|it| !it.is_empty() && it != "0") {
        return None;
    }
    let dir = rw.var(stage, idx, "UV_CACHE_DIR").filter(|it| it.starts_with('/')).unwrap_or(DEFAULT_CACHE_DIR);
    Some(format!("--mount=type=cache,target={dir}"))
}

/// Whether the sync `uv` (in RUN `idx` of `stage`) leaves uv's link mode at its default, which
/// out of a cache mount means a copy with a warning (`UV012`): a rewrite that adds a cache mount
/// then chooses `copy` for the command as well.
fn needs_link_mode(rw: &Rewriter<'_>, stage: usize, idx: usize, uv: &UvInvocation<'_>) -> bool {
    !uv.has_flag("--link-mode")
        && !uv.command.assignments.iter().any(|it| it.name == "UV_LINK_MODE")
        && rw.var(stage, idx, "UV_LINK_MODE").is_none()
}

/// The cache target of an existing uv cache mount on instruction `idx`.
fn existing_cache_mount(rw: &Rewriter<'_>, idx: usize) -> Option<String> {
    let instruction = rw.instruction(idx)?;
    instruction.flags.iter().filter(|flag| flag.name.value == "mount").find_map(|flag| {
        let options = flag.options();
        let is_cache =
            options.iter().any(|it| it.key.value == "type" && it.value.as_ref().is_some_and(|v| v.value == "cache"));
        let target = options.iter().find(|it| matches!(it.key.value.as_str(), "target" | "dst" | "destination"))?;
        let target = target.value.as_ref()?.value.clone();
        (is_cache && target.contains("uv")).then(|| format!("--mount=type=cache,target={target}"))
    })
}

/// The `RUN --mount=… uv sync … --no-install-project` instruction installing only the
/// dependencies of the sync `uv` (in RUN `run` of `stage`), laid out for `indent`. Unless
/// `link_mode_set` (the rewrite sets `UV_LINK_MODE` itself), a layer with a cache mount copies
/// out of it when nothing else chooses the link mode.
pub(super) fn dependency_layer(
    rw: &Rewriter<'_>,
    stage: usize,
    run: usize,
    uv: &UvInvocation<'_>,
    indent: &str,
    link_mode_set: bool,
) -> String {
    let workspace = is_workspace(rw);
    let subcommand_end = uv.subcommand_end();
    let mut flags: Vec<String> = Vec::new();
    for assignment in &uv.command.assignments {
        flags.push(format!("{}={}", assignment.name, assignment.value_raw));
    }
    let after: Vec<_> = uv.command.words.iter().filter(|word| word.range.start >= subcommand_end).collect();
    for word in raw_words(&after) {
        // A workspace's members are not in the layer, so the lockfile cannot be checked there.
        if workspace && word == "--locked" {
            continue;
        }
        flags.push(word);
    }
    let mut mounts = Vec::new();
    let mut copy_out = false;
    if let Some(cache) = existing_cache_mount(rw, run).or_else(|| cache_mount(rw, stage, run, uv)) {
        mounts.push(cache);
        copy_out = !link_mode_set && needs_link_mode(rw, stage, run, uv);
    }
    // Sources are paths in the context, which may be a folder above the project.
    let bind = |name: &str| format!("--mount=type=bind,source={},target={name}", rw.project.in_context(name));
    mounts.push(bind("uv.lock"));
    mounts.push(bind("pyproject.toml"));
    if let Some(pin) = &rw.project.python_version
        && let Some(name) = pin.file.path.file_name().and_then(|it| it.to_str())
        && !rw.project.is_project_file_excluded(name)
    {
        mounts.push(bind(name));
    }
    let program = if uv.program.value.contains('/') { uv.program.raw() } else { "uv" };
    let mut command = vec![format!("{program} sync")];
    command.extend(flags);
    if workspace {
        if !uv.has_flag("--frozen") {
            command.push("--frozen".to_owned());
        }
        command.push("--no-install-workspace".to_owned());
    } else {
        command.push("--no-install-project".to_owned());
    }
    if copy_out {
        command.push("--link-mode=copy".to_owned());
    }
    let mut parts = vec![format!("{} {}", rw.kw(Keyword::Run), mounts[0])];
    parts.extend(mounts[1..].iter().cloned());
    parts.push(command.join(" "));
    rw.continued(&parts, indent)
}

fn split_fix(rw: &Rewriter<'_>, stage: usize, copy: usize, run: usize, uv: &UvInvocation<'_>) -> Option<Fix> {
    let line = dependency_layer(rw, stage, run, uv, rw.indent(copy), false);
    let edit = rw.insert_before(copy, &[line])?;
    // Without uv.lock in the context the bind mount fails the build.
    let applicability = if rw.project.has_uv_lock() && !rw.project.is_project_file_excluded("uv.lock") {
        Applicability::Safe
    } else {
        Applicability::Unsafe
    };
    Some(Fix {
        title: "Install the dependencies in their own layer before copying the project".to_owned(),
        applicability,
        edits: vec![edit],
    })
}

/// Quick fix on UV015 (uv's cache kept in the layer): a cache mount instead of `--no-cache`.
pub(super) fn cache_mount_fix(rw: &Rewriter<'_>, range: TextRange) -> Option<Fix> {
    let (idx, _) = crate::ide::instruction_at(rw.file(), range.start)?;
    cache_mount_for(rw, idx)
}

fn cache_mount_for(rw: &Rewriter<'_>, idx: usize) -> Option<Fix> {
    let instruction = rw.instruction(idx)?;
    if instruction.keyword != Keyword::Run || existing_cache_mount(rw, idx).is_some() {
        return None;
    }
    let site = rw.commands_of(idx).find(|site| site.command.as_uv().is_some_and(|uv| uv.is("sync")))?;
    let uv = site.command.as_uv()?;
    let stage = site.stage?;
    let mount = cache_mount(rw, stage, idx, &uv)?;
    let mut edits = vec![Edit {
        path: None,
        range: TextRange::empty(instruction.keyword_range.end),
        new_text: format!(" {mount}"),
    }];
    let title = if needs_link_mode(rw, stage, idx, &uv) {
        edits.push(Edit {
            path: None,
            range: TextRange::empty(uv.subcommand_end()),
            new_text: " --link-mode=copy".to_owned(),
        });
        "Keep uv's cache in a cache mount, copying out of it"
    } else {
        "Keep uv's cache in a cache mount"
    };
    Some(Fix { title: title.to_owned(), applicability: Applicability::Safe, edits })
}

/// A cache mount offered on every `RUN … uv sync` without one.
pub(super) fn cache_mount_refactors(rw: &Rewriter<'_>, range: TextRange, acc: &mut Vec<Refactor>) {
    for (idx, instruction) in instructions_touching(rw, range) {
        if instruction.keyword != Keyword::Run {
            continue;
        }
        if let Some(fix) = cache_mount_for(rw, idx) {
            acc.push(Refactor { anchor: instruction.range, fix, extract: false });
        }
    }
}
