//! pyproject.toml reading: the subset of `[project]`, `[dependency-groups]`, `[build-system]` and
//! `[tool.uv]` that rules use, with spans, recovered from broken files as far as toml allows.
//!
//! Spans of values cover the TOML value as written, quotes included, so a fix can replace it.
//! Spans of `[dependency-groups]` names cover the key.

use std::str::FromStr;

use toml::de::{DeTable, DeValue};

use crate::config::TomlReader;
use crate::text::{Spanned, TextRange};

use super::{ProjectProblem, Pyproject, SourceFile, ToolUv};

const PYTHON_DOWNLOADS: [&str; 3] = ["automatic", "manual", "never"];
const PYTHON_PREFERENCES: [&str; 4] = ["only-managed", "managed", "system", "only-system"];

impl Pyproject {
    /// True when this file declares a uv workspace (`[tool.uv.workspace]`).
    pub fn is_workspace_root(&self) -> bool {
        self.tool_uv.as_ref().is_some_and(|tool_uv| tool_uv.workspace_members.is_some())
    }

    /// True when uv installs the project itself into the environment: `tool.uv.package = true`,
    /// or a `[build-system]` without `tool.uv.package = false`.
    pub fn is_packaged(&self) -> bool {
        match self.tool_uv.as_ref().and_then(|tool_uv| tool_uv.package.as_ref()) {
            Some(package) => package.value,
            None => self.has_build_system,
        }
    }

    /// The names of all dependency groups, including the legacy `tool.uv.dev-dependencies`
    /// (which uv treats as part of the `dev` group).
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        let legacy_dev = self.tool_uv.as_ref().is_some_and(|tool_uv| !tool_uv.dev_dependencies.is_empty());
        let has_dev = self.dependency_groups.iter().any(|group| group.value == "dev");
        let extra = (legacy_dev && !has_dev).then_some("dev");
        self.dependency_groups.iter().map(|group| group.value.as_str()).chain(extra)
    }
}

/// Parses pyproject.toml text. Never fails: syntax errors and values of the wrong type become
/// problems, and everything the parser could recover is still extracted.
pub fn parse_pyproject(file: SourceFile) -> (Pyproject, Vec<ProjectProblem>) {
    let mut cx = TomlReader::new(&file.text);
    let (first_document, errors) = DeTable::parse_recoverable(&file.text);
    // One syntax error usually drags a cascade of follow-up errors behind it (a missing `]`
    // makes every later line "wrong"), so only the first is reported, with a count of the rest.
    if let Some(first) = errors.iter().min_by_key(|error| error.span().map_or(0, |span| span.start)) {
        let range = first.span().map_or(TextRange::empty(0), |span| cx.range(span));
        let message = match errors.len() {
            1 => format!("TOML syntax error: {}", first.message()),
            n => {
                format!("TOML syntax error: {} ({} more reported after it; fix this one first)", first.message(), n - 1)
            }
        };
        cx.report(range, message);
    }
    let patched = patch_out_error_lines(&file.text, &errors);
    let reparsed = patched.as_deref().map(|text| DeTable::parse_recoverable(text).0);
    let root = reparsed.as_ref().unwrap_or(&first_document).get_ref();

    let mut pyproject = Pyproject {
        file: file.clone(),
        name: None,
        requires_python: None,
        requires_python_specifiers: None,
        dependencies: Vec::new(),
        dependency_groups: Vec::new(),
        has_build_system: false,
        tool_uv: None,
    };

    if let Some(project) = cx.table(root, "project", "project") {
        pyproject.name = project.get("name").and_then(|value| cx.string(value, "project.name"));
        if let Some(value) = project.get("requires-python") {
            pyproject.requires_python = cx.string(value, "project.requires-python");
        }
        if let Some(requires_python) = &pyproject.requires_python {
            match pep440_rs::VersionSpecifiers::from_str(&requires_python.value) {
                Ok(specifiers) => pyproject.requires_python_specifiers = Some(specifiers),
                Err(err) => cx.report(
                    requires_python.range,
                    format!("invalid `requires-python`: {}", first_line_of_pep440_error(&err.to_string())),
                ),
            }
        }
        if let Some(value) = project.get("dependencies") {
            pyproject.dependencies = cx.string_list(value, "project.dependencies");
        }
    }

    if let Some(groups) = cx.table(root, "dependency-groups", "dependency-groups") {
        let mut names = Vec::new();
        for (key, value) in groups.iter() {
            let path = format!("dependency-groups.{}", key.get_ref());
            if !matches!(value.get_ref(), DeValue::Array(_)) {
                cx.report(
                    cx.range(value.span()),
                    format!("`{path}` must be an array, found {}", value.get_ref().type_str()),
                );
            }
            names.push(Spanned::new(key.get_ref().to_string(), cx.range(key.span())));
        }
        // toml keeps keys sorted by name; rules want them in file order.
        names.sort_by_key(|name| name.range.start);
        pyproject.dependency_groups = names;
    }

    pyproject.has_build_system = cx.table(root, "build-system", "build-system").is_some();

    let tool = cx.table(root, "tool", "tool");
    if let Some((key, value)) = tool.and_then(|tool| tool.get_key_value("uv"))
        && let Some(uv) = cx.as_table(value, "tool.uv")
    {
        let value_range = cx.range(value.span());
        // An implicit table (only `[tool.uv.workspace]` written) may have no span of its own.
        let range = match value_range.is_empty() {
            true => cx.range(key.span()),
            false => value_range,
        };
        pyproject.tool_uv = Some(parse_tool_uv(&mut cx, uv, range));
    }

    let mut problems: Vec<ProjectProblem> =
        cx.problems.into_iter().map(|(range, message)| ProjectProblem { file: file.clone(), range, message }).collect();
    problems.sort_by_key(|problem| problem.range.start);
    (pyproject, problems)
}

