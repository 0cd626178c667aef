//! Suppression comments: berth's own `# berth: ignore=` / `# berth: ignore-file=`, and the
//! comments of the tools berth's rules correspond to, hadolint's `# hadolint ignore=` /
//! `# hadolint global ignore=` and BuildKit's `# check=skip=` parser directive.
//!
//! Suppressions are applied by analysis after every rule has run, so rules never see them. Only
//! berth's own comments are checked: an unknown code there is `DF013 unknown-suppression-code`, a
//! code with nothing to suppress is `DF014 unused-suppression`. Other tools' codes are their
//! business; a hadolint code berth has no counterpart for is simply not berth's to judge.

use std::collections::HashMap;

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Tag};
use crate::rules::{DiagnosticExt, Rule, UNKNOWN_SUPPRESSION_CODE, UNUSED_SUPPRESSION};
use crate::syntax::Parse;
use crate::text::{Spanned, TextRange};

/// Which tool's syntax a suppression is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `# berth: ignore=CODE` / `# berth: ignore-file=CODE`; codes or names of berth rules.
    Berth,
    /// `# hadolint ignore=DL3008` / `# hadolint global ignore=DL3008`; hadolint codes.
    Hadolint,
    /// `# check=skip=Name` (a parser directive); BuildKit check names, or `all`.
    BuildKit,
}

/// What a suppression covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The instruction with this index (continuation lines and heredoc bodies included).
    Instruction(usize),
    /// The instruction after the comment does not exist: nothing.
    Nothing,
    /// The whole file.
    File,
}

/// One suppression comment.
#[derive(Clone, Debug)]
pub struct Suppression {
    pub source: Source,
    pub scope: Scope,
    /// From `#` to the end of the comment line.
    pub comment: TextRange,
    pub codes: Vec<SuppressedCode>,
}

/// One code of a suppression comment, as written, with what it stands for.
#[derive(Clone, Debug)]
pub struct SuppressedCode {
    pub text: Spanned<String>,
    pub target: Target,
}

