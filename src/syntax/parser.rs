//! The Dockerfile parser: directives, comments, logical lines, then one instruction at a time.
//!
//! It follows BuildKit's `frontend/dockerfile/parser` and `instructions` packages, but never
//! stops: every problem becomes a [`SyntaxError`] and parsing goes on with the next line.

use crate::syntax::flags;
use crate::syntax::heredoc::{Marker, find_markers, read_bodies};
use crate::syntax::json::{Json, parse_array};
use crate::syntax::lexer::{
    CLASS, Logical, MappedText, NON_ASCII, SPACE, blank_marks, continuation, is_ascii_space, is_split_ws, leading_ws,
    line_at, skip_words,
};
use crate::syntax::suggest::closest;
use crate::syntax::words::{extract_flags, make_word, needs_unquote, split_words, word_at};
use crate::syntax::{
    Args, Comment, CompactString, Directive, Dockerfile, ExecForm, Flag, Healthcheck, Instruction, KeyValue, Keyword,
    KeywordCase, OffsetMap, Parse, ShellForm, SyntaxError, SyntaxErrorKind, Word,
};
use crate::text::{Spanned, TextRange};

const BOM: &str = "\u{feff}";

pub fn parse(text: &str) -> Parse {
    let mut parser = Parser::new(text, b'\\');
    parser.file.instructions.reserve(text.len() / 64);
    parser.run();
    let Parser { mut file, mut errors, escape, .. } = parser;
    file.escape = escape as char;
    errors.sort_by_key(|it| (it.range.start, it.range.end));
    Parse { file, errors }
}

/// What [`parse_from`] found: instructions, comments and errors (sorted), in source order.
pub(crate) struct Piece {
    pub(crate) instructions: Vec<Instruction>,
    pub(crate) comments: Vec<Comment>,
    pub(crate) errors: Vec<SyntaxError>,
    /// Where parsing stopped: a line start where `stop` said yes, or the end of the text.
    pub(crate) end: usize,
}

/// Parses `text` from `start`, a position where a line starts outside any instruction (past
/// the directives), one line or instruction at a time, until `stop` accepts the line start
/// parsing has reached or the text ends. For re-parsing the part of a file an edit touched.
pub(crate) fn parse_from(text: &str, start: usize, escape: char, mut stop: impl FnMut(usize) -> bool) -> Piece {
    let escape = if escape == '`' { b'`' } else { b'\\' };
    let mut parser = Parser::new(text, escape);
    parser.directives_done = true;
    let mut pos = start;
    while pos < text.len() && !stop(pos) {
        pos = parser.step(pos);
    }
    let Parser { file, mut errors, .. } = parser;
    errors.sort_by_key(|it| (it.range.start, it.range.end));
    Piece { instructions: file.instructions, comments: file.comments, errors, end: pos }
}

struct Parser<'t> {
    text: &'t str,
    escape: u8,
    directives_done: bool,
    file: Dockerfile,
    errors: Vec<SyntaxError>,
    /// Reused buffer for the logical text of the current instruction.
    logical: MappedText,
    scratch: MappedText,
    buffers: Buffers,
    /// Reused buffer for the heredoc markers of the current instruction.
    markers: Vec<Marker>,
}

/// Reused buffers that collect the flags, words and pairs of one instruction, which then move
/// into vectors of exactly their number: one allocation of the right size each, where pushing
/// onto a new vector would allocate room for four and grow it step by step.
#[derive(Default)]
struct Buffers {
    flags: Vec<Flag>,
    words: Vec<Word>,
    pairs: Vec<KeyValue>,
    valid_mounts: flags::ValidMounts,
}

/// Moves the elements of a reused buffer into a new vector of exactly their number (no
/// allocation when there are none).
fn take_exact<T>(buffer: &mut Vec<T>) -> Vec<T> {
    let mut res = Vec::with_capacity(buffer.len());
    res.append(buffer);
    res
}

