//! `UV011 python-version-not-in-dependency-layer`: the dependency layer misses `.python-version`.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::rules::support_uv::{Carries, changes_directory, elsewhere, env_value, is_deps_only_sync};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, is_truthy};
use crate::semantics::PythonSource;
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// A dependency-only `uv sync` (`--no-install-project`) that has pyproject.toml in place but
    /// not the project's `.python-version`, which only arrives with a later `COPY`.
    /// ## Why it matters
    /// uv picks the interpreter from `.python-version` when it exists and from `requires-python`
    /// otherwise. The two syncs can then choose different interpreters, and the second one
    /// throws the first environment away and builds it again, or installs a second Python.
    /// ## Example
    /// ```dockerfile
    /// COPY pyproject.toml uv.lock ./
    /// RUN uv sync --locked --no-install-project
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY pyproject.toml uv.lock .python-version ./
    /// RUN uv sync --locked --no-install-project
    /// ```
    pub(crate) static PYTHON_VERSION_NOT_IN_DEPENDENCY_LAYER = {
        code: "UV011",
        name: "python-version-not-in-dependency-layer",
        severity: Info,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let Some(pin) = ctx.project.python_pin() else { return };
    if ctx.is_project_file_excluded(".python-version") || ctx.project.pyproject.is_none() {
        return;
    }
    for (site, uv) in ctx.uv_commands() {
        if !is_deps_only_sync(uv) || uv.has_flag("--python") || elsewhere(uv) || changes_directory(ctx, site) {
            continue;
        }
        // With a single usable interpreter both syncs pick the same one.
        let only_system = env_value(ctx, site, "UV_PYTHON_PREFERENCE").is_some_and(|it| it == "only-system")
            || env_value(ctx, site, "UV_PYTHON_DOWNLOADS").is_some_and(|it| matches!(it, "never" | "0" | "false"))
            || env_value(ctx, site, "UV_NO_MANAGED_PYTHON").is_some_and(is_truthy)
            || env_value(ctx, site, "UV_PYTHON").is_some()
            || uv.has_flag("--no-managed-python");
        if only_system {
            continue;
        }
        let Some(stage) = site.stage else { continue };
        // An image whose Python already matches the pin is what both syncs pick.
        let image_python = match ctx.semantics.python_source(stage) {
            Some(PythonSource::Python { image, .. }) => image.version.map(|(major, minor, _)| (major, minor)),
            Some(PythonSource::Uv { image, .. }) => image.python,
            None => None,
        };
        if let (Some(image), Some(pinned)) = (image_python, ctx.project.pinned_python())
            && image == (pinned.major, pinned.minor)
        {
            continue;
        }
        let layout = ctx.uv_layout();
        let Some(dir) = ctx.workdir_at(site.instruction) else { continue };
        // The sources of the bind mounts from the context whose target is known (a variable in
        // the target leaves it unknown).
        let mounted = || {
            ctx.parse
                .file
                .instructions
                .get(site.instruction)
                .filter(|it| it.keyword == Keyword::Run)
                .map(|_| ctx.mounts_of(site.instruction))
                .unwrap_or_default()
                .iter()
                .filter(|it| it.kind == "bind" && it.from.is_none())
                .filter(|it| it.target.as_ref().is_some_and(|target| !target.value.contains('$')))
                .map(|it| it.source.as_deref().unwrap_or_default().split('=').next().unwrap_or(""))
        };
        let mounted_file = |name: &str| {
            mounted().any(|source| {
                let source = crate::rules::support_uv::without_dot_slashes(source);
                ctx.names_project_file(source, name)
            })
        };
        let mounted_anything_else = mounted().any(|source| {
            let source = crate::rules::support_uv::without_dot_slashes(source);
            !source.contains('.') || ctx.project.is_whole_project_source(source)
        });
        let carries = |name: &str| {
            let copied =
                layout.copies_before(ctx.semantics, stage, site.instruction).map(|event| event.carries(ctx, name, dir));
            copied.fold(Carries::No, |acc, it| match (acc, it) {
                (Carries::Yes, _) | (_, Carries::Yes) => Carries::Yes,
                (Carries::Maybe, _) | (_, Carries::Maybe) => Carries::Maybe,
                _ => Carries::No,
            })
        };
        let has_pyproject = mounted_file("pyproject.toml") || carries("pyproject.toml") == Carries::Yes;
        if !has_pyproject || mounted_anything_else || mounted_file(".python-version") {
            continue;
        }
        if carries(".python-version") != Carries::No {
            continue;
        }
        let range = uv.subcommand_range().unwrap_or(site.command.range);
        let request = pin.request.as_ref().map(|it| it.value.as_str()).unwrap_or("");
        let mut diagnostic = PYTHON_VERSION_NOT_IN_DEPENDENCY_LAYER.report(
            range,
            format!(
                "this dependency layer has pyproject.toml but not .python-version (which pins {request}); uv may pick \
                 another interpreter here than in the next sync and rebuild the environment; copy or mount \
                 .python-version too"
            ),
        );
        if let Some(request) = &pin.request {
            diagnostic = diagnostic.with_related(RelatedLocation {
                path: Some(pin.file.path.clone()),
                text: Some(pin.file.text.clone()),
                range: request.range,
                message: "the project's Python pin".to_owned(),
            });
        }
        acc.push(diagnostic);
    }
}