#[derive(Clone, Debug)]
pub enum Target {
    /// A berth rule (by code or name).
    Rule(&'static Rule),
    /// Every berth rule that corresponds to this hadolint code.
    Hadolint(String),
    /// Every berth rule that corresponds to this BuildKit check.
    BuildKit(String),
    /// `skip=all`: every berth rule with a BuildKit counterpart.
    AllBuildKit,
    /// Not a berth rule (reported for `# berth:` comments only).
    Unknown,
}

impl Target {
    fn matches(&self, rule: Option<&Rule>) -> bool {
        let Some(rule) = rule else { return false };
        match self {
            Target::Rule(target) => target.code == rule.code,
            Target::Hadolint(code) => rule.hadolint_codes().any(|it| it.eq_ignore_ascii_case(code)),
            Target::BuildKit(name) => rule.buildkit.is_some_and(|it| it.eq_ignore_ascii_case(name)),
            Target::AllBuildKit => rule.buildkit.is_some(),
            Target::Unknown => false,
        }
    }
}

impl Suppression {
    fn covers(&self, parse: &Parse, range: TextRange) -> bool {
        match self.scope {
            Scope::File => true,
            Scope::Nothing => false,
            Scope::Instruction(idx) => parse
                .file
                .instructions
                .get(idx)
                .is_some_and(|it| range.start >= it.range.start && range.start <= it.range.end),
        }
    }
}

/// Every suppression in the file, in source order, plus hints about `# berth:` comments berth
/// cannot read.
pub fn collect(text: &str, parse: &Parse) -> (Vec<Suppression>, Vec<Diagnostic>) {
    let mut suppressions = Vec::new();
    let mut problems = Vec::new();
    for directive in &parse.file.directives {
        if !directive.name.value.eq_ignore_ascii_case("check") {
            continue;
        }
        if let Some(suppression) = buildkit_suppression(text, directive.value.range, directive.range) {
            suppressions.push(suppression);
        }
    }
    for comment in &parse.file.comments {
        let Some(line) = text.get(comment.range.as_range()) else { continue };
        let parsed = match parse_comment(line, comment.range.start) {
            Some(Ok(parsed)) => parsed,
            Some(Err(problem)) => {
                problems.push(problem);
                continue;
            }
            None => continue,
        };
        let (source, file_wide, codes) = parsed;
        // Instructions are in source order: the first after the comment is found by bisection
        // (a file with a suppression on every instruction stays linear).
        let instructions = &parse.file.instructions;
        let next = instructions.partition_point(|it| it.range.start < comment.range.end);
        let scope = match file_wide {
            true => Scope::File,
            false if next < instructions.len() => Scope::Instruction(next),
            false => Scope::Nothing,
        };
        let codes = codes
            .into_iter()
            .map(|text| {
                let target = match source {
                    Source::Berth => crate::rules::find(&text.value).map_or(Target::Unknown, Target::Rule),
                    Source::Hadolint => Target::Hadolint(text.value.clone()),
                    Source::BuildKit => Target::BuildKit(text.value.clone()),
                };
                SuppressedCode { text, target }
            })
            .collect();
        suppressions.push(Suppression { source, scope, comment: comment.range, codes });
    }
    (suppressions, problems)
}

/// Removes suppressed findings from `diagnostics` and adds the hints about berth's own
/// suppression comments (unknown codes, unused suppressions).
pub fn apply(text: &str, parse: &Parse, diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    let (suppressions, mut meta) = collect(text, parse);
    if suppressions.is_empty() && meta.is_empty() {
        return diagnostics;
    }
    let mut used: Vec<Vec<bool>> = suppressions.iter().map(|it| vec![false; it.codes.len()]).collect();
    let by_code: HashMap<&str, &Rule> = crate::rules::all().map(|rule| (rule.code, rule)).collect();
    let mut kept = Vec::with_capacity(diagnostics.len());
    for diagnostic in diagnostics {
        let rule = by_code.get(diagnostic.code).copied();
        let mut suppressed = false;
        for (suppression, used) in suppressions.iter().zip(&mut used) {
            if !suppression.covers(parse, diagnostic.range) {
                continue;
            }
            // Every matching code counts as used, so two comments naming one finding are both
            // in use rather than one of them flagged.
            for (code, used) in suppression.codes.iter().zip(used.iter_mut()) {
                if code.target.matches(rule) {
                    *used = true;
                    suppressed = true;
                }
            }
        }
        if !suppressed {
            kept.push(diagnostic);
        }
    }

    for (suppression, used) in suppressions.iter().zip(&used) {
        if suppression.source != Source::Berth {
            continue;
        }
        for code in &suppression.codes {
            if matches!(code.target, Target::Unknown) {
                meta.push(unknown_code(&code.text));
            }
        }
        let known: Vec<usize> = (0..suppression.codes.len())
            .filter(|idx| !matches!(suppression.codes[*idx].target, Target::Unknown))
            .collect();
        let unused: Vec<usize> = known.iter().copied().filter(|idx| !used[*idx]).collect();
        if unused.is_empty() {
            continue;
        }
        if unused.len() == suppression.codes.len() {
            meta.push(unused_comment(text, suppression));
            continue;
        }
        for idx in unused {
            meta.push(unused_code(text, suppression, idx));
        }
    }

    // The hints obey file-wide `# berth: ignore-file=` like any finding (not counted as use).
    meta.retain(|diagnostic| {
        let rule = by_code.get(diagnostic.code).copied();
        !suppressions.iter().any(|it| {
            it.source == Source::Berth
                && it.scope == Scope::File
                && it.codes.iter().any(|code| code.target.matches(rule))
        })
    });
    kept.extend(meta);
    kept
}

type ParsedComment = (Source, bool, Vec<Spanned<String>>);

/// Reads one comment line (`#` included, starting at `offset` in the file). `None` when it is
/// not a suppression; `Err` for a `# berth: ignore…` comment berth cannot read.
fn parse_comment(line: &str, offset: usize) -> Option<Result<ParsedComment, Diagnostic>> {
    let body = line.strip_prefix('#')?;
    let mut cursor = Cursor { text: body, pos: 0, offset: offset + 1 };
    cursor.skip_spaces();
    if cursor.eat_word_ci("berth:") {
        cursor.skip_spaces();
        let start = cursor.pos;
        let word = cursor.take_while(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        // Other `# berth: ...` notes are prose, not suppressions; a near miss is a typo.
        let lower = word.to_ascii_lowercase();
        if !lower.starts_with("ignore") && crate::config::closest(&lower, ["ignore", "ignore-file"]).is_none() {
            return None;
        }
        let file_wide = match word.to_ascii_lowercase().as_str() {
            "ignore" => false,
            "ignore-file" => true,
            _ => {
                let range = cursor.range(start, cursor.pos);
                return Some(Err(UNKNOWN_SUPPRESSION_CODE.report(
                    range,
                    format!("`{word}` is not a berth suppression; write `# berth: ignore=CODE` or `# berth: ignore-file=CODE`"),
                )));
            }
        };
        cursor.skip_spaces();
        if !cursor.eat('=') {
            let range = cursor.range(start, cursor.pos);
            return Some(Err(UNKNOWN_SUPPRESSION_CODE.report(
                range,
                format!("`# berth: {word}` needs the codes to suppress: `# berth: {word}=CODE[,CODE]`"),
            )));
        }
        let codes = cursor.codes();
        if codes.is_empty() {
            let range = cursor.range(start, cursor.pos);
            return Some(Err(UNKNOWN_SUPPRESSION_CODE
                .report(range, format!("`# berth: {word}=` names no code; write `# berth: {word}=CODE[,CODE]`"))));
        }
        return Some(Ok((Source::Berth, file_wide, codes)));
    }
    if cursor.eat_word_ci("hadolint") {
        cursor.skip_spaces();
        let file_wide = cursor.eat_word_ci("global");
        cursor.skip_spaces();
        if !cursor.eat_word_ci("ignore") {
            return None;
        }
        cursor.skip_spaces();
        if !cursor.eat('=') {
            return None;
        }
        return Some(Ok((Source::Hadolint, file_wide, cursor.codes())));
    }
    None
}

/// `# check=skip=A,B;error=true`: the `skip` part as a file-wide suppression.
fn buildkit_suppression(text: &str, value: TextRange, line: TextRange) -> Option<Suppression> {
    let value_text = text.get(value.as_range())?;
    let mut part_start = 0;
    for part in value_text.split(';') {
        let start = part_start;
        part_start += part.len() + 1;
        let mut cursor = Cursor { text: part, pos: 0, offset: value.start + start };
        cursor.skip_spaces();
        if !cursor.eat_word_ci("skip") {
            continue;
        }
        cursor.skip_spaces();
        if !cursor.eat('=') {
            continue;
        }
        let codes = cursor
            .codes()
            .into_iter()
            .map(|text| {
                let target = match text.value.eq_ignore_ascii_case("all") {
                    true => Target::AllBuildKit,
                    false => Target::BuildKit(text.value.clone()),
                };
                SuppressedCode { text, target }
            })
            .collect();
        return Some(Suppression { source: Source::BuildKit, scope: Scope::File, comment: line, codes });
    }
    None
}

struct Cursor<'a> {
    text: &'a str,
    pos: usize,
    /// File offset of `text[0]`.
    offset: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }

