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
mod reparse;
pub mod sample;
pub(crate) mod suggest;
mod words;

pub use dump::debug_dump;
pub use parser::parse;
pub use reparse::{Splice, reparse, reparse_spliced};

pub use compact_str::CompactString;

use crate::text::{Spanned, TextRange};

/// The result of parsing one Dockerfile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parse {
    pub file: Dockerfile,
    pub errors: Vec<SyntaxError>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The text after `#`, with surrounding whitespace trimmed (short comments are stored inline,
    /// without a heap allocation).
    pub text: CompactString,
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
        // This runs once per instruction: the name is folded into two machine words, which are
        // compared with the folded keywords of the same length.
        let candidates: &[(Keyword, (u64, u64))] = match name.len() {
            3 => &KEYWORDS_3,
            4 => &KEYWORDS_4,
            5 => &KEYWORDS_5,
            6 => &KEYWORDS_6,
            7 => &KEYWORDS_7,
            10 => &KEYWORDS_10,
            11 => &KEYWORDS_11,
            _ => return Keyword::Unknown,
        };
        let folded = fold_name(name.as_bytes());
        candidates.iter().find(|it| it.1 == folded).map_or(Keyword::Unknown, |it| it.0)
    }

    /// The canonical upper-case spelling (`""` for `Unknown`).
    pub const fn as_str(self) -> &'static str {
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

/// Keywords are upper-case ASCII letters, so clearing bit 5 of every byte upper-cases a letter
/// and maps no other byte onto one.
const FOLD_MASK: u64 = 0xdfdf_dfdf_dfdf_dfdf;

/// Folds a name of at most 16 bytes into two words: its first and last 8 bytes (4 below 8
/// bytes, all of a name below 4 bytes), case-folded. Together they cover every byte, so for
/// names of the same length equal folds mean names equal but for ASCII case (for ASCII letters;
/// no other byte folds onto a letter).
#[inline]
pub(crate) fn fold_name(bytes: &[u8]) -> (u64, u64) {
    let len = bytes.len();
    let (head, tail) = if len >= 8 {
        (read_u64(&bytes[..8]), read_u64(&bytes[len - 8..]))
    } else if len >= 4 {
        (u64::from(read_u32(&bytes[..4])), u64::from(read_u32(&bytes[len - 4..])))
    } else {
        let word = bytes.iter().rev().fold(0u64, |acc, it| acc << 8 | u64::from(*it));
        (word, word)
    };
    (head & FOLD_MASK, tail & FOLD_MASK)
}

fn read_u64(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

fn read_u32(bytes: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(bytes);
    u32::from_le_bytes(word)
}

/// [`fold_name`] at compile time, for lookup tables.
pub(crate) const fn fold_const(name: &str) -> (u64, u64) {
    let bytes = name.as_bytes();
    let len = bytes.len();
    let width = if len >= 8 {
        8
    } else if len >= 4 {
        4
    } else {
        len
    };
    let mut head = 0u64;
    let mut tail = 0u64;
    let mut idx = 0;
    while idx < width {
        head |= (bytes[idx] as u64) << (8 * idx);
        tail |= (bytes[len - width + idx] as u64) << (8 * idx);
        idx += 1;
    }
    (head & FOLD_MASK, tail & FOLD_MASK)
}

const fn folded<const N: usize>(keywords: [Keyword; N]) -> [(Keyword, (u64, u64)); N] {
    let mut out = [(Keyword::Unknown, (0, 0)); N];
    let mut idx = 0;
    while idx < N {
        out[idx] = (keywords[idx], fold_const(keywords[idx].as_str()));
        idx += 1;
    }
    out
}

const KEYWORDS_3: [(Keyword, (u64, u64)); 5] =
    folded([Keyword::Add, Keyword::Arg, Keyword::Cmd, Keyword::Env, Keyword::Run]);
const KEYWORDS_4: [(Keyword, (u64, u64)); 3] = folded([Keyword::Copy, Keyword::From, Keyword::User]);
const KEYWORDS_5: [(Keyword, (u64, u64)); 2] = folded([Keyword::Label, Keyword::Shell]);
const KEYWORDS_6: [(Keyword, (u64, u64)); 2] = folded([Keyword::Expose, Keyword::Volume]);
const KEYWORDS_7: [(Keyword, (u64, u64)); 2] = folded([Keyword::Onbuild, Keyword::Workdir]);
const KEYWORDS_10: [(Keyword, (u64, u64)); 3] = folded([Keyword::Entrypoint, Keyword::Maintainer, Keyword::Stopsignal]);
const KEYWORDS_11: [(Keyword, (u64, u64)); 1] = folded([Keyword::Healthcheck]);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instruction {
    /// From the keyword to the end of the instruction's last line (heredoc bodies and their
    /// terminators included), without the final line break.
    pub range: TextRange,
    pub keyword: Keyword,
    pub keyword_range: TextRange,
    /// The cases the keyword's letters are written in, noted while parsing: the casing rule
    /// reads it for every instruction of the file on every edit.
    pub keyword_case: KeywordCase,
    /// Flags written before the arguments (`--from=builder`, `--link`, `--mount=...`).
    pub flags: Vec<Flag>,
    pub args: Args,
    /// Heredocs opened on this instruction's line(s), in order.
    pub heredocs: Vec<Heredoc>,
}

/// Which cases the ASCII letters of a keyword are in: `RUN` has upper-case letters only, `run`
/// lower-case ones only, `Run` both.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KeywordCase {
    pub has_upper: bool,
    pub has_lower: bool,
}

