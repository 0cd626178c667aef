//! Runtime rewrites: the image's Python, how the container starts, who it runs as, and the
//! settings that let a venv built in one stage run in another.

use super::{Refactor, Rewriter, instructions_touching, is_start_command, join_path, json_string, touches};
use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::semantics::shell::Separator;
use crate::semantics::{CommandOrigin, CommandSite, PythonSource};
use crate::syntax::{Args, Keyword};
use crate::text::TextRange;

/// What a builder stage needs so its venv uses the image's Python and survives the copy.
const MULTI_STAGE_ENV: [(&str, &str); 4] = [
    ("UV_PYTHON_DOWNLOADS", "never"),
    ("UV_PYTHON_PREFERENCE", "only-system"),
    ("UV_LINK_MODE", "copy"),
    ("UV_COMPILE_BYTECODE", "1"),
];

/// `uv run` flags that change nothing once the environment is already synced.
pub(super) const HARMLESS_RUN_FLAGS: &[&str] = &[
    "--no-sync",
    "--frozen",
    "--locked",
    "--no-dev",
    "--offline",
    "--quiet",
    "--no-progress",
    "--no-editable",
    "--compile-bytecode",
    "--no-install-project",
];

// ---------------------------------------------------------------------------------------------
// Python version

/// The Python the project asks for: `.python-version`, else the newest 3.x `requires-python`
/// allows.
pub(super) fn project_python(rw: &Rewriter<'_>) -> Option<String> {
    if let Some(pin) = rw.project.pinned_python() {
        return Some(match pin.patch {
            Some(patch) => format!("{}.{}.{patch}", pin.major, pin.minor),
            None => format!("{}.{}", pin.major, pin.minor),
        });
    }
    let specifiers = rw.project.requires_python()?;
    (8..=14u64).rev().find(|minor| specifiers.contains(&pep440_rs::Version::new([3, *minor]))).map(|m| format!("3.{m}"))
}

/// A tag with its leading version replaced: `3.11-slim` → `3.12-slim`, `slim` → `3.12-slim`.
pub(super) fn retag(tag: &str, version: &str) -> String {
    let (prefix, rest) = match tag.strip_prefix("python") {
        Some(rest) => ("python", rest),
        None => ("", tag),
    };
    let numeric = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
    let suffix = &rest[numeric..];
    if numeric > 0 {
        return format!("{prefix}{version}{suffix}");
    }
    match rest {
        "" | "latest" => format!("{prefix}{version}"),
        other => format!("{prefix}{version}-{}", other.trim_start_matches('-')),
    }
}

/// Fixes for PY001 (on the FROM image word): retag the image, or re-pin `.python-version`.
pub(super) fn align_python(rw: &Rewriter<'_>, range: TextRange) -> Vec<Fix> {
    let mut acc = Vec::new();
    let Some(stage) = rw.semantics().stages.iter().find(|it| it.image.as_ref().is_some_and(|img| img.range == range))
    else {
        return acc;
    };
    // Stages on the same image move together, or a venv copied between them would break.
    let image_version = other_version(stage);
    if let Some(version) = project_python(rw) {
        let mut edits = Vec::new();
        let mut shown = String::new();
        for other in &rw.semantics().stages {
            let Some(image) = &other.image else { continue };
            let same = image.range == range
                || (image_version.is_some()
                    && other_version(other) == image_version
                    && !matches!(other.base, crate::semantics::Base::Stage(_)));
            if !same {
                continue;
            }
            let Some(text) = rw.text.get(image.range.as_range()) else { continue };
            if text.contains('$') || text.contains('@') {
                continue;
            }
            let new_text = retag_image(text, &version);
            if new_text != text {
                if image.range == range {
                    shown = new_text.clone();
                }
                edits.push(Edit { path: None, range: image.range, new_text });
            }
        }
        if !shown.is_empty() {
            acc.push(Fix {
                title: format!("Use Python {version} in the image (`{shown}`)"),
                applicability: Applicability::Unsafe,
                edits,
            });
        }
    }
    if let Some((major, minor, patch)) = image_version
        && let Some(pin) = &rw.project.python_version
        && let Some(request) = &pin.request
    {
        let version = match patch {
            Some(patch) => format!("{major}.{minor}.{patch}"),
            None => format!("{major}.{minor}"),
        };
        let allowed = rw.project.requires_python().is_none_or(|specifiers| {
            let release: Vec<u64> = [major, minor].into_iter().chain(patch).collect();
            specifiers.contains(&pep440_rs::Version::new(release))
        });
        if allowed && request.value != version {
            acc.push(Fix {
                title: format!("Pin Python {version} in .python-version"),
                applicability: Applicability::Unsafe,
                edits: vec![Edit { path: Some(pin.file.path.clone()), range: request.range, new_text: version }],
            });
        }
    }
    acc
}

