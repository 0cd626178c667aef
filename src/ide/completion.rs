//! Completion: what may be typed at the cursor, ranked so the likely item comes first.
//!
//! The text being typed is usually not valid yet, so the cursor's context is read from the text
//! itself: the instruction around the cursor is split into words (continuations joined, quotes
//! kept together), and the words before the cursor decide what comes next. The parse and the
//! semantic model are only used for what is already settled: stages, ARG/ENV definitions, the
//! escape character. Build-context paths come in as [`ContextEntry`] values listed by the
//! server, so nothing here does IO.

use crate::analysis::Analysis;
use crate::knowledge::{self, ArgGroup, PythonStatus, Relevance, UvEnvVar, ValueKind};
use crate::project::ProjectFacts;
use crate::rules::support_python::KNOWN_UV_VERSION;
use crate::semantics::{Semantics, VarDef};
use crate::syntax::Keyword;
use crate::text::TextRange;

/// The repository of Astral's uv images, as completions write it.
const UV_IMAGE: &str = "ghcr.io/astral-sh/uv";

/// Where uv keeps its cache when running as root, the target of the usual cache mount.
const UV_CACHE_DIR: &str = "/root/.cache/uv";

/// One completion proposal, in editor-neutral terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// A short line shown next to the label (a value, a type, a flag's syntax).
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    /// The text that replaces `range`; snippet syntax (`${1:x}`) when `snippet` is set.
    pub insert_text: String,
    pub snippet: bool,
    /// The part of the document the item replaces: the word being typed.
    pub range: TextRange,
    /// What the client matches the typed text against, when it differs from the label.
    pub filter_text: Option<String>,
    /// The item the editor should select first.
    pub preselect: bool,
    pub deprecated: bool,
    /// Completion makes sense again right after inserting the item (a folder, `type=`, `UV_X=`).
    pub retrigger: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Keyword,
    Snippet,
    Flag,
    Value,
    Variable,
    Command,
    Stage,
    Image,
    File,
    Folder,
}

/// One entry of a build-context folder, listed by the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextEntry {
    pub name: String,
    pub is_dir: bool,
}

/// The items for byte `offset` of `text`, best first. `entries` lists the build-context folder
/// named by [`context_folder`] (empty when the server did not list one).
pub fn completions(
    analysis: &Analysis,
    text: &str,
    project: &ProjectFacts,
    offset: usize,
    entries: &[ContextEntry],
) -> Vec<CompletionItem> {
    let Some(site) = Site::at(analysis, text, offset) else { return Vec::new() };
    let ctx = Ctx { analysis, project, site: &site };
    let mut acc = Vec::new();
    match site.kind {
        SiteKind::Keyword => keyword_items(&mut acc, &ctx),
        SiteKind::Args(keyword) => arg_items(&mut acc, &ctx, keyword, entries),
    }
    acc
}

/// The context-relative folder (`""` for the context root, else ending in `/`) whose entries
/// [`completions`] needs at `offset`: set when the cursor is on a COPY/ADD source path.
pub fn context_folder(analysis: &Analysis, text: &str, offset: usize) -> Option<String> {
    let site = Site::at(analysis, text, offset)?;
    let SiteKind::Args(keyword @ (Keyword::Copy | Keyword::Add)) = site.kind else { return None };
    let query = path_query(&site, keyword)?;
    Some(query.folder.to_owned())
}

// ---------------------------------------------------------------------------------------------
// The cursor's context

/// A word before the cursor (or the one under it), as written in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Token {
    /// The logical text: continuations removed, quotes kept.
    pub(crate) text: String,
    /// Source offset of the first character.
    pub(crate) start: usize,
}

impl Token {
    /// The source range of `self.text[from..]` up to the cursor, assuming no continuation
    /// inside the word (true for any word being typed).
    fn range_from(&self, from: usize, cursor: usize) -> TextRange {
        TextRange::new((self.start + from).min(cursor), cursor)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SiteKind {
    /// The cursor is where an instruction keyword goes.
    Keyword,
    /// The cursor is in the arguments of an instruction with this keyword.
    Args(Keyword),
}

/// Where the cursor is: the instruction, the finished words before it and the partial word.
#[derive(Clone, Debug)]
pub(crate) struct Site {
    pub(crate) kind: SiteKind,
    /// Index of the instruction in `Dockerfile::instructions` (or where it would go).
    pub(crate) instruction: usize,
    /// Finished words after the keyword (after `ONBUILD <keyword>` for ONBUILD).
    pub(crate) words: Vec<Token>,
    /// The word being typed, possibly empty (then `start` is the cursor).
    pub(crate) current: Token,
    pub(crate) offset: usize,
    pub(crate) escape: char,
    /// No FROM comes before the cursor.
    pub(crate) before_first_from: bool,
}

impl Site {
    pub(crate) fn at(analysis: &Analysis, text: &str, offset: usize) -> Option<Site> {
        let file = &analysis.parse.file;
        if offset > text.len() || !text.is_char_boundary(offset) {
            return None;
        }
        let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |it| it + 1);
        let before_on_line = &text[line_start..offset];
        if before_on_line.trim_start().starts_with('#') {
            return None;
        }
        let found = super::instruction_at(file, offset);
        let instruction = found.map(|it| it.1);
        // Heredoc bodies are scripts or file contents, not Dockerfile syntax.
        if instruction.is_some_and(|it| it.heredocs.iter().any(|heredoc| offset >= heredoc.body.range.start)) {
            return None;
        }
        let idx = match found {
            Some((idx, _)) => idx,
            None => file.instructions.partition_point(|it| it.range.end < offset),
        };
        let before_first_from =
            !file.instructions[..idx.min(file.instructions.len())].iter().any(|it| it.keyword == Keyword::From);
        let start = match instruction {
            Some(instruction) if instruction.range.start <= offset => instruction.range.start,
            _ => line_start,
        };
        let (mut words, current) = tokenize(text, start, offset, file.escape);
        let mut site = Site {
            kind: SiteKind::Keyword,
            instruction: idx,
            words: Vec::new(),
            current,
            offset,
            escape: file.escape,
            before_first_from,
        };
        if words.is_empty() {
            // Only the keyword (or nothing) is written so far.
            if !site.current.text.chars().all(|c| c.is_ascii_alphabetic()) {
                return None;
            }
            return Some(site);
        }
        let mut keyword = Keyword::from_name(&words[0].text);
        words.remove(0);
        if keyword == Keyword::Onbuild {
            if words.is_empty() {
                return Some(site);
            }
            keyword = Keyword::from_name(&words[0].text);
            words.remove(0);
        }
        site.kind = SiteKind::Args(keyword);
        site.words = words;
        Some(site)
    }

    /// The finished words that are not leading `--flags`.
    fn positionals(&self) -> &[Token] {
        let first = self.words.iter().position(|it| !it.text.starts_with("--")).unwrap_or(self.words.len());
        &self.words[first..]
    }

    /// The cursor is on a `--flag` written before any argument.
    fn on_flag(&self) -> bool {
        self.current.text.starts_with('-') && self.positionals().is_empty()
    }

    fn flag_written(&self, name: &str) -> bool {
        self.words.iter().any(|it| flag_name(&it.text) == Some(name))
    }

    fn flag_value(&self, name: &str) -> Option<&str> {
        self.words
            .iter()
            .find(|it| flag_name(&it.text) == Some(name))
            .and_then(|it| it.text.split_once('='))
            .map(|it| it.1)
    }
}

/// `--name` of `--name=value` (without dashes), for words that are flags.
fn flag_name(word: &str) -> Option<&str> {
    let name = word.strip_prefix("--")?;
    Some(name.split_once('=').map_or(name, |it| it.0))
}

/// Splits `text[start..offset]` into words as the builder would (continuations removed,
/// quotes and escapes keep whitespace inside a word; comment lines inside continuations
/// skipped). Returns the finished words and the word the cursor is in (empty after whitespace).
pub(crate) fn tokenize(text: &str, start: usize, offset: usize, escape: char) -> (Vec<Token>, Token) {
    let source = &text[start..offset];
    let mut words = Vec::new();
    let mut current: Option<Token> = None;
    let mut quote: Option<char> = None;
    let mut at_line_start = false;
    let mut chars = source.char_indices().peekable();
    while let Some((idx, ch)) = chars.next() {
        let pos = start + idx;
        if at_line_start {
            // Comment lines inside a continued instruction are dropped by the builder.
            if ch == ' ' || ch == '\t' {
                continue;
            }
            at_line_start = false;
            if ch == '#' {
                for (_, next) in chars.by_ref() {
                    if next == '\n' {
                        break;
                    }
                }
                at_line_start = true;
                continue;
            }
        }
        if ch == escape {
            match chars.peek().map(|it| it.1) {
                // A continuation: the line break disappears, words go on.
                Some('\n') => {
                    chars.next();
                    at_line_start = true;
                    continue;
                }
                Some('\r') => {
                    chars.next();
                    if chars.peek().map(|it| it.1) == Some('\n') {
                        chars.next();
                    }
                    at_line_start = true;
                    continue;
                }
                Some(next) => {
                    let word = current.get_or_insert_with(|| Token { text: String::new(), start: pos });
                    word.text.push(ch);
                    word.text.push(next);
                    chars.next();
                    continue;
                }
                None => {
                    current.get_or_insert_with(|| Token { text: String::new(), start: pos }).text.push(ch);
                    continue;
                }
            }
        }
        if let Some(open) = quote {
            if ch == open {
                quote = None;
            }
            current.get_or_insert_with(|| Token { text: String::new(), start: pos }).text.push(ch);
            continue;
        }
        if ch.is_whitespace() {
            if let Some(word) = current.take() {
                words.push(word);
            }
            continue;
        }
        if ch == '"' || ch == '\'' {
            quote = Some(ch);
        }
        current.get_or_insert_with(|| Token { text: String::new(), start: pos }).text.push(ch);
    }
    let current = current.unwrap_or(Token { text: String::new(), start: offset });
    (words, current)
}

struct Ctx<'a> {
    analysis: &'a Analysis,
    project: &'a ProjectFacts,
    site: &'a Site,
}

