//! Hover: what the thing under the cursor means for a uv build, as Markdown.
//!
//! Providers are tried from the most specific to the least: suppression codes in comments,
//! directives, `UV_*` variables (ENV/ARG keys, `$UV_X` references, `UV_X=1 uv …` prefixes), uv
//! subcommands and flags inside RUN/CMD/ENTRYPOINT, instruction flags and `--mount` options, base
//! images, stage names, and finally the instruction keyword.

use std::fmt::Write;

use crate::analysis::Analysis;
use crate::knowledge;
use crate::project::ProjectFacts;
use crate::semantics::image::{self, PythonImage, PythonVariant, UvImage};
use crate::semantics::{Base, Semantics, Stage, VarKind};
use crate::syntax::{Args, Flag, Instruction, Keyword};
use crate::text::TextRange;

/// What a hover shows and the range it describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverResult {
    pub range: TextRange,
    pub markdown: String,
}

/// The hover at byte `offset` of `text`, if anything there has documentation.
pub fn hover(analysis: &Analysis, text: &str, project: &ProjectFacts, offset: usize) -> Option<HoverResult> {
    let file = &analysis.parse.file;
    if let Some(hover) = comment_hover(analysis, text, offset) {
        return Some(hover);
    }
    let (idx, instruction) = super::instruction_at(file, offset)?;
    let instruction = match &instruction.args {
        // Hover inside `ONBUILD RUN …` describes the triggered instruction.
        Args::Onbuild(inner) if inner.range.touches(offset) => inner.as_ref(),
        _ => instruction,
    };
    if let Some(hover) = shell_hover(analysis, idx, offset) {
        return Some(hover);
    }
    if let Some(hover) = variable_reference_hover(&analysis.semantics, text, file.escape, idx, instruction, offset) {
        return Some(hover);
    }
    if let Some(hover) = flag_hover(instruction, &analysis.semantics, text, offset) {
        return Some(hover);
    }
    if let Some(hover) = args_hover(analysis, text, project, idx, instruction, offset) {
        return Some(hover);
    }
    if instruction.keyword_range.touches(offset) {
        let doc = knowledge::instruction(instruction.keyword.as_str())?;
        return Some(HoverResult { range: instruction.keyword_range, markdown: doc.to_markdown() });
    }
    None
}

/// Rule codes in `# berth: ignore=…`, `# hadolint ignore=…` and `# check=skip=…`, and directives.
fn comment_hover(analysis: &Analysis, text: &str, offset: usize) -> Option<HoverResult> {
    let file = &analysis.parse.file;
    for directive in &file.directives {
        if !directive.range.touches(offset) {
            continue;
        }
        if directive.name.value.eq_ignore_ascii_case("check")
            && let Some(hover) = code_list_hover(text, directive.value.range, offset)
        {
            return Some(hover);
        }
        let doc = knowledge::directive(&directive.name.value.to_ascii_lowercase())?;
        return Some(HoverResult { range: directive.name.range, markdown: doc.to_markdown() });
    }
    let idx = file.comments.partition_point(|it| it.range.end < offset);
    let comment = file.comments.get(idx).filter(|it| it.range.touches(offset))?;
    code_list_hover(text, comment.range, offset)
}

/// The rule named by the code-like word under the cursor inside `range` (a comment or directive).
fn code_list_hover(text: &str, range: TextRange, offset: usize) -> Option<HoverResult> {
    let source = text.get(range.as_range())?;
    let is_code_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let at = offset.checked_sub(range.start)?.min(source.len());
    let start = source[..at].rfind(|c: char| !is_code_char(c)).map_or(0, |it| it + 1);
    let end = source[at..].find(|c: char| !is_code_char(c)).map_or(source.len(), |it| at + it);
    let word = source.get(start..end).filter(|it| !it.is_empty())?;
    let rule = crate::rules::REGISTRY.iter().map(|(rule, _)| *rule).find(|rule| {
        rule.code.eq_ignore_ascii_case(word)
            || rule.name == word
            || rule.hadolint == Some(word)
            || rule.buildkit.is_some_and(|name| name == word)
    })?;
    let mut markdown = format!("**{}** `{}`\n\n", rule.code, rule.name);
    markdown.push_str(&rule.documentation());
    let mut also = Vec::new();
    for code in rule.hadolint_codes() {
        also.push(format!("hadolint `{code}`"));
    }
    if let Some(name) = rule.buildkit {
        also.push(format!("BuildKit `{name}`"));
    }
    if !also.is_empty() {
        let _ = write!(markdown, "\nCorresponds to {}.\n", also.join(" and "));
    }
    Some(HoverResult { range: TextRange::new(range.start + start, range.start + end), markdown })
}