impl Parser<'_> {
    fn new(text: &str, escape: u8) -> Parser<'_> {
        Parser {
            text,
            escape,
            directives_done: false,
            file: Dockerfile::default(),
            errors: Vec::new(),
            logical: MappedText::default(),
            scratch: MappedText::default(),
            buffers: Buffers::default(),
            markers: Vec::new(),
        }
    }

    fn run(&mut self) {
        let mut pos = 0;
        if self.text.starts_with(BOM) {
            self.file.bom = true;
            pos = BOM.len();
        }
        while pos < self.text.len() {
            pos = self.step(pos);
        }
    }

    /// Reads the line at `pos` (a directive, comment or blank line) or the instruction that
    /// starts on it; returns where the next line starts.
    fn step(&mut self, pos: usize) -> usize {
        let text = self.text;
        let line = line_at(text, pos);
        let first = line.start + first_non_space(text, line.start, line.content_end);
        if first < line.content_end && text.as_bytes()[first] == b'#' {
            if !self.directives_done && self.directive(first, line.content_end) {
                return line.next;
            }
            self.directives_done = true;
            self.comment(first, line.content_end);
            return line.next;
        }
        self.directives_done = true;
        if first == line.content_end {
            return line.next;
        }
        self.instruction(line.next, first, line.content_end)
    }

    fn comment(&mut self, start: usize, end: usize) {
        let text = CompactString::from(trim_unicode(&self.text[start + 1..end]));
        self.file.comments.push(Comment { range: TextRange::new(start, end), text });
    }

    /// Reads `# name=value` at `start..end`; returns false when the line is a plain comment.
    fn directive(&mut self, start: usize, end: usize) -> bool {
        let line = &self.text[start..end];
        let after_hash = &line[1..];
        let name_start = 1 + leading_ws(after_hash);
        let rest = &line[name_start..];
        let bytes = rest.as_bytes();
        if !bytes.first().is_some_and(u8::is_ascii_alphabetic) {
            return false;
        }
        let name_len = bytes.iter().take_while(|it| it.is_ascii_alphanumeric()).count();
        let is_re_space = |b: &u8| matches!(b, b'\t' | b'\n' | 0x0c | b'\r' | b' ');
        let mut at = name_len;
        while bytes.get(at).is_some_and(is_re_space) {
            at += 1;
        }
        if bytes.get(at) != Some(&b'=') {
            return false;
        }
        at += 1;
        while bytes.get(at).is_some_and(is_re_space) {
            at += 1;
        }
        let mut value_end = bytes.len();
        while value_end > at && is_re_space(&bytes[value_end - 1]) {
            value_end -= 1;
        }
        if value_end == at {
            return false;
        }
        let name = &rest[..name_len];
        let lower = name.to_ascii_lowercase();
        if !matches!(lower.as_str(), "syntax" | "escape" | "check") {
            return false;
        }
        let base = start + name_start;
        let value = &rest[at..value_end];
        let directive = Directive {
            range: TextRange::new(start, end),
            name: Spanned::new(CompactString::from(name), TextRange::new(base, base + name_len)),
            value: Spanned::new(CompactString::from(value), TextRange::new(base + at, base + value_end)),
        };
        let seen = self.file.directives.iter().any(|it| it.name.value.eq_ignore_ascii_case(&lower));
        if seen {
            let message = format!("the `{lower}` directive is given more than once; only the first one counts");
            self.error(directive.range, SyntaxErrorKind::InvalidDirective, message);
        } else if lower == "escape" {
            match value {
                "\\" => self.escape = b'\\',
                "`" => self.escape = b'`',
                _ => {
                    let message = format!("the escape character must be `\\` or `` ` ``, not `{value}`");
                    self.error(directive.value.range, SyntaxErrorKind::InvalidDirective, message);
                }
            }
        }
        self.file.directives.push(directive);
        true
    }

    fn error(&mut self, range: TextRange, kind: SyntaxErrorKind, message: String) {
        self.errors.push(SyntaxError { range, kind, message });
    }

    /// Parses the instruction whose first line is `first..first_end` (leading whitespace
    /// already skipped); `next` is where the following line starts. Returns where parsing
    /// continues.
    fn instruction(&mut self, next: usize, first: usize, first_end: usize) -> usize {
        let text = self.text;
        let (piece_end, mut continues) = continuation(text, first, first_end, self.escape);
        if !continues {
            // Most instructions are one line: the logical text is that line, borrowed.
            let line = Logical::contiguous(&text[first..piece_end], first);
            return self.finish_instruction(&line, first, first_end, next);
        }
        let mut logical = std::mem::take(&mut self.logical);
        logical.clear();
        logical.push(&text[first..piece_end], first);
        let mut last_end = first_end;
        let mut pos = next;
        while continues && pos < text.len() {
            let line = line_at(text, pos);
            pos = line.next;
            let ws = first_non_space(text, line.start, line.content_end);
            let first = line.start + ws;
            if first == line.content_end {
                continue;
            }
            if text.as_bytes()[first] == b'#' {
                self.comment(first, line.content_end);
                continue;
            }
            let (piece_end, more) = continuation(text, line.start, line.content_end, self.escape);
            logical.push(&text[line.start..piece_end], line.start);
            last_end = line.content_end;
            continues = more;
        }

        let line = Logical::new(&logical.text, logical.map());
        let pos = self.finish_instruction(&line, first, last_end, pos);
        self.logical = logical;
        pos
    }

    /// Parses the logical line `line` of an instruction whose source lines run from `first` to
    /// `last_end`; `pos` is where the next line starts. Returns where parsing continues.
    fn finish_instruction(&mut self, line: &Logical, first: usize, last_end: usize, mut pos: usize) -> usize {
        let text = self.text;
        let (start, end) = line.trim(0, line.text.len());
        if start == end {
            let message = "a line continuation with no instruction after it".to_string();
            self.error(TextRange::new(first, last_end), SyntaxErrorKind::Invalid, message);
            return pos;
        }
        let mut ctx = Ctx {
            escape: self.escape,
            errors: &mut self.errors,
            scratch: &mut self.scratch,
            buffers: &mut self.buffers,
        };
        let mut instruction = parse_instruction(&mut ctx, line, start, end, false);

        // Heredoc bodies follow the instruction's last line.
        let mut range_end = last_end;
        let target = match &mut instruction.args {
            Args::Onbuild(inner) => inner.as_mut(),
            _ => &mut instruction,
        };
        if can_have_heredocs(target) {
            find_markers(line, start, &mut self.markers);
            if !self.markers.is_empty() {
                let (heredocs, after) = read_bodies(text, pos, &mut self.markers, &mut self.errors);
                pos = after;
                if let Some(last) = heredocs.last() {
                    range_end = range_end.max(last.range.end);
                }
                target.heredocs = heredocs;
            }
        }
        instruction.range = TextRange::new(instruction.range.start, range_end.max(instruction.range.start));
        if let Args::Onbuild(inner) = &mut instruction.args {
            inner.range = TextRange::new(inner.range.start, range_end.max(inner.range.start));
        }
        self.file.instructions.push(instruction);
        pos
    }
}