impl Ctx<'_> {
    fn semantics(&self) -> &Semantics {
        &self.analysis.semantics
    }

    /// The replacement range for the whole current word.
    fn word_range(&self) -> TextRange {
        self.site.current.range_from(0, self.site.offset)
    }

    /// The replacement range for the current word from byte `from` of its text.
    fn range_from(&self, from: usize) -> TextRange {
        self.site.current.range_from(from, self.site.offset)
    }
}

/// Builds an item with the common defaults: plain text, no documentation.
fn item(kind: CompletionKind, label: impl Into<String>, range: TextRange) -> CompletionItem {
    let label = label.into();
    CompletionItem {
        insert_text: label.clone(),
        label,
        kind,
        detail: None,
        documentation: None,
        snippet: false,
        range,
        filter_text: None,
        preselect: false,
        deprecated: false,
        retrigger: false,
    }
}

// ---------------------------------------------------------------------------------------------
// Instructions

/// Keywords in the order they are most often written inside a stage.
const KEYWORD_ORDER: [Keyword; 18] = [
    Keyword::Run,
    Keyword::Copy,
    Keyword::Workdir,
    Keyword::Env,
    Keyword::Arg,
    Keyword::Cmd,
    Keyword::Entrypoint,
    Keyword::From,
    Keyword::Expose,
    Keyword::User,
    Keyword::Label,
    Keyword::Healthcheck,
    Keyword::Add,
    Keyword::Volume,
    Keyword::Shell,
    Keyword::Stopsignal,
    Keyword::Onbuild,
    Keyword::Maintainer,
];

fn keyword_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>) {
    let site = ctx.site;
    let range = ctx.word_range();
    let lower = !site.current.text.is_empty() && site.current.text.chars().all(|c| c.is_ascii_lowercase());
    let spell = |keyword: &str| if lower { keyword.to_ascii_lowercase() } else { keyword.to_owned() };
    let mut order: Vec<Keyword> = KEYWORD_ORDER.to_vec();
    if site.before_first_from {
        // Only ARG may come before the first FROM.
        order.retain(|it| !matches!(it, Keyword::From | Keyword::Arg));
        order.splice(0..0, [Keyword::From, Keyword::Arg]);
    }
    for keyword in order {
        let name = keyword.as_str();
        let doc = knowledge::instruction(name);
        let mut res = item(CompletionKind::Keyword, spell(name), range);
        res.insert_text = format!("{} ", spell(name));
        res.retrigger = true;
        res.detail = doc.map(|it| it.summary.clone());
        res.documentation = doc.map(knowledge::InstructionDoc::to_markdown);
        res.deprecated = doc.is_some_and(|it| it.deprecated.is_some());
        res.filter_text = Some(spell(name));
        res.preselect = keyword == Keyword::From && site.before_first_from;
        acc.push(res);
        for snippet in snippets(ctx, keyword) {
            let mut res = item(CompletionKind::Snippet, snippet.label, range);
            res.insert_text = snippet.body.replace("KEYWORD", &spell(name));
            res.snippet = true;
            res.detail = Some(snippet.detail.to_owned());
            res.documentation = doc.map(knowledge::InstructionDoc::to_markdown);
            res.filter_text = Some(spell(name));
            acc.push(res);
        }
    }
}

struct Snippet {
    label: String,
    detail: &'static str,
    /// Snippet syntax; `KEYWORD` stands for the keyword in the case being typed.
    body: String,
}

