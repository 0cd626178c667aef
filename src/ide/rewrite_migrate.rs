//! "Migrate to a production uv build": a single-stage Python Dockerfile rewritten into a builder
//! stage (pinned uv, cache mounts, a dependency-only layer) and a slim non-root runtime stage.
//!
//! Offered only when every instruction of the original has a known place in the result, so the
//! image runs the same program with the same files.

use super::layer::dependency_layer;
use super::runtime::{HARMLESS_RUN_FLAGS, project_python, retag};
use super::{PINNED_UV_VERSION, Refactor, Rewriter, touches};
use crate::diagnostic::{Applicability, Edit, Fix};
use crate::semantics::PythonSource;
use crate::syntax::{Args, Keyword};
use crate::text::TextRange;

pub(super) fn refactors(rw: &Rewriter<'_>, range: TextRange, acc: &mut Vec<Refactor>) {
    let Some(stage) = rw.semantics().stages.first() else { return };
    let Some(from) = rw.instruction(stage.from_instruction) else { return };
    if !touches(from.range, range) {
        return;
    }
    if let Some(fix) = migrate(rw) {
        acc.push(Refactor { anchor: from.range, fix, extract: false });
    }
}

/// What the original file holds, sorted into the two new stages. Instructions carried over keep
/// the comment lines written above them; comments above instructions the migration replaces go
/// above what replaces them.
#[derive(Default)]
struct Parts {
    workdir: Option<String>,
    workdir_comments: String,
    /// ENV instructions of `UV_*` settings, as written (comments apart, so a comment that names a
    /// setting does not count as setting it).
    builder_env: Vec<(String, String)>,
    runtime: Vec<String>,
    /// Comments above the uv install the pinned uv image replaces.
    uv_comments: String,
    /// Comments above project-file copies the dependency layer replaces.
    dependency_comments: String,
    source_copy: Option<usize>,
    sync: Option<usize>,
    start: Vec<String>,
}

/// The comment lines between instruction `idx` and the one before it, each followed by the
/// file's line break: they describe `idx` and move with it.
fn leading_comments(rw: &Rewriter<'_>, idx: usize) -> String {
    let Some(instruction) = rw.instruction(idx) else { return String::new() };
    let gap_start = idx.checked_sub(1).and_then(|prev| rw.instruction(prev)).map_or(0, |prev| prev.range.end);
    let gap = rw.text.get(gap_start..instruction.range.start).unwrap_or("");
    gap.lines()
        .map(str::trim)
        .filter(|line| line.starts_with('#'))
        .map(|line| format!("{line}{}", rw.newline()))
        .collect()
}

fn is_uv_install(rw: &Rewriter<'_>, idx: usize) -> bool {
    let mut any = false;
    for site in rw.commands_of(idx) {
        any = true;
        let values: Vec<&str> = site.command.words.iter().map(|it| it.value.as_str()).collect();
        let installs_uv = matches!(values.as_slice(), [pip, "install", rest @ ..]
            if pip.starts_with("pip") && !rest.is_empty()
                && rest.iter().all(|it| it.starts_with('-') || *it == "uv" || it.starts_with("uv=")));
        if !installs_uv {
            return false;
        }
    }
    any
}