/// uv subcommands and flags, and `UV_X=…` command prefixes, in RUN/CMD/ENTRYPOINT commands.
fn shell_hover(analysis: &Analysis, instruction: usize, offset: usize) -> Option<HoverResult> {
    let commands = &analysis.semantics.commands;
    let first = commands.partition_point(|site| site.instruction < instruction);
    for site in commands[first..].iter().take_while(|site| site.instruction == instruction) {
        let command = &site.command;
        if !command.range.touches(offset) {
            continue;
        }
        for assignment in &command.assignments {
            if assignment.name_range.touches(offset) {
                let doc = knowledge::uv_env(&assignment.name)?;
                return Some(HoverResult { range: assignment.name_range, markdown: doc.to_markdown() });
            }
        }
        let Some(uv) = command.as_uv() else { continue };
        let path = uv.subcommand().to_owned();
        if let Some(flag) = uv.flags.iter().find(|flag| flag.word.range.touches(offset)) {
            let Some(doc) = knowledge::uv_flag(&path, &flag.name) else {
                let markdown = undescribed_flag_markdown(&path, &flag.word.value)?;
                return Some(HoverResult { range: flag.word.range, markdown });
            };
            let mut markdown = doc.to_markdown_in(&format!("uv {path}"));
            if (flag.name == "--locked" || flag.name == "--frozen") && !markdown.contains("| lockfile") {
                markdown.push_str("\n\n");
                markdown.push_str(&knowledge::lock_modes().to_markdown());
            }
            return Some(HoverResult { range: flag.word.range, markdown });
        }
        let subcommand = uv.subcommand_range()?;
        if subcommand.touches(offset) || uv.program.range.touches(offset) {
            let doc = knowledge::uv_command(&path)?;
            return Some(HoverResult { range: uv.program.range.cover(subcommand), markdown: doc.to_markdown() });
        }
    }
    None
}

/// A long flag berth has no description of for `uv <path>`: whether uv parses it there, and
/// which commands take it when it does not.
fn undescribed_flag_markdown(path: &str, word: &str) -> Option<String> {
    let written = word.split_once('=').map_or(word, |it| it.0);
    if !written.starts_with("--") {
        return None;
    }
    if knowledge::uv_accepts_flag(path, written)? {
        return Some(format!("**`{written}`**\n\n`uv {path}` accepts it; berth has no description of it."));
    }
    let takers: Vec<String> = knowledge::uv_commands_accepting(written).map(|it| format!("`uv {it}`")).collect();
    let elsewhere = match takers.as_slice() {
        [] => "No uv command berth knows takes it.".to_owned(),
        _ => format!("It is a flag of {}.", takers.join(", ")),
    };
    Some(format!(
        "**`{written}`**\n\nNot a flag of `uv {path}`: uv stops with \"unexpected argument\" before doing anything. {elsewhere}"
    ))
}

