//! `UV100 uv-not-installed`: a stage runs uv without ever getting it.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::facts::FastMap;
use crate::rules::support_python::{KNOWN_UV_VERSION, copies, expand_in, is_uv_image, is_within, resolve_path_cow};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::image::{ImageRef, parse_image_ref, python_image_info, uv_image_info};
use crate::semantics::shell::UvLauncher;
use crate::semantics::{Base, CommandOrigin};
use crate::syntax::Keyword;
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// A `RUN`, `CMD` or `ENTRYPOINT` that calls `uv` or `uvx` in a stage that never gets uv:
    /// its base image is known to lack it (the official `python` image, `debian`, `ubuntu`,
    /// `alpine`) and nothing earlier copies it (`COPY --from=ghcr.io/astral-sh/uv…`, or from a
    /// stage that has it), mounts it (`RUN --mount=from=ghcr.io/astral-sh/uv…`), or installs it
    /// (`pip install uv`, the installer script). Stages built on unknown images are left alone.
    /// ## Why it matters
    /// The command fails with `uv: not found`. A common way to get here is a multi-stage build
    /// that drops uv from the runtime stage but still starts the app with `uv run`.
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// RUN uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COPY --from=ghcr.io/astral-sh/uv:0.12.5 /uv /uvx /bin/
    /// RUN uv sync --locked
    /// ```
    /// ## Fix safety
    /// Adding the COPY is unsafe: it adds uv to the image and picks a uv version.
    pub(crate) static UV_NOT_INSTALLED = {
        code: "UV100",
        name: "uv-not-installed",
        severity: Error,
        fix: Sometimes,
    };
}

/// Where uv usually lives in a stage that has it.
const UV_HOMES: &[&str] =
    &["/bin/uv", "/usr/bin/uv", "/usr/local/bin/uv", "/root/.local/bin/uv", "/root/.cargo/bin/uv"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Has {
    Yes,
    No,
    /// The base image is not one berth knows: it may well ship uv.
    Unknown,
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let semantics = ctx.semantics;
    if ctx.uv_commands().next().is_none() {
        return;
    }
    let copies = copies(ctx);
    let depends_on_uv = ctx.project.pyproject.as_ref().is_some_and(|it| {
        it.dependencies.iter().any(|dep| {
            let value = dep.value.trim_matches(['"', '\'']);
            value == "uv"
                || value
                    .strip_prefix("uv")
                    .is_some_and(|rest| rest.starts_with([' ', '=', '<', '>', '~', '!', '[', ';']))
        })
    });
    // Per stage, whether it has uv at its end; a stage not checked yet reads as unknown. The
    // stages a stage reads this of (its parent, the ones it copies or mounts from) are linked
    // to it, so they are walked too when an edit narrows the check.
    let mut end_state: Vec<Has> = vec![Has::Unknown; semantics.stages.len()];
    // Multi-stage files build on the same few images; reading a reference's tag is not cheap.
    let mut image_has: FastMap<&str, Has> = FastMap::default();
    let walk = StageWalk { ctx, copies, depends_on_uv };
    for stage in ctx.stages() {
        let state = match &stage.base {
            Base::Stage(parent) => end_state.get(*parent).copied().unwrap_or(Has::Unknown),
            Base::Image(reference) => match stage.image_expanded.as_deref() {
                Some(text) => *image_has.entry(text).or_insert_with(|| base_has_uv(reference)),
                None => base_has_uv(reference),
            },
            Base::Scratch => Has::No,
            Base::Unknown => Has::Unknown,
        };
        // Only `No` stops a uv command (`Unknown` reads as `Yes` everywhere) and a stage only
        // ever gains uv: a stage that may have it from the start has nothing to report, and
        // its instructions need not be read at all.
        let state = if state == Has::No { walk.stage(stage, &end_state, acc) } else { state };
        if let Some(slot) = end_state.get_mut(stage.index) {
            *slot = state;
        }
    }
}

/// What the walk of a stage without uv at its start reads.
struct StageWalk<'c, 'a> {
    ctx: &'c RuleContext<'a>,
    copies: &'c [crate::rules::support_python::Copy<'a>],
    depends_on_uv: bool,
}