/// A copy of `text` that parses better, when `text` has syntax errors.
///
/// toml's recovery is best effort: after a line it cannot parse it may drop every table that
/// follows. So each line holding an error is blanked out with spaces (which keeps all byte
/// offsets) and the text is parsed again, a few rounds at most, until it parses cleanly. Only the
/// first round's errors are reported: later rounds could report artifacts of the blanking, such
/// as a key landing in the previous table when a broken table header was blanked.
fn patch_out_error_lines(text: &str, errors: &[toml::de::Error]) -> Option<String> {
    const MAX_ROUNDS: usize = 8;
    const MAX_SYNTAX_ERRORS: usize = 50;
    // A file with very many errors is not TOML at all; more rounds would only cost time.
    if errors.is_empty() || errors.len() > MAX_SYNTAX_ERRORS {
        return None;
    }
    let mut patched = text.to_owned();
    let mut errors = errors.to_vec();
    for _ in 0..MAX_ROUNDS {
        let mut offsets: Vec<usize> = errors.iter().filter_map(|error| error.span()).map(|span| span.start).collect();
        offsets.sort_unstable();
        // Several errors on one long line must not rescan it each time.
        let mut blanked_any = false;
        let mut line_end = None;
        for offset in offsets {
            if line_end.is_some_and(|end| offset <= end) {
                continue;
            }
            let (changed, end) = blank_line_at(&mut patched, offset);
            blanked_any |= changed;
            line_end = Some(end);
        }
        if !blanked_any {
            break;
        }
        errors = DeTable::parse_recoverable(&patched).1;
        if errors.is_empty() {
            break;
        }
    }
    Some(patched)
}

/// Replaces the bytes of the line containing `offset` with spaces; a line ending right at
/// `offset` counts as containing it (errors at a missing closing quote point at the newline).
/// Returns whether anything changed (false when the line is already blank) and where the line ends.
fn blank_line_at(text: &mut String, offset: usize) -> (bool, usize) {
    let offset = offset.min(text.len());
    let bytes = text.as_bytes();
    let start = bytes[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |idx| idx + 1);
    let end = bytes[offset..].iter().position(|&b| b == b'\n' || b == b'\r').map_or(bytes.len(), |idx| offset + idx);
    if bytes[start..end].iter().all(|&b| b == b' ') {
        return (false, end);
    }
    // Every byte of the line becomes a space, so the text stays valid UTF-8 and offsets hold.
    let blank = " ".repeat(end - start);
    text.replace_range(start..end, &blank);
    (true, end)
}

