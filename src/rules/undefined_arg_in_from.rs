//! `DF108 undefined-arg-in-from`: FROM uses a variable no global ARG declares.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::{closest, word_subrange, words};
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::PREDEFINED_ARGS;
use crate::semantics::expand::{VarRef, has_references, references_into};
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// A variable in a `FROM` line (image or `--platform`) that no `ARG` before the first `FROM`
    /// declares and that is not one of the build's predefined arguments.
    /// ## Why it matters
    /// `FROM` only sees global ARGs. An undeclared variable expands to nothing, so
    /// `FROM python:${PYTHON_VERSION}-slim` becomes `python:-slim` and the build fails, or worse,
    /// a different image is pulled. Usually the `ARG` line is missing or misspelled.
    /// ## Example
    /// ```dockerfile
    /// FROM python:${PYTHON_VERSION}-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// ARG PYTHON_VERSION=3.12
    /// FROM python:${PYTHON_VERSION}-slim
    /// ```
    pub(crate) static UNDEFINED_ARG_IN_FROM = {
        code: "DF108",
        name: "undefined-arg-in-from",
        severity: Warning,
        fix: None,
        buildkit: "UndefinedArgInFrom",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let escape = ctx.parse.file.escape;
    let globals: Vec<&str> = ctx.semantics.global_args.iter().map(|it| it.name.as_str()).collect();
    let candidates = || globals.iter().copied().chain(PREDEFINED_ARGS.iter().copied());
    let mut vars = Vec::new();
    // The references of the last image text read: a file names the same image in stage after
    // stage, and reading a reference is slow next to copying what it found.
    let mut last_image: Option<(&str, Vec<VarRef>)> = None;
    for (_, instruction) in ctx.instructions_with(&[Keyword::From]) {
        // The variables of the image, then those of `--platform`, in one list reused for every FROM.
        vars.clear();
        let image = words(instruction).first().filter(|image| has_references(&image.raw));
        if let Some(image) = image {
            match &last_image {
                Some((raw, found)) if *raw == image.raw.as_str() => vars.extend_from_slice(found),
                _ => {
                    references_into(&mut vars, &image.raw, escape);
                    last_image = Some((image.raw.as_str(), vars.clone()));
                }
            }
        }
        let n_image_vars = vars.len();
        let platform = instruction.flag("platform").and_then(|it| it.value.as_ref());
        if let Some(platform) = platform {
            references_into(&mut vars, &platform.value, escape);
        }
        for (n, var) in vars.iter().enumerate() {
            let range = match (image, platform) {
                (Some(image), _) if n < n_image_vars => word_subrange(image, var.range.start, var.range.end),
                (_, Some(platform)) => platform.range,
                // Every reference came from one of the two words.
                _ => continue,
            };
            let name = var.name.as_str();
            if var.has_fallback() || candidates().any(|it| it == name) {
                continue;
            }
            let hint = match closest(name, candidates()) {
                Some(suggestion) => format!("; did you mean `{suggestion}`?"),
                None => format!("; declare it with `ARG {name}=...` before the first `FROM`"),
            };
            acc.push(
                UNDEFINED_ARG_IN_FROM.report(
                    range,
                    format!("`{name}` is not a global ARG, so it expands to an empty string here{hint}"),
                ),
            );
        }
    }
}
