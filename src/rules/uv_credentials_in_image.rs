//! `UV064 uv-credentials-in-image`: index or publish credentials stored in the image.

use crate::diagnostic::Diagnostic;
use crate::rules::support_env::{SettingKind, uv_settings};
use crate::rules::{RuleContext, declare_rule};
use crate::text::TextRange;

declare_rule! {
    /// ## What it flags
    /// uv credentials in `ENV` or `ARG` (`UV_INDEX_<NAME>_PASSWORD`, `UV_PUBLISH_TOKEN`,
    /// `UV_PUBLISH_PASSWORD`, `UV_GITHUB_TOKEN`), written literally before a command, or a
    /// password inside an index URL (`UV_INDEX`, `UV_DEFAULT_INDEX`, `--index-url`, ...).
    /// ## Why it matters
    /// `ENV` values are stored in the image configuration and build arguments in its history;
    /// a literal on a RUN line is kept in the history too. Anyone who can pull the image can
    /// read them. A secret mount hands the value to one RUN without storing it.
    /// ## Example
    /// ```dockerfile
    /// ARG UV_INDEX_PRIVATE_PASSWORD
    /// RUN uv sync --locked
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN --mount=type=secret,id=index_password,env=UV_INDEX_PRIVATE_PASSWORD uv sync --locked
    /// ```
    pub(crate) static UV_CREDENTIALS_IN_IMAGE = {
        code: "UV064",
        name: "uv-credentials-in-image",
        severity: Warning,
        fix: None,
    };
}

const URL_VARIABLES: &[&str] =
    &["UV_INDEX", "UV_DEFAULT_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_PUBLISH_URL"];
const URL_FLAGS: &[&str] =
    &["--index", "--default-index", "--index-url", "--extra-index-url", "--find-links", "--publish-url"];

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for setting in uv_settings(ctx) {
        let secret = setting.known.is_some_and(|it| it.secret) && !setting.name.ends_with("_USERNAME");
        let stored = match setting.kind {
            SettingKind::Env | SettingKind::Arg => true,
            SettingKind::Prefix => !setting.dynamic,
        };
        if secret && stored && setting.value.as_deref() != Some("") {
            let place = match setting.kind {
                SettingKind::Env => "an ENV value is stored in the image configuration",
                SettingKind::Arg => "a build argument's value is kept in the image history",
                SettingKind::Prefix => "the RUN line is kept in the image history",
            };
            acc.push(UV_CREDENTIALS_IN_IMAGE.report(
                setting.name_range,
                format!(
                    "`{}` holds a credential, and {place}; pass it with `RUN --mount=type=secret,id=…,env={}` instead",
                    setting.name, setting.name
                ),
            ));
            continue;
        }
        if !URL_VARIABLES.contains(&&*setting.name) || !stored {
            continue;
        }
        let (Some(value), Some(range)) = (&setting.value, setting.value_range) else { continue };
        if setting.kind == SettingKind::Prefix && setting.dynamic {
            continue;
        }
        if has_url_password(value, setting.kind != SettingKind::Env) {
            acc.push(UV_CREDENTIALS_IN_IMAGE.report(
                range,
                format!(
                    "the URL in `{}` carries a password, which stays readable in the image; give the index a name and \
                     pass `UV_INDEX_<NAME>_PASSWORD` through a secret mount",
                    setting.name
                ),
            ));
        }
    }
    for (_, uv) in ctx.uv_commands() {
        for flag in &uv.flags {
            if !URL_FLAGS.contains(&&*flag.name) {
                continue;
            }
            let Some(value) = &flag.value else { continue };
            if !has_url_password(&value.text, true) {
                continue;
            }
            let range: TextRange = value.range;
            acc.push(UV_CREDENTIALS_IN_IMAGE.report(
                range,
                format!(
                    "the URL given to `{}` carries a password, which stays in the image history; pass it through a \
                     secret mount and `UV_INDEX_<NAME>_PASSWORD` instead",
                    flag.name
                ),
            ));
        }
    }
}

/// Whether a URL list holds `scheme://user:password@host`. With `literal_only`, a password that
/// is a variable reference (filled from a secret at run time) does not count.
fn has_url_password(value: &str, literal_only: bool) -> bool {
    value.split_whitespace().any(|url| {
        let url = url.split_once('=').filter(|(name, _)| !name.contains(':')).map_or(url, |(_, url)| url);
        let Some((_, rest)) = url.split_once("://") else { return false };
        let authority = rest.split('/').next().unwrap_or("");
        let Some((userinfo, _)) = authority.rsplit_once('@') else { return false };
        let Some((_, password)) = userinfo.split_once(':') else { return false };
        let from_variable = literal_only && password.starts_with('$');
        !password.is_empty() && !from_variable
    })
}