impl KeywordCase {
    pub fn of(keyword: &str) -> KeywordCase {
        let bytes = keyword.as_bytes();
        KeywordCase {
            has_upper: bytes.iter().any(u8::is_ascii_uppercase),
            has_lower: bytes.iter().any(u8::is_ascii_lowercase),
        }
    }
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Short commands (`<<EOF`, `apt-get update`) are stored inline, without a heap allocation.
    pub text: CompactString,
    pub map: OffsetMap,
}

/// Maps offsets in a logical (continuation-joined) string back to offsets in the source.
///
/// It is a list of `(logical_start, source_start)` pieces sorted by `logical_start`. The first
/// piece is stored inline because most texts are one piece of one line, so those maps allocate
/// nothing; the others are a boxed slice of exactly their number. Together that is 32 bytes,
/// which matters because every shell-form instruction and every flag holds a map.
#[derive(Clone, PartialEq, Eq)]
pub struct OffsetMap {
    /// The first piece; its source start is [`NO_PIECE`] only when the map is empty (then the
    /// piece is `(0, NO_PIECE)`, so that all empty maps are equal).
    first: (usize, usize),
    /// The pieces after the first.
    rest: Box<[(usize, usize)]>,
}

/// The source start that marks an empty [`OffsetMap`]: no text is that long.
const NO_PIECE: usize = usize::MAX;

impl Default for OffsetMap {
    fn default() -> OffsetMap {
        OffsetMap { first: (0, NO_PIECE), rest: Box::default() }
    }
}

impl std::fmt::Debug for OffsetMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OffsetMap").field("first", &self.pieces().first).field("rest", &self.pieces().rest).finish()
    }
}

impl OffsetMap {
    /// A map of one piece: logical offset `logical_start` is source offset `source_start`.
    pub fn single(logical_start: usize, source_start: usize) -> OffsetMap {
        OffsetMap { first: (logical_start, source_start), rest: Box::default() }
    }

    /// The map of `pieces` (sorted by logical start).
    pub(crate) fn from_pieces(pieces: Pieces<'_>) -> OffsetMap {
        match pieces.first {
            Some(first) => OffsetMap { first, rest: Box::from(pieces.rest) },
            None => OffsetMap::default(),
        }
    }

    /// The pieces, to look offsets up with.
    #[inline]
    pub(crate) fn pieces(&self) -> Pieces<'_> {
        let first = (self.first.1 != NO_PIECE).then_some(self.first);
        Pieces { first, rest: &self.rest }
    }

    /// The `(logical_start, source_start)` pieces, sorted by `logical_start`.
    pub fn segments(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let pieces = self.pieces();
        pieces.first.into_iter().chain(pieces.rest.iter().copied())
    }

    pub fn segment_count(&self) -> usize {
        self.pieces().segment_count()
    }

    pub fn is_empty(&self) -> bool {
        self.first.1 == NO_PIECE
    }

    /// Moves every source offset with `moved` (for a text edited before this map's text).
    pub(crate) fn move_sources(&mut self, moved: impl Fn(usize) -> usize) {
        if self.is_empty() {
            return;
        }
        self.first.1 = moved(self.first.1);
        for (_, source) in self.rest.iter_mut() {
            *source = moved(*source);
        }
    }

    #[inline]
    pub fn to_source(&self, logical: usize) -> usize {
        self.pieces().to_source(logical)
    }

    /// The part of the map covering logical offsets `start..end`, shifted so `start` becomes 0.
    pub fn slice(&self, start: usize, end: usize) -> OffsetMap {
        self.pieces().slice(start, end)
    }

    /// The source range of a logical range; the end maps as an exclusive end so a range ending
    /// at a piece boundary does not run into the next piece.
    #[inline]
    pub fn range_to_source(&self, logical: TextRange) -> TextRange {
        self.pieces().range_to_source(logical)
    }
}

