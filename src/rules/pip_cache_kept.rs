//! `DF213 pip-cache-kept`: `pip install` in the final image without `--no-cache-dir`.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::facts::Program;
use crate::rules::support_df::{final_image_stages, has_cache_mount, pip_install};
use crate::rules::{DiagnosticExt, RuleContext, declare_rule, is_truthy};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// `pip install` (also `pip3`, `python -m pip`) in a stage of the final image without
    /// `--no-cache-dir`, without `PIP_NO_CACHE_DIR` set, and without a cache mount on pip's
    /// cache folder.
    /// ## Why it matters
    /// pip keeps every downloaded wheel in `~/.cache/pip`, which then ships in the layer,
    /// often doubling the size of what was installed. Builder stages whose files are copied
    /// selectively are not flagged.
    /// ## Example
    /// ```dockerfile
    /// RUN pip install -r requirements.txt
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// ```
    /// ## Fix safety
    /// Adding `--no-cache-dir` is safe: the same packages are installed.
    pub(crate) static PIP_CACHE_KEPT = {
        code: "DF213",
        name: "pip-cache-kept",
        severity: Info,
        fix: Always,
        hadolint: "DL3042",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let in_final = final_image_stages(ctx.semantics);
    for (_, site) in ctx.runs_of(&[Program::PipOrPython]) {
        let Some(stage) = site.stage else { continue };
        if !in_final.get(stage).copied().unwrap_or(false) {
            continue;
        }
        let Some(install) = pip_install(&site.command) else { continue };
        if site.command.words.iter().any(|it| it.value == "--no-cache-dir" || it.value.starts_with("--no-cache-dir=")) {
            continue;
        }
        let env_off = site.command.env_assignments().iter().any(|it| it.name == "PIP_NO_CACHE_DIR")
            || ctx
                .build_var(stage, site.instruction, "PIP_NO_CACHE_DIR")
                .is_some_and(|def| def.value.as_deref().is_some_and(|v| is_truthy(v) || v.is_empty()));
        let mounted = ctx
            .parse
            .file
            .instructions
            .get(site.instruction)
            .is_some_and(|it| has_cache_mount(it, &["/root/.cache", "/home"]));
        if env_off || mounted {
            continue;
        }
        let start = site.command.program().map_or(install.word.range.start, |it| it.range.start);
        acc.push(
            PIP_CACHE_KEPT
                .report(
                    TextRange::new(start, install.word.range.end),
                    "`pip install` keeps its download cache in the image; add `--no-cache-dir`",
                )
                .with_fix(Fix {
                    title: "Add `--no-cache-dir`".to_owned(),
                    applicability: Applicability::Safe,
                    edits: vec![Edit {
                        path: None,
                        range: TextRange::empty(install.word.range.end),
                        new_text: " --no-cache-dir".to_owned(),
                    }],
                }),
        );
    }
}