/// `$NAME` / `${NAME}` anywhere in the instruction: the variable's documentation and value.
fn variable_reference_hover(
    semantics: &Semantics,
    text: &str,
    escape: char,
    idx: usize,
    instruction: &Instruction,
    offset: usize,
) -> Option<HoverResult> {
    let source = text.get(instruction.range.as_range())?;
    if !source.contains('$') {
        return None;
    }
    let reference = crate::semantics::expand::references(source, escape).into_iter().find(|it| {
        TextRange::new(it.range.start + instruction.range.start, it.range.end + instruction.range.start).touches(offset)
    })?;
    let range =
        TextRange::new(reference.range.start + instruction.range.start, reference.range.end + instruction.range.start);
    let mut markdown = String::new();
    match variable_value(semantics, text, idx, &reference.name) {
        Some((kind, value, line_hint)) => {
            let _ = writeln!(markdown, "**${}** = `{}`  \n*{kind}*{line_hint}\n", reference.name, value);
        }
        None => {
            let _ = writeln!(markdown, "**${}** is not set by this Dockerfile at this point.\n", reference.name);
        }
    }
    if let Some(doc) = knowledge::uv_env(&reference.name) {
        markdown.push_str(&doc.to_markdown());
    } else if let Some(doc) = knowledge::predefined_arg(&reference.name) {
        markdown.push_str(&doc.to_markdown());
    }
    Some(HoverResult { range, markdown })
}

/// The value a variable has at instruction `idx`, with what defines it and where.
fn variable_value(semantics: &Semantics, text: &str, idx: usize, name: &str) -> Option<(&'static str, String, String)> {
    let stage = semantics.stage_of(idx).filter(|stage| stage.from_instruction != idx);
    let in_stage = stage.and_then(|stage| semantics.build_var(stage.index, idx, name));
    let def =
        in_stage.or_else(|| semantics.global_args.iter().rev().find(|it| it.name == name && it.instruction < idx))?;
    let kind = match def.kind {
        VarKind::Arg => "build argument (ARG)",
        VarKind::Env => "environment variable (ENV)",
    };
    let value = def.value.as_deref().map(String::from).unwrap_or_default();
    let line = |offset: usize| text.get(..offset).map_or(0, |it| it.bytes().filter(|b| *b == b'\n').count()) + 1;
    let defining_stage = semantics.stages.iter().find(|it| it.args.contains(def) || it.env.contains(def));
    let mut hint = format!(", defined on line {}", line(def.name_range.start));
    match (def.kind, defining_stage) {
        (VarKind::Arg, None) => {
            hint.push_str(" before the first FROM (a global default; stages must declare `ARG` again to see it)")
        }
        (VarKind::Arg, Some(_)) if def.value_range.is_some() => {
            hint.push_str("; the default can be overridden with `--build-arg`");
        }
        (VarKind::Arg, Some(_)) => match semantics.global_args.iter().rev().find(|it| it.name == name) {
            Some(global) => {
                let _ =
                    write!(hint, "; its default comes from the global ARG on line {}", line(global.name_range.start));
            }
            None => hint.push_str("; no default, so it is empty unless given with `--build-arg`"),
        },
        (VarKind::Env, Some(defining)) => {
            if stage.is_some_and(|stage| stage.index != defining.index) {
                let from = defining.name.as_ref().map_or_else(|| defining.index.to_string(), |it| it.value.to_string());
                let _ = write!(hint, " in stage `{from}`, inherited through `FROM`");
            }
            hint.push_str("; it is also set when the container runs");
        }
        (VarKind::Env, None) => {}
    }
    Some((kind, value, hint))
}

/// Instruction flags (`--from`, `--mount` and each mount option, HEALTHCHECK durations…).
fn flag_hover(instruction: &Instruction, semantics: &Semantics, text: &str, offset: usize) -> Option<HoverResult> {
    let flag = instruction.flags.iter().find(|flag| flag.range.touches(offset))?;
    let keyword = instruction.keyword.as_str();
    if flag.name.value == "mount"
        && let Some(hover) = mount_option_hover(flag, offset)
    {
        return Some(hover);
    }
    if flag.name.value == "from"
        && let Some(value) = &flag.value
        && value.range.touches(offset)
    {
        if let Some(stage) = semantics.stage_by_reference(&value.value) {
            return Some(HoverResult { range: value.range, markdown: stage_markdown(stage, text) });
        }
        if let Some(reference) = image::parse_image_ref(&value.value) {
            return Some(HoverResult { range: value.range, markdown: image_markdown(&reference, None) });
        }
    }
    let doc = knowledge::instruction_flag(keyword, &flag.name.value)?;
    Some(HoverResult { range: flag.name.range, markdown: doc.to_markdown_in(keyword) })
}

