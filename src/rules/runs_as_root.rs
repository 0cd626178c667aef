//! `SEC004 runs-as-root`: the final image never sets a USER.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::{root_base, stage_chain};
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::Base;
use crate::syntax::Keyword;

declare_rule! {
    /// ## What it flags
    /// A final image that sets a `CMD` or `ENTRYPOINT` but has no `USER` instruction (in its
    /// stage or the stages it is built on), on a base image that runs as root, such as `python`, `debian` or `ubuntu`. Images whose name
    /// says they run unprivileged (`distroless`, `nonroot`, Chainguard) are left alone, as is
    /// `FROM scratch`.
    /// ## Why it matters
    /// The program then runs as root inside the container: a bug or a compromised dependency
    /// gets full control of the container and an easier path to the host. Create a user and
    /// switch to it once the build steps that need root are done. (A last `USER root` is
    /// reported by `root-user`.)
    /// ## Example
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// COPY --from=builder /app /app
    /// CMD ["python", "-m", "app"]
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// RUN useradd --create-home app
    /// COPY --from=builder /app /app
    /// USER app
    /// CMD ["python", "-m", "app"]
    /// ```
    pub(crate) static RUNS_AS_ROOT = {
        code: "SEC004",
        name: "runs-as-root",
        severity: Info,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let Some(last) = ctx.semantics.final_stage() else { return };
    // The finding is on the final stage: nothing to do when that stage is not checked.
    if !ctx.in_focus(last.index) {
        return;
    }
    let Base::Image(image) = root_base(ctx.semantics, last.index) else { return };
    let name = format!("{}/{}", image.canonical_name(), image.tag.as_ref().map_or("", |it| it.value.as_str()));
    if ["distroless", "nonroot", "non-root", "chainguard", "cgr.dev", "rootless"].iter().any(|it| name.contains(it)) {
        return;
    }
    let instructions = &ctx.parse.file.instructions;
    let has_user = stage_chain(ctx.semantics, last.index)
        .any(|stage| ctx.instructions_with_in(&[Keyword::User], stage.instructions.clone()).next().is_some());
    // Without a command the image is a base for others or a build artefact, not a service.
    let runs_program = stage_chain(ctx.semantics, last.index).any(|stage| {
        ctx.instructions_with_in(&[Keyword::Cmd, Keyword::Entrypoint], stage.instructions.clone()).next().is_some()
    });
    if has_user || !runs_program {
        return;
    }
    let Some(from) = instructions.get(last.from_instruction) else { return };
    acc.push(RUNS_AS_ROOT.report(
        last.image.as_ref().map_or(from.keyword_range, |it| it.range),
        "the final image never switches `USER`, so its program runs as root; add an unprivileged user",
    ));
}