/// Snippets offered next to `keyword`, with the file's escape character in continuations.
fn snippets(ctx: &Ctx<'_>, keyword: Keyword) -> Vec<Snippet> {
    // A backslash is itself escaped in snippet syntax.
    let escape = match ctx.site.escape {
        '\\' => "\\\\".to_owned(),
        other => other.to_string(),
    };
    let continuation = format!(" {escape}\n    ");
    let minor = python_minor(ctx.project);
    match keyword {
        Keyword::From => vec![Snippet {
            label: "FROM … AS …".to_owned(),
            detail: "a named stage from the project's Python image",
            body: format!("KEYWORD ${{1:python:{minor}-slim-trixie}} AS ${{2:builder}}"),
        }],
        Keyword::Copy => vec![Snippet {
            label: "COPY uv from its image".to_owned(),
            detail: "install uv: copy its binaries from Astral's image",
            body: format!("KEYWORD --from={UV_IMAGE}:${{1:{KNOWN_UV_VERSION}}} /uv /uvx /bin/"),
        }],
        Keyword::Run => vec![
            Snippet {
                label: "RUN uv sync (cached)".to_owned(),
                detail: "install the dependencies with uv's cache mounted",
                body: format!(
                    "KEYWORD --mount=type=cache,target={UV_CACHE_DIR}{continuation}uv sync --locked ${{1:--no-install-project}}"
                ),
            },
            Snippet {
                label: "RUN uv sync (dependency layer)".to_owned(),
                detail: "dependencies only, from bind-mounted pyproject.toml and uv.lock",
                body: format!(
                    "KEYWORD --mount=type=cache,target={UV_CACHE_DIR}{continuation}\
                     --mount=type=bind,source=uv.lock,target=uv.lock{continuation}\
                     --mount=type=bind,source=pyproject.toml,target=pyproject.toml{continuation}\
                     uv sync --locked --no-install-project"
                ),
            },
        ],
        _ => Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Arguments

fn arg_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, keyword: Keyword, entries: &[ContextEntry]) {
    let site = ctx.site;
    if let Some(name_start) = variable_start(&site.current.text) {
        variable_items(acc, ctx, keyword, name_start);
        return;
    }
    if site.on_flag() {
        flag_items(acc, ctx, keyword);
        return;
    }
    match keyword {
        Keyword::From => from_items(acc, ctx),
        Keyword::Copy | Keyword::Add => copy_items(acc, ctx, keyword, entries),
        Keyword::Env | Keyword::Arg => key_value_items(acc, ctx, keyword),
        Keyword::Run | Keyword::Cmd | Keyword::Entrypoint => {
            let words: Vec<&Token> = site.positionals().iter().collect();
            shell_items(acc, ctx, &words);
        }
        Keyword::Healthcheck => {
            let positionals = site.positionals();
            match positionals.first() {
                None => {
                    for (name, detail) in
                        [("CMD", "the check command"), ("NONE", "turn off a check inherited from the base image")]
                    {
                        let mut res = item(CompletionKind::Keyword, name, ctx.word_range());
                        res.insert_text = format!("{name} ");
                        res.detail = Some(detail.to_owned());
                        acc.push(res);
                    }
                }
                Some(first) if first.text.eq_ignore_ascii_case("CMD") => {
                    let words: Vec<&Token> = positionals[1..].iter().collect();
                    shell_items(acc, ctx, &words);
                }
                Some(_) => {}
            }
        }
        _ => {}
    }
}

/// Where the variable name starts in `word` when the word ends in `$NAME` or `${NAME`.
fn variable_start(word: &str) -> Option<usize> {
    let dollar = word.rfind('$')?;
    let rest = &word[dollar + 1..];
    let (name_start, name) = match rest.strip_prefix('{') {
        Some(name) => (dollar + 2, name),
        None => (dollar + 1, rest),
    };
    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_').then_some(name_start)
}

fn variable_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, keyword: Keyword, name_start: usize) {
    let site = ctx.site;
    let braced = site.current.text[..name_start].ends_with('{');
    let range = ctx.range_from(name_start);
    let mut seen: Vec<String> = Vec::new();
    let mut push = |acc: &mut Vec<CompletionItem>, name: &str, detail: Option<String>, doc: Option<String>| {
        // The nearest definition shadows the others.
        if seen.iter().any(|it| it == name) {
            return;
        }
        seen.push(name.to_owned());
        let mut res = item(CompletionKind::Variable, name, range);
        if braced {
            res.insert_text = format!("{name}}}");
        }
        res.detail = detail;
        res.documentation = doc;
        acc.push(res);
    };
    let mut defs: Vec<&VarDef> = Vec::new();
    let semantics = ctx.semantics();
    let global_scope = keyword == Keyword::From || site.before_first_from;
    if global_scope {
        defs.extend(semantics.global_args.iter().rev().filter(|it| it.instruction < site.instruction));
    } else if let Some(stage) = semantics.stage_of(site.instruction) {
        collect_stage_vars(&mut defs, semantics, stage.index, site.instruction);
    }
    for def in defs {
        let kind = match def.kind {
            crate::semantics::VarKind::Arg => "ARG",
            crate::semantics::VarKind::Env => "ENV",
        };
        let detail = match &def.value {
            Some(value) => format!("{kind} = {value}"),
            None => format!("{kind} (no default)"),
        };
        let doc = knowledge::uv_env(&def.name).map(UvEnvVar::to_markdown);
        push(acc, &def.name, Some(detail), doc);
    }
    for arg in knowledge::predefined_args() {
        // Platform arguments exist in the global scope only; a stage must declare them.
        let usable = match arg.group {
            ArgGroup::Platform | ArgGroup::Buildkit => global_scope,
            ArgGroup::Proxy => !global_scope,
        };
        if usable {
            push(acc, &arg.name, Some("predefined build argument".to_owned()), Some(arg.to_markdown()));
        }
    }
}

/// ARG and ENV definitions visible at instruction `before` of `stage`, nearest first:
/// the stage's own, then its parents' (a `FROM <stage>` chain) in full.
fn collect_stage_vars<'a>(acc: &mut Vec<&'a VarDef>, semantics: &'a Semantics, stage: usize, before: usize) {
    let mut current = Some(stage);
    let mut limit = before;
    let mut steps = 0;
    while let Some(idx) = current {
        let Some(stage) = semantics.stages.get(idx) else { break };
        let mut own: Vec<&VarDef> = stage.env.iter().chain(&stage.args).filter(|def| def.instruction < limit).collect();
        own.sort_by_key(|def| std::cmp::Reverse(def.instruction));
        acc.extend(own);
        current = match stage.base {
            crate::semantics::Base::Stage(parent) if parent < idx => Some(parent),
            _ => None,
        };
        limit = usize::MAX;
        steps += 1;
        if steps > semantics.stages.len() {
            break;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Flags

fn flag_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, keyword: Keyword) {
    let site = ctx.site;
    let current = site.current.text.as_str();
    if let Some((name, value)) = current.split_once('=') {
        let value_start = name.len() + 1;
        flag_value_items(acc, ctx, keyword, name.trim_start_matches('-'), value, value_start);
        return;
    }
    let Some(doc) = knowledge::instruction(keyword.as_str()) else { return };
    for flag in &doc.flags {
        let bare = flag.name.trim_start_matches('-');
        // `--mount` is the one flag that is commonly repeated.
        if bare != "mount" && site.flag_written(bare) {
            continue;
        }
        let takes_value = !flag.value.is_empty() && flag.value != "(flag)";
        let mut res = item(CompletionKind::Flag, flag.name.clone(), ctx.word_range());
        if takes_value {
            res.insert_text = format!("{}=", flag.name);
            res.retrigger = true;
        }
        res.detail = Some(if takes_value { format!("{}={}", flag.name, flag.value) } else { flag.summary.clone() });
        res.documentation = Some(flag.to_markdown_in(keyword.as_str()));
        acc.push(res);
    }
    if let Some(first) = acc.first_mut()
        && keyword == Keyword::Run
        && first.label == "--mount"
    {
        first.preselect = true;
    }
}

fn flag_value_items(
    acc: &mut Vec<CompletionItem>,
    ctx: &Ctx<'_>,
    keyword: Keyword,
    name: &str,
    value: &str,
    value_start: usize,
) {
    match (keyword, name) {
        (Keyword::Run, "mount") => mount_items(acc, ctx, value, value_start),
        (Keyword::Copy | Keyword::Add, "from") => {
            if let Some(items) = image_tag_items(ctx, value, value_start, ImageUse::CopyFrom) {
                acc.extend(items);
                return;
            }
            stage_items(acc, ctx, ctx.range_from(value_start));
            let mut res =
                item(CompletionKind::Image, format!("{UV_IMAGE}:{KNOWN_UV_VERSION}"), ctx.range_from(value_start));
            res.detail = Some("uv's own image, to copy /uv and /uvx from".to_owned());
            res.documentation = Some(knowledge::uv_image_doc().to_markdown());
            acc.push(res);
        }
        (Keyword::From, "platform") => {
            let values = [
                ("linux/amd64", "64-bit x86"),
                ("linux/arm64", "64-bit ARM"),
                ("$BUILDPLATFORM", "the builder's own platform, for cross-compiling stages"),
                ("$TARGETPLATFORM", "the target platform (already the default)"),
            ];
            for (value, detail) in values {
                let mut res = item(CompletionKind::Value, value, ctx.range_from(value_start));
                res.detail = Some(detail.to_owned());
                acc.push(res);
            }
        }
        _ => {
            let Some(flag) = knowledge::instruction_flag(keyword.as_str(), name) else { return };
            for value in &flag.values {
                let mut res = item(CompletionKind::Value, value.value.clone(), ctx.range_from(value_start));
                res.detail = Some(value.meaning.clone());
                acc.push(res);
            }
        }
    }
}

/// Earlier stages by name (or index when unnamed), nearest first.
fn stage_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, range: TextRange) {
    let semantics = ctx.semantics();
    let site = ctx.site;
    for stage in semantics.stages.iter().rev() {
        // A stage cannot copy from itself or from a later stage.
        if stage.from_instruction >= site.instruction || stage.instructions.contains(&site.instruction) {
            continue;
        }
        let label = match &stage.name {
            Some(name) => name.value.to_string(),
            None => stage.index.to_string(),
        };
        let mut res = item(CompletionKind::Stage, label, range);
        res.detail = Some(match &stage.image {
            Some(image) => format!("stage {} from {}", stage.index, image.value),
            None => format!("stage {}", stage.index),
        });
        acc.push(res);
    }
}