/// [`leading_ws`] of the line `text[start..end]`, answered without slicing when the line starts
/// with a plain ASCII character (as most do).
#[inline(always)]
fn first_non_space(text: &str, start: usize, end: usize) -> usize {
    match text.as_bytes().get(start) {
        Some(&b) if start < end && CLASS[b as usize] & (SPACE | NON_ASCII) == 0 => 0,
        _ => leading_ws(&text[start..end]),
    }
}

/// `str::trim`, with the usual ASCII ends handled without decoding characters.
fn trim_unicode(text: &str) -> &str {
    let bytes = text.as_bytes();
    let Some(start) = bytes.iter().position(|it| !is_ascii_space(*it)) else {
        return "";
    };
    if !bytes[start].is_ascii() {
        return text.trim();
    }
    // `start` holds a non-space byte, so the search finds one at or after it.
    let end = bytes.iter().rposition(|it| !is_ascii_space(*it)).map_or(start + 1, |it| it + 1);
    if !bytes[end - 1].is_ascii() {
        return text.trim();
    }
    &text[start..end]
}

fn can_have_heredocs(instruction: &Instruction) -> bool {
    matches!(instruction.keyword, Keyword::Run | Keyword::Copy | Keyword::Add)
        && !matches!(instruction.args, Args::Exec(_))
}

struct Ctx<'e> {
    escape: u8,
    errors: &'e mut Vec<SyntaxError>,
    /// Reused buffer for flag words.
    scratch: &'e mut MappedText,
    buffers: &'e mut Buffers,
}

impl Ctx<'_> {
    fn error(&mut self, range: TextRange, kind: SyntaxErrorKind, message: impl Into<String>) {
        self.errors.push(SyntaxError { range, kind, message: message.into() });
    }
}

/// Parses the instruction in `line.text[start..end]` (trimmed, non-empty). The returned range
/// ends at the end of the logical text; the caller extends it to the end of the source lines.
fn parse_instruction(ctx: &mut Ctx, line: &Logical, start: usize, end: usize, nested: bool) -> Instruction {
    let bytes = line.text.as_bytes();
    // The keyword ends at a blank: whole words without one are skipped at once.
    let mut keyword_end = skip_words(&bytes[..end], start, blank_marks);
    while keyword_end < end && !is_split_ws(bytes[keyword_end]) {
        keyword_end += 1;
    }
    let keyword_text = &line.text[start..keyword_end];
    let keyword_range = line.range(start, keyword_end);
    let keyword = Keyword::from_name(keyword_text);
    if keyword == Keyword::Unknown {
        let suggestion = closest(keyword_text, Keyword::ALL.iter().map(|it| it.as_str())).map(Keyword::from_name);
        let shown = shorten(keyword_text);
        let message = match suggestion {
            Some(it) => format!("unknown instruction `{shown}`; did you mean `{}`?", it.as_str()),
            None => format!("unknown instruction `{shown}`"),
        };
        ctx.error(keyword_range, SyntaxErrorKind::UnknownInstruction { suggestion }, message);
    }

    let flag_buffer = &mut ctx.buffers.flags;
    flag_buffer.clear();
    let args_start = extract_flags(line, keyword_end, end, ctx.scratch, |word, map, contiguous, start, end| {
        // A flag that is one piece of the source maps by addition, without a search of the map.
        let range = match contiguous {
            Some(base) => TextRange::new(base, base + (end - start)),
            None => line.range(start, end),
        };
        flag_buffer.push(flags::make_flag(word, map, contiguous, range));
    });
    let flags = take_exact(&mut ctx.buffers.flags);
    let (args_start, args_end) = line.trim(args_start.min(end), end);

    match keyword {
        // Most instructions have no flags: nothing to check.
        _ if flags.is_empty() => {}
        Keyword::Unknown | Keyword::Healthcheck => {}
        _ => flags::validate(ctx.errors, &mut ctx.buffers.valid_mounts, keyword, &flags),
    }

    let args = Span { start: args_start, end: args_end };
    let parsed_args = match keyword {
        Keyword::Run | Keyword::Cmd | Keyword::Entrypoint | Keyword::Shell => command_args(ctx, line, args, keyword),
        Keyword::Copy | Keyword::Add | Keyword::Volume => list_args(ctx, line, args, keyword),
        Keyword::Env | Keyword::Label => env_args(ctx, line, args, keyword),
        Keyword::Arg => arg_args(ctx, line, args),
        Keyword::From => from_args(ctx, line, args),
        Keyword::Healthcheck => healthcheck_args(ctx, line, args, &flags),
        Keyword::Onbuild => onbuild_args(ctx, line, args, nested),
        Keyword::Expose
        | Keyword::User
        | Keyword::Workdir
        | Keyword::Stopsignal
        | Keyword::Maintainer
        | Keyword::Unknown => words_args(ctx, line, args, keyword),
    };

    if args.is_empty() && needs_arguments(keyword) {
        let message = format!("{} needs {}", keyword.as_str(), what_it_needs(keyword));
        ctx.error(keyword_range, SyntaxErrorKind::MissingArguments, message);
    }
    // Built once at the end: the tree node is large, so every extra move of it costs.
    Instruction {
        range: line.range(start, end),
        keyword,
        keyword_range,
        keyword_case: KeywordCase::of(keyword_text),
        flags,
        args: parsed_args,
        heredocs: Vec::new(),
    }
}

