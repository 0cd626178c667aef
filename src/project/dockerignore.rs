//! `.dockerignore` reading and matching with Docker's rules, which are not gitignore's.
//!
//! Reading follows BuildKit's ignore-file reader: a line is a comment only when `#` is its very
//! first character, lines are trimmed, `!` negates, each pattern is `filepath.Clean`ed and a
//! leading `/` is dropped. Matching follows moby/patternmatcher: a pattern is anchored at the
//! context root, `*` and `?` stay inside one path segment, `**` spans any number of segments, and a
//! pattern that matches a parent folder matches everything below it. The last matching pattern
//! decides; a negated one re-includes the path.
//!
//! Two deliberate departures from the Go code, which turns patterns into regular expressions:
//! an escaped character (`\d`) always means that literal character (Go would read `\d` as a regex
//! digit class), and `^` outside a class is a literal character (Go would read it as an anchor).

use crate::text::{Spanned, TextRange};

use super::{DockerIgnore, IgnorePattern, ProjectProblem, SourceFile};

/// Parses `.dockerignore` text; patterns Docker would reject are left out and reported, because
/// with them `docker build` fails before the build starts.
pub fn parse_dockerignore(file: SourceFile) -> (DockerIgnore, Vec<ProjectProblem>) {
    let mut patterns = Vec::new();
    let mut problems = Vec::new();
    let text = file.text.clone();
    for (start, line) in super::lines_with_offsets(&text) {
        // Docker checks for a comment before trimming, so `  # x` is a pattern, not a comment.
        if line.starts_with('#') {
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let leading = line.len() - line.trim_start().len();
        let range = TextRange::new(start + leading, start + leading + trimmed.len());
        let (negated, body) = match trimmed.strip_prefix('!') {
            Some(rest) => (true, rest.trim()),
            None => (false, trimmed),
        };
        if negated && body.is_empty() {
            problems.push(ProjectProblem {
                file: file.clone(),
                range,
                message: "a lone `!` is not a valid .dockerignore pattern; docker build fails on it".to_owned(),
            });
            continue;
        }
        let mut pattern = clean_path(body);
        if pattern.len() > 1 && pattern.starts_with('/') {
            pattern.remove(0);
        }
        if let Err(reason) = Glob::compile(&pattern) {
            problems.push(ProjectProblem {
                file: file.clone(),
                range,
                message: format!("invalid .dockerignore pattern ({reason}); docker build fails on it"),
            });
            continue;
        }
        patterns.push(IgnorePattern { text: Spanned::new(trimmed.to_owned(), range), negated, pattern });
    }
    (DockerIgnore { file, patterns }, problems)
}

impl DockerIgnore {
    /// True when Docker leaves `path` (relative to the context, forward slashes) out of the
    /// build context. `./x`, `x/` and `/x` all mean `x`; the context root itself is never excluded.
    ///
    /// A folder that is excluded but holds re-included files (`dir` then `!dir/keep`) reports
    /// `true` for the folder itself; Docker still creates it to hold the re-included files.
    pub fn is_excluded(&self, path: &str) -> bool {
        self.matching_pattern(path).is_some_and(|pattern| !pattern.negated)
    }

    /// The pattern that decides whether `path` is excluded: the last one matching the path or one
    /// of its parent folders. A negated result means the path is re-included.
    pub fn matching_pattern(&self, path: &str) -> Option<&IgnorePattern> {
        let path = normalize_query(path)?;
        let mut res = None;
        for pattern in &self.patterns {
            let Ok(glob) = Glob::compile(&pattern.pattern) else {
                continue;
            };
            if glob.matches_path_or_parent(&path) {
                res = Some(pattern);
            }
        }
        res
    }
}

/// True when `path` (relative, forward slashes) matches `pattern` itself, with the same glob
/// syntax as `.dockerignore` but no parent-folder matching. Used for uv workspace member globs,
/// which are relative to the workspace root.
pub(crate) fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern = clean_path(pattern);
    let pattern = pattern.strip_prefix('/').unwrap_or(&pattern);
    match Glob::compile(pattern) {
        Ok(glob) => glob.matches(&clean_path(path)),
        Err(_) => false,
    }
}