/// `--mount=` items: `type=` first, then the options of the mount's type, then their values.
fn mount_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, value: &str, value_start: usize) {
    let item_start = value.rfind(',').map_or(0, |it| it + 1);
    let typed = &value[item_start..];
    let done: Vec<&str> = value[..item_start].split(',').filter(|it| !it.is_empty()).collect();
    let keys: Vec<&str> = done.iter().map(|it| it.split_once('=').map_or(*it, |kv| kv.0)).collect();
    let mount_type = done.iter().find_map(|it| it.strip_prefix("type=")).unwrap_or("bind");
    let start = value_start + item_start;
    if let Some((key, _)) = typed.split_once('=') {
        mount_value_items(acc, ctx, mount_type, key, start + key.len() + 1);
        return;
    }
    let range = ctx.range_from(start);
    if !keys.contains(&"type") {
        let mut res = item(CompletionKind::Flag, "type=", range);
        res.detail = Some("bind, cache, tmpfs, secret or ssh".to_owned());
        res.retrigger = true;
        res.preselect = true;
        acc.push(res);
    }
    let Some(doc) = knowledge::mount_type(mount_type) else { return };
    let runs_uv = current_run_uses_uv(ctx);
    let mut options: Vec<(u32, CompletionItem)> = Vec::new();
    for option in &doc.options {
        if keys.iter().any(|key| option.matches(key)) {
            continue;
        }
        let is_flag = option.value == "(flag)";
        let label = if is_flag { option.name.clone() } else { format!("{}=", option.name) };
        let mut res = item(CompletionKind::Flag, label, range);
        res.retrigger = !is_flag;
        res.detail = Some(option.summary.clone());
        res.documentation = Some(option.to_markdown_in(&doc.name));
        let rank = u32::from(!option.required && option.name != "target");
        options.push((rank, res));
        if doc.name == "cache" && option.name == "target" && runs_uv {
            let mut res = item(CompletionKind::Value, format!("target={UV_CACHE_DIR}"), range);
            res.detail = Some("uv's cache folder when running as root".to_owned());
            res.documentation = Some(option.to_markdown_in(&doc.name));
            res.preselect = keys.contains(&"type");
            options.insert(0, (0, res));
        }
    }
    options.sort_by_key(|it| it.0);
    acc.extend(options.into_iter().map(|it| it.1));
}

fn mount_value_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, mount_type: &str, key: &str, start: usize) {
    let range = ctx.range_from(start);
    if key == "type" {
        for doc in knowledge::mount_types() {
            let mut res = item(CompletionKind::Value, doc.name.clone(), range);
            res.insert_text = format!("{},", doc.name);
            res.retrigger = true;
            res.detail = Some(doc.summary.clone());
            res.documentation = Some(doc.to_markdown());
            res.preselect = doc.name == "cache";
            acc.push(res);
        }
        // Cache mounts are what uv builds use most.
        acc.sort_by_key(|it| !it.preselect);
        return;
    }
    if key == "from" {
        stage_items(acc, ctx, range);
        let mut res = item(CompletionKind::Image, format!("{UV_IMAGE}:{KNOWN_UV_VERSION}"), range);
        res.detail = Some("uv's own image".to_owned());
        acc.push(res);
        return;
    }
    if mount_type == "cache" && matches!(key, "target" | "dst" | "destination") {
        let mut res = item(CompletionKind::Value, UV_CACHE_DIR, range);
        res.detail = Some("uv's cache folder when running as root".to_owned());
        res.preselect = true;
        acc.push(res);
        return;
    }
    let Some(option) = knowledge::mount_option(mount_type, key) else { return };
    for value in &option.values {
        let mut res = item(CompletionKind::Value, value.value.clone(), range);
        res.detail = Some(value.meaning.clone());
        acc.push(res);
    }
}

/// Whether the instruction at the cursor runs uv anywhere in its command.
fn current_run_uses_uv(ctx: &Ctx<'_>) -> bool {
    let commands = &ctx.semantics().commands;
    let first = commands.partition_point(|it| it.instruction < ctx.site.instruction);
    let parsed = commands[first..]
        .iter()
        .take_while(|it| it.instruction == ctx.site.instruction)
        .any(|it| it.command.as_uv().is_some());
    // While the flags are being typed the command may already be on a later line.
    parsed || ctx.site.words.iter().any(|it| it.text == "uv")
}

// ---------------------------------------------------------------------------------------------
// FROM and images

#[derive(Clone, Copy, PartialEq, Eq)]
enum ImageUse {
    From,
    CopyFrom,
}

fn from_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>) {
    let positionals = ctx.site.positionals();
    match positionals.len() {
        0 => {
            let value = ctx.site.current.text.as_str();
            if let Some(items) = image_tag_items(ctx, value, 0, ImageUse::From) {
                acc.extend(items);
                return;
            }
            let minor = python_minor(ctx.project);
            let range = ctx.word_range();
            for (idx, tag) in python_tags(ctx.project).into_iter().take(2).enumerate() {
                let mut res = item(CompletionKind::Image, format!("python:{tag}"), range);
                res.detail = Some("Docker's official Python image".to_owned());
                res.documentation = Some(knowledge::python_image_doc().to_markdown());
                res.preselect = idx == 0;
                acc.push(res);
            }
            stage_items(acc, ctx, range);
            let mut res =
                item(CompletionKind::Image, format!("{UV_IMAGE}:{KNOWN_UV_VERSION}-python{minor}-trixie-slim"), range);
            res.detail = Some("uv on Debian slim with Python".to_owned());
            res.documentation = Some(knowledge::uv_image_doc().to_markdown());
            acc.push(res);
            let mut res = item(CompletionKind::Image, "scratch", range);
            res.detail = Some("an empty image".to_owned());
            acc.push(res);
        }
        1 => {
            let mut res = item(CompletionKind::Keyword, "AS", ctx.word_range());
            res.insert_text = "AS ".to_owned();
            res.detail = Some("name the stage".to_owned());
            acc.push(res);
        }
        _ => {}
    }
}

/// Tags after `python:` or `ghcr.io/astral-sh/uv:` in `value` (which starts at byte
/// `value_start` of the current word); `None` when `value` is not such an image with a colon.
fn image_tag_items(ctx: &Ctx<'_>, value: &str, value_start: usize, usage: ImageUse) -> Option<Vec<CompletionItem>> {
    let (repository, _) = value.split_once(':')?;
    let range = ctx.range_from(value_start + repository.len() + 1);
    let mut acc = Vec::new();
    if knowledge::python_image_doc().repositories.iter().any(|it| it == repository) {
        for (idx, tag) in python_tags(ctx.project).into_iter().enumerate() {
            let mut res = item(CompletionKind::Value, tag, range);
            res.preselect = idx == 0;
            res.detail = Some("python image tag".to_owned());
            acc.push(res);
        }
        return Some(acc);
    }
    if knowledge::uv_image_doc().repositories.iter().any(|it| it == repository) {
        for (idx, (tag, detail)) in uv_tags(ctx.project, usage).into_iter().enumerate() {
            let mut res = item(CompletionKind::Value, tag, range);
            res.preselect = idx == 0;
            res.detail = Some(detail);
            acc.push(res);
        }
        return Some(acc);
    }
    None
}

