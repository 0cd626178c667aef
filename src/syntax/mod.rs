//! Dockerfile syntax: an error-tolerant parse with a byte range on every piece of the source.
//!
//! `parse` never fails and never panics: broken input gives best-effort nodes plus
//! [`SyntaxError`]s. Every range is a byte range into the original text (a BOM included), so the
//! tree together with the text is lossless. Nothing here knows about files, projects or LSP.

mod dump;
mod flags;
mod heredoc;
mod json;
mod lexer;
mod parser;
pub mod sample;
pub(crate) mod suggest;
mod words;

pub use dump::debug_dump;
pub use parser::parse;

pub use compact_str::CompactString;

use crate::text::{Spanned, TextRange};

/// The result of parsing one Dockerfile.
#[derive(Clone, Debug, Default)]
pub struct Parse {
    pub file: Dockerfile,
    pub errors: Vec<SyntaxError>,
}

#[derive(Clone, Debug)]
pub struct Dockerfile {
    /// The text started with a UTF-8 byte order mark (ranges still count its 3 bytes).
    pub bom: bool,
    /// The escape character from the `escape` directive, `\` by default.
    pub escape: char,
    /// Parser directives (`syntax`, `escape`, `check`) from the top of the file. A directive
    /// given twice appears twice (the second one has an error and no effect).
    pub directives: Vec<Directive>,
    pub instructions: Vec<Instruction>,
    /// Every comment line, including those inside continuations (not those in heredoc bodies
    /// and not the directive lines).
    pub comments: Vec<Comment>,
}

impl Default for Dockerfile {
    fn default() -> Dockerfile {
        Dockerfile { bom: false, escape: '\\', directives: Vec::new(), instructions: Vec::new(), comments: Vec::new() }
    }
}

/// `# name=value` at the top of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    /// From `#` to the end of the line.
    pub range: TextRange,
    /// The name as written; compare with `eq_ignore_ascii_case`.
    pub name: Spanned<CompactString>,
    pub value: Spanned<CompactString>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comment {
    /// From `#` to the end of the line.
    pub range: TextRange,
    /// The text after `#`, with surrounding whitespace trimmed.
    pub text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Keyword {
    Add,
    Arg,
    Cmd,
    Copy,
    Entrypoint,
    Env,
    Expose,
    From,
    Healthcheck,
    Label,
    Maintainer,
    Onbuild,
    Run,
    Shell,
    Stopsignal,
    User,
    Volume,
    Workdir,
    /// Anything else; the text is at `Instruction::keyword_range`.
    Unknown,
}

impl Keyword {
    pub const ALL: [Keyword; 18] = [
        Keyword::Add,
        Keyword::Arg,
        Keyword::Cmd,
        Keyword::Copy,
        Keyword::Entrypoint,
        Keyword::Env,
        Keyword::Expose,
        Keyword::From,
        Keyword::Healthcheck,
        Keyword::Label,
        Keyword::Maintainer,
        Keyword::Onbuild,
        Keyword::Run,
        Keyword::Shell,
        Keyword::Stopsignal,
        Keyword::User,
        Keyword::Volume,
        Keyword::Workdir,
    ];

    /// Case-insensitive lookup, as Docker does.
    pub fn from_name(name: &str) -> Keyword {
        let bytes = name.as_bytes();
        let Some(first) = bytes.first() else {
            return Keyword::Unknown;
        };
        // The length and the first letter leave at most two candidates, so the lookup is one
        // or two short comparisons (this runs once per instruction).
        let candidates: &[Keyword] = match (bytes.len(), first.to_ascii_uppercase()) {
            (3, b'A') => &[Keyword::Add, Keyword::Arg],
            (3, b'C') => &[Keyword::Cmd],
            (3, b'E') => &[Keyword::Env],
            (3, b'R') => &[Keyword::Run],
            (4, b'C') => &[Keyword::Copy],
            (4, b'F') => &[Keyword::From],
            (4, b'U') => &[Keyword::User],
            (5, b'L') => &[Keyword::Label],
            (5, b'S') => &[Keyword::Shell],
            (6, b'E') => &[Keyword::Expose],
            (6, b'V') => &[Keyword::Volume],
            (7, b'O') => &[Keyword::Onbuild],
            (7, b'W') => &[Keyword::Workdir],
            (10, b'E') => &[Keyword::Entrypoint],
            (10, b'M') => &[Keyword::Maintainer],
            (10, b'S') => &[Keyword::Stopsignal],
            (11, b'H') => &[Keyword::Healthcheck],
            _ => &[],
        };
        // Keywords are upper-case letters, so clearing bit 5 of a letter upper-cases it and no
        // other byte can match.
        let matches = |keyword: &Keyword| keyword.as_str().bytes().zip(bytes).all(|(upper, it)| it & 0xdf == upper);
        candidates.iter().copied().find(matches).unwrap_or(Keyword::Unknown)
    }

    /// The canonical upper-case spelling (`""` for `Unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Keyword::Add => "ADD",
            Keyword::Arg => "ARG",
            Keyword::Cmd => "CMD",
            Keyword::Copy => "COPY",
            Keyword::Entrypoint => "ENTRYPOINT",
            Keyword::Env => "ENV",
            Keyword::Expose => "EXPOSE",
            Keyword::From => "FROM",
            Keyword::Healthcheck => "HEALTHCHECK",
            Keyword::Label => "LABEL",
            Keyword::Maintainer => "MAINTAINER",
            Keyword::Onbuild => "ONBUILD",
            Keyword::Run => "RUN",
            Keyword::Shell => "SHELL",
            Keyword::Stopsignal => "STOPSIGNAL",
            Keyword::User => "USER",
            Keyword::Volume => "VOLUME",
            Keyword::Workdir => "WORKDIR",
            Keyword::Unknown => "",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Instruction {
    /// From the keyword to the end of the instruction's last line (heredoc bodies and their
    /// terminators included), without the final line break.
    pub range: TextRange,
    pub keyword: Keyword,
    pub keyword_range: TextRange,
    /// Flags written before the arguments (`--from=builder`, `--link`, `--mount=...`).
    pub flags: Vec<Flag>,
    pub args: Args,
    /// Heredocs opened on this instruction's line(s), in order.
    pub heredocs: Vec<Heredoc>,
}

impl Instruction {
    pub fn flag(&self, name: &str) -> Option<&Flag> {
        self.flags.iter().find(|it| it.name.value == name)
    }
}

/// `--name`, `--name=value` or `--name=a=b,c=d` (mount-style options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    /// From the leading `--` to the end of the value.
    pub range: TextRange,
    /// The name without the leading `--`.
    pub name: Spanned<CompactString>,
    /// The text after `=`, with quotes removed; `None` when there is no `=`. The range covers
    /// the value as written (quotes included).
    pub value: Option<Spanned<CompactString>>,
    /// Maps byte offsets in `value.value` to source offsets; quotes, escapes and line
    /// continuations make the two differ. Empty when there is no value.
    pub value_map: OffsetMap,
}

impl Flag {
    /// Splits a comma-separated value (`type=cache,target=/root/.cache/uv,sharing=locked`) into
    /// its items, CSV-style: an item may be wrapped in double quotes. Broken items are returned
    /// as well as they can be; [`parse`] reports what is wrong with them.
    pub fn options(&self) -> Vec<FlagOption> {
        flags::split_options(self).0
    }
}

/// One `key` or `key=value` item of a comma-separated flag value such as `--mount`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagOption {
    pub range: TextRange,
    pub key: Spanned<CompactString>,
    pub value: Option<Spanned<CompactString>>,
}

