//! `DF114 invalid-default-arg-in-from`: with its ARG defaults, a FROM names no valid image.

use crate::diagnostic::Diagnostic;
use crate::rules::facts::FastMap;
use crate::rules::support_df::words;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::expand::{expand, has_references};
use crate::semantics::image::check_image_ref;
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// A `FROM` whose image is built from variables and that, with the defaults of the global
    /// ARGs (no `--build-arg`), becomes empty or an invalid image reference, such as
    /// `python:-slim` from `FROM python:${PYTHON_VERSION}-slim` with `ARG PYTHON_VERSION`.
    /// ## Why it matters
    /// A plain `docker build` without build arguments fails. Giving the ARG a sensible default
    /// keeps the file buildable on its own while still allowing overrides.
    /// ## Example
    /// ```dockerfile
    /// ARG PYTHON_VERSION
    /// FROM python:${PYTHON_VERSION}-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ARG PYTHON_VERSION=3.12
    /// FROM python:${PYTHON_VERSION}-slim
    /// ```
    pub(crate) static INVALID_DEFAULT_ARG_IN_FROM = {
        code: "DF114",
        name: "invalid-default-arg-in-from",
        severity: Warning,
        fix: None,
        buildkit: "InvalidDefaultArgInFrom",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let semantics = ctx.semantics;
    let lookup = |name: &str| -> Option<String> {
        if let Some(def) = semantics.global_args.iter().rev().find(|it| it.name == name) {
            return def.value.as_deref().map(String::from);
        }
        // BuildKit fills the platform arguments from the build's platform.
        let value = match name {
            "TARGETPLATFORM" | "BUILDPLATFORM" => "linux/amd64",
            "TARGETOS" | "BUILDOS" => "linux",
            "TARGETARCH" | "BUILDARCH" => "amd64",
            _ => return None,
        };
        Some(value.to_owned())
    };
    // The expansion sees only the global ARGs, so equal references (one per block of a
    // multi-stage file) come out the same: judge each text once.
    let mut judged: FastMap<&str, Option<String>> = FastMap::default();
    for (_, instruction) in ctx.instructions_with(&[Keyword::From]) {
        let Some(image) = words(instruction).first() else { continue };
        if !has_references(&image.raw) {
            continue;
        }
        let problem = judged.entry(image.raw.as_str()).or_insert_with(|| {
            let expansion = expand(&image.raw, ctx.parse.file.escape, &lookup);
            if !expansion.errors.is_empty() {
                return None;
            }
            let result = expansion.value;
            if result.is_empty() {
                Some("an empty image name".to_owned())
            } else if ctx.stage_by_reference(&result).is_some() || result.eq_ignore_ascii_case("scratch") {
                None
            } else if let Err(error) = check_image_ref(&result) {
                Some(format!("`{result}`, which is not a valid image reference ({})", error.message))
            } else {
                None
            }
        });
        let Some(problem) = problem else { continue };
        acc.push(INVALID_DEFAULT_ARG_IN_FROM.report(
            image.range,
            format!("with the ARG defaults, `{}` becomes {problem}; the build fails without `--build-arg`", image.raw),
        ));
    }
}