/// The project's Python minor (`.python-version`, else requires-python), else the newest
/// release in bugfix support.
fn python_minor(project: &ProjectFacts) -> String {
    if let Some((major, minor)) = crate::rules::support_python::project_minor(project) {
        return format!("{major}.{minor}");
    }
    let versions = &knowledge::python_versions().versions;
    versions
        .iter()
        .rev()
        .find(|it| it.status == PythonStatus::Bugfix)
        .map_or_else(|| "3.13".to_owned(), |it| it.minor.clone())
}

/// `python` image tags, the project's version first.
fn python_tags(project: &ProjectFacts) -> Vec<String> {
    let minor = python_minor(project);
    let alpine = knowledge::python_image_doc()
        .distros
        .iter()
        .find(|it| it.name.starts_with("alpine"))
        .map_or("alpine", |it| it.name.as_str());
    let mut acc = Vec::new();
    if let Some(pin) = project.pinned_python()
        && let Some(patch) = pin.patch
        && format!("{}.{}", pin.major, pin.minor) == minor
    {
        acc.push(format!("{minor}.{patch}-slim-trixie"));
    }
    for suffix in ["-slim-trixie", "-slim", &format!("-{alpine}"), "", "-trixie", "-slim-bookworm", "-bookworm"] {
        acc.push(format!("{minor}{suffix}"));
    }
    for version in knowledge::python_versions().versions.iter().rev() {
        if version.minor == minor || matches!(version.status, PythonStatus::EndOfLife | PythonStatus::Prerelease) {
            continue;
        }
        acc.push(format!("{}-slim-trixie", version.minor));
    }
    acc
}

/// uv image tags with a note each: the distroless pins first for `COPY --from`, images with
/// an OS and the project's Python first for `FROM`.
fn uv_tags(project: &ProjectFacts, usage: ImageUse) -> Vec<(String, String)> {
    let minor = python_minor(project);
    let minor_of_uv = KNOWN_UV_VERSION.rsplit_once('.').map_or(KNOWN_UV_VERSION, |it| it.0);
    let distroless = vec![
        (KNOWN_UV_VERSION.to_owned(), "only uv and uvx, pinned to a release".to_owned()),
        (minor_of_uv.to_owned(), "only uv and uvx, newest patch of a minor".to_owned()),
    ];
    let mut derived = vec![
        (format!("{KNOWN_UV_VERSION}-python{minor}-trixie-slim"), format!("uv and Python {minor} on Debian slim")),
        (format!("{KNOWN_UV_VERSION}-python{minor}-trixie"), format!("uv and Python {minor} on Debian")),
        (format!("{KNOWN_UV_VERSION}-python{minor}-alpine"), format!("uv and Python {minor} on Alpine")),
    ];
    for base in &knowledge::uv_image_doc().bases {
        let tag = format!("{KNOWN_UV_VERSION}-{}", base.name);
        if derived.iter().any(|it| it.0 == tag) {
            continue;
        }
        derived.push((tag, format!("uv on {}", base.image)));
    }
    let latest = ("latest".to_owned(), "newest uv release; changes without notice".to_owned());
    let mut acc = Vec::new();
    match usage {
        ImageUse::CopyFrom => {
            acc.extend(distroless);
            acc.extend(derived);
        }
        ImageUse::From => {
            acc.extend(derived);
            acc.extend(distroless);
        }
    }
    acc.push(latest);
    acc
}

// ---------------------------------------------------------------------------------------------
// COPY / ADD

/// A build-context path being typed: the folder part (`""` or ending in `/`) and where the
/// last segment starts in the current word.
struct PathQuery<'a> {
    folder: &'a str,
    segment_start: usize,
}

fn path_query(site: &Site, keyword: Keyword) -> Option<PathQuery<'_>> {
    if site.on_flag() || site.flag_written("from") {
        return None;
    }
    let word = site.current.text.as_str();
    if word.starts_with(['/', '$', '"', '\'', '[']) || word.contains("://") {
        return None;
    }
    if keyword == Keyword::Add && word.contains(':') {
        return None;
    }
    let word = word.strip_prefix("./").unwrap_or(word);
    let skipped = site.current.text.len() - word.len();
    let segment_start = word.rfind('/').map_or(0, |it| it + 1);
    let folder = &word[..segment_start];
    if folder.split('/').any(|it| it == "..") {
        return None;
    }
    Some(PathQuery { folder, segment_start: skipped + segment_start })
}

fn copy_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, keyword: Keyword, entries: &[ContextEntry]) {
    let site = ctx.site;
    if let Some(from) = site.flag_value("from") {
        let from_uv = knowledge::uv_image_doc().repositories.iter().any(|it| from.starts_with(&format!("{it}:")));
        if from_uv && site.positionals().is_empty() {
            let mut res = item(CompletionKind::Value, "/uv /uvx /bin/", ctx.word_range());
            res.detail = Some("copy uv and uvx into /bin".to_owned());
            res.preselect = true;
            acc.push(res);
        }
        return;
    }
    let Some(query) = path_query(site, keyword) else { return };
    let range = ctx.range_from(query.segment_start);
    // Files a uv build copies first.
    const FIRST: [&str; 4] = ["pyproject.toml", "uv.lock", ".python-version", "README.md"];
    let mut ranked: Vec<(usize, CompletionItem)> = Vec::new();
    for entry in entries {
        let path = format!("{}{}", query.folder, entry.name);
        if ctx.project.is_excluded(&path) {
            continue;
        }
        let kind = if entry.is_dir { CompletionKind::Folder } else { CompletionKind::File };
        let mut res = item(kind, entry.name.clone(), range);
        if entry.is_dir {
            res.insert_text = format!("{}/", entry.name);
            res.retrigger = true;
        }
        let rank = match FIRST.iter().position(|it| *it == entry.name) {
            Some(idx) if query.folder.is_empty() => idx,
            _ if entry.name.starts_with('.') => FIRST.len() + 2,
            _ => FIRST.len() + 1,
        };
        ranked.push((rank, res));
    }
    ranked.sort_by(|a, b| (a.0, &a.1.label).cmp(&(b.0, &b.1.label)));
    acc.extend(ranked.into_iter().map(|it| it.1));
}

// ---------------------------------------------------------------------------------------------
// ENV / ARG

fn key_value_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, keyword: Keyword) {
    let site = ctx.site;
    let current = site.current.text.as_str();
    if let Some((key, _)) = current.split_once('=') {
        if let Some(var) = knowledge::uv_env(key) {
            uv_value_items(acc, var, ctx.range_from(key.len() + 1));
        }
        return;
    }
    // `ENV KEY value`: the second word is a value.
    if keyword == Keyword::Env && site.words.len() == 1 && !site.words[0].text.contains('=') {
        return;
    }
    if keyword == Keyword::Arg {
        for arg in knowledge::predefined_args().iter().filter(|it| it.group == ArgGroup::Platform) {
            let mut res = item(CompletionKind::Variable, arg.name.clone(), ctx.word_range());
            res.detail = Some("predefined build argument".to_owned());
            res.documentation = Some(arg.to_markdown());
            acc.push(res);
        }
    }
    uv_name_items(acc, ctx.word_range(), keyword == Keyword::Env);
}