/// What follows the keyword and flags. Which variant an instruction gets depends on its keyword
/// and on the text: JSON only when the text is a valid JSON array of strings, as BuildKit decides.
#[derive(Clone, Debug)]
pub enum Args {
    /// Nothing after the keyword and flags.
    Empty,
    /// Whitespace-separated words: FROM, COPY/ADD (non-JSON), EXPOSE, USER, WORKDIR, VOLUME,
    /// STOPSIGNAL, MAINTAINER, unknown instructions.
    Words(Vec<Word>),
    /// A valid JSON array of strings.
    Exec(ExecForm),
    /// Shell form of RUN, CMD, ENTRYPOINT (and SHELL when it is not JSON, which is an error).
    Shell(ShellForm),
    /// ENV, LABEL and ARG items.
    KeyValues(Vec<KeyValue>),
    /// HEALTHCHECK NONE / HEALTHCHECK [flags] CMD ...
    Healthcheck(Healthcheck),
    /// The instruction ONBUILD triggers (heredocs it opens are on this inner instruction).
    Onbuild(Box<Instruction>),
}

/// A word as Docker splits it: quotes group, the escape character escapes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// From the first to the last character of the word in the source (it may span a line
    /// continuation).
    pub range: TextRange,
    /// The word's logical text with quotes and escapes kept (continuations removed).
    pub raw: CompactString,
    /// The word with quotes removed and escapes processed (variables are not expanded).
    pub value: CompactString,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecForm {
    /// From `[` to `]`.
    pub range: TextRange,
    /// Decoded strings; each range covers the quoted JSON literal.
    pub elements: Vec<Spanned<CompactString>>,
}

/// Shell-form text: the logical line with continuations (escape + line break) and the comment
/// lines inside them removed. `map` turns offsets in `text` back into source offsets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellForm {
    pub range: TextRange,
    pub text: String,
    pub map: OffsetMap,
}