fn parse_tool_uv(cx: &mut TomlReader, uv: &DeTable<'_>, range: TextRange) -> ToolUv {
    let mut tool_uv = ToolUv { range, ..ToolUv::default() };
    if let Some(workspace) = cx.table(uv, "workspace", "tool.uv.workspace") {
        let members = match workspace.get("members") {
            Some(value) => cx.string_list(value, "tool.uv.workspace.members"),
            None => Vec::new(),
        };
        tool_uv.workspace_members = Some(members);
        if let Some(value) = workspace.get("exclude") {
            tool_uv.workspace_exclude = cx.string_list(value, "tool.uv.workspace.exclude");
        }
    }
    if let Some(value) = uv.get("dev-dependencies") {
        tool_uv.dev_dependencies = cx.string_list(value, "tool.uv.dev-dependencies");
    }
    if let Some(value) = uv.get("package") {
        tool_uv.package = cx.bool(value, "tool.uv.package");
    }
    if let Some(value) = uv.get("default-groups") {
        tool_uv.default_groups = match value.get_ref() {
            DeValue::String(s) if s == "all" => Some(vec![Spanned::new("all".to_owned(), cx.range(value.span()))]),
            DeValue::String(_) => {
                cx.report(
                    cx.range(value.span()),
                    "`tool.uv.default-groups` must be a list of group names or \"all\"".to_owned(),
                );
                None
            }
            _ => Some(cx.string_list(value, "tool.uv.default-groups")),
        };
    }
    if let Some(value) = uv.get("python-downloads") {
        tool_uv.python_downloads = cx.string(value, "tool.uv.python-downloads");
        if let Some(downloads) = &tool_uv.python_downloads {
            cx.check_choice(downloads, "tool.uv.python-downloads", &PYTHON_DOWNLOADS);
        }
    }
    if let Some(value) = uv.get("python-preference") {
        tool_uv.python_preference = cx.string(value, "tool.uv.python-preference");
        if let Some(preference) = &tool_uv.python_preference {
            cx.check_choice(preference, "tool.uv.python-preference", &PYTHON_PREFERENCES);
        }
    }
    tool_uv
}