/// Documented `UV_*` names, most relevant first, deprecated ones last.
fn uv_name_items(acc: &mut Vec<CompletionItem>, range: TextRange, with_equals: bool) {
    let mut vars: Vec<&UvEnvVar> =
        knowledge::uv_env_vars().iter().filter(|it| !it.hidden && !it.is_pattern()).collect();
    vars.sort_by_key(|it| (it.deprecated.is_some(), std::cmp::Reverse(it.relevance)));
    let mut first = true;
    for var in vars {
        let mut res = item(CompletionKind::Variable, var.name.clone(), range);
        if with_equals {
            res.insert_text = format!("{}=", var.name);
            res.retrigger = matches!(var.kind, ValueKind::Bool | ValueKind::Enum);
        }
        res.detail = Some(match &var.deprecated {
            Some(replacement) => format!("deprecated: use {replacement}"),
            None => var.summary.clone(),
        });
        res.documentation = Some(var.to_markdown());
        res.deprecated = var.deprecated.is_some();
        res.preselect = first && var.relevance == Relevance::High;
        first = false;
        acc.push(res);
    }
}

/// The values a `UV_*` variable accepts, when they can be listed.
fn uv_value_items(acc: &mut Vec<CompletionItem>, var: &UvEnvVar, range: TextRange) {
    match var.kind {
        ValueKind::Bool => {
            for (value, detail) in [("1", "true"), ("0", "false")] {
                let mut res = item(CompletionKind::Value, value, range);
                res.detail = Some(detail.to_owned());
                res.preselect = value == "1";
                acc.push(res);
            }
        }
        ValueKind::Enum => {
            for value in &var.values {
                let mut res = item(CompletionKind::Value, value.value.clone(), range);
                res.detail = Some(value.meaning.clone());
                res.preselect = var.default.as_deref() == Some(value.value.as_str());
                acc.push(res);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Shell commands (RUN, CMD, ENTRYPOINT, HEALTHCHECK CMD)

/// `words` are the finished words of the command text before the cursor.
fn shell_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, words: &[&Token]) {
    let site = ctx.site;
    let clean = |text: &str| text.trim_start_matches(['[', '"']).trim_end_matches([',', '"', ']']).to_owned();
    let mut command: Vec<String> = Vec::new();
    for word in words {
        let text = word.text.as_str();
        if matches!(text, "&&" | "||" | ";" | "|" | "(" | "{") {
            command.clear();
            continue;
        }
        command.push(clean(text));
        if text.ends_with(';') {
            command.clear();
        }
    }
    // The current word, without JSON punctuation of the exec form.
    let raw = site.current.text.as_str();
    let lead = raw.len() - raw.trim_start_matches(['[', '"']).len();
    let current = &raw[lead..];
    let assignments = command.iter().take_while(|it| is_assignment(it)).count();
    let rest = &command[assignments..];
    if rest.is_empty() {
        // Program position: `UV_X=value uv …` prefixes are the useful thing here.
        if let Some((key, _)) = current.split_once('=') {
            if let Some(var) = knowledge::uv_env(key) {
                uv_value_items(acc, var, ctx.range_from(lead + key.len() + 1));
            }
        } else if current.starts_with("UV_") {
            uv_name_items(acc, ctx.range_from(lead), true);
        }
        return;
    }
    let program = rest[0].rsplit('/').next().unwrap_or_default();
    if program != "uv" {
        return;
    }
    uv_items(acc, ctx, &rest[1..], current, lead);
}

fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit())
        }
        None => false,
    }
}

/// uv subcommands and flags; `args` are the finished words after `uv`.
fn uv_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, args: &[String], current: &str, lead: usize) {
    let mut path: Vec<&str> = Vec::new();
    let mut skip_value = false;
    let mut in_child = false;
    for arg in args {
        if skip_value {
            skip_value = false;
            continue;
        }
        if arg.starts_with('-') {
            let takes_value =
                !arg.contains('=') && knowledge::uv_flag(&path.join(" "), arg).is_some_and(|flag| flag.value.is_some());
            skip_value = takes_value;
            continue;
        }
        let subcommand_done = match path.as_slice() {
            [] => false,
            [group] => !is_uv_group(group),
            _ => true,
        };
        if subcommand_done {
            if matches!(path.join(" ").as_str(), "run" | "tool run") {
                in_child = true;
            }
            continue;
        }
        path.push(arg);
    }
    if in_child {
        return;
    }
    let path_text = path.join(" ");
    let range = ctx.range_from(lead);
    if current.starts_with('-') {
        if let Some((name, _)) = current.split_once('=') {
            let Some(flag) = knowledge::uv_flag(&path_text, name) else { return };
            for value in &flag.values {
                let mut res = item(CompletionKind::Value, value.value.clone(), ctx.range_from(lead + name.len() + 1));
                res.detail = Some(value.meaning.clone());
                acc.push(res);
            }
            return;
        }
        uv_flag_items(acc, ctx, &path_text, args, range);
        return;
    }
    let wants_subcommand = match path.as_slice() {
        [] => true,
        [group] => is_uv_group(group),
        _ => false,
    };
    if !wants_subcommand {
        return;
    }
    let prefix = match path.as_slice() {
        [group] => format!("{group} "),
        _ => String::new(),
    };
    for command in knowledge::uv_commands() {
        let Some(rest) = command.path.strip_prefix(&prefix) else { continue };
        let mut res = item(CompletionKind::Command, rest, range);
        res.insert_text = format!("{rest} ");
        res.retrigger = true;
        res.detail = Some(command.summary.clone());
        res.documentation = Some(command.to_markdown());
        res.preselect = rest == "sync";
        acc.push(res);
    }
}

fn is_uv_group(word: &str) -> bool {
    matches!(word, "pip" | "tool" | "python" | "cache" | "self" | "auth" | "workspace")
}

fn uv_flag_items(acc: &mut Vec<CompletionItem>, ctx: &Ctx<'_>, path: &str, args: &[String], range: TextRange) {
    let flags: Vec<&'static knowledge::UvFlag> = match knowledge::uv_command(path) {
        Some(command) => command.all_flags().collect(),
        None => knowledge::uv_global_flags().iter().collect(),
    };
    let written = |flag: &knowledge::UvFlag| {
        args.iter().any(|arg| {
            let name = arg.split_once('=').map_or(arg.as_str(), |it| it.0);
            flag.matches(name)
        })
    };
    let first_lock_flag = if path == "sync" && is_workspace_layer(ctx) { "--frozen" } else { "--locked" };
    let mut ranked: Vec<(u8, usize, CompletionItem)> = Vec::new();
    for (idx, flag) in flags.into_iter().enumerate() {
        if flag.hidden || written(flag) {
            continue;
        }
        // Only one lock mode makes sense on a command line.
        let lock_mode = matches!(flag.name.as_str(), "--locked" | "--frozen");
        if lock_mode && args.iter().any(|it| it == "--locked" || it == "--frozen") {
            continue;
        }
        let rank = if flag.name == first_lock_flag && path == "sync" {
            0
        } else if flag.deprecated.is_some() {
            4
        } else if flag.docker.is_some() {
            1
        } else if idx < 40 {
            2
        } else {
            3
        };
        let mut res = item(CompletionKind::Flag, flag.name.clone(), range);
        res.detail = Some(match &flag.value {
            Some(value) => format!("{} {value}", flag.name),
            None => flag.summary.clone(),
        });
        res.documentation = Some(flag.to_markdown_in(&format!("uv {path}")));
        res.deprecated = flag.deprecated.is_some();
        res.preselect = rank == 0;
        if let Some(short) = &flag.short {
            res.filter_text = Some(format!("{} {short}", flag.name));
        }
        ranked.push((rank, idx, res));
    }
    ranked.sort_by_key(|it| (it.0, it.1));
    acc.extend(ranked.into_iter().map(|it| it.2));
}