fn mount_option_hover(flag: &Flag, offset: usize) -> Option<HoverResult> {
    let options = flag.options();
    let mount_type = options
        .iter()
        .find(|it| it.key.value == "type")
        .and_then(|it| it.value.as_ref())
        .map_or("bind", |it| it.value.as_str())
        .to_owned();
    let option = options.iter().find(|it| it.range.touches(offset))?;
    if option.key.value == "type" {
        let doc = knowledge::mount_type(&mount_type)?;
        return Some(HoverResult { range: option.range, markdown: doc.to_markdown() });
    }
    let doc = knowledge::mount_option(&mount_type, &option.key.value)?;
    Some(HoverResult { range: option.range, markdown: doc.to_markdown_in(&mount_type) })
}

/// ENV/ARG keys, FROM images and stage names.
fn args_hover(
    analysis: &Analysis,
    text: &str,
    project: &ProjectFacts,
    idx: usize,
    instruction: &Instruction,
    offset: usize,
) -> Option<HoverResult> {
    let semantics = &analysis.semantics;
    match &instruction.args {
        Args::KeyValues(pairs) => {
            let pair = pairs.iter().find(|pair| pair.key.range.touches(offset))?;
            let name = &pair.key.value;
            let doc = knowledge::uv_env(name)
                .map(|it| it.to_markdown())
                .or_else(|| knowledge::predefined_arg(name).map(|it| it.to_markdown()))?;
            Some(HoverResult { range: pair.key.range, markdown: doc })
        }
        Args::Words(words) if instruction.keyword == Keyword::From => {
            let stage = semantics.stages.iter().find(|stage| stage.from_instruction == idx)?;
            if let Some(name) = &stage.name
                && name.range.touches(offset)
            {
                return Some(HoverResult { range: name.range, markdown: stage_markdown(stage, text) });
            }
            let image_word = words.first().filter(|word| word.range.touches(offset))?;
            let markdown = match &stage.base {
                Base::Stage(parent) => stage_markdown(semantics.stages.get(*parent)?, text),
                Base::Image(reference) => image_markdown(reference, Some((project, stage, semantics))),
                Base::Scratch => "**scratch**: an empty image with no files, no shell and no Python.".to_owned(),
                Base::Unknown => match &stage.image_expanded {
                    Some(expanded) => format!("`{expanded}` is not a valid image reference."),
                    None => {
                        "The image depends on a build argument without a default, so berth cannot tell which it is."
                            .to_owned()
                    }
                },
            };
            Some(HoverResult { range: image_word.range, markdown })
        }
        _ => None,
    }
}

fn stage_markdown(stage: &Stage, text: &str) -> String {
    let name = stage.name.as_ref().map_or_else(|| format!("#{}", stage.index), |it| it.value.to_string());
    let image = stage.image_expanded.as_deref().or(stage.image.as_ref().map(|it| it.value.as_str())).unwrap_or("?");
    let line = text.get(..stage.range.start).map_or(0, |it| it.bytes().filter(|b| *b == b'\n').count()) + 1;
    format!(
        "**stage `{name}`** (stage {} of the file, index {} for `--from`)\n\nBuilt `FROM {image}`, starting on line {line}.",
        stage.index + 1,
        stage.index
    )
}