/// A logical byte range.
#[derive(Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
}

impl Span {
    fn is_empty(self) -> bool {
        self.start >= self.end
    }
}

fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out.chars().map(|it| if it.is_control() { '?' } else { it }).collect()
}

fn needs_arguments(keyword: Keyword) -> bool {
    !matches!(keyword, Keyword::Cmd | Keyword::Entrypoint | Keyword::Unknown)
}

fn what_it_needs(keyword: Keyword) -> &'static str {
    match keyword {
        Keyword::From => "an image: `FROM <image> [AS <name>]`",
        Keyword::Run => "a command",
        Keyword::Copy | Keyword::Add => "a source and a destination",
        Keyword::Env | Keyword::Label => "at least one `key=value` pair",
        Keyword::Arg => "a name: `ARG <name>[=<default>]`",
        Keyword::Expose => "at least one port",
        Keyword::User => "a user name or id",
        Keyword::Workdir => "a directory",
        Keyword::Volume => "at least one path",
        Keyword::Stopsignal => "a signal name or number",
        Keyword::Maintainer => "a name",
        Keyword::Healthcheck => "`CMD <command>` or `NONE`",
        Keyword::Onbuild => "an instruction to run later",
        Keyword::Shell => "a JSON array such as [\"/bin/sh\", \"-c\"]",
        Keyword::Cmd | Keyword::Entrypoint | Keyword::Unknown => "arguments",
    }
}

/// What the JSON check made of the arguments.
enum JsonOutcome {
    Exec(ExecForm),
    NotJson,
}

/// Tries exec form; reports broken JSON as BuildKit would treat it. `fallback` names what the
/// text becomes instead (for the message).
fn try_json(ctx: &mut Ctx, line: &Logical, args: Span, fallback: &str) -> JsonOutcome {
    let text = &line.text[args.start..args.end];
    if !text.starts_with('[') {
        return JsonOutcome::NotJson;
    }
    // An array on one line of a continued instruction (`HEALTHCHECK ... \` then `CMD [...]`)
    // is one piece of the source: its ranges map by addition (see `key_value`).
    let base = line.piece_base(args.start, args.end);
    let range = |s: usize, e: usize| match base {
        Some(base) if s < e => TextRange::new(base + s, base + e),
        _ => line.range(args.start + s, args.start + e),
    };
    let element = |value, s, e| Spanned::new(value, range(s, e));
    match parse_array(text, element) {
        Json::Strings { elements, end } => JsonOutcome::Exec(ExecForm { range: range(0, end), elements }),
        Json::NotStrings { at } => {
            let range = line.range(args.start + at, args.start + at + 1);
            ctx.error(range, SyntaxErrorKind::Invalid, "a JSON array here may only hold strings");
            JsonOutcome::NotJson
        }
        Json::Invalid { reason, .. } => {
            let message = format!("not a valid JSON array ({reason}), so Docker treats it as {fallback}");
            let range = line.range(args.start, args.end);
            ctx.error(range, SyntaxErrorKind::InvalidJsonArray, message);
            JsonOutcome::NotJson
        }
    }
}

