//! `DF115 constant-platform-in-from`: `FROM --platform=linux/amd64` with a fixed value.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::expand::has_references;

declare_rule! {
    /// ## What it flags
    /// `FROM --platform=` with a constant platform such as `linux/amd64`, unless the stage
    /// name mentions the platform's OS or architecture (`AS build-amd64`), which marks a
    /// deliberately platform-specific stage.
    /// ## Why it matters
    /// A fixed platform pins the stage to one architecture: multi-platform builds produce the
    /// wrong binaries, and builds on other machines run under emulation. Let the build choose
    /// (`docker build --platform`), or use `$BUILDPLATFORM` for cross-compiling stages.
    /// ## Example
    /// ```dockerfile
    /// FROM --platform=linux/amd64 python:3.12-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    pub(crate) static CONSTANT_PLATFORM_IN_FROM = {
        code: "DF115",
        name: "constant-platform-in-from",
        severity: Info,
        fix: None,
        hadolint: "DL3029",
        buildkit: "FromPlatformFlagConstDisallowed",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for stage in ctx.stages() {
        let Some(platform) = &stage.platform else { continue };
        if platform.value.is_empty() || has_references(&platform.value) {
            continue;
        }
        let mut parts = platform.value.split('/');
        let os = parts.next().unwrap_or("").to_ascii_lowercase();
        let arch = parts.next().unwrap_or("").to_ascii_lowercase();
        if let Some(name) = &stage.name {
            let name = name.value.to_ascii_lowercase();
            if (!os.is_empty() && name.contains(&os)) || (!arch.is_empty() && name.contains(&arch)) {
                continue;
            }
        }
        acc.push(CONSTANT_PLATFORM_IN_FROM.report(
            platform.range,
            format!(
                "`--platform={}` fixes this stage to one platform; leave it to the build or use `$BUILDPLATFORM`",
                platform.value
            ),
        ));
    }
}