fn other_version(stage: &crate::semantics::Stage) -> Option<(u64, u64, Option<u64>)> {
    match &stage.python {
        Some(PythonSource::Python { image, .. }) => image.version,
        Some(PythonSource::Uv { image, .. }) => image.python.map(|(major, minor)| (major, minor, None)),
        None => None,
    }
}

/// An image reference with its tag's Python version replaced.
fn retag_image(written: &str, version: &str) -> String {
    let slash = written.rfind('/').map_or(0, |it| it + 1);
    match written[slash..].rfind(':') {
        Some(colon) => format!("{}:{}", &written[..slash + colon], retag(&written[slash + colon + 1..], version)),
        None => format!("{written}:{version}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Multi-stage settings

/// The ENV instruction adding the multi-stage settings `stage` lacks, after its FROM.
fn multi_stage_env(rw: &Rewriter<'_>, stage: usize) -> Option<Fix> {
    let found = rw.semantics().stages.get(stage)?;
    // Only the image's own Python can be used once downloads are off: it must be the one the
    // project asks for, or the build stops.
    rw.semantics().python_source(stage)?;
    let mismatch = rw.analysis.diagnostics.iter().any(|it| it.code == "PY001" && found.range.contains_range(it.range));
    if mismatch {
        return None;
    }
    let end = found.instructions.end;
    let missing: Vec<String> = MULTI_STAGE_ENV
        .iter()
        .filter(|(name, _)| rw.semantics().build_var(stage, end, name).is_none())
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let from = found.from_instruction;
    let indent = rw.indent(from);
    let mut parts = missing;
    parts[0] = format!("{} {}", rw.kw(Keyword::Env), parts[0]);
    let line = rw.continued(&parts, indent);
    Some(Fix {
        title: "Add uv's multi-stage settings to the builder".to_owned(),
        applicability: Applicability::Unsafe,
        edits: vec![rw.insert_after(from, &[line])?],
    })
}

/// PY005: the venv's creator stage is where the related location points.
pub(super) fn multi_stage_env_for(rw: &Rewriter<'_>, diagnostic: &Diagnostic) -> Vec<Fix> {
    let Some(related) = diagnostic.related.iter().find(|it| it.path.is_none()) else { return Vec::new() };
    let Some((idx, _)) = crate::ide::instruction_at(rw.file(), related.range.start) else { return Vec::new() };
    let Some(stage) = rw.semantics().stage_of(idx) else { return Vec::new() };
    multi_stage_env(rw, stage.index).into_iter().collect()
}

/// PY006: run the final stage on the builder's image.
pub(super) fn runtime_base_like_builder(rw: &Rewriter<'_>, diagnostic: &Diagnostic) -> Vec<Fix> {
    let Some(related) = diagnostic.related.iter().find(|it| it.path.is_none()) else { return Vec::new() };
    let Some(builder_image) = rw.text.get(related.range.as_range()) else { return Vec::new() };
    let Some((idx, _)) = crate::ide::instruction_at(rw.file(), diagnostic.range.start) else { return Vec::new() };
    let Some(stage) = rw.semantics().stage_of(idx) else { return Vec::new() };
    let Some(image) = &stage.image else { return Vec::new() };
    if builder_image.contains('$')
        || image.value.contains('$')
        || matches!(stage.base, crate::semantics::Base::Stage(_))
    {
        return Vec::new();
    }
    vec![Fix {
        title: format!("Use the builder's image `{builder_image}` here"),
        applicability: Applicability::Unsafe,
        edits: vec![Edit { path: None, range: image.range, new_text: builder_image.to_owned() }],
    }]
}

// ---------------------------------------------------------------------------------------------
// Start commands

/// The CMD/ENTRYPOINT site whose uv program starts at `start`.
fn uv_run_site<'a>(rw: &Rewriter<'a>, start: usize) -> Option<&'a CommandSite> {
    rw.semantics().commands.iter().find(|site| {
        is_start_command(site) && site.command.as_uv().is_some_and(|uv| uv.is("run") && uv.program.range.start == start)
    })
}

/// `uv run X …` → `X …`, with the venv put on PATH when it is not.
fn run_from_venv(rw: &Rewriter<'_>, site: &CommandSite) -> Option<Fix> {
    let uv = site.command.as_uv()?;
    let first = site.command.words.first()?;
    if !std::ptr::eq(first, uv.program) || !site.command.assignments.is_empty() {
        return None;
    }
    if rw.commands_of(site.instruction).filter(|it| it.exec_form == site.exec_form).count() != 1 {
        return None;
    }
    if uv.flags.iter().any(|flag| !HARMLESS_RUN_FLAGS.contains(&&*flag.name)) || !uv.positionals.is_empty() {
        return None;
    }
    let child = uv.run_command()?;
    let program = child.first()?;
    if program.value.starts_with('-') || program.has_expansion {
        return None;
    }
    let stage = site.stage?;
    let mut edits = vec![Edit {
        path: None,
        range: TextRange::new(uv.program.range.start, program.range.start),
        new_text: String::new(),
    }];
    let venv = rw.venv_path(stage, site.instruction);
    let bin = format!("{}/bin", venv.trim_end_matches('/'));
    let path = rw.semantics().runtime_env(stage, "PATH").and_then(|it| it.value.clone()).unwrap_or_default();
    let on_path = path.split(':').any(|entry| join_path("/", entry) == bin);
    if !on_path && !program.value.starts_with('/') {
        edits.push(rw.insert_before(site.instruction, &[format!("{} PATH=\"{bin}:$PATH\"", rw.kw(Keyword::Env))])?);
    }
    Some(Fix {
        title: format!("Run `{}` from the venv instead of through `uv run`", program.value),
        applicability: Applicability::Unsafe,
        edits,
    })
}

/// UV030's range starts at the `uv` word of a start command.
pub(super) fn run_from_venv_at(rw: &Rewriter<'_>, range: TextRange) -> Option<Fix> {
    run_from_venv(rw, uv_run_site(rw, range.start)?)
}

/// PY008: put the venv named in the finding on PATH before the start command.
pub(super) fn venv_on_path(rw: &Rewriter<'_>, diagnostic: &Diagnostic) -> Vec<Fix> {
    let Some((idx, _)) = crate::ide::instruction_at(rw.file(), diagnostic.range.start) else { return Vec::new() };
    let Some(stage) = rw.semantics().stage_of(idx).map(|it| it.index) else { return Vec::new() };
    let venv = start_venv(rw, stage).unwrap_or_else(|| rw.venv_path(stage, idx));
    let line = format!("{} PATH=\"{}/bin:$PATH\"", rw.kw(Keyword::Env), venv.trim_end_matches('/'));
    let Some(edit) = rw.insert_before(idx, &[line]) else { return Vec::new() };
    vec![Fix { title: format!("Put {venv}/bin on PATH"), applicability: Applicability::Unsafe, edits: vec![edit] }]
}

/// The venv PY008 found for the start command of `stage`, recomputed from the analysis the way
/// the rule finds it: one the stage's syncs create, else one copied in from another stage.
fn start_venv(rw: &Rewriter<'_>, stage: usize) -> Option<String> {
    let analysis = rw.analysis;
    let ctx = crate::rules::RuleContext::new(rw.text, &analysis.parse, &analysis.semantics, rw.project);
    let created = ctx.py_layout().venvs_in(&analysis.semantics, stage).into_iter().map(|it| it.path).next();
    created.or_else(|| {
        crate::rules::support_python::copied_venvs(&ctx)
            .iter()
            .find(|it| it.stage == stage)
            .map(|it| it.dest_path.clone())
    })
}

/// Shell form → exec form for a single simple command without shell syntax.
fn exec_form(rw: &Rewriter<'_>, idx: usize) -> Option<Fix> {
    let instruction = rw.instruction(idx)?;
    if !matches!(instruction.keyword, Keyword::Cmd | Keyword::Entrypoint) || !instruction.heredocs.is_empty() {
        return None;
    }
    let Args::Shell(shell) = &instruction.args else { return None };
    let mut sites = rw.commands_of(idx);
    let site = sites.next()?;
    if sites.next().is_some()
        || !site.command.assignments.is_empty()
        || !site.command.redirects.is_empty()
        || !matches!(site.command.separator, Separator::End | Separator::Newline)
    {
        return None;
    }
    let special = |raw: &str| unquoted(raw).contains(['$', '`', '*', '?', '[', '~', '{', '(', ';', '&', '|', '<', '>']);
    if site.command.words.is_empty() || site.command.words.iter().any(|word| word.has_expansion || special(word.raw()))
    {
        return None;
    }
    let elements: Vec<String> = site.command.words.iter().map(|word| json_string(&word.value)).collect();
    Some(Fix {
        title: "Convert to JSON form".to_owned(),
        applicability: Applicability::Unsafe,
        edits: vec![Edit { path: None, range: shell.range, new_text: format!("[{}]", elements.join(", ")) }],
    })
}

/// The characters of a shell word outside quotes (where the shell gives them meaning).
fn unquoted(raw: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in raw.chars() {
        match quote {
            _ if escaped => escaped = false,
            Some('\'') if c == '\'' => quote = None,
            Some('\'') => {}
            Some('"') if c == '"' => quote = None,
            Some('"') if c == '$' || c == '`' => out.push(c),
            Some(_) => escaped = c == '\\',
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '\\' => escaped = true,
            None => out.push(c),
        }
    }
    out
}

pub(super) fn exec_form_at(rw: &Rewriter<'_>, range: TextRange) -> Option<Fix> {
    let (idx, _) = crate::ide::instruction_at(rw.file(), range.start)?;
    exec_form(rw, idx)
}

// ---------------------------------------------------------------------------------------------
// Non-root user

fn creates_user(rw: &Rewriter<'_>, stage: usize) -> bool {
    rw.chain(stage).iter().any(|stage| {
        rw.semantics()
            .commands_in(stage.index)
            .iter()
            .any(|site| matches!(site.command.program_name(), Some("useradd" | "adduser" | "groupadd" | "addgroup")))
    })
}

/// Creates `app`, copies the builder's files as `app` and switches to it before the command.
/// `root_user` is the `USER root` word DF200 points at, if any.
fn non_root(rw: &Rewriter<'_>, root_user: Option<TextRange>) -> Option<Fix> {
    let stage = rw.semantics().final_stage()?;
    let image = rw.root_image(stage.index)?.to_ascii_lowercase();
    if ["distroless", "scratch", "chainguard", "cgr.dev", "windows", "nanoserver"].iter().any(|it| image.contains(it)) {
        return None;
    }
    let mut edits = Vec::new();
    if !creates_user(rw, stage.index) {
        let create = if image.contains("alpine") {
            "addgroup -S app && adduser -S -G app app"
        } else {
            "groupadd --system app && useradd --system --gid app --no-create-home app"
        };
        let after = user_creation_slot(rw, stage, root_user);
        edits.push(rw.insert_after(after, &[format!("{} {create}", rw.kw(Keyword::Run))])?);
    }
    for idx in stage.instructions.clone() {
        let Some(instruction) = rw.instruction(idx) else { continue };
        if instruction.keyword != Keyword::Copy || instruction.flag("chown").is_some() {
            continue;
        }
        let Some(from) = instruction.flag("from") else { continue };
        let is_stage = from.value.as_ref().is_some_and(|it| rw.semantics().stage_by_reference(&it.value).is_some());
        if is_stage {
            edits.push(Edit {
                path: None,
                range: TextRange::empty(from.range.end),
                new_text: " --chown=app:app".to_owned(),
            });
        }
    }
    let start = stage
        .instructions
        .clone()
        .find(|idx| rw.instruction(*idx).is_some_and(|it| matches!(it.keyword, Keyword::Cmd | Keyword::Entrypoint)));
    let user_line = format!("{} app", rw.kw(Keyword::User));
    match (root_user, start) {
        (Some(word), Some(start)) if rw.instruction(start).is_some_and(|it| it.range.start < word.start) => {
            edits.push(Edit { path: None, range: word, new_text: "app".to_owned() });
        }
        (_, Some(start)) => edits.push(rw.insert_before(start, &[user_line])?),
        (Some(word), None) => edits.push(Edit { path: None, range: word, new_text: "app".to_owned() }),
        (None, None) => edits.push(rw.insert_after(stage.instructions.end.checked_sub(1)?, &[user_line])?),
    }
    Some(Fix { title: "Run as an unprivileged user `app`".to_owned(), applicability: Applicability::Unsafe, edits })
}

/// The instruction the `RUN` creating the user goes after: the stage's `FROM`, or, when a `RUN`
/// follows it, the first later place with no `RUN` on either side (a new `RUN` next to another is
/// reported as one to combine), as long as it comes before everything that needs the user: a
/// `COPY --from` of a stage (which gets `--chown=app:app`), the `USER` line and the start command.
fn user_creation_slot(rw: &Rewriter<'_>, stage: &crate::semantics::Stage, root_user: Option<TextRange>) -> usize {
    let is_run = |idx: usize| rw.instruction(idx).is_some_and(|it| it.keyword == Keyword::Run);
    let needs_user = |idx: usize| {
        rw.instruction(idx).is_some_and(|it| {
            matches!(it.keyword, Keyword::Cmd | Keyword::Entrypoint | Keyword::User)
                || (it.keyword == Keyword::Copy && it.flag("from").is_some())
                || root_user.is_some_and(|word| it.range.contains_range(word))
        })
    };
    let mut after = stage.from_instruction;
    while after + 1 < stage.instructions.end && !needs_user(after + 1) {
        if !is_run(after) && !is_run(after + 1) {
            return after;
        }
        after += 1;
    }
    stage.from_instruction
}

pub(super) fn non_root_fixes(rw: &Rewriter<'_>, diagnostic: &Diagnostic) -> Vec<Fix> {
    let root_word = (diagnostic.code == "DF200").then_some(diagnostic.range);
    non_root(rw, root_word).into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Refactorings

pub(super) fn refactors(rw: &Rewriter<'_>, range: TextRange, acc: &mut Vec<Refactor>) {
    let semantics = rw.semantics();
    for (idx, instruction) in instructions_touching(rw, range) {
        if !matches!(instruction.keyword, Keyword::Cmd | Keyword::Entrypoint) {
            continue;
        }
        for site in rw.commands_of(idx) {
            if !is_start_command(site)
                || site.origin == CommandOrigin::Healthcheck
                || !site.command.as_uv().is_some_and(|uv| uv.is("run"))
            {
                continue;
            }
            if let Some(fix) = run_from_venv(rw, site) {
                acc.push(Refactor { anchor: instruction.range, fix, extract: false });
            }
        }
    }
    for (idx, instruction) in instructions_touching(rw, range) {
        if let Some(fix) = exec_form(rw, idx) {
            acc.push(Refactor { anchor: instruction.range, fix, extract: false });
        }
    }
    if let Some(last) = semantics.final_stage()
        && let Some(from) = rw.instruction(last.from_instruction)
        && touches(from.range, range)
    {
        let has_user = rw.chain(last.index).iter().any(|stage| {
            stage.instructions.clone().any(|idx| rw.instruction(idx).is_some_and(|it| it.keyword == Keyword::User))
        });
        if !has_user && let Some(fix) = non_root(rw, None) {
            acc.push(Refactor { anchor: from.range, fix, extract: false });
        }
    }
    if semantics.stages.len() > 1 {
        for stage in &semantics.stages {
            let Some(from) = rw.instruction(stage.from_instruction) else { continue };
            if !touches(from.range, range) {
                continue;
            }
            let syncs = semantics
                .commands_in(stage.index)
                .iter()
                .any(|site| site.origin == CommandOrigin::Run && site.command.as_uv().is_some_and(|uv| uv.is("sync")));
            if syncs && let Some(fix) = multi_stage_env(rw, stage.index) {
                acc.push(Refactor { anchor: from.range, fix, extract: false });
            }
        }
    }
}
