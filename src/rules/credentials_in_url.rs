//! `SEC002 credentials-in-url`: a URL with a password in an ARG or ENV value.

use crate::diagnostic::Diagnostic;
use crate::rules::support_df::word_subrange;
use crate::rules::{RuleContext, declare_rule};
use crate::syntax::{Args, Keyword};

declare_rule! {
    /// ## What it flags
    /// An `ARG` default or `ENV` value holding a URL with a user name and password
    /// (`https://user:password@host/...`), for instance a private package index.
    /// ## Why it matters
    /// The value is stored in the image (configuration or build history) and readable by
    /// anyone who can pull it. Pass credentials with a secret mount, or a netrc/keyring file
    /// mounted only for the step that needs it.
    /// ## Example
    /// ```dockerfile
    /// ENV PIP_INDEX_URL=https://deploy:s3cr3t@pypi.example.com/simple
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// RUN --mount=type=secret,id=pip_index_url,env=PIP_INDEX_URL pip install --no-cache-dir -r requirements.txt
    /// ```
    pub(crate) static CREDENTIALS_IN_URL = {
        code: "SEC002",
        name: "credentials-in-url",
        severity: Warning,
        fix: None,
    };
}

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::Arg, Keyword::Env]) {
        let Args::KeyValues(pairs) = &instruction.args else { continue };
        for pair in pairs {
            let Some(word) = &pair.value else { continue };
            let Some((start, end)) = userinfo_with_password(&word.raw) else { continue };
            acc.push(CREDENTIALS_IN_URL.report(
                word_subrange(word, start, end),
                format!(
                    "`{}` has a URL with a password; it is stored in the image where anyone with the image can read it",
                    pair.key.value
                ),
            ));
        }
    }
}

/// The byte range of `user:password` in the first URL of `text` that has both.
fn userinfo_with_password(text: &str) -> Option<(usize, usize)> {
    let mut search = 0;
    // (memmem: `str::find` sets up a general substring search on every call.)
    while let Some(found) = text.get(search..).and_then(|it| memchr::memmem::find(it.as_bytes(), b"://")) {
        let start = search + found + 3;
        let authority_end = text[start..].find(['/', '?', '#', ' ', '"', '\'']).map_or(text.len(), |it| start + it);
        let authority = &text[start..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some((user, password)) = userinfo.split_once(':')
                && !user.is_empty()
                && !password.is_empty()
            {
                return Some((start, start + at));
            }
        }
        search = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::userinfo_with_password;

    #[test]
    fn finds_only_user_and_password() {
        assert_eq!(userinfo_with_password("https://u:p@host/x"), Some((8, 11)));
        assert_eq!(userinfo_with_password("https://token@host/x"), None);
        assert_eq!(userinfo_with_password("https://host:8080/x"), None);
        assert_eq!(userinfo_with_password("a https://h/x b https://u:${P}@h2"), Some((24, 30)));
    }
}