impl StageWalk<'_, '_> {
    /// Walks `stage`, which has no uv at its start, up to the instruction that brings uv (if
    /// any), reporting the first uv command before it; returns the stage's state at its end.
    fn stage(&self, stage: &crate::semantics::Stage, end_state: &[Has], acc: &mut Vec<Diagnostic>) -> Has {
        let ctx = self.ctx;
        // The copies are in instruction order: skip those of the other stages.
        let first_copy = self.copies.partition_point(|copy| copy.instruction < stage.instructions.start);
        let mut copy_iter = self.copies.get(first_copy..).unwrap_or_default().iter().peekable();
        let commands = ctx.semantics.commands.get(stage.commands.clone()).unwrap_or_default();
        let mut command_iter =
            commands.iter().enumerate().map(|(offset, site)| (stage.commands.start + offset, site)).peekable();
        let uv_list = ctx.uv_list();
        let first_uv = uv_list.partition_point(|(at, _)| *at < stage.commands.start);
        let own_uv = uv_list.get(first_uv..).unwrap_or_default();
        let own_uv = own_uv.get(..own_uv.partition_point(|(at, _)| *at < stage.commands.end)).unwrap_or_default();
        if own_uv.is_empty() {
            // No uv command to judge: only whether uv arrives matters, and the order in which
            // things happen does not.
            let stage_copies = self.copies.get(first_copy..).unwrap_or_default();
            let stage_copies = stage_copies.iter().take_while(|copy| copy.instruction < stage.instructions.end);
            let copied = stage_copies.into_iter().any(|copy| self.copy_brings_uv(copy, end_state));
            let installed =
                || commands.iter().any(|site| site.origin == CommandOrigin::Run && installs_uv(&site.command.words));
            return if copied || installed() { Has::Yes } else { Has::No };
        }
        let mut uv_iter = own_uv.iter().peekable();
        let mut uv_at = own_uv.iter().map(|(at, _)| *at).peekable();
        let mut reported = false;
        for idx in stage.instructions.clone() {
            // COPY/ADD that bring uv along.
            while let Some(copy) = copy_iter.peek() {
                if copy.instruction > idx {
                    break;
                }
                if copy.instruction == idx && self.copy_brings_uv(copy, end_state) {
                    return Has::Yes;
                }
                copy_iter.next();
            }
            let mount_has_uv = ctx.keyword_at(idx) == Keyword::Run && mount_brings_uv(ctx, stage.index, idx, end_state);
            // The stage's commands are in instruction order; take this instruction's ones.
            let mut installs_here = false;
            while let Some(&(at, site)) = command_iter.peek() {
                if site.instruction > idx {
                    break;
                }
                command_iter.next();
                if site.instruction != idx || site.origin != CommandOrigin::Run {
                    continue;
                }
                while uv_at.peek().is_some_and(|it| *it < at) {
                    uv_at.next();
                }
                let is_uv = uv_at.peek() == Some(&at);
                installs_here |= !is_uv && installs_uv(&site.command.words);
            }
            if installs_here {
                return Has::Yes;
            }
            while let Some((at, uv)) = uv_iter.peek() {
                let Some(site) = ctx.semantics.commands.get(*at) else { break };
                if site.instruction > idx {
                    break;
                }
                let by_path = uv.program.value.contains('/');
                let available = mount_has_uv && site.origin == CommandOrigin::Run;
                if site.instruction == idx
                    && !available
                    && !reported
                    && !by_path
                    && uv.launcher != UvLauncher::PythonModule
                    && let Some(instruction) = ctx.parse.file.instructions.get(idx)
                {
                    reported = true;
                    acc.push(report(
                        ctx,
                        stage.image_expanded.as_deref(),
                        &stage.base,
                        uv.program.range,
                        instruction.range,
                    ));
                }
                uv_iter.next();
            }
        }
        Has::No
    }