fn shell_form(line: &Logical, args: Span) -> ShellForm {
    // Most shell forms are one piece of the source (on one line, or on the last line of a
    // continued instruction): then the map is that piece, and no search of the map is needed.
    let (range, map) = match line.piece_base(args.start, args.end) {
        Some(base) => (TextRange::new(base, base + (args.end - args.start)), OffsetMap::single(0, base)),
        None => (line.range(args.start, args.end), line.map.slice(args.start, args.end)),
    };
    ShellForm { range, text: CompactString::from(&line.text[args.start..args.end]), map }
}

/// RUN, CMD, ENTRYPOINT, SHELL: exec form when the text is a JSON array of strings.
fn command_args(ctx: &mut Ctx, line: &Logical, args: Span, keyword: Keyword) -> Args {
    if args.is_empty() {
        return Args::Empty;
    }
    if keyword == Keyword::Shell {
        let text = &line.text[args.start..args.end];
        if text.starts_with('[')
            && let Json::Strings { elements, end } =
                parse_array(text, |value, s, e| Spanned::new(value, line.range(args.start + s, args.start + e)))
        {
            if elements.is_empty() {
                ctx.error(
                    line.range(args.start, args.end),
                    SyntaxErrorKind::MissingArguments,
                    "SHELL needs at least one element",
                );
            }
            return Args::Exec(ExecForm { range: line.range(args.start, args.start + end), elements });
        }
        let message = "SHELL needs a JSON array such as [\"/bin/bash\", \"-c\"]";
        ctx.error(line.range(args.start, args.end), SyntaxErrorKind::Invalid, message);
        return Args::Shell(shell_form(line, args));
    }
    match try_json(ctx, line, args, "a shell command") {
        JsonOutcome::Exec(exec) => Args::Exec(exec),
        JsonOutcome::NotJson => Args::Shell(shell_form(line, args)),
    }
}

fn words(ctx: &mut Ctx, line: &Logical, args: Span) -> Vec<Word> {
    ctx.buffers.words.clear();
    for span in split_words(line.text, args.start, args.end, ctx.escape) {
        let (word, open_quote) = make_word(line, span.start, span.end, span.plain, ctx.escape);
        if open_quote {
            let message = format!("`{}` has a quote that is never closed", shorten(&word.raw));
            ctx.error(word.range, SyntaxErrorKind::Invalid, message);
        }
        ctx.buffers.words.push(word);
    }
    take_exact(&mut ctx.buffers.words)
}

/// COPY, ADD, VOLUME: exec form or a list of words.
fn list_args(ctx: &mut Ctx, line: &Logical, args: Span, keyword: Keyword) -> Args {
    if args.is_empty() {
        return Args::Empty;
    }
    let kw = keyword.as_str();
    match try_json(ctx, line, args, "plain words") {
        JsonOutcome::Exec(exec) => {
            if matches!(keyword, Keyword::Copy | Keyword::Add) && exec.elements.len() < 2 {
                let message = format!("{kw} needs a source and a destination");
                ctx.error(exec.range, SyntaxErrorKind::MissingArguments, message);
            }
            if keyword == Keyword::Volume {
                if exec.elements.is_empty() {
                    ctx.error(exec.range, SyntaxErrorKind::MissingArguments, "VOLUME needs at least one path");
                }
                for element in exec.elements.iter().filter(|it| it.value.trim().is_empty()) {
                    ctx.error(element.range, SyntaxErrorKind::Invalid, "a VOLUME path can't be empty");
                }
            }
            Args::Exec(exec)
        }
        JsonOutcome::NotJson => {
            let words = words(ctx, line, args);
            if matches!(keyword, Keyword::Copy | Keyword::Add) {
                check_copy_words(ctx, &words, keyword);
            }
            Args::Words(words)
        }
    }
}

fn is_heredoc_word(raw: &str) -> bool {
    let digits = raw.bytes().take_while(u8::is_ascii_digit).count();
    let Some(after) = raw[digits..].strip_prefix("<<") else {
        return false;
    };
    let rest = after.strip_prefix('-').unwrap_or(after);
    !rest.is_empty() && !rest.contains('<')
}

fn check_copy_words(ctx: &mut Ctx, words: &[Word], keyword: Keyword) {
    let kw = keyword.as_str();
    if words.len() == 1 {
        let message = format!("{kw} needs a source and a destination; only `{}` is given", shorten(&words[0].raw));
        ctx.error(words[0].range, SyntaxErrorKind::MissingArguments, message);
    }
    if let Some(last) = words.last()
        && words.len() >= 2
        && is_heredoc_word(&last.raw)
    {
        ctx.error(last.range, SyntaxErrorKind::Invalid, format!("a heredoc can't be the destination of {kw}"));
    }
    // A known flag after the first argument is taken as a path, which is never what was meant.
    for word in words.iter().skip(1) {
        let Some(name) = word.raw.strip_prefix("--") else {
            continue;
        };
        let name = name.split('=').next().unwrap_or_default();
        if flags::is_known(keyword, name) {
            let message = format!("`--{name}` comes after the arguments, so it is read as a path; put flags first");
            ctx.error(word.range, SyntaxErrorKind::Invalid, message);
        }
    }
}