/// What an image carries, and for Python images whether it matches the project.
fn image_markdown(reference: &image::ImageRef, context: Option<(&ProjectFacts, &Stage, &Semantics)>) -> String {
    let name = reference.canonical_name();
    let mut out = String::new();
    if let Some(python) = image::python_image_info(reference) {
        let _ = writeln!(out, "**{name}**: the official Python image\n");
        python_image_lines(&mut out, &python);
        if let Some((project, _, _)) = context {
            project_match_lines(&mut out, project, python.version);
        }
        return out;
    }
    if let Some(uv) = image::uv_image_info(reference) {
        let _ = writeln!(out, "**{name}**: Astral's uv image\n");
        uv_image_lines(&mut out, &uv);
        if let (Some((project, _, _)), Some((major, minor))) = (context, uv.python) {
            project_match_lines(&mut out, project, Some((major, minor, None)));
        }
        return out;
    }
    if let Some(system) = image::system_python_image(reference) {
        let _ = writeln!(out, "**{name}**: {} with {}'s Python\n", system.publisher, system.distribution);
        system_python_lines(&mut out, &system);
        reference_lines(&mut out, reference);
        if let (Some((project, _, _)), Some((major, minor))) = (context, system.python) {
            project_match_lines(&mut out, project, Some((major, minor, None)));
        }
        return out;
    }
    let _ = writeln!(out, "**{name}**");
    if reference.tag.is_some() {
        out.push('\n');
    }
    reference_lines(&mut out, reference);
    out
}

/// The tag and digest an image reference is written with.
fn reference_lines(out: &mut String, reference: &image::ImageRef) {
    if let Some(tag) = &reference.tag {
        let _ = writeln!(out, "- tag `{}`", tag.value);
    }
    if let Some(digest) = &reference.digest {
        let _ = writeln!(out, "- pinned to `{}`", digest.value);
    }
}

fn python_image_lines(out: &mut String, python: &PythonImage) {
    match (python.version, &python.version_text) {
        (Some((major, minor, Some(patch))), _) => {
            let _ = writeln!(out, "- Python **{major}.{minor}.{patch}**");
        }
        (Some((major, minor, None)), _) => {
            let _ = writeln!(out, "- Python **{major}.{minor}** (the newest patch release when pulled)");
        }
        (None, Some(text)) => {
            let _ = writeln!(out, "- Python `{text}`: any release in that series, changing over time");
        }
        (None, None) => {
            let _ = writeln!(out, "- Python: the newest release when pulled (the tag moves)");
        }
    }
    if let Some((major, minor, _)) = python.version {
        support_line(out, major, minor);
    }
    let variant = match python.variant {
        PythonVariant::Full => "full Debian image with compilers and build tools",
        PythonVariant::Slim => "slim Debian image: no compilers, smaller",
        PythonVariant::Alpine => "Alpine Linux with musl libc: wheels built for glibc do not apply",
        PythonVariant::Windows => "Windows container",
        PythonVariant::Other => "variant not recognised",
    };
    let _ = writeln!(out, "- {variant}");
    match &python.distro {
        Some(distro) => {
            let _ = writeln!(out, "- distribution `{distro}`");
        }
        None => {
            let _ = writeln!(out, "- distribution chosen by the image maintainers (it changes between releases)");
        }
    }
    if python.floating {
        let _ = writeln!(out, "- the tag moves: rebuilds can get a different Python");
    }
    let _ = writeln!(out, "- no uv inside: copy it from `ghcr.io/astral-sh/uv`");
}

fn system_python_lines(out: &mut String, system: &image::SystemPythonImage) {
    match system.python {
        Some((major, minor)) => {
            let _ = writeln!(out, "- Python **{major}.{minor}**, {}'s own, under `/usr/bin`", system.distribution);
            support_line(out, major, minor);
        }
        None => {
            let _ = writeln!(
                out,
                "- Python: {}'s own, under `/usr/bin`; the version follows the image",
                system.distribution
            );
        }
    }
    let _ = writeln!(out, "- no shell or package manager to `RUN` with, apart from debug and `-dev` tags");
    let _ = writeln!(
        out,
        "- a venv made on the official `python` image links to `/usr/local/bin` and does not run here: make it with {}'s own Python",
        system.distribution
    );
}