/// Maps offsets in a logical (continuation-joined) string back to offsets in the source.
///
/// It is a list of `(logical_start, source_start)` pieces sorted by `logical_start`. The first
/// piece is stored inline because most texts are one piece of one line, so those maps allocate
/// nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetMap {
    /// The first piece; `None` only when the map is empty.
    first: Option<(usize, usize)>,
    /// The pieces after the first.
    rest: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// A map of one piece: logical offset `logical_start` is source offset `source_start`.
    pub fn single(logical_start: usize, source_start: usize) -> OffsetMap {
        OffsetMap { first: Some((logical_start, source_start)), rest: Vec::new() }
    }

    /// The `(logical_start, source_start)` pieces, sorted by `logical_start`.
    pub fn segments(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.first.into_iter().chain(self.rest.iter().copied())
    }

    pub fn segment_count(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    pub fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    /// The piece at `idx` in [`OffsetMap::segments`] order.
    pub(crate) fn segment(&self, idx: usize) -> Option<(usize, usize)> {
        match idx {
            0 => self.first,
            _ => self.rest.get(idx - 1).copied(),
        }
    }

    /// Appends a piece; its `logical_start` must be past every earlier one.
    pub(crate) fn push(&mut self, logical_start: usize, source_start: usize) {
        match self.first {
            None => self.first = Some((logical_start, source_start)),
            Some(_) => self.rest.push((logical_start, source_start)),
        }
    }

    pub(crate) fn clear(&mut self) {
        self.first = None;
        self.rest.clear();
    }

    /// Binary search for the piece starting at `logical`, as `slice::binary_search_by_key`
    /// would answer over [`OffsetMap::segments`].
    pub(crate) fn search(&self, logical: usize) -> Result<usize, usize> {
        let Some((first_start, _)) = self.first else {
            return Err(0);
        };
        if logical <= first_start {
            return if logical == first_start { Ok(0) } else { Err(0) };
        }
        match self.rest.binary_search_by_key(&logical, |it| it.0) {
            Ok(idx) => Ok(idx + 1),
            Err(idx) => Err(idx + 1),
        }
    }

    #[inline]
    pub fn to_source(&self, logical: usize) -> usize {
        // Most instructions sit on one line: a single piece.
        if let Some((logical_start, source_start)) = self.first
            && self.rest.is_empty()
            && logical >= logical_start
        {
            return source_start + (logical - logical_start);
        }
        let idx = match self.search(logical) {
            Ok(idx) => idx,
            Err(0) => return self.first.map_or(logical, |it| it.1),
            Err(next) => next - 1,
        };
        let (logical_start, source_start) = self.segment(idx).unwrap_or((logical, logical));
        source_start + (logical - logical_start)
    }

    /// The part of the map covering logical offsets `start..end`, shifted so `start` becomes 0.
    pub fn slice(&self, start: usize, end: usize) -> OffsetMap {
        let mut map = OffsetMap::single(0, self.to_source(start));
        // Pieces are sorted, so the ones inside `start..end` are found by binary search.
        let from = match self.search(start) {
            Ok(idx) => idx + 1,
            Err(idx) => idx,
        };
        let mut idx = from;
        while let Some((logical_start, source_start)) = self.segment(idx) {
            if logical_start >= end {
                break;
            }
            map.rest.push((logical_start - start, source_start));
            idx += 1;
        }
        map
    }

    /// The source range of a logical range; the end maps as an exclusive end so a range ending
    /// at a piece boundary does not run into the next piece.
    #[inline]
    pub fn range_to_source(&self, logical: TextRange) -> TextRange {
        let start = self.to_source(logical.start);
        let end = if logical.end > logical.start { self.to_source(logical.end - 1) + 1 } else { start };
        TextRange::new(start, end.max(start))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyValue {
    pub range: TextRange,
    pub key: Spanned<CompactString>,
    /// `None` for `ARG NAME` with no default; `Some` with an empty word for `ENV A=`.
    pub value: Option<Word>,
    /// Written as `ENV key value` rather than `key=value`.
    pub legacy: bool,
}

#[derive(Clone, Debug)]
pub enum Healthcheck {
    None { range: TextRange },
    Cmd { cmd_range: TextRange, args: Box<Args> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    /// From `<<` to the end of the terminator line (or of the text when unterminated).
    pub range: TextRange,
    /// The `<<EOF` / `<<-"EOF"` token on the instruction line.
    pub marker: TextRange,
    /// The delimiter word (`EOF`), quotes removed.
    pub name: Spanned<CompactString>,
    /// `<<-`: leading tabs are stripped from the body.
    pub strip_tabs: bool,
    /// The delimiter was quoted, so the body is not expanded.
    pub quoted: bool,
    /// The body, from the line after the instruction line to before the terminator line.
    pub body: Spanned<String>,
    /// The terminator line; `None` when the heredoc runs to the end of the text.
    pub terminator: Option<TextRange>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: TextRange,
    pub kind: SyntaxErrorKind,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxErrorKind {
    /// The keyword is not an instruction; `suggestion` is the closest one, if any is close.
    UnknownInstruction { suggestion: Option<Keyword> },
    /// Fewer arguments than the instruction needs.
    MissingArguments,
    /// More arguments than the instruction takes.
    ExtraArguments,
    /// A flag this instruction does not accept.
    UnknownFlag { suggestion: Option<String> },
    /// A flag with a missing, empty or invalid value, or given twice.
    MalformedFlag,
    /// A heredoc whose terminator never comes.
    UnterminatedHeredoc,
    /// Text that starts like a JSON array but is not valid JSON, so Docker runs it as shell form.
    InvalidJsonArray,
    /// A bad parser directive (unknown escape character, a directive given twice).
    InvalidDirective,
    /// Anything else the builder rejects (a bad ENV pair, ONBUILD ONBUILD, a flag after
    /// arguments...).
    Invalid,
}
