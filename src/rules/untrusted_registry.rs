//! `DF015 untrusted-registry`: a base image from a registry outside the configured trusted list.

use crate::diagnostic::Diagnostic;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::Base;

declare_rule! {
    /// ## What it flags
    /// A `FROM` image whose registry is not in `trusted-registries`, when that list is set.
    /// Images on Docker Hub count as `docker.io`. Earlier stages, `scratch` and images that
    /// depend on an ARG without a default are not checked.
    /// ## Why it matters
    /// Teams that mirror or vet their base images want every build to pull from those
    /// registries only; an image from anywhere else bypasses that review.
    /// ## Example
    /// With `trusted-registries = ["ghcr.io"]`:
    /// ```dockerfile
    /// FROM python:3.12-slim
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// FROM ghcr.io/example/python:3.12-slim
    /// ```
    pub(crate) static UNTRUSTED_REGISTRY = {
        code: "DF015",
        name: "untrusted-registry",
        severity: Warning,
        fix: None,
        hadolint: "DL3026",
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    let trusted = &ctx.settings.trusted_registries;
    if trusted.is_empty() {
        return;
    }
    for stage in ctx.stages() {
        let Base::Image(image) = &stage.base else { continue };
        let host = image.registry_host();
        let is_trusted = trusted.iter().any(|it| {
            let it = it.trim().trim_end_matches('/');
            it.eq_ignore_ascii_case(host)
                || (host == "docker.io" && matches!(it, "hub.docker.com" | "index.docker.io" | "registry-1.docker.io"))
        });
        if is_trusted {
            continue;
        }
        let Some(written) = &stage.image else { continue };
        let list = trusted.join(", ");
        acc.push(UNTRUSTED_REGISTRY.report(
            written.range,
            format!("`{}` comes from {host}, which is not a trusted registry ({list})", written.value),
        ));
    }
}