fn words_args(ctx: &mut Ctx, line: &Logical, args: Span, keyword: Keyword) -> Args {
    if args.is_empty() {
        return Args::Empty;
    }
    let words = words(ctx, line, args);
    if keyword == Keyword::Stopsignal && words.len() > 1 {
        let range = words[1].range.cover(words[words.len() - 1].range);
        ctx.error(range, SyntaxErrorKind::ExtraArguments, "STOPSIGNAL takes a single signal");
    }
    Args::Words(words)
}

fn from_args(ctx: &mut Ctx, line: &Logical, args: Span) -> Args {
    if args.is_empty() {
        return Args::Empty;
    }
    let words = words(ctx, line, args);
    match words.len() {
        1 => {}
        2 if words[1].raw.eq_ignore_ascii_case("as") => {
            ctx.error(words[1].range, SyntaxErrorKind::MissingArguments, "`AS` needs a stage name after it");
        }
        2 => {
            let message = format!("FROM takes one image; to name the stage write `AS {}`", shorten(&words[1].raw));
            ctx.error(words[1].range, SyntaxErrorKind::ExtraArguments, message);
        }
        _ if !words[1].raw.eq_ignore_ascii_case("as") => {
            let message = format!("expected `AS <name>` after the image, found `{}`", shorten(&words[1].raw));
            ctx.error(words[1].range, SyntaxErrorKind::Invalid, message);
        }
        3 => {
            // Stage names are compared lower-cased: a letter first, then letters, digits, `-`,
            // `_` or `.` (checked on the bytes, so no lower-cased copy is made).
            let name = words[2].raw.as_bytes();
            let valid = name.first().is_some_and(u8::is_ascii_alphabetic)
                && name.iter().all(|it| it.is_ascii_alphanumeric() || b"-_.".contains(it));
            if !valid {
                let message = format!(
                    "`{}` is not a valid stage name: start with a letter, then use letters, digits, `-`, `_` or `.`",
                    shorten(&words[2].raw)
                );
                ctx.error(words[2].range, SyntaxErrorKind::Invalid, message);
            }
        }
        _ => {
            let range = words[3].range.cover(words[words.len() - 1].range);
            ctx.error(range, SyntaxErrorKind::ExtraArguments, "nothing may follow the stage name");
        }
    }
    Args::Words(words)
}

/// ENV and LABEL: `k=v` pairs, or the legacy `KEY value with spaces`.
fn env_args(ctx: &mut Ctx, line: &Logical, args: Span, keyword: Keyword) -> Args {
    if args.is_empty() {
        return Args::Empty;
    }
    let kw = keyword.as_str();
    let mut spans = split_words(line.text, args.start, args.end, ctx.escape);
    let Some(first) = spans.next() else {
        return Args::Empty;
    };
    if !line.text.as_bytes()[first.start..first.end].contains(&b'=') {
        // Legacy form: the key ends at the first blank, the value is the rest of the line.
        let bytes = line.text.as_bytes();
        let mut key_end = args.start;
        while key_end < args.end && !is_split_ws(bytes[key_end]) {
            key_end += 1;
        }
        let mut value_start = key_end;
        while value_start < args.end && is_split_ws(bytes[value_start]) {
            value_start += 1;
        }
        let key = Spanned::new(CompactString::from(&line.text[args.start..key_end]), line.range(args.start, key_end));
        if value_start >= args.end {
            let message = format!("{kw} needs a value: write `{kw} {}=<value>`", shorten(&key.value));
            ctx.error(key.range, SyntaxErrorKind::Invalid, message);
            let range = key.range;
            return Args::KeyValues(vec![KeyValue { range, key, value: None, legacy: true }]);
        }
        let plain = !needs_unquote(&line.text[value_start..args.end], ctx.escape);
        let (value, open_quote) = make_word(line, value_start, args.end, plain, ctx.escape);
        if open_quote {
            ctx.error(value.range, SyntaxErrorKind::Invalid, "a quote in this value is never closed");
        }
        let range = key.range.cover(value.range);
        return Args::KeyValues(vec![KeyValue { range, key, value: Some(value), legacy: true }]);
    }
    ctx.buffers.pairs.clear();
    for span in std::iter::once(first).chain(spans) {
        let (s, e) = (span.start, span.end);
        let raw = &line.text[s..e];
        let Some(eq) = raw.bytes().position(|it| it == b'=') else {
            let message = format!("`{}` is not a `key=value` pair", shorten(raw));
            ctx.error(line.range(s, e), SyntaxErrorKind::Invalid, message);
            let key = Spanned::new(CompactString::from(raw), line.range(s, e));
            ctx.buffers.pairs.push(KeyValue { range: key.range, key, value: None, legacy: false });
            continue;
        };
        let pair = key_value(ctx, line, s, s + eq, e, span.plain, kw);
        ctx.buffers.pairs.push(pair);
    }
    Args::KeyValues(take_exact(&mut ctx.buffers.pairs))
}