    /// Whether `copy` brings uv into its stage.
    fn copy_brings_uv(&self, copy: &crate::rules::support_python::Copy<'_>, end_state: &[Has]) -> bool {
        let uv_image_copied_from = copy.uv_image_copied_from().is_some();
        let names_uv = copy.sources.iter().any(|crate::text::Spanned { value: source, .. }| {
            let name = source.rsplit('/').next().unwrap_or(source);
            name.starts_with("uv") || mentions_astral(source)
        });
        // From a stage with uv, only a copy that may hold a `bin` folder brings it (or any
        // copy, when the project itself depends on uv and so has it in its venv).
        let from_stage_with_uv = copy.from_stage.is_some_and(|from| end_state.get(from) != Some(&Has::No))
            && (self.depends_on_uv
                || copy.sources.iter().any(|crate::text::Spanned { value: source, .. }| {
                    let path = resolve_path_cow("/", source);
                    path.contains("bin") || UV_HOMES.iter().any(|home| is_within(home, &path))
                }));
        uv_image_copied_from || from_stage_with_uv || names_uv
    }
}

fn report(
    ctx: &RuleContext<'_>,
    image: Option<&str>,
    base: &Base,
    range: TextRange,
    instruction: TextRange,
) -> Diagnostic {
    let origin = match (base, image) {
        (Base::Stage(parent), _) => {
            format!("the stage it builds on ({}) has none", super::support_python::stage_label(ctx.semantics, *parent))
        }
        (_, Some(image)) => format!("{image} does not ship it"),
        _ => "the base image does not ship it".to_owned(),
    };
    let copy_line = format!("COPY --from=ghcr.io/astral-sh/uv:{KNOWN_UV_VERSION} /uv /uvx /bin/");
    let message = format!(
        "uv is not installed in this stage: {origin}, and nothing before this line copies, mounts or installs it; add `{copy_line}`"
    );
    // The line ending of the line above, which the new line goes after.
    let above = ctx.text.get(..instruction.start).unwrap_or_default().trim_end_matches([' ', '\t']);
    let newline = if above.ends_with("\r\n") { "\r\n" } else { "\n" };
    UV_NOT_INSTALLED.report(range, message).with_fix(Fix {
        title: "Copy uv from its image".to_owned(),
        applicability: Applicability::Unsafe,
        edits: vec![Edit {
            path: None,
            range: TextRange::empty(instruction.start),
            new_text: format!("{copy_line}{newline}"),
        }],
    })
}

fn base_has_uv(reference: &ImageRef) -> Has {
    if let Some(uv) = uv_image_info(reference) {
        return if uv.distroless { Has::Unknown } else { Has::Yes };
    }
    if python_image_info(reference).is_some() {
        return Has::No;
    }
    let known_without = reference.is_docker_hub()
        && matches!(
            reference.full_repository().as_str(),
            "library/debian" | "library/ubuntu" | "library/alpine" | "library/busybox" | "library/fedora"
        );
    if known_without { Has::No } else { Has::Unknown }
}

/// `RUN --mount=from=<uv image or a stage with uv>`.
fn mount_brings_uv(ctx: &RuleContext<'_>, stage: usize, idx: usize, end_state: &[Has]) -> bool {
    let Some(instruction) = ctx.parse.file.instructions.get(idx) else { return false };
    instruction.flags.iter().filter(|it| it.name.value == "mount").any(|flag| {
        if !super::support_python::mentions_from(flag) {
            return false;
        }
        flag.options().iter().any(|option| {
            if !option.key.value.eq_ignore_ascii_case("from") {
                return false;
            }
            let Some(value) = &option.value else { return false };
            let Some(text) = expand_in(ctx, Some(stage), idx, &value.value) else { return true };
            match ctx.stage_by_reference(&text) {
                Some(from) => end_state.get(from.index) != Some(&Has::No),
                None => parse_image_ref(&text).is_none_or(|it| is_uv_image(&it) || base_has_uv(&it) != Has::No),
            }
        })
    })
}

/// Whether `text` holds `astral.sh`. Asked of every word of every RUN: a searcher built once
/// beats setting one up per word.
fn mentions_astral(text: &str) -> bool {
    static ASTRAL: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new("astral.sh"));
    ASTRAL.find(text.as_bytes()).is_some()
}

/// `pip install uv`, `pipx install uv`, `apk add uv`, `curl … astral.sh/uv/install.sh | sh`.
fn installs_uv(words: &[crate::semantics::shell::ShellWord]) -> bool {
    words.iter().any(|word| {
        let value = word.value.as_str();
        mentions_astral(value)
            || value == "uv"
            || value.strip_prefix("uv").is_some_and(|rest| rest.starts_with(['=', '<', '>', '~', '!', '[', '@']))
    })
}
