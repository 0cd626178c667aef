//! `SEC003 tls-verification-disabled`: a download tool or setting that skips TLS certificate checks.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::pip_args;
use crate::rules::{RuleContext, declare_rule};
use crate::semantics::CommandOrigin;
use crate::syntax::{Args, Keyword};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// Turning off TLS certificate verification: `curl -k`/`--insecure`,
    /// `wget --no-check-certificate`, `pip --trusted-host`, `git -c http.sslVerify=false`,
    /// `git config http.sslVerify false`, `npm`/`yarn config set strict-ssl false`, and the
    /// variables `PIP_TRUSTED_HOST`, `PYTHONHTTPSVERIFY=0`, `NODE_TLS_REJECT_UNAUTHORIZED=0`
    /// and `GIT_SSL_NO_VERIFY` (in `ENV`, `ARG` or before a command). `UV_INSECURE_HOST` is
    /// left to the uv rules.
    /// ## Why it matters
    /// Without verification anyone on the network path (a proxy, a compromised Wi-Fi, a DNS
    /// hijack) can hand the build a different package or script, which then runs inside the
    /// image. Fix the CA bundle instead (install `ca-certificates`, or mount the corporate CA).
    /// ## Example
    /// ```dockerfile
    /// RUN curl -k https://example.com/install.sh -o install.sh
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN curl -fsSL https://example.com/install.sh -o install.sh
    /// ```
    pub(crate) static TLS_VERIFICATION_DISABLED = {
        code: "SEC003",
        name: "tls-verification-disabled",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, site) in ctx.commands() {
        if site.origin != CommandOrigin::Run {
            continue;
        }
        let command = &site.command;
        // What `env_assignments()` lists, without copying the leading assignments.
        for assignment in &command.assignments {
            if let Some(message) = insecure_variable(&assignment.name, &assignment.value) {
                acc.push(TLS_VERIFICATION_DISABLED.report(assignment.range, message));
            }
        }
        for assignment in ctx.wrapper_assignments(command) {
            if let Some(message) = insecure_variable(&assignment.name, &assignment.value) {
                acc.push(TLS_VERIFICATION_DISABLED.report(assignment.range, message));
            }
        }
        if let Some(args) = pip_args(command) {
            for word in args {
                if word.value == "--trusted-host" || word.value.starts_with("--trusted-host=") {
                    acc.push(
                        TLS_VERIFICATION_DISABLED.report(
                            word.range,
                            "`--trusted-host` lets pip accept that host without a valid certificate",
                        ),
                    );
                }
            }
            continue;
        }
        let args = command.args_after_program();
        match command.program_name() {
            Some("curl") => {
                for word in args {
                    let value = word.value.as_str();
                    let short_k = value.starts_with('-')
                        && !value.starts_with("--")
                        && value.len() > 1
                        && value[1..].chars().all(|c| c.is_ascii_alphabetic())
                        && value.contains('k');
                    if value == "--insecure" || short_k {
                        acc.push(report(word.range, "curl", value));
                    }
                }
            }
            Some("wget") => {
                for word in args.iter().filter(|it| it.value == "--no-check-certificate") {
                    acc.push(report(word.range, "wget", &word.value));
                }
            }
            Some("git") => {
                for (idx, word) in args.iter().enumerate() {
                    let lower = word.value.to_ascii_lowercase().replace(' ', "");
                    let inline = lower.contains("http.sslverify=false") || lower.contains("http.sslverify=0");
                    let config = lower == "http.sslverify"
                        && args
                            .get(idx + 1)
                            .is_some_and(|next| matches!(next.value.to_ascii_lowercase().as_str(), "false" | "0"));
                    if inline || config {
                        acc.push(report(word.range, "git", "http.sslVerify=false"));
                    }
                }
            }
            Some("npm" | "yarn" | "pnpm") => {
                for (idx, word) in args.iter().enumerate() {
                    let lower = word.value.to_ascii_lowercase();
                    let next_false = args.get(idx + 1).is_some_and(|it| it.value.eq_ignore_ascii_case("false"));
                    if (lower == "strict-ssl" && next_false)
                        || lower == "strict-ssl=false"
                        || lower == "--strict-ssl=false"
                    {
                        acc.push(report(word.range, command.program_name().unwrap_or("npm"), "strict-ssl false"));
                    }
                }
            }
            _ => {}
        }
    }
    for (_, instruction) in ctx.instructions_with(&[Keyword::Arg, Keyword::Env]) {
        let Args::KeyValues(pairs) = &instruction.args else { continue };
        for pair in pairs {
            let Some(value) = &pair.value else { continue };
            if let Some(message) = insecure_variable(&pair.key.value, &value.value) {
                acc.push(TLS_VERIFICATION_DISABLED.report(pair.key.range.cover(value.range), message));
            }
        }
    }
}

fn report(range: TextRange, tool: &str, option: &str) -> Diagnostic {
    TLS_VERIFICATION_DISABLED
        .report(range, format!("`{option}` makes {tool} accept any certificate, so downloads can be tampered with"))
}

fn insecure_variable(name: &str, value: &str) -> Option<String> {
    let value = value.trim();
    let off = matches!(value, "0" | "false" | "False" | "FALSE");
    let on = !value.is_empty() && !off;
    match name {
        "PIP_TRUSTED_HOST" if !value.is_empty() => {
            Some(format!("`PIP_TRUSTED_HOST={value}` lets pip accept that host without a valid certificate"))
        }
        "PYTHONHTTPSVERIFY" if value == "0" => {
            Some("`PYTHONHTTPSVERIFY=0` turns off certificate checks for Python's HTTPS clients".to_owned())
        }
        "NODE_TLS_REJECT_UNAUTHORIZED" if value == "0" => {
            Some("`NODE_TLS_REJECT_UNAUTHORIZED=0` makes Node accept any certificate".to_owned())
        }
        "GIT_SSL_NO_VERIFY" if on => Some("`GIT_SSL_NO_VERIFY` makes git accept any certificate".to_owned()),
        _ => None,
    }
}