    fn skip_spaces(&mut self) {
        self.take_while(|c| c == ' ' || c == '\t');
    }

    fn take_while(&mut self, pred: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        let len = self.rest().find(|c: char| !pred(c)).unwrap_or(self.rest().len());
        self.pos += len;
        &self.text[start..self.pos]
    }

    fn eat(&mut self, c: char) -> bool {
        match self.rest().starts_with(c) {
            true => {
                self.pos += c.len_utf8();
                true
            }
            false => false,
        }
    }

    /// Eats `word` (ASCII case ignored) when it is next and is not the start of a longer word.
    fn eat_word_ci(&mut self, word: &str) -> bool {
        let rest = self.rest();
        let Some(head) = rest.get(..word.len()) else { return false };
        if !head.eq_ignore_ascii_case(word) {
            return false;
        }
        let next = rest[word.len()..].chars().next();
        if word.ends_with(|c: char| c.is_ascii_alphanumeric())
            && next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return false;
        }
        self.pos += word.len();
        true
    }

    fn range(&self, start: usize, end: usize) -> TextRange {
        TextRange::new(self.offset + start, self.offset + end)
    }

    /// Comma-separated codes (spaces allowed around commas). Stops at the first word that does
    /// not follow a comma, so a reason may follow the list: `# berth: ignore=UV001 base image`.
    fn codes(&mut self) -> Vec<Spanned<String>> {
        let mut codes = Vec::new();
        loop {
            self.skip_spaces();
            let start = self.pos;
            let code = self.take_while(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_').to_owned();
            if !code.is_empty() {
                codes.push(Spanned::new(code, self.range(start, self.pos)));
            }
            self.skip_spaces();
            if !self.eat(',') {
                return codes;
            }
        }
    }
}

fn unknown_code(code: &Spanned<String>) -> Diagnostic {
    let hint = match crate::rules::closest(&code.value) {
        Some(rule) => format!("; did you mean `{}` ({})?", rule.code, rule.name),
        None => String::new(),
    };
    UNKNOWN_SUPPRESSION_CODE.report(code.range, format!("`{}` is not a berth rule code or name{hint}", code.value))
}

