//! `DF116 copy-ignored-file`: COPY or ADD of a path that .dockerignore leaves out of the context.

use crate::diagnostic::{Diagnostic, RelatedLocation};
use crate::project::IgnorePattern;
use crate::rules::facts::FastMap;
use crate::rules::support_uv::CopySources;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::{Args, Keyword};

declare_rule! {
    /// ## What it flags
    /// A `COPY` or `ADD` source from the build context (no `--from`) that the project's
    /// `.dockerignore` excludes. Sources with wildcards or variables are not checked.
    /// ## Why it matters
    /// Excluded files never reach the builder, so the instruction fails with "not found"
    /// (or, for a folder that has re-included files, copies only those).
    /// ## Example
    /// With `.dockerignore` containing `uv.lock`:
    /// ```dockerfile
    /// COPY pyproject.toml uv.lock ./
    /// ```
    /// Use instead: remove `uv.lock` from `.dockerignore`, or stop copying it.
    pub(crate) static COPY_IGNORED_FILE = {
        code: "DF116",
        name: "copy-ignored-file",
        severity: Error,
        fix: None,
        buildkit: "CopyIgnoredFile",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let Some(ignore) = &ctx.project.dockerignore else { return };
    // Files copy the same few sources over and over, and matching compiles every pattern.
    let mut known: FastMap<&str, Option<&IgnorePattern>> = FastMap::default();
    for (_, instruction) in ctx.instructions_with(&[Keyword::Copy, Keyword::Add]) {
        if instruction.flag("from").is_some() {
            continue;
        }
        let sources = match &instruction.args {
            Args::Words(words) if words.len() >= 2 => CopySources::Words(&words[..words.len() - 1]),
            Args::Exec(exec) if exec.elements.len() >= 2 => {
                CopySources::Exec(&exec.elements[..exec.elements.len() - 1])
            }
            _ => continue,
        };
        for crate::text::Spanned { value: source, range } in sources.iter() {
            if source.starts_with("<<")
                || source.contains(['*', '?', '[', '$'])
                || source.contains("://")
                || source.starts_with("git@")
            {
                continue;
            }
            let Some(pattern) = *known.entry(source).or_insert_with(|| ignore.matching_pattern(source)) else {
                continue;
            };
            if pattern.negated {
                continue;
            }
            // A folder whose files are partly re-included still reaches the builder.
            let folder = format!("{}/", crate::rules::support_uv::without_dot_slashes(source).trim_end_matches('/'));
            if ignore.patterns.iter().any(|it| it.negated && it.pattern.starts_with(&folder)) {
                continue;
            }
            acc.push(
                COPY_IGNORED_FILE
                    .report(
                        range,
                        format!(
                            "`{source}` is excluded from the build context by .dockerignore (`{}`), so `{}` cannot find it",
                            pattern.text.value,
                            instruction.keyword.as_str()
                        ),
                    )
                    .with_related(RelatedLocation {
                        path: Some(ignore.file.path.clone()),
                        text: Some(ignore.file.text.clone()),
                        range: pattern.text.range,
                        message: format!("`{}` excludes it", pattern.text.value),
                    }),
            );
        }
    }
}