/// pep440_rs renders errors as a message line followed by the input and a caret line.
fn first_line_of_pep440_error(rendered: &str) -> &str {
    let line = rendered.lines().next().unwrap_or(rendered);
    let line = line.strip_prefix("Failed to parse version: ").unwrap_or(line);
    line.strip_suffix(':').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use expect_test::{Expect, expect};

    use super::*;
    use crate::text::{LineIndex, PositionEncoding};

    fn parse(text: &str) -> (Pyproject, Vec<ProjectProblem>) {
        parse_pyproject(SourceFile { path: PathBuf::from("pyproject.toml"), text: text.into() })
    }

    #[track_caller]
    fn check_problems(text: &str, expect: Expect) {
        let (_, problems) = parse(text);
        let index = LineIndex::new(text);
        let rendered: Vec<String> = problems
            .iter()
            .map(|p| {
                let at = index.line_col(text, p.range.start, PositionEncoding::Utf8);
                format!("{}:{} {:?}: {}", at.line + 1, at.col + 1, &text[p.range.as_range()], p.message)
            })
            .collect();
        expect.assert_eq(&rendered.join("\n"));
    }

    #[test]
    fn requires_python_of_the_wrong_type() {
        let text = "[project]\nrequires-python = 3.12\n";
        let (pyproject, _) = parse(text);
        assert_eq!(pyproject.requires_python, None);
        check_problems(text, expect![[r#"2:19 "3.12": `project.requires-python` must be a string, found float"#]]);
    }

    #[test]
    fn invalid_requires_python_keeps_the_text() {
        let text = "[project]\nrequires-python = \">=3.12,\"\n";
        let (pyproject, _) = parse(text);
        assert_eq!(pyproject.requires_python.map(|r| r.value).as_deref(), Some(">=3.12,"));
        assert!(pyproject.requires_python_specifiers.is_none());
        check_problems(
            text,
            expect![[
                r#"2:19 "\">=3.12,\"": invalid `requires-python`: Unexpected end of version specifier, expected operator"#
            ]],
        );
    }

    #[test]
    fn tables_of_the_wrong_type() {
        check_problems(
            "project = 1\ntool = { uv = \"x\" }\nbuild-system = []\n",
            expect![[r#"
                1:11 "1": `project` must be a table, found integer
                2:15 "\"x\"": `tool.uv` must be a table, found string
                3:16 "[]": `build-system` must be a table, found array"#]],
        );
    }

    #[test]
    fn empty_and_non_toml_text() {
        let (pyproject, problems) = parse("");
        assert!(problems.is_empty());
        assert!(pyproject.name.is_none() && pyproject.tool_uv.is_none());
        let (_, problems) = parse("\u{0}\u{fffd}garbage");
        assert!(!problems.is_empty());
    }

    #[test]
    fn default_groups_all_and_packaging() {
        let text = "[build-system]\nrequires = []\n[tool.uv]\ndefault-groups = \"all\"\n[tool.uv.workspace]\n";
        let (pyproject, problems) = parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        let tool_uv = pyproject.tool_uv.as_ref().expect("tool.uv");
        let groups: Vec<&str> = tool_uv.default_groups.iter().flatten().map(|group| group.value.as_str()).collect();
        assert_eq!(groups, ["all"]);
        assert_eq!(tool_uv.workspace_members.as_deref(), Some(&[][..]));
        assert!(pyproject.is_workspace_root());
        assert!(pyproject.is_packaged());
        let (pyproject, _) = parse("[build-system]\n[tool.uv]\npackage = false\n");
        assert!(!pyproject.is_packaged());
        let (pyproject, _) = parse("[project]\nname = \"x\"\n");
        assert!(!pyproject.is_packaged());
    }

    #[test]
    fn group_names_include_legacy_dev_dependencies() {
        let (pyproject, _) =
            parse("[dependency-groups]\nzeta = []\nalpha = []\n[tool.uv]\ndev-dependencies = [\"pytest\"]\n");
        assert_eq!(pyproject.group_names().collect::<Vec<_>>(), ["zeta", "alpha", "dev"]);
        let (pyproject, _) = parse("[dependency-groups]\ndev = []\n[tool.uv]\ndev-dependencies = [\"pytest\"]\n");
        assert_eq!(pyproject.group_names().collect::<Vec<_>>(), ["dev"]);
    }

    #[test]
    fn dotted_keys_are_read() {
        let text = "tool.uv.package = true\nproject.name = \"dotted\"\n";
        let (pyproject, problems) = parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(pyproject.name.map(|n| n.value).as_deref(), Some("dotted"));
        assert_eq!(pyproject.tool_uv.and_then(|t| t.package).map(|p| p.value), Some(true));
    }

    #[test]
    fn broken_header_does_not_lose_later_tables() {
        let text = "[project\nname = \"x\"\n[tool.uv]\npython-preference = \"managed\"\n";
        let (pyproject, problems) = parse(text);
        assert_eq!(problems.len(), 1, "{problems:?}");
        let preference = pyproject.tool_uv.and_then(|t| t.python_preference).map(|p| p.value);
        assert_eq!(preference.as_deref(), Some("managed"));
    }

    #[test]
    fn blanking_keeps_offsets() {
        let mut text = "a = 1\nb = \"é\n\r\nc = 3".to_owned();
        let len = text.len();
        assert_eq!(blank_line_at(&mut text, 7), (true, 13));
        assert_eq!(text, "a = 1\n       \n\r\nc = 3");
        assert_eq!(text.len(), len);
        assert_eq!(blank_line_at(&mut text, 7), (false, 13));
        assert_eq!(blank_line_at(&mut text, len), (true, len));
        assert!(text.ends_with("\n     "));
    }
}