fn uv_image_lines(out: &mut String, uv: &UvImage) {
    match &uv.uv_version {
        Some(version) => {
            let _ = writeln!(out, "- uv **{version}**");
        }
        None => {
            let _ = writeln!(out, "- uv: whichever release is newest when pulled (the tag moves)");
        }
    }
    if let Some((major, minor)) = uv.python {
        let _ = writeln!(out, "- Python **{major}.{minor}**");
        support_line(out, major, minor);
    }
    if let Some(base) = &uv.base {
        let _ = writeln!(out, "- based on `{base}`");
    }
    let _ = writeln!(
        out,
        "- {}",
        if uv.distroless {
            "distroless: only `/uv` and `/uvx`, meant for `COPY --from`"
        } else {
            "uv lives in `/usr/local/bin`"
        }
    );
    if let Some(problem) = uv.tag_problem() {
        let _ = writeln!(out, "- **{}**", problem.message);
    }
}

/// Where Python `major.minor` is in its release cycle, per berth's release table.
fn support_line(out: &mut String, major: u64, minor: u64) {
    let known = crate::knowledge::python_minor(major, minor);
    let until =
        known.and_then(|it| it.end_of_life.as_deref()).map(|month| format!(" (until {month})")).unwrap_or_default();
    let line = match known.map(|it| it.status) {
        Some(crate::knowledge::PythonStatus::Prerelease) => "a pre-release: not for production".to_owned(),
        Some(crate::knowledge::PythonStatus::Bugfix) => format!("supported with bug and security fixes{until}"),
        Some(crate::knowledge::PythonStatus::Security) => format!("supported with security fixes only{until}"),
        Some(crate::knowledge::PythonStatus::EndOfLife) => {
            let since = known
                .and_then(|it| it.end_of_life.as_deref())
                .map(|month| format!(" since {month}"))
                .unwrap_or_default();
            format!("**past its end of life**{since}: no more fixes, and its tags are no longer rebuilt")
        }
        None if crate::knowledge::python_minor_end_of_life(major, minor) => {
            "**past its end of life**: no more fixes, and its tags are no longer rebuilt".to_owned()
        }
        None => return,
    };
    let _ = writeln!(out, "- {line}");
}