/// One `key=value` word at `start..end` with its first `=` at `eq`; `plain` says the word holds
/// no quote and no escape character.
fn key_value(ctx: &mut Ctx, line: &Logical, start: usize, eq: usize, end: usize, plain: bool, kw: &str) -> KeyValue {
    // A pair on one line of a continued instruction (`ENV A=1 \`) is one piece of the source:
    // its three ranges map by addition, with one search of the map instead of three. (An empty
    // range at the end of a piece maps to the next piece, so those go through the map.)
    let base = line.piece_base(start, end);
    let range = |from: usize, to: usize| match base {
        Some(base) if from < to => TextRange::new(base + (from - start), base + (to - start)),
        _ => line.range(from, to),
    };
    let key = Spanned::new(CompactString::from(&line.text[start..eq]), range(start, eq));
    if key.value.is_empty() {
        ctx.error(range(start, end), SyntaxErrorKind::Invalid, format!("{kw} names can't be empty"));
    }
    let (value, open_quote) = word_at(range(eq + 1, end), &line.text[eq + 1..end], plain, ctx.escape);
    if open_quote {
        ctx.error(value.range, SyntaxErrorKind::Invalid, "a quote in this value is never closed");
    }
    KeyValue { range: range(start, end), key, value: Some(value), legacy: false }
}

fn arg_args(ctx: &mut Ctx, line: &Logical, args: Span) -> Args {
    if args.is_empty() {
        return Args::Empty;
    }
    ctx.buffers.pairs.clear();
    for span in split_words(line.text, args.start, args.end, ctx.escape) {
        let (s, e) = (span.start, span.end);
        let pair = match line.text[s..e].bytes().position(|it| it == b'=') {
            Some(eq) => key_value(ctx, line, s, s + eq, e, span.plain, "ARG"),
            None => {
                let key = Spanned::new(CompactString::from(&line.text[s..e]), line.range(s, e));
                KeyValue { range: key.range, key, value: None, legacy: false }
            }
        };
        ctx.buffers.pairs.push(pair);
    }
    Args::KeyValues(take_exact(&mut ctx.buffers.pairs))
}

fn healthcheck_args(ctx: &mut Ctx, line: &Logical, args: Span, flags: &[Flag]) -> Args {
    if args.is_empty() {
        return Args::Empty;
    }
    let text = line.text;
    let mut type_end = args.start;
    while type_end < args.end {
        let Some(ch) = text[type_end..args.end].chars().next() else {
            break;
        };
        if ch.is_whitespace() {
            break;
        }
        type_end += ch.len_utf8();
    }
    let (rest_start, rest_end) = line.trim(type_end, args.end);
    let rest = Span { start: rest_start, end: rest_end };
    let type_range = line.range(args.start, type_end);
    let kind = &text[args.start..type_end];
    if kind.eq_ignore_ascii_case("none") {
        if !rest.is_empty() {
            let range = line.range(rest.start, rest.end);
            ctx.error(range, SyntaxErrorKind::ExtraArguments, "HEALTHCHECK NONE takes no arguments");
        }
        if let (Some(first), Some(last)) = (flags.first(), flags.last()) {
            let message = "flags have no effect with HEALTHCHECK NONE";
            ctx.error(first.range.cover(last.range), SyntaxErrorKind::Invalid, message);
        }
        return Args::Healthcheck(Healthcheck::None { range: type_range });
    }
    flags::validate(ctx.errors, &mut ctx.buffers.valid_mounts, Keyword::Healthcheck, flags);
    if !kind.eq_ignore_ascii_case("cmd") {
        let message = format!("expected `CMD` or `NONE` after HEALTHCHECK, found `{}`", shorten(kind));
        ctx.error(type_range, SyntaxErrorKind::Invalid, message);
        return Args::Words(words(ctx, line, args));
    }
    if rest.is_empty() {
        ctx.error(type_range, SyntaxErrorKind::MissingArguments, "HEALTHCHECK CMD needs a command");
        return Args::Healthcheck(Healthcheck::Cmd { cmd_range: type_range, args: Box::new(Args::Empty) });
    }
    let inner = match try_json(ctx, line, rest, "a shell command") {
        JsonOutcome::Exec(exec) => {
            if exec.elements.is_empty() {
                ctx.error(exec.range, SyntaxErrorKind::MissingArguments, "HEALTHCHECK CMD needs a command");
            }
            Args::Exec(exec)
        }
        JsonOutcome::NotJson => Args::Shell(shell_form(line, rest)),
    };
    Args::Healthcheck(Healthcheck::Cmd { cmd_range: type_range, args: Box::new(inner) })
}