fn unused_comment(text: &str, suppression: &Suppression) -> Diagnostic {
    let names: Vec<&str> = suppression.codes.iter().map(|it| it.text.value.as_str()).collect();
    let place = match suppression.scope {
        Scope::File => "in this file",
        _ => "on the next instruction",
    };
    let message = match names.len() {
        1 => format!("this suppression is unused: no `{}` finding {place}", names[0]),
        _ => format!("this suppression is unused: no finding {place} for {}", names.join(", ")),
    };
    let line = line_with_break(text, suppression.comment);
    UNUSED_SUPPRESSION.report(suppression.comment, message).with_tag(Tag::Unnecessary).with_fix(Fix {
        title: "Remove the unused suppression".to_owned(),
        applicability: Applicability::Safe,
        edits: vec![Edit { path: None, range: line, new_text: String::new() }],
    })
}

fn unused_code(text: &str, suppression: &Suppression, idx: usize) -> Diagnostic {
    let code = &suppression.codes[idx].text;
    let place = match suppression.scope {
        Scope::File => "in this file",
        _ => "on the next instruction",
    };
    // Remove the code with the comma after it, or, for the last code, the comma before it.
    let range = match suppression.codes.get(idx + 1) {
        Some(next) => TextRange::new(code.range.start, next.text.range.start),
        None => {
            let before = &text[..code.range.start];
            let comma = before.trim_end_matches([' ', '\t']);
            let start = comma.strip_suffix(',').map_or(code.range.start, str::len);
            TextRange::new(start, code.range.end)
        }
    };
    UNUSED_SUPPRESSION
        .report(code.range, format!("`{}` is suppressed here but has no finding {place}", code.value))
        .with_tag(Tag::Unnecessary)
        .with_fix(Fix {
            title: format!("Remove `{}` from the suppression", code.value),
            applicability: Applicability::Safe,
            edits: vec![Edit { path: None, range, new_text: String::new() }],
        })
}

/// The comment's whole line with its line break (or the break before it on the last line).
fn line_with_break(text: &str, comment: TextRange) -> TextRange {
    let start = text[..comment.start].rfind(['\n', '\r']).map_or(0, |idx| idx + 1);
    let rest = &text[comment.end..];
    let end = match rest.as_bytes() {
        [b'\r', b'\n', ..] => comment.end + 2,
        [b'\n' | b'\r', ..] => comment.end + 1,
        _ => comment.end,
    };
    if end == comment.end && start > 0 {
        // Last line without a break: take the break before it instead.
        let before = &text[..start];
        let break_start =
            before.strip_suffix("\r\n").or_else(|| before.strip_suffix(['\n', '\r'])).map_or(start, str::len);
        return TextRange::new(break_start, end);
    }
    TextRange::new(start, end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Severity;
    use crate::rules::FixAvailability;

    // A stand-in rule keeps these parser tests independent of which real rules exist.
    static JSON_ARGS: Rule = Rule {
        code: "DF999",
        name: "stand-in",
        default_severity: Severity::Warning,
        fix: FixAvailability::None,
        doc: "",
        hadolint: Some("DL3025"),
        hadolint_also: &[],
        buildkit: Some("JSONArgsRecommended"),
    };

    #[test]
    fn check_skip_directive_is_read_with_spans() {
        let text = "# check=error=true;skip=JSONArgsRecommended, StageNameCasing\nFROM scratch\n";
        let parse = crate::syntax::parse(text);
        let (suppressions, problems) = collect(text, &parse);
        assert!(problems.is_empty());
        let [skip] = &suppressions[..] else { panic!("one suppression: {suppressions:?}") };
        assert_eq!(skip.source, Source::BuildKit);
        assert_eq!(skip.scope, Scope::File);
        let codes: Vec<&str> = skip.codes.iter().map(|it| &text[it.text.range.as_range()]).collect();
        assert_eq!(codes, ["JSONArgsRecommended", "StageNameCasing"]);
        assert!(skip.codes[0].target.matches(Some(&JSON_ARGS)));
        assert!(!skip.codes[1].target.matches(Some(&JSON_ARGS)));
        assert!(Target::AllBuildKit.matches(Some(&JSON_ARGS)));
        assert!(Target::Hadolint("dl3025".to_owned()).matches(Some(&JSON_ARGS)));
        assert!(!Target::AllBuildKit.matches(crate::rules::find("UV001")));
    }

    #[test]
    fn hadolint_comments_next_instruction_and_global() {
        let text = "FROM scratch\n# hadolint ignore=DL3025 , DL3008\nCMD x\n#hadolint global ignore=DL3000\n";
        let parse = crate::syntax::parse(text);
        let (suppressions, _) = collect(text, &parse);
        let scopes: Vec<Scope> = suppressions.iter().map(|it| it.scope).collect();
        assert_eq!(scopes, [Scope::Instruction(1), Scope::File]);
        assert_eq!(suppressions[0].codes.len(), 2);
        assert!(suppressions.iter().all(|it| it.source == Source::Hadolint));
    }
}