/// Lines comparing an image's Python with `.python-version` and `requires-python`.
fn project_match_lines(out: &mut String, project: &ProjectFacts, version: Option<(u64, u64, Option<u64>)>) {
    let Some((major, minor, patch)) = version else { return };
    if let Some(pin) = &project.python_version
        && let (Some(request), Some(pinned)) = (&pin.request, pin.version)
    {
        let matches = pinned.major == major
            && pinned.minor == minor
            && (pinned.patch.is_none() || patch.is_none() || pinned.patch == patch);
        let mark = if matches { "matches" } else { "does **not** match" };
        let _ = writeln!(out, "\n`.python-version` pins `{}`: this image {mark}.", request.value);
    }
    if let Some(pyproject) = &project.pyproject
        && let (Some(written), Some(specifiers)) = (&pyproject.requires_python, &pyproject.requires_python_specifiers)
    {
        let candidate = format!("{major}.{minor}.{}", patch.unwrap_or(0));
        let allowed = candidate.parse::<pep440_rs::Version>().is_ok_and(|version| specifiers.contains(&version));
        let mark = if allowed { "allows" } else { "does **not** allow" };
        let _ = writeln!(out, "\n`requires-python = {}` {mark} Python {major}.{minor}.", written.value);
    }
    // A project found through a compose file is not where the Dockerfile's folder suggests.
    let folder_name = |path: &std::path::Path| path.file_name().map(|it| it.to_string_lossy().into_owned());
    if let (Some(compose), Some(root)) = (&project.compose_file, &project.root)
        && let (Some(compose), Some(root)) = (folder_name(compose), folder_name(root))
    {
        match &project.project_in_context {
            Some(inside) => {
                let _ = writeln!(
                    out,
                    "\nThe build context `{compose}` gives this Dockerfile is a folder above the project, which is `{inside}/` in it."
                );
            }
            None => {
                let _ =
                    writeln!(out, "\nThe project is `{root}/`, the build context `{compose}` gives this Dockerfile.");
            }
        }
    }
    // So is one that only the Dockerfile's own COPY lines place.
    if let (Some(source), Some(root), None) = (&project.found_through_copy, &project.root, &project.compose_file)
        && let Some(root) = folder_name(root)
    {
        let context = project.context.as_deref().and_then(folder_name).unwrap_or_default();
        let _ = match &project.project_in_context {
            Some(inside) => writeln!(
                out,
                "\nNo folder above this Dockerfile holds a pyproject.toml; `COPY {source}` names the project `{inside}/`, \
                 in a build context taken to be `{context}/`, the folder above the Dockerfile that holds that path."
            ),
            None => writeln!(
                out,
                "\nNo folder above this Dockerfile holds a pyproject.toml; `COPY {source}` names the project, taken to \
                 be `{root}/`, the one project folder of the workspace that fits, and the build context."
            ),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "ARG UV_VERSION=0.12.5
FROM ghcr.io/astral-sh/uv:0.12.5 AS uvbin
FROM python:3.12-slim AS build
ARG UV_COMPILE_BYTECODE=1
ENV APP_DIR=/app UV_LINK_MODE=copy
RUN echo $UV_LINK_MODE ${UV_COMPILE_BYTECODE} $APP_DIR && UV_NO_CACHE=1 uv sync --locked
COPY --from=uvbin /uv /bin/
";

    /// The hover at the `skip`-th byte of the first `needle`.
    fn hover_at(needle: &str, skip: usize) -> HoverResult {
        let analysis = crate::analysis::analyze(TEXT, &ProjectFacts::default());
        let offset = TEXT.find(needle).expect("needle in the text") + skip;
        hover(&analysis, TEXT, &ProjectFacts::default(), offset).unwrap_or_else(|| panic!("no hover on {needle:?}"))
    }

    #[test]
    fn uv_variables_are_explained_wherever_they_appear() {
        // An ARG key, an ENV key, `$X`, `${X}` and a `X=1 uv …` prefix inside RUN.
        for (needle, skip, name) in [
            ("UV_COMPILE_BYTECODE=1\n", 3, "UV_COMPILE_BYTECODE"),
            ("UV_LINK_MODE=copy", 3, "UV_LINK_MODE"),
            ("$UV_LINK_MODE", 4, "UV_LINK_MODE"),
            ("${UV_COMPILE_BYTECODE}", 5, "UV_COMPILE_BYTECODE"),
            ("UV_NO_CACHE=1 uv", 3, "UV_NO_CACHE"),
        ] {
            let found = hover_at(needle, skip);
            assert!(found.markdown.contains(name), "{needle}: {}", found.markdown);
            assert!(TEXT[found.range.as_range()].contains(name), "{needle}: {:?}", found.range);
        }
    }

    #[test]
    fn images_say_where_their_python_is_in_its_release_cycle() {
        let lines = |major, minor| {
            let mut out = String::new();
            support_line(&mut out, major, minor);
            out
        };
        assert_eq!(
            lines(3, 9),
            "- **past its end of life** since 2025-10: no more fixes, and its tags are no longer rebuilt\n"
        );
        assert_eq!(lines(3, 6), "- **past its end of life**: no more fixes, and its tags are no longer rebuilt\n");
        assert_eq!(lines(3, 14), "- supported with bug and security fixes (until 2030-10)\n");
        assert_eq!(lines(3, 15), "- a pre-release: not for production\n");
        assert_eq!(lines(3, 40), "");
    }

    #[test]
    fn flags_berth_does_not_describe_say_whether_uv_takes_them() {
        let text = "FROM python:3.12-slim\nRUN uv sync --system --locked && uv pip install --user x --froze\n";
        let project = ProjectFacts::default();
        let analysis = crate::analysis::analyze(text, &project);
        let at = |needle: &str| {
            let offset = text.find(needle).expect("needle") + 3;
            hover(&analysis, text, &project, offset).expect("a hover").markdown
        };
        let refused = at("--system");
        assert!(refused.starts_with("**`--system`**\n\nNot a flag of `uv sync`"), "{refused}");
        assert!(refused.contains("It is a flag of `uv pip install`"), "{refused}");
        assert!(at("--user").contains("`uv pip install` accepts it"));
        assert!(at("--froze").contains("No uv command berth knows takes it."));
        // A described flag keeps its description.
        assert!(!at("--locked").contains("berth has no description"));
    }

    #[test]
    fn images_with_their_distributions_python_say_where_it_is() {
        let markdown = |text: &str| image_markdown(&image::parse_image_ref(text).expect(text), None);
        let debian = markdown("gcr.io/distroless/python3-debian12:nonroot");
        assert!(debian.starts_with("**gcr.io/distroless/python3-debian12**: Google's distroless image"), "{debian}");
        assert!(debian.contains("- Python **3.11**, Debian 12's own, under `/usr/bin`"), "{debian}");
        assert!(
            debian.contains("links to `/usr/local/bin` and does not run here") && debian.contains("- tag `nonroot`")
        );
        let wolfi = markdown(
            "cgr.dev/chainguard/python@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        );
        assert!(wolfi.contains("Wolfi's own, under `/usr/bin`; the version follows the image"), "{wolfi}");
        assert!(wolfi.contains("- pinned to `sha256:0123"), "{wolfi}");
        // Another distroless image has no Python to speak of.
        assert!(!markdown("gcr.io/distroless/static-debian12").contains("Python"));
    }

    #[test]
    fn variables_images_and_stages_say_what_they_resolve_to() {
        let variable = hover_at("$APP_DIR", 2).markdown;
        assert!(variable.contains("/app"), "{variable}");
        let uv_image = hover_at("astral-sh/uv:0.12.5", 15).markdown;
        assert!(uv_image.contains("0.12.5"), "{uv_image}");
        let python_image = hover_at("python:3.12-slim", 8).markdown;
        assert!(python_image.contains("3.12"), "{python_image}");
        assert!(python_image.contains("supported with security fixes only (until 2028-10)"), "{python_image}");
        let stage = hover_at("--from=uvbin", 9).markdown;
        assert!(stage.contains("uvbin"), "{stage}");
    }

    #[test]
    fn a_project_found_through_a_compose_file_is_named() {
        let from_compose = ProjectFacts {
            root: Some("/w/backend".into()),
            context: Some("/w/backend".into()),
            compose_file: Some("/w/docker-compose.yml".into()),
            ..ProjectFacts::default()
        };
        let analysis = crate::analysis::analyze(TEXT, &from_compose);
        let offset = TEXT.find("python:3.12-slim").expect("the image") + 8;
        let markdown = hover(&analysis, TEXT, &from_compose, offset).expect("a hover").markdown;
        assert!(
            markdown
                .contains("The project is `backend/`, the build context `docker-compose.yml` gives this Dockerfile."),
            "{markdown}"
        );
        let above = ProjectFacts {
            root: Some("/w/services/worker".into()),
            context: Some("/w".into()),
            project_in_context: Some("services/worker".into()),
            ..from_compose
        };
        let markdown = hover(&analysis, TEXT, &above, offset).expect("a hover").markdown;
        assert!(markdown.contains("a folder above the project, which is `services/worker/` in it"), "{markdown}");
        let python_image = hover_at("python:3.12-slim", 8).markdown;
        assert!(!python_image.contains("build context"), "{python_image}");
    }

    #[test]
    fn a_project_found_through_the_dockerfiles_copies_is_named() {
        let through_copy = ProjectFacts {
            root: Some("/w/apps/api".into()),
            context: Some("/w".into()),
            project_in_context: Some("apps/api".into()),
            found_through_copy: Some("apps/api/pyproject.toml".into()),
            ..ProjectFacts::default()
        };
        let analysis = crate::analysis::analyze(TEXT, &through_copy);
        let offset = TEXT.find("python:3.12-slim").expect("the image") + 8;
        let markdown = hover(&analysis, TEXT, &through_copy, offset).expect("a hover").markdown;
        assert!(
            markdown.contains(
                "`COPY apps/api/pyproject.toml` names the project `apps/api/`, in a build context taken to be `w/`, \
                 the folder above the Dockerfile that holds that path."
            ),
            "{markdown}"
        );
    }
}