/// The pieces of an [`OffsetMap`] (or of one being built), borrowed: what offset lookups need.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Pieces<'a> {
    /// The first piece; `None` only when there are no pieces.
    first: Option<(usize, usize)>,
    /// The pieces after the first.
    rest: &'a [(usize, usize)],
}

impl<'a> Pieces<'a> {
    /// One piece: logical offset `logical_start` is source offset `source_start`.
    pub(crate) fn single(logical_start: usize, source_start: usize) -> Pieces<'a> {
        Pieces { first: Some((logical_start, source_start)), rest: &[] }
    }

    pub(crate) fn new(first: Option<(usize, usize)>, rest: &'a [(usize, usize)]) -> Pieces<'a> {
        Pieces { first, rest }
    }

    pub(crate) fn segment_count(self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    /// The piece at `idx` in [`OffsetMap::segments`] order.
    pub(crate) fn segment(self, idx: usize) -> Option<(usize, usize)> {
        match idx {
            0 => self.first,
            _ => self.rest.get(idx - 1).copied(),
        }
    }

    /// Binary search for the piece starting at `logical`, as `slice::binary_search_by_key`
    /// would answer over [`OffsetMap::segments`].
    pub(crate) fn search(self, logical: usize) -> Result<usize, usize> {
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

    /// How many pieces after the first start at or before `logical`: 0 means the first piece
    /// holds it (or it comes before every piece), `n` means `rest[n - 1]` holds it.
    #[inline]
    fn pieces_before(self, logical: usize) -> usize {
        // Pieces start at increasing offsets; most maps have no `rest` and the others a few
        // pieces, where a plain scan beats a binary search.
        match self.rest.first() {
            Some(second) if logical >= second.0 => {
                if self.rest.len() <= 8 {
                    self.rest.iter().take_while(|it| it.0 <= logical).count()
                } else {
                    self.rest.partition_point(|it| it.0 <= logical)
                }
            }
            _ => 0,
        }
    }

    /// The piece that `pieces_before` points at; `None` for an empty map.
    #[inline]
    fn piece_at(self, pieces_before: usize) -> Option<(usize, usize)> {
        match pieces_before {
            0 => self.first,
            n => self.rest.get(n - 1).copied(),
        }
    }

    #[inline]
    pub(crate) fn to_source(self, logical: usize) -> usize {
        match self.piece_at(self.pieces_before(logical)) {
            // An offset before the first piece maps to where that piece starts.
            Some((logical_start, source_start)) => source_start + logical.saturating_sub(logical_start),
            None => logical,
        }
    }

    /// The part of the map covering logical offsets `start..end`, shifted so `start` becomes 0.
    pub(crate) fn slice(self, start: usize, end: usize) -> OffsetMap {
        let first = (0, self.to_source(start));
        // The pieces that begin after `start` and before `end` follow the one holding `start`.
        let shift = |&(logical_start, source_start): &(usize, usize)| (logical_start - start, source_start);
        let from = self.rest.partition_point(|it| it.0 <= start);
        let to = from + self.rest[from..].partition_point(|it| it.0 < end);
        let own_first = self.first.filter(|first| start < first.0 && first.0 < end);
        if own_first.is_none() && from == to {
            // Most slices are one piece: nothing to allocate.
            return OffsetMap { first, rest: Box::default() };
        }
        let rest = own_first.iter().chain(&self.rest[from..to]).map(shift).collect();
        OffsetMap { first, rest }
    }

    /// The source range of a logical range; the end maps as an exclusive end so a range ending
    /// at a piece boundary does not run into the next piece.
    #[inline]
    pub(crate) fn range_to_source(self, logical: TextRange) -> TextRange {
        let before = self.pieces_before(logical.start);
        let Some((logical_start, source_start)) = self.piece_at(before) else {
            return TextRange::new(logical.start, logical.end.max(logical.start));
        };
        let start = source_start + logical.start.saturating_sub(logical_start);
        if logical.end <= logical.start {
            return TextRange::empty(start);
        }
        // Most ranges end in the piece they start in, which saves a second search.
        let last = logical.end - 1;
        let end = match self.rest.get(before) {
            Some(next) if last >= next.0 => self.to_source(last) + 1,
            _ => source_start + last.saturating_sub(logical_start) + 1,
        };
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

#[derive(Clone, Debug, PartialEq, Eq)]
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