fn migrate(rw: &Rewriter<'_>) -> Option<Fix> {
    let semantics = rw.semantics();
    // The production layout names the project's files from the project folder; a context above
    // it (from a compose file) would need every path rewritten, so it is not offered there.
    if semantics.stages.len() != 1 || !semantics.global_args.is_empty() || rw.project.project_in_context.is_some() {
        return None;
    }
    let stage = &semantics.stages[0];
    let Some(PythonSource::Python { image, .. }) = &stage.python else { return None };
    let written = rw.text.get(stage.image.as_ref()?.range.as_range())?;
    if image.pinned_by_digest || written.contains('$') || stage.platform.is_some() {
        return None;
    }
    let version = project_python(rw)
        .or_else(|| (!image.floating).then(|| image.version_text.as_deref().map(String::from)).flatten())?;
    let colon = written.rfind(':').filter(|it| *it > written.rfind('/').unwrap_or(0));
    let (name, tag) = match colon {
        Some(colon) => (&written[..colon], &written[colon + 1..]),
        None => (written, ""),
    };
    let tag = retag(tag, &version);
    // Floating tags (`latest`) become the slim variant: the runtime only needs the interpreter.
    let tag = if image.floating && tag == version { format!("{version}-slim") } else { tag };
    let base = format!("{name}:{tag}");

    let mut parts = Parts::default();
    for idx in stage.instructions.clone().skip(1) {
        let instruction = rw.instruction(idx)?;
        let text = rw.text.get(instruction.range.as_range())?.to_owned();
        let comments = leading_comments(rw, idx);
        match instruction.keyword {
            Keyword::Workdir => {
                let Args::Words(words) = &instruction.args else { return None };
                let dir = words.first()?.value.to_string();
                if parts.workdir.is_some() || !dir.starts_with('/') || parts.source_copy.is_some() {
                    return None;
                }
                parts.workdir = Some(dir);
                parts.workdir_comments = comments;
            }
            Keyword::Env => {
                let Args::KeyValues(pairs) = &instruction.args else { return None };
                if pairs.iter().any(|it| it.key.value == "UV_PROJECT_ENVIRONMENT" || it.key.value == "PATH") {
                    return None;
                }
                if pairs.iter().all(|it| it.key.value.starts_with("UV_")) {
                    parts.builder_env.push((comments, text));
                } else if pairs.iter().any(|it| it.key.value.starts_with("UV_")) {
                    return None;
                } else {
                    parts.runtime.push(comments + &text);
                }
            }
            Keyword::Label | Keyword::Expose | Keyword::Healthcheck | Keyword::Stopsignal => {
                parts.runtime.push(comments + &text);
            }
            Keyword::Copy | Keyword::Add => {
                let from = instruction.flag("from").and_then(|it| it.value.as_ref()).map(|it| it.value.as_str());
                if from.is_some_and(|it| it.contains("astral-sh/uv")) {
                    parts.uv_comments.push_str(&comments);
                    continue;
                }
                if from.is_some() {
                    return None;
                }
                if rw.copies_whole_context(idx) {
                    if parts.source_copy.is_some() || parts.workdir.is_none() {
                        return None;
                    }
                    parts.source_copy = Some(idx);
                    continue;
                }
                let Args::Words(words) = &instruction.args else { return None };
                let (_, sources) = words.split_last()?;
                let project_files = sources.iter().all(|it| {
                    matches!(it.value.trim_start_matches("./"), "pyproject.toml" | "uv.lock" | ".python-version")
                });
                if !project_files || parts.source_copy.is_some() {
                    return None;
                }
                parts.dependency_comments.push_str(&comments);
            }
            Keyword::Run => {
                if is_uv_install(rw, idx) {
                    parts.uv_comments.push_str(&comments);
                    continue;
                }
                let mut sites = rw.commands_of(idx);
                let site = sites.next()?;
                let uv = site.command.as_uv()?;
                let deps_only = uv.has_flag("--no-install-project") || uv.has_flag("--no-install-workspace");
                if sites.next().is_some() || !uv.is("sync") || deps_only || parts.sync.is_some() {
                    return None;
                }
                if parts.source_copy.is_none() || uv.has_flag("--directory") || uv.has_flag("--project") {
                    return None;
                }
                parts.sync = Some(idx);
            }
            Keyword::Cmd | Keyword::Entrypoint => parts.start.push(comments + &start_command(rw, idx)?),
            _ => return None,
        }
    }
    let workdir = parts.workdir?;
    let copy = parts.source_copy?;
    let sync = parts.sync?;
    if parts.start.is_empty() {
        return None;
    }
    let sync_site = rw.commands_of(sync).next()?;
    let uv = sync_site.command.as_uv()?;

    let run = rw.kw(Keyword::Run);
    let env = rw.kw(Keyword::Env);
    let copy_kw = rw.kw(Keyword::Copy);
    let from_kw = rw.kw(Keyword::From);
    let mut lines: Vec<String> = Vec::new();
    lines.push(format!("{from_kw} {base} AS builder"));
    lines
        .push(format!("{}{copy_kw} --from=ghcr.io/astral-sh/uv:{PINNED_UV_VERSION} /uv /uvx /bin/", parts.uv_comments));
    let mut settings = Vec::new();
    for (name, value) in [("UV_COMPILE_BYTECODE", "1"), ("UV_LINK_MODE", "copy"), ("UV_PYTHON_DOWNLOADS", "never")] {
        if !parts.builder_env.iter().any(|(_, env)| env.contains(name)) {
            settings.push(format!("{name}={value}"));
        }
    }
    if let Some(first) = settings.first_mut() {
        *first = format!("{env} {first}");
        lines.push(rw.continued(&settings, ""));
    }
    lines.extend(parts.builder_env.into_iter().map(|(comments, env)| comments + &env));
    lines.push(format!("{}{} {workdir}", parts.workdir_comments, rw.kw(Keyword::Workdir)));
    // The builder's ENV above always sets UV_LINK_MODE.
    lines.push(parts.dependency_comments + &dependency_layer(rw, 0, sync, &uv, "", true));
    let source_copy = rw.text.get(rw.instruction(copy)?.range.as_range())?;
    lines.push(leading_comments(rw, copy) + source_copy);
    let mut final_sync = vec![format!("{run} --mount=type=cache,target=/root/.cache/uv")];
    final_sync.push(rw.text.get(sync_site.command.range.as_range())?.to_owned());
    lines.push(leading_comments(rw, sync) + &rw.continued(&final_sync, ""));
    lines.push(String::new());
    lines.push(format!("{from_kw} {base}"));
    lines.push(format!("{run} groupadd --system app && useradd --system --gid app --no-create-home app"));
    lines.push(format!("{} {workdir}", rw.kw(Keyword::Workdir)));
    lines.push(format!("{copy_kw} --from=builder --chown=app:app {workdir} {workdir}"));
    lines.push(format!("{env} PATH=\"{}/.venv/bin:$PATH\"", workdir.trim_end_matches('/')));
    lines.extend(parts.runtime);
    lines.push(format!("{} app", rw.kw(Keyword::User)));
    lines.extend(parts.start);

    let first = rw.instruction(stage.from_instruction)?;
    let last = rw.instruction(stage.instructions.end.checked_sub(1)?)?;
    let newline = rw.newline();
    Some(Fix {
        title: format!("Migrate to a production uv build (builder and runtime stages, uv {PINNED_UV_VERSION})"),
        applicability: Applicability::Unsafe,
        edits: vec![Edit {
            path: None,
            range: TextRange::new(first.range.start, last.range.end),
            new_text: lines.join(newline),
        }],
    })
}

/// The CMD/ENTRYPOINT as written, with a leading `uv run` and its flags dropped.
fn start_command(rw: &Rewriter<'_>, idx: usize) -> Option<String> {
    let instruction = rw.instruction(idx)?;
    let text = rw.text.get(instruction.range.as_range())?;
    let sites: Vec<_> = rw.commands_of(idx).collect();
    let [site] = sites.as_slice() else { return Some(text.to_owned()) };
    let Some(uv) = site.command.as_uv() else { return Some(text.to_owned()) };
    if !uv.is("run") {
        return Some(text.to_owned());
    }
    let first = site.command.words.first()?;
    let child = uv.run_command()?.first()?;
    let harmless = uv.flags.iter().all(|flag| HARMLESS_RUN_FLAGS.contains(&&*flag.name));
    if !std::ptr::eq(first, uv.program) || !harmless || !uv.positionals.is_empty() {
        return None;
    }
    let start = instruction.range.start;
    let cut = TextRange::new(uv.program.range.start - start, child.range.start - start);
    Some(format!("{}{}", text.get(..cut.start)?, text.get(cut.end..)?))
}