/// The project is a member of a uv workspace, or a workspace root with members: a dependency
/// layer then lacks the members' pyproject.toml files and `--locked` fails there.
fn is_workspace_layer(ctx: &Ctx<'_>) -> bool {
    let members = ctx
        .project
        .pyproject
        .as_ref()
        .and_then(|it| it.tool_uv.as_ref())
        .and_then(|it| it.workspace_members.as_ref())
        .is_some_and(|it| !it.is_empty());
    let words = &ctx.site.words;
    let layer = words.iter().any(|it| it.text == "--no-install-project" || it.text == "--no-install-workspace");
    (members || ctx.project.uv_workspace.is_some()) && layer
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::sync::Arc;

    use crate::project::{ProjectFacts, PythonVersion, PythonVersionFile, SourceFile};
    use crate::text::Spanned;

    use super::{CompletionItem, ContextEntry};

    /// Items for a fixture with `$0` at the cursor.
    fn items_with(fixture: &str, project: &ProjectFacts, entries: &[ContextEntry]) -> (String, Vec<CompletionItem>) {
        let offset = fixture.find("$0").expect("fixture has a $0 cursor");
        let text = fixture.replace("$0", "");
        let analysis = crate::analysis::analyze(&text, project);
        let items = super::completions(&analysis, &text, project, offset, entries);
        (text, items)
    }

    fn labels(fixture: &str) -> Vec<String> {
        labels_in(fixture, &ProjectFacts::default())
    }

    fn labels_in(fixture: &str, project: &ProjectFacts) -> Vec<String> {
        items_with(fixture, project, &[]).1.into_iter().map(|it| it.label).collect()
    }

    fn pinned(major: u64, minor: u64, patch: Option<u64>) -> ProjectFacts {
        let text = format!("{major}.{minor}\n");
        let file = SourceFile { path: PathBuf::from("/p/.python-version"), text: Arc::from(text.as_str()) };
        ProjectFacts {
            python_version: Some(PythonVersionFile {
                file,
                request: Some(Spanned::new(format!("{major}.{minor}"), crate::text::TextRange::new(0, 4))),
                version: Some(PythonVersion { major, minor, patch }),
            }),
            ..ProjectFacts::default()
        }
    }

    #[track_caller]
    fn assert_first(fixture: &str, expected: &[&str]) {
        let got = labels(fixture);
        assert!(got.len() >= expected.len(), "{fixture:?}: {got:?}");
        assert_eq!(&got[..expected.len()], expected, "{fixture:?}");
    }

    #[test]
    fn from_comes_first_in_an_empty_file() {
        let (_, items) = items_with("$0", &ProjectFacts::default(), &[]);
        assert_eq!(items[0].label, "FROM");
        assert!(items[0].preselect);
        assert_eq!(items[0].insert_text, "FROM ");
        assert!(items[0].documentation.as_deref().is_some_and(|it| it.contains("stage")));
        assert_eq!(
            items.iter().position(|it| it.label == "ARG"),
            Some(2),
            "{:?}",
            items.iter().map(|it| &it.label).collect::<Vec<_>>()
        );
    }

    #[test]
    fn keywords_after_a_from_start_with_run_and_copy() {
        assert_first(
            "FROM python:3.12\n$0",
            &["RUN", "RUN uv sync (cached)", "RUN uv sync (dependency layer)", "COPY"],
        );
        assert_first("FROM python:3.12\nco$0", &["run"]);
        let (text, items) = items_with("FROM python:3.12\nCO$0\n", &ProjectFacts::default(), &[]);
        let copy = items.iter().find(|it| it.label == "COPY").expect("COPY");
        assert_eq!(&text[copy.range.as_range()], "CO");
    }

    #[test]
    fn snippets_respect_the_escape_directive() {
        let (_, items) = items_with("FROM python:3.12\n$0", &ProjectFacts::default(), &[]);
        let sync = items.iter().find(|it| it.label == "RUN uv sync (cached)").expect("snippet");
        assert!(sync.snippet);
        assert_eq!(
            sync.insert_text,
            "RUN --mount=type=cache,target=/root/.cache/uv \\\\\n    uv sync --locked ${1:--no-install-project}"
        );
        let uv = items.iter().find(|it| it.label == "COPY uv from its image").expect("snippet");
        assert_eq!(uv.insert_text, "COPY --from=ghcr.io/astral-sh/uv:${1:0.12.5} /uv /uvx /bin/");

        let (_, items) = items_with("# escape=`\nFROM python:3.12\n$0", &ProjectFacts::default(), &[]);
        let sync = items.iter().find(|it| it.label == "RUN uv sync (cached)").expect("snippet");
        assert!(sync.insert_text.contains("/root/.cache/uv `\n    uv sync"), "{}", sync.insert_text);

        let (_, items) = items_with("$0", &pinned(3, 11, None), &[]);
        let from = items.iter().find(|it| it.label == "FROM … AS …").expect("snippet");
        assert_eq!(from.insert_text, "FROM ${1:python:3.11-slim-trixie} AS ${2:builder}");
    }

    #[test]
    fn instruction_flags_skip_those_written() {
        assert_eq!(labels("FROM x\nCOPY --$0"), ["--from", "--chown", "--chmod", "--link", "--parents", "--exclude"]);
        assert_eq!(labels("FROM x\nCOPY --link --$0"), ["--from", "--chown", "--chmod", "--parents", "--exclude"]);
        assert_first("FROM x\nRUN --$0", &["--mount", "--network"]);
        assert_eq!(labels("FROM x\nRUN --network=$0"), ["default", "none", "host"]);
        assert!(labels("FROM x\nRUN echo --$0").is_empty());
    }

    #[test]
    fn mount_types_then_options_for_the_type() {
        assert_first("FROM x\nRUN --mount=$0", &["type="]);
        assert_first("FROM x\nRUN --mount=type=$0", &["cache"]);
        let options = labels("FROM x\nRUN --mount=type=cache,$0 uv sync");
        assert_eq!(options[0], "target=/root/.cache/uv");
        assert!(options.contains(&"sharing=".to_owned()) && options.contains(&"id=".to_owned()), "{options:?}");
        assert!(!options.contains(&"type=".to_owned()));
        let bind = labels("FROM x\nRUN --mount=type=bind,source=uv.lock,$0");
        assert!(bind.contains(&"target=".to_owned()) && !bind.contains(&"source=".to_owned()), "{bind:?}");
        assert!(!bind.contains(&"sharing=".to_owned()));
        assert_eq!(labels("FROM x\nRUN --mount=type=cache,sharing=$0"), ["shared", "private", "locked"]);
        let secret = labels("FROM x\nRUN --mount=type=secret,$0");
        assert!(secret.contains(&"env=".to_owned()) && secret.contains(&"required=".to_owned()), "{secret:?}");
        let (text, items) = items_with("FROM x\nRUN --mount=type=cache,target=$0", &ProjectFacts::default(), &[]);
        assert_eq!(items[0].label, "/root/.cache/uv");
        assert_eq!(items[0].range.start, text.len());
    }

    #[test]
    fn uv_variables_in_env_and_arg_keys_and_values() {
        let (_, items) = items_with("FROM x\nENV $0", &ProjectFacts::default(), &[]);
        assert!(items.len() > 50, "{}", items.len());
        let first = &items[0];
        assert!(first.label.starts_with("UV_") && !first.deprecated && first.insert_text.ends_with('='));
        let last = items.last().expect("items");
        assert!(last.deprecated, "deprecated ones come last: {}", last.label);
        assert!(items.iter().all(|it| !it.label.contains('{')));
        let arg = labels("ARG $0");
        assert!(arg.contains(&"TARGETPLATFORM".to_owned()) && arg.contains(&"UV_LINK_MODE".to_owned()));
        assert_eq!(labels("FROM x\nENV UV_LINK_MODE=$0"), ["clone", "copy", "hardlink", "symlink"]);
        assert_eq!(labels("FROM x\nENV A=1 UV_COMPILE_BYTECODE=$0"), ["1", "0"]);
        assert!(labels("FROM x\nENV NAME $0").is_empty());
    }

    #[test]
    fn uv_subcommands_and_flags() {
        let commands = labels("FROM x\nRUN uv $0");
        assert_eq!(commands[0], "sync");
        assert!(commands.contains(&"pip install".to_owned()) && commands.contains(&"python install".to_owned()));
        assert_eq!(labels("FROM x\nRUN uv pip $0"), ["install", "sync", "compile"]);
        let flags = labels("FROM x\nRUN uv sync --no-dev -$0");
        assert_eq!(flags[0], "--locked");
        assert!(!flags.contains(&"--no-dev".to_owned()) && flags.contains(&"--no-install-project".to_owned()));
        let flags = labels("FROM x\nRUN apt-get update && UV_NO_CACHE=1 uv sync --locked --$0");
        assert!(!flags.contains(&"--locked".to_owned()) && !flags.contains(&"--frozen".to_owned()), "{flags:?}");
        assert!(labels("FROM x\nRUN uv run --$0").contains(&"--no-sync".to_owned()));
        assert!(labels("FROM x\nRUN uv run python -$0").is_empty());
        assert!(labels("FROM x\nCMD [\"uv\", \"run\", \"--$0").contains(&"--no-sync".to_owned()));
        assert_eq!(labels("FROM x\nRUN uv sync --link-mode=$0"), ["clone", "copy", "hardlink", "symlink"]);
        assert_first("FROM x\nRUN UV_LINK_MODE=$0", &["clone"]);
    }

    #[test]
    fn frozen_comes_first_in_a_workspace_dependency_layer() {
        let text = "[project]\nname = \"root\"\n[tool.uv.workspace]\nmembers = [\"packages/*\"]\n";
        let file = SourceFile { path: PathBuf::from("/p/pyproject.toml"), text: Arc::from(text) };
        let project =
            ProjectFacts { pyproject: Some(crate::project::parse_pyproject(file).0), ..ProjectFacts::default() };
        let layer = labels_in("FROM x\nRUN uv sync --no-install-project -$0", &project);
        assert_eq!(layer[0], "--frozen");
        let full = labels_in("FROM x\nRUN uv sync -$0", &project);
        assert_eq!(full[0], "--locked");
    }

    #[test]
    fn stage_names_and_uv_images_after_from() {
        let fixture =
            "FROM python:3.12 AS builder\nFROM python:3.12 AS tests\nCOPY --from=$0\nFROM python:3.12 AS late\n";
        let got = labels(fixture);
        assert_eq!(got, ["builder", "ghcr.io/astral-sh/uv:0.12.5"], "not the stage itself, nor later ones");
        let got = labels("FROM x\nCOPY --from=ghcr.io/astral-sh/uv:$0");
        assert_eq!(&got[..2], ["0.12.5", "0.12"]);
        let got = labels_in("FROM ghcr.io/astral-sh/uv:$0", &pinned(3, 12, None));
        assert_eq!(got[0], "0.12.5-python3.12-trixie-slim");
        let got = labels("FROM python:3.12 AS base\nFROM $0");
        assert!(got.contains(&"base".to_owned()), "{got:?}");
        assert_eq!(labels("FROM python:3.12 $0"), ["AS"]);
    }

    #[test]
    fn python_tags_follow_the_project() {
        let got = labels_in("FROM python:$0", &pinned(3, 12, None));
        assert_eq!(&got[..4], ["3.12-slim-trixie", "3.12-slim", "3.12-alpine3.22", "3.12"]);
        let got = labels_in("FROM python:$0", &pinned(3, 11, Some(9)));
        assert_eq!(&got[..2], ["3.11.9-slim-trixie", "3.11-slim-trixie"]);
        let got = labels_in("FROM $0", &pinned(3, 13, None));
        assert_eq!(got[0], "python:3.13-slim-trixie");
    }

    #[test]
    fn variables_in_scope() {
        let fixture = "ARG PY=3.12\nFROM python:${$0\nENV HOME_DIR=/app\n";
        let (_, items) = items_with(fixture, &ProjectFacts::default(), &[]);
        assert_eq!(items[0].label, "PY");
        assert_eq!(items[0].insert_text, "PY}");
        assert_eq!(items[0].detail.as_deref(), Some("ARG = 3.12"));
        assert!(items.iter().any(|it| it.label == "TARGETPLATFORM"));
        assert!(!items.iter().any(|it| it.label == "HOME_DIR"));

        let fixture =
            "ARG PY=3.12\nFROM python AS base\nENV APP=/app\nFROM base\nARG TAG=1\nRUN echo $$0\nENV LATER=1\n";
        let got = labels(fixture);
        assert_eq!(&got[..2], ["TAG", "APP"]);
        assert!(!got.contains(&"PY".to_owned()) && !got.contains(&"LATER".to_owned()), "{got:?}");
        assert!(!got.contains(&"TARGETPLATFORM".to_owned()));
    }

    #[test]
    fn context_paths_for_copy_sources() {
        let entries = [
            ContextEntry { name: "src".to_owned(), is_dir: true },
            ContextEntry { name: "uv.lock".to_owned(), is_dir: false },
            ContextEntry { name: "pyproject.toml".to_owned(), is_dir: false },
            ContextEntry { name: ".venv".to_owned(), is_dir: true },
        ];
        let mut project = ProjectFacts::default();
        let file = SourceFile { path: PathBuf::from("/p/.dockerignore"), text: Arc::from(".venv\n") };
        project.dockerignore = Some(crate::project::parse_dockerignore(file).0);
        let (_, items) = items_with("FROM x\nCOPY $0", &project, &entries);
        let got: Vec<&str> = items.iter().map(|it| it.label.as_str()).collect();
        assert_eq!(got, ["pyproject.toml", "uv.lock", "src"]);
        assert_eq!(items[2].insert_text, "src/");
        assert!(items[2].retrigger);

        let fixture = "FROM x\nCOPY src/pa$0";
        let offset = fixture.find("$0").expect("cursor");
        let text = fixture.replace("$0", "");
        let analysis = crate::analysis::analyze(&text, &project);
        assert_eq!(super::context_folder(&analysis, &text, offset).as_deref(), Some("src/"));
        let (_, items) = items_with(fixture, &project, &[ContextEntry { name: "pkg".to_owned(), is_dir: true }]);
        assert_eq!(&text[items[0].range.as_range()], "pa");

        for fixture in ["FROM x\nCOPY --from=builder $0", "FROM x\nCOPY a.txt /ap$0", "FROM x\nRUN $0"] {
            let offset = fixture.find("$0").expect("cursor");
            let text = fixture.replace("$0", "");
            let analysis = crate::analysis::analyze(&text, &project);
            assert_eq!(super::context_folder(&analysis, &text, offset), None, "{fixture}");
        }
        assert_eq!(labels("FROM x\nCOPY --from=ghcr.io/astral-sh/uv:0.12.5 $0"), ["/uv /uvx /bin/"]);
    }

    #[test]
    fn nothing_in_comments_heredocs_and_unknown_places() {
        assert!(labels("# FR$0").is_empty());
        assert!(labels("FROM x\nRUN <<EOF\nuv $0\nEOF\n").is_empty());
        assert!(labels("FROM x\nWORKDIR /a$0").is_empty());
    }

    #[test]
    fn every_prefix_of_a_real_file_is_safe() {
        let text = crate::syntax::sample::sample_large_dockerfile(40);
        let text = format!("# escape=\\\nARG V=1\n{text}ENV UV_LINK_MODE=copy é🐍 \\\n  B=2\n");
        let project = ProjectFacts::default();
        let analysis = crate::analysis::analyze(&text, &project);
        for offset in (0..=text.len()).filter(|it| text.is_char_boundary(*it)) {
            for item in super::completions(&analysis, &text, &project, offset, &[]) {
                assert!(item.range.end <= offset && item.range.start <= item.range.end, "{offset}: {item:?}");
            }
            let _ = super::context_folder(&analysis, &text, offset);
            let _ = crate::ide::signature::signature_help(&analysis, &text, offset);
        }
    }
}