fn onbuild_args(ctx: &mut Ctx, line: &Logical, args: Span, nested: bool) -> Args {
    if args.is_empty() {
        return Args::Empty;
    }
    if nested {
        // ONBUILD ONBUILD: reported by the outer ONBUILD; keep the rest as plain words.
        return Args::Words(words(ctx, line, args));
    }
    let inner = parse_instruction(ctx, line, args.start, args.end, true);
    match inner.keyword {
        Keyword::Onbuild => {
            ctx.error(inner.keyword_range, SyntaxErrorKind::Invalid, "ONBUILD can't trigger another ONBUILD");
        }
        Keyword::From | Keyword::Maintainer => {
            let message = format!("{} can't be an ONBUILD trigger", inner.keyword.as_str());
            ctx.error(inner.keyword_range, SyntaxErrorKind::Invalid, message);
        }
        _ => {}
    }
    Args::Onbuild(Box::new(inner))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<KeyValue> {
        let parse = parse(text);
        match &parse.file.instructions[0].args {
            Args::KeyValues(pairs) => pairs.clone(),
            other => panic!("not pairs: {other:?}"),
        }
    }

    #[test]
    fn pairs_on_continued_lines_map_to_their_line() {
        let text = "ENV A=1 \\\n    BB=\"two\" \\\n    C=3\n";
        let ranges: Vec<(&str, &str, &str)> = pairs(text)
            .iter()
            .map(|it| {
                let value = it.value.as_ref().map_or("", |value| &text[value.range.start..value.range.end]);
                (&text[it.range.start..it.range.end], &text[it.key.range.start..it.key.range.end], value)
            })
            .collect();
        assert_eq!(ranges, vec![("A=1", "A", "1"), ("BB=\"two\"", "BB", "\"two\""), ("C=3", "C", "3")]);
    }

    #[test]
    fn an_empty_value_at_the_end_of_a_line_maps_where_the_next_piece_starts() {
        // The logical text is `ENV A=` + ` B=1`: the empty value of `A=` ends the first piece,
        // and an empty range there maps to the start of the next one, as the map says.
        let text = "ENV A=\\\n B=1\n";
        let pairs = pairs(text);
        let value = pairs[0].value.as_ref().map(|it| it.range);
        assert_eq!(value, Some(TextRange::new(8, 8)));
        assert_eq!(pairs[0].range, TextRange::new(4, 6));
        assert_eq!(pairs[1].range, TextRange::new(9, 12));
    }

    #[test]
    fn exec_and_shell_forms_on_continued_lines_map_to_their_line() {
        let text = "HEALTHCHECK --retries=3 \\\n  CMD [\"a\", \"b c\"]\nRUN --network=none \\\n  echo hi \\\n  there\n";
        let parse = parse(text);
        let slice = |range: TextRange| &text[range.start..range.end];
        let Args::Healthcheck(Healthcheck::Cmd { args, .. }) = &parse.file.instructions[0].args else {
            panic!("not HEALTHCHECK CMD: {:?}", parse.file.instructions[0].args);
        };
        let Args::Exec(exec) = args.as_ref() else { panic!("not exec form: {args:?}") };
        assert_eq!(slice(exec.range), "[\"a\", \"b c\"]");
        let elements: Vec<&str> = exec.elements.iter().map(|it| slice(it.range)).collect();
        assert_eq!(elements, vec!["\"a\"", "\"b c\""]);
        let Args::Shell(shell) = &parse.file.instructions[1].args else { panic!("not shell form") };
        // `echo hi ` and `  there` are two pieces: the map keeps both.
        assert_eq!(shell.text, "echo hi   there");
        assert_eq!(slice(shell.range), "echo hi \\\n  there");
        let there = shell.map.to_source(shell.text.find("there").unwrap_or_default());
        assert_eq!(&text[there..there + 5], "there");
        let one_line = shell_form_of("RUN --network=none \\\n  echo hi\n");
        assert_eq!(one_line.map.segment_count(), 1);
        assert_eq!(one_line.map.to_source(0), "RUN --network=none \\\n  ".len());
    }

    fn shell_form_of(text: &str) -> ShellForm {
        match &parse(text).file.instructions[0].args {
            Args::Shell(shell) => shell.clone(),
            other => panic!("not shell form: {other:?}"),
        }
    }

    #[test]
    fn flags_on_continued_lines_map_to_their_line() {
        let text = "RUN --mount=type=cache,target=/a \\\n  --network=none \\\n  true\n";
        let parse = parse(text);
        let flags: Vec<&str> =
            parse.file.instructions[0].flags.iter().map(|it| &text[it.range.start..it.range.end]).collect();
        assert_eq!(flags, vec!["--mount=type=cache,target=/a", "--network=none"]);
    }
}
