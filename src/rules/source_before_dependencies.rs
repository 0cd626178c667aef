//! `UV010 source-before-dependencies`: the whole project is copied before the dependencies are installed.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_uv::{Layout, is_deps_only_sync, is_installing_sync};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::semantics::CommandOrigin;
use crate::semantics::shell::UvInvocation;

declare_rule! {
    /// ## What it flags
    /// `COPY . …` or `ADD . …` before the first `uv sync` (or `uv pip install -r`) of a stage,
    /// when no earlier step installed the dependencies on their own: neither a dependency-only
    /// sync, nor a parent stage's install, nor an environment copied in from a stage that
    /// installed them (`COPY --from=deps /app/.venv /app/.venv`).
    /// ## Why it matters
    /// Docker reuses a layer only while everything it depends on is unchanged. Copying the whole
    /// project first ties the dependency install to every source file, so editing one line of
    /// code downloads and installs every dependency again. Installing from pyproject.toml and
    /// uv.lock alone first (`--no-install-project`) keeps that slow layer cached.
    /// ## Example
    /// ```dockerfile
    /// COPY . .
    /// RUN uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY pyproject.toml uv.lock ./
    /// RUN uv sync --locked --no-install-project
    /// COPY . .
    /// RUN uv sync --locked
    /// ```
    pub(crate) static SOURCE_BEFORE_DEPENDENCIES = {
        code: "UV010",
        name: "source-before-dependencies",
        severity: Info,
        fix: None,
    };
}

fn installs_dependencies(uv: &UvInvocation<'_>) -> bool {
    is_installing_sync(uv)
        || (uv.is("pip install") && uv.has_flag("--requirements"))
        || (uv.is("pip sync") && !uv.positionals.is_empty())
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let semantics = ctx.semantics;
    let mut first_install: Vec<Option<(usize, bool, &crate::semantics::CommandSite)>> =
        vec![None; semantics.stages.len()];
    for (site, uv) in ctx.uv_commands() {
        if site.origin != CommandOrigin::Run || !installs_dependencies(uv) {
            continue;
        }
        let Some(slot) = site.stage.and_then(|it| first_install.get_mut(it)) else { continue };
        if slot.is_none() {
            *slot = Some((site.instruction, is_deps_only_sync(uv), site));
        }
    }
    let layout = ctx.uv_layout();
    for stage in ctx.stages() {
        let Some((instruction, deps_only, site)) = first_install[stage.index] else { continue };
        if deps_only {
            continue;
        }
        // A parent stage that already installed the dependencies is the cached layer.
        let parent_installed =
            Layout::chain(semantics, stage.index).iter().skip(1).any(|it| first_install[*it].is_some());
        if parent_installed {
            continue;
        }
        let copies = layout.copies.of(stage.index);
        let whole =
            copies.iter().filter(|event| event.instruction < instruction && event.from.is_none()).find_map(|event| {
                let source = event.sources.iter().find(|source| {
                    ctx.project.is_whole_project_source(crate::rules::support_uv::without_dot_slashes(source.value))
                })?;
                Some((event.instruction, source))
            });
        let Some((whole_copy, source)) = whole else { continue };
        // Dependencies installed in another stage and copied in before the project
        // (`COPY --from=deps /app/.venv /app/.venv`) are the cached layer as well.
        let copied_in = copies.iter().filter(|event| event.instruction < whole_copy).any(|event| {
            let Some(from) = event.from.as_deref() else { return false };
            let from = ctx.stage_named(from).or_else(|| from.parse::<usize>().ok());
            from.is_some_and(|from| {
                from < stage.index && Layout::chain(semantics, from).iter().any(|it| first_install[*it].is_some())
            })
        });
        if copied_in {
            continue;
        }
        let command = site.command.words.first().map_or(site.command.range, |first| {
            first.range.cover(site.command.words.iter().take(3).next_back().map_or(first.range, |it| it.range))
        });
        acc.push(
            SOURCE_BEFORE_DEPENDENCIES
                .report(
                    source.range,
                    "the whole project is copied before the dependencies are installed, so every source change \
                     reinstalls all of them; copy pyproject.toml and uv.lock first and install with \
                     `uv sync --no-install-project` before this COPY",
                )
                .with_related(RelatedLocation {
                    path: None,
                    text: None,
                    range: command,
                    message: "the dependencies are installed here".to_owned(),
                }),
        );
    }
}