/// Turns a caller's path into the cleaned, context-relative form patterns are matched against.
fn normalize_query(path: &str) -> Option<String> {
    let cleaned = clean_path(path);
    let relative = cleaned.trim_start_matches('/');
    match relative {
        "" | "." => None,
        _ => Some(relative.to_owned()),
    }
}

/// Go's `filepath.Clean` for slash-separated paths: drops empty and `.` segments, resolves `..`
/// lexically, and never returns an empty string.
pub(crate) fn clean_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => match segments.last() {
                Some(&last) if last != ".." => {
                    segments.pop();
                }
                // `..` above the root of an absolute path stays at the root.
                _ if rooted => {}
                _ => segments.push(".."),
            },
            _ => segments.push(segment),
        }
    }
    let joined = segments.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// A compiled pattern. patternmatcher picks a cheap string test when the pattern allows it, and
/// those tests are not always equivalent to the general case (`**foo` is a plain suffix test and
/// so also matches `barfoo`), so the same choice is made here.
#[derive(Debug)]
enum Glob {
    Exact(String),
    /// `prefix**`: any path starting with `prefix`.
    Prefix(String),
    /// `**suffix` with nothing special after the `**`.
    Suffix(String),
    Tokens(Vec<Token>),
}

#[derive(Debug)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    AnyChar,
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**` (or `**/`) before more pattern: nothing, or anything that ends with `/`.
    DirectoryRun,
    /// `**` at the end of a pattern that already used wildcards: anything at all.
    Anything,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(PartialEq, Eq)]
enum Detected {
    Exact,
    Prefix,
    Suffix,
    Tokens,
}

impl Glob {
    fn compile(pattern: &str) -> Result<Glob, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut detected = Detected::Exact;
        let mut idx = 0;
        let mut first = true;
        while idx < chars.len() {
            let ch = chars[idx];
            idx += 1;
            match ch {
                '*' if chars.get(idx) == Some(&'*') => {
                    idx += 1;
                    if chars.get(idx) == Some(&'/') {
                        idx += 1;
                    }
                    if idx == chars.len() {
                        match detected {
                            Detected::Exact => detected = Detected::Prefix,
                            _ => {
                                tokens.push(Token::Anything);
                                detected = Detected::Tokens;
                            }
                        }
                    } else {
                        tokens.push(Token::DirectoryRun);
                        detected = Detected::Tokens;
                    }
                    if first {
                        detected = Detected::Suffix;
                    }
                }
                '*' => {
                    tokens.push(Token::Star);
                    detected = Detected::Tokens;
                }
                '?' => {
                    tokens.push(Token::AnyChar);
                    detected = Detected::Tokens;
                }
                '\\' => match chars.get(idx) {
                    Some(&escaped) => {
                        idx += 1;
                        tokens.push(Token::Literal(escaped));
                        detected = Detected::Tokens;
                    }
                    None => return Err("it ends with a lone `\\`".to_owned()),
                },
                '[' => {
                    let (class, next) = parse_class(&chars, idx)?;
                    idx = next;
                    tokens.push(class);
                    detected = Detected::Tokens;
                }
                ']' => {
                    tokens.push(Token::Literal(']'));
                    detected = Detected::Tokens;
                }
                _ => tokens.push(Token::Literal(ch)),
            }
            first = false;
        }
        Ok(match detected {
            Detected::Exact => Glob::Exact(pattern.to_owned()),
            Detected::Prefix => Glob::Prefix(pattern.strip_suffix("**").unwrap_or(pattern).to_owned()),
            Detected::Suffix => Glob::Suffix(pattern.strip_prefix("**").unwrap_or(pattern).to_owned()),
            Detected::Tokens => Glob::Tokens(tokens),
        })
    }

    /// True when the pattern matches `path` or one of its parent folders.
    fn matches_path_or_parent(&self, path: &str) -> bool {
        if self.matches(path) {
            return true;
        }
        path.match_indices('/').any(|(idx, _)| self.matches(&path[..idx]))
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            Glob::Exact(pattern) => path == pattern,
            Glob::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Glob::Suffix(suffix) => {
                // `**/foo` also matches `foo` at the top.
                path.ends_with(suffix.as_str()) || suffix.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            Glob::Tokens(tokens) => matches_tokens(tokens, path),
        }
    }
}

/// Parses a `[...]` class starting after the `[`, with `filepath.Match`'s rules: `^` negates,
/// `\` escapes, `a-z` is a range, and an empty class or a bad range is an error.
fn parse_class(chars: &[char], mut idx: usize) -> Result<(Token, usize), String> {
    let negated = chars.get(idx) == Some(&'^');
    if negated {
        idx += 1;
    }
    let mut ranges = Vec::new();
    let read_char = |idx: &mut usize| -> Result<char, String> {
        match chars.get(*idx) {
            None => Err("a `[` is never closed".to_owned()),
            Some('-') | Some(']') => Err("a character class has an empty or misplaced item".to_owned()),
            Some('\\') => {
                *idx += 1;
                let escaped = chars.get(*idx).copied().ok_or_else(|| "a `[` is never closed".to_owned())?;
                *idx += 1;
                Ok(escaped)
            }
            Some(&ch) => {
                *idx += 1;
                Ok(ch)
            }
        }
    };
    loop {
        if chars.get(idx) == Some(&']') && !ranges.is_empty() {
            return Ok((Token::Class { negated, ranges }, idx + 1));
        }
        let lo = read_char(&mut idx)?;
        let mut hi = lo;
        if chars.get(idx) == Some(&'-') {
            idx += 1;
            hi = read_char(&mut idx)?;
            if hi < lo {
                return Err(format!("the range `{lo}-{hi}` is reversed"));
            }
        }
        ranges.push((lo, hi));
    }
}

/// Runs the tokens as a small NFA over the path, so patterns with many stars stay linear.
fn matches_tokens(tokens: &[Token], path: &str) -> bool {
    let n = tokens.len();
    // `at[i]`: about to match token `i`. `inside[i]`: inside the `(.*/)?` run of token `i`.
    let mut at = vec![false; n + 1];
    let mut inside = vec![false; n + 1];
    at[0] = true;
    close(tokens, &mut at);
    for ch in path.chars() {
        let mut next_at = vec![false; n + 1];
        let mut next_inside = vec![false; n + 1];
        for idx in 0..n {
            if inside[idx] {
                next_inside[idx] = true;
                if ch == '/' {
                    next_at[idx + 1] = true;
                }
            }
            if !at[idx] {
                continue;
            }
            match &tokens[idx] {
                Token::Literal(expected) => next_at[idx + 1] |= ch == *expected,
                Token::AnyChar => next_at[idx + 1] |= ch != '/',
                Token::Star => next_at[idx] |= ch != '/',
                Token::Anything => next_at[idx] = true,
                Token::DirectoryRun => {
                    next_inside[idx] = true;
                    if ch == '/' {
                        next_at[idx + 1] = true;
                    }
                }
                Token::Class { negated, ranges } => {
                    let hit = ranges.iter().any(|&(lo, hi)| lo <= ch && ch <= hi);
                    next_at[idx + 1] |= hit != *negated;
                }
            }
        }
        close(tokens, &mut next_at);
        if !next_at.iter().any(|&b| b) && !next_inside.iter().any(|&b| b) {
            return false;
        }
        at = next_at;
        inside = next_inside;
    }
    at[n]
}

/// Adds the states reachable without reading a character: stars and `**` may match nothing.
fn close(tokens: &[Token], at: &mut [bool]) {
    for idx in 0..tokens.len() {
        if at[idx] && matches!(tokens[idx], Token::Star | Token::Anything | Token::DirectoryRun) {
            at[idx + 1] = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn ignore(text: &str) -> (DockerIgnore, Vec<ProjectProblem>) {
        parse_dockerignore(SourceFile { path: PathBuf::from(".dockerignore"), text: text.into() })
    }

    /// `(patterns, path, excluded)`. Patterns are joined with newlines into one file. The cases
    /// follow moby/patternmatcher's tests and the `MatchesOrParentMatches` semantics BuildKit uses.
    const CASES: &[(&str, &str, bool)] = &[
        // Plain names are anchored at the context root.
        ("foo", "foo", true),
        ("foo", "foo/bar", true),
        ("foo", "foo/bar/baz.txt", true),
        ("foo", "bar/foo", false),
        ("foo", "foobar", false),
        ("foo/bar", "foo/bar/baz", true),
        ("foo/bar", "foo", false),
        // Leading `/`, `./` and trailing `/` are cleaned away; `..` is resolved.
        ("/foo", "foo", true),
        ("./foo", "foo/x", true),
        ("foo/", "foo/x", true),
        ("a/../b", "b", true),
        ("a/../b", "a", false),
        // `*` and `?` never cross `/`.
        ("*", "foo", true),
        ("*", "foo/bar", true),
        ("*.py", "app.py", true),
        ("*.py", "src/app.py", false),
        ("*/*.py", "src/app.py", true),
        ("*/*.py", "a/b/app.py", false),
        ("fo?", "foo", true),
        ("fo?", "fo/", false),
        ("f?o", "f/o", false),
        ("*", ".venv/bin/python", true),
        // `**` spans any number of folders, including none.
        ("**/*.pyc", "a.pyc", true),
        ("**/*.pyc", "src/pkg/a.pyc", true),
        ("**/__pycache__", "__pycache__", true),
        ("**/__pycache__", "src/pkg/__pycache__/x.pyc", true),
        ("**", "anything/at/all", true),
        ("a/**/b", "a/b", true),
        ("a/**/b", "a/x/y/b", true),
        ("a/**/b", "a/xb", false),
        ("a/**", "a/b/c", true),
        ("a/**", "a", false),
        ("a/**", "ab", false),
        ("foo**", "foobar/x", true),
        ("*.py**", "a.pyc/x", true),
        ("**/.git", "sub/.git/HEAD", true),
        ("**/.git", "sub/x.git", false),
        // patternmatcher's suffix shortcut: `**foo` is a plain "ends with".
        ("**foo", "barfoo", true),
        ("**/*.md", "docs/x/readme.md", true),
        ("dir/**/*.txt", "dir/a.txt", true),
        ("dir/**/*.txt", "dir/a/b/c.txt", true),
        ("dir/**/*.txt", "other/a.txt", false),
        // Classes and escapes.
        ("[a-c].txt", "b.txt", true),
        ("[a-c].txt", "d.txt", false),
        ("[^a-c].txt", "d.txt", true),
        ("[^a-c].txt", "a.txt", false),
        ("file\\*", "file*", true),
        ("file\\*", "filex", false),
        ("a\\?b", "a?b", true),
        // Regex characters are literal.
        ("a.b", "a.b", true),
        ("a.b", "axb", false),
        ("(x)+", "(x)+", true),
        ("a^b", "a^b", true),
        // The last matching pattern wins; `!` re-includes.
        ("*.md\n!README.md", "README.md", false),
        ("*.md\n!README.md", "CHANGES.md", true),
        ("!README.md\n*.md", "README.md", true),
        ("docs\n!docs/keep", "docs/keep/a.txt", false),
        ("docs\n!docs/keep", "docs/other.txt", true),
        ("docs\n!docs/keep\ndocs/keep/secret", "docs/keep/secret", true),
        ("*\n!src\n!pyproject.toml\n!uv.lock", "uv.lock", false),
        ("*\n!src\n!pyproject.toml\n!uv.lock", ".venv/bin/python", true),
        ("*\n!src\n!pyproject.toml\n!uv.lock", "src/app/main.py", false),
        ("*\n!src\n!pyproject.toml\n!uv.lock", ".python-version", true),
        ("! /inverted/path\ninverted", "inverted/path", true),
        ("inverted\n! /inverted/path", "inverted/path", false),
        // Comments only at column 0; whitespace trimmed otherwise.
        ("# foo\nbar", "# foo", false),
        ("  # foo", "# foo", true),
        ("   spaced   ", "spaced", true),
        ("\u{feff}bom", "bom", true),
        ("foo\r\nbar\r\n", "bar", true),
        // The context root is never excluded.
        ("*", ".", false),
        ("*", "/", false),
    ];

    #[test]
    fn docker_matching_table() {
        let mut failures = Vec::new();
        for &(patterns, path, expected) in CASES {
            let (ignore, problems) = ignore(patterns);
            assert!(problems.is_empty(), "{patterns:?}: {problems:?}");
            if ignore.is_excluded(path) != expected {
                failures.push(format!("patterns {patterns:?} path {path:?}: expected excluded={expected}"));
            }
        }
        assert!(CASES.len() >= 40);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn query_paths_are_normalised() {
        let (ignore, _) = ignore(".venv\n");
        for path in [".venv", "./.venv", ".venv/", "/.venv", ".venv/bin/../lib", "x/../.venv"] {
            assert!(ignore.is_excluded(path), "{path}");
        }
        assert!(!ignore.is_excluded("./src/.venv"));
    }

    #[test]
    fn matching_pattern_reports_the_deciding_line() {
        let text = "*.md\n!README*\n";
        let (ignore, _) = ignore(text);
        let pattern = ignore.matching_pattern("README.md").expect("a pattern");
        assert!(pattern.negated);
        assert_eq!(pattern.pattern, "README*");
        assert_eq!(&text[pattern.text.range.as_range()], "!README*");
        assert!(ignore.matching_pattern("src/x.py").is_none());
    }

    #[test]
    fn patterns_keep_spans_and_cleaned_text() {
        let text = "# comment\n  /foo/./bar/  \n!  ./keep\n";
        let (ignore, problems) = ignore(text);
        assert!(problems.is_empty());
        let rendered: Vec<String> = ignore
            .patterns
            .iter()
            .map(|p| format!("{:?} negated={} pattern={:?} at {:?}", p.text.value, p.negated, p.pattern, p.text.range))
            .collect();
        expect_test::expect![[r#"
            "/foo/./bar/" negated=false pattern="foo/bar" at TextRange { start: 12, end: 23 }
            "!  ./keep" negated=true pattern="keep" at TextRange { start: 26, end: 35 }"#]]
        .assert_eq(&rendered.join("\n"));
    }

    #[test]
    fn invalid_patterns_are_reported_and_skipped() {
        let text = "ok\n!\n[abc\n[]\n[z-a]\ntrailing\\\n";
        let (ignore, problems) = ignore(text);
        let kept: Vec<&str> = ignore.patterns.iter().map(|p| p.pattern.as_str()).collect();
        assert_eq!(kept, ["ok"]);
        let rendered: Vec<String> =
            problems.iter().map(|p| format!("{}: {}", &text[p.range.as_range()], p.message)).collect();
        expect_test::expect![[r#"
            !: a lone `!` is not a valid .dockerignore pattern; docker build fails on it
            [abc: invalid .dockerignore pattern (a `[` is never closed); docker build fails on it
            []: invalid .dockerignore pattern (a character class has an empty or misplaced item); docker build fails on it
            [z-a]: invalid .dockerignore pattern (the range `z-a` is reversed); docker build fails on it
            trailing\: invalid .dockerignore pattern (it ends with a lone `\`); docker build fails on it"#]]
        .assert_eq(&rendered.join("\n"));
    }

    #[test]
    fn clean_path_follows_go() {
        let cases = [
            ("", "."),
            ("/", "/"),
            ("a//b", "a/b"),
            ("./a/./b/", "a/b"),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("../../a/../b", "../../b"),
        ];
        for (input, expected) in cases {
            assert_eq!(clean_path(input), expected, "{input:?}");
        }
    }

    #[test]
    fn many_stars_stay_fast() {
        let (ignore, _) = ignore(&format!("{}b\n", "*a".repeat(30)));
        let path = "a".repeat(5000);
        assert!(!ignore.is_excluded(&path));
    }
}
