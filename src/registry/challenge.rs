//! `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`: the challenge a registry answers a
//! request without a token with, telling where an anonymous pull token comes from.

/// A bearer challenge's parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BearerChallenge {
    pub realm: String,
    pub service: Option<String>,
    pub scope: Option<String>,
}

/// Parses the value of a `WWW-Authenticate` header. `None` unless it is a `Bearer` challenge
/// with a realm (a `Basic` challenge asks for credentials berth never has).
pub fn parse_bearer(header: &str) -> Option<BearerChallenge> {
    let header = header.trim_start();
    let scheme_end = header.find(char::is_whitespace)?;
    if !header[..scheme_end].eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = None;
    let mut scope = None;
    for (key, value) in params(&header[scheme_end..]) {
        match key.to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value),
            "service" => service = Some(value),
            "scope" => scope = Some(value),
            _ => {}
        }
    }
    Some(BearerChallenge { realm: realm.filter(|it| !it.is_empty())?, service, scope })
}

/// `key=value` pairs separated by commas; values may be quoted (with `\` escapes), and a quoted
/// value may itself hold commas (`scope="repository:a:pull,push"`).
fn params(text: &str) -> Vec<(String, String)> {
    let mut acc = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ',' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if key.is_empty() && chars.peek().is_none() {
            return acc;
        }
        if chars.next() != Some('=') {
            // A bare token (or the end): nothing to keep, go on with the next pair.
            if chars.peek().is_none() {
                return acc;
            }
            continue;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        acc.push((key.trim().to_owned(), value.trim().to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_challenge() {
        let found = parse_bearer(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull""#,
        )
        .expect("a challenge");
        assert_eq!(found.realm, "https://auth.docker.io/token");
        assert_eq!(found.service.as_deref(), Some("registry.docker.io"));
        assert_eq!(found.scope.as_deref(), Some("repository:library/python:pull"));
    }

    #[test]
    fn quoted_commas_escapes_and_spacing() {
        let found =
            parse_bearer(r#"bearer  scope="repository:a/b:pull,push" , realm="https://x/t\"q", error=invalid_token"#)
                .expect("a challenge");
        assert_eq!(found.scope.as_deref(), Some("repository:a/b:pull,push"));
        assert_eq!(found.realm, "https://x/t\"q");
        assert_eq!(found.service, None);
    }

    #[test]
    fn other_schemes_and_missing_realms_are_not_bearer_challenges() {
        assert_eq!(parse_bearer(r#"Basic realm="registry""#), None);
        assert_eq!(parse_bearer(r#"Bearer service="x""#), None);
        assert_eq!(parse_bearer("Bearer"), None);
        assert_eq!(parse_bearer(""), None);
        assert_eq!(parse_bearer("Bearer ,,=,\"\\"), None);
    }
}
