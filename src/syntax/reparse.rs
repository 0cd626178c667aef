//! Re-parsing after an edit: only the instructions the edit can have changed are parsed again;
//! the others are kept from the previous parse and moved by the edit's length difference.
//!
//! Between two instructions the parser carries nothing but the escape character, so a line that
//! starts outside every instruction is a clean place to start or stop. The re-parse starts at
//! the instruction before the edit and stops at the first clean line start past it where the old
//! parse was clean too; from there on, the text and so the parse are the old ones, shifted.

use crate::syntax::parser::{Piece, parse, parse_from};
use crate::syntax::{
    Args, Comment, Dockerfile, ExecForm, Flag, Healthcheck, Heredoc, Instruction, KeyValue, OffsetMap, Parse,
    ShellForm, SyntaxError, Word,
};
use crate::text::{Spanned, TextRange, common_prefix, common_suffix};

/// The parse of `new`, given `previous`, the parse of `old`. Equal to `parse(new)`; cheaper when
/// the two texts differ in a few lines after the first instruction.
pub fn reparse(previous: Parse, old: &str, new: &str) -> Parse {
    reparse_spliced(previous, old, new).0
}

/// Which instructions a re-parse replaced, so that what was derived from the others can be kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Splice {
    /// The index of the first instruction parsed again, the same in the old and the new parse.
    pub first: usize,
    /// How many instructions of the old parse were replaced from `first` on.
    pub removed: usize,
    /// How many new instructions replaced them.
    pub inserted: usize,
    /// How far the instructions after the replaced ones moved, in bytes.
    pub delta: isize,
    /// Where the re-parse started, the same offset in the old and the new text: everything
    /// before it is unchanged.
    pub start: usize,
    /// Where the old parse resumed in the old text (`usize::MAX` when the re-parse ran to the
    /// end): everything of the old text from here on moved by `delta`.
    pub resume: usize,
}

impl Splice {
    /// The old index of the new instruction `idx`, with the distance it moved; `None` when it
    /// was parsed again.
    pub fn old_index(&self, idx: usize) -> Option<(usize, isize)> {
        if idx < self.first {
            Some((idx, 0))
        } else if idx < self.first + self.inserted {
            None
        } else {
            Some((idx - self.inserted + self.removed, self.delta))
        }
    }
}

/// [`reparse`], saying which instructions it replaced; `None` when it parsed from scratch.
pub fn reparse_spliced(previous: Parse, old: &str, new: &str) -> (Parse, Option<Splice>) {
    let Some(region) = Region::between(old, new) else {
        let end = old.len();
        let unchanged = Splice {
            first: previous.file.instructions.len(),
            removed: 0,
            inserted: 0,
            delta: 0,
            start: end,
            resume: end,
        };
        return (previous, Some(unchanged));
    };
    let instructions = &previous.file.instructions;
    // Directives and the byte order mark decide how the whole file reads: an edit before the
    // first instruction starts from scratch.
    if instructions.first().is_none_or(|first| region.start <= first.range.start) {
        return (parse(new), None);
    }
    // The first instruction the edit may touch: one ending at or just before the edit (deleting
    // its line break joins the next line to it). The one before that is parsed again too, so
    // the re-parse starts at a keyword the edit did not move.
    let touched = instructions.partition_point(|it| it.range.end + 1 < region.start);
    let first_reparsed = touched.saturating_sub(1);
    let start = instructions[first_reparsed].range.start;
    let delta = region.delta();
    let piece = parse_from(new, start, previous.file.escape, |pos| {
        pos >= region.new_end && clean_in_old(&previous, old, pos - region.new_end + region.old_end)
    });
    let (parse, splice) = splice(previous, piece, start, delta, new.len());
    (parse, Some(splice))
}

/// The bytes that differ between two texts: `start..old_end` in the old one became
/// `start..new_end` in the new one.
struct Region {
    start: usize,
    old_end: usize,
    new_end: usize,
}

impl Region {
    fn between(old: &str, new: &str) -> Option<Region> {
        let (old_bytes, new_bytes) = (old.as_bytes(), new.as_bytes());
        let mut start = common_prefix(old_bytes, new_bytes);
        if start == old.len() && start == new.len() {
            return None;
        }
        while !new.is_char_boundary(start) {
            start -= 1;
        }
        let suffix = common_suffix(&old_bytes[start..], &new_bytes[start..]);
        let (mut old_end, mut new_end) = (old.len() - suffix, new.len() - suffix);
        while !new.is_char_boundary(new_end) || !old.is_char_boundary(old_end) {
            old_end += 1;
            new_end += 1;
        }
        Some(Region { start, old_end, new_end })
    }

    /// How far text after the edit moved.
    fn delta(&self) -> isize {
        self.new_end as isize - self.old_end as isize
    }
}

/// Whether the old parse was between instructions at `pos`: a line start outside every
/// instruction and every error (a continuation with nothing after it has an error, not an
/// instruction).
fn clean_in_old(previous: &Parse, old: &str, pos: usize) -> bool {
    if pos > old.len() || (pos > 0 && old.as_bytes()[pos - 1] != b'\n') {
        return false;
    }
    let instructions = &previous.file.instructions;
    let after = instructions.partition_point(|it| it.range.start < pos);
    if after > 0 && instructions[after - 1].range.end >= pos {
        return false;
    }
    // Errors are sorted by start; one that starts before `pos` may still run past it. Those
    // starting before the last instruction before `pos` belong to earlier instructions, which
    // end before it.
    let lowest_start = after.checked_sub(1).map_or(0, |idx| instructions[idx].range.start);
    let errors = &previous.errors;
    let errors_before = errors.partition_point(|it| it.range.start < pos);
    !errors[..errors_before].iter().rev().take_while(|it| it.range.start >= lowest_start).any(|it| it.range.end > pos)
}

/// The new parse: what `previous` had before `start`, then `piece`, then what `previous` had
/// from where `piece` stopped on, moved by `delta`.
fn splice(previous: Parse, piece: Piece, start: usize, delta: isize, new_len: usize) -> (Parse, Splice) {
    let Parse { file, mut errors } = previous;
    let Dockerfile { bom, escape, directives, mut instructions, mut comments } = file;
    // Where the old parse resumes: the re-parse stopped where both parses are clean, or at the
    // end of the text, where nothing of the old parse remains (not even an error at its very
    // end, which belongs to an instruction re-parsed).
    let resume = if piece.end >= new_len { usize::MAX } else { piece.end.wrapping_add_signed(-delta) };
    let (first, removed, inserted) =
        replace_and_shift(&mut instructions, start, resume, piece.instructions, delta, |it| it.range.start);
    replace_and_shift(&mut comments, start, resume, piece.comments, delta, |it| it.range.start);
    replace_and_shift(&mut errors, start, resume, piece.errors, delta, |it| it.range.start);
    let parse = Parse { file: Dockerfile { bom, escape, directives, instructions, comments }, errors };
    (parse, Splice { first, removed, inserted, delta, start, resume })
}

/// Replaces the items of `items` (sorted by `key`) that start in `start..resume` with `fresh`,
/// and moves the ones from `resume` on by `delta`. Returns where the replaced items started,
/// how many there were and how many replaced them.
fn replace_and_shift<T: Shift>(
    items: &mut Vec<T>,
    start: usize,
    resume: usize,
    fresh: Vec<T>,
    delta: isize,
    key: impl Fn(&T) -> usize,
) -> (usize, usize, usize) {
    let first = items.partition_point(|it| key(it) < start);
    let last = items.partition_point(|it| key(it) < resume);
    let inserted = fresh.len();
    items.splice(first..last, fresh);
    for item in &mut items[first + inserted..] {
        item.shift(delta);
    }
    (first, last - first, inserted)
}

/// Moving a node by a number of bytes: every range and source offset in it.
trait Shift {
    fn shift(&mut self, delta: isize);
}

fn moved(offset: usize, delta: isize) -> usize {
    offset.wrapping_add_signed(delta)
}

impl Shift for TextRange {
    fn shift(&mut self, delta: isize) {
        self.start = moved(self.start, delta);
        self.end = moved(self.end, delta);
    }
}

impl<T> Shift for Spanned<T> {
    fn shift(&mut self, delta: isize) {
        self.range.shift(delta);
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, delta: isize) {
        if let Some(it) = self {
            it.shift(delta);
        }
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, delta: isize) {
        for it in self {
            it.shift(delta);
        }
    }
}

impl Shift for OffsetMap {
    fn shift(&mut self, delta: isize) {
        self.move_sources(|source| moved(source, delta));
    }
}

impl Shift for Comment {
    fn shift(&mut self, delta: isize) {
        let Comment { range, text: _ } = self;
        range.shift(delta);
    }
}

impl Shift for SyntaxError {
    fn shift(&mut self, delta: isize) {
        let SyntaxError { range, kind: _, message: _ } = self;
        range.shift(delta);
    }
}

impl Shift for Instruction {
    fn shift(&mut self, delta: isize) {
        let Instruction { range, keyword: _, keyword_range, keyword_case: _, flags, args, heredocs } = self;
        range.shift(delta);
        keyword_range.shift(delta);
        flags.shift(delta);
        args.shift(delta);
        heredocs.shift(delta);
    }
}

impl Shift for Flag {
    fn shift(&mut self, delta: isize) {
        let Flag { range, name, value, value_map } = self;
        range.shift(delta);
        name.shift(delta);
        value.shift(delta);
        value_map.shift(delta);
    }
}

impl Shift for Args {
    fn shift(&mut self, delta: isize) {
        match self {
            Args::Empty => {}
            Args::Words(words) => words.shift(delta),
            Args::Exec(exec) => exec.shift(delta),
            Args::Shell(shell) => shell.shift(delta),
            Args::KeyValues(pairs) => pairs.shift(delta),
            Args::Healthcheck(healthcheck) => healthcheck.shift(delta),
            Args::Onbuild(inner) => inner.shift(delta),
        }
    }
}

impl Shift for Word {
    fn shift(&mut self, delta: isize) {
        let Word { range, raw: _, value: _ } = self;
        range.shift(delta);
    }
}

impl Shift for ExecForm {
    fn shift(&mut self, delta: isize) {
        let ExecForm { range, elements } = self;
        range.shift(delta);
        elements.shift(delta);
    }
}

impl Shift for ShellForm {
    fn shift(&mut self, delta: isize) {
        let ShellForm { range, text: _, map } = self;
        range.shift(delta);
        map.shift(delta);
    }
}

impl Shift for KeyValue {
    fn shift(&mut self, delta: isize) {
        let KeyValue { range, key, value, legacy: _ } = self;
        range.shift(delta);
        key.shift(delta);
        value.shift(delta);
    }
}

impl Shift for Healthcheck {
    fn shift(&mut self, delta: isize) {
        match self {
            Healthcheck::None { range } => range.shift(delta),
            Healthcheck::Cmd { cmd_range, args } => {
                cmd_range.shift(delta);
                args.shift(delta);
            }
        }
    }
}

impl Shift for Heredoc {
    fn shift(&mut self, delta: isize) {
        let Heredoc { range, marker, name, strip_tabs: _, quoted: _, body, terminator } = self;
        range.shift(delta);
        marker.shift(delta);
        name.shift(delta);
        body.shift(delta);
        terminator.shift(delta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Re-parses `old` edited into `new` and checks the result against a parse from scratch.
    /// Also checks the splice: every instruction it says was kept is the old one, moved.
    fn check(old: &str, new: &str) {
        let previous = parse(old);
        let (reparsed, splice) = reparse_spliced(previous.clone(), old, new);
        assert_eq!(reparsed, parse(new), "{old:?} -> {new:?}");
        let Some(splice) = splice else { return };
        let (before, after) = (&previous.file.instructions, &reparsed.file.instructions);
        assert_eq!(before.len() - splice.removed + splice.inserted, after.len(), "{splice:?}");
        for (idx, instruction) in after.iter().enumerate() {
            if let Some((old_idx, delta)) = splice.old_index(idx) {
                let mut moved = before[old_idx].clone();
                moved.shift(delta);
                assert_eq!(&moved, instruction, "{old:?} -> {new:?}: instruction {idx} of {splice:?}");
            }
        }
    }

    /// Checks every way of replacing `old_part` in `base` by `new_part`, at each of its places.
    fn check_edit(base: &str, old_part: &str, new_part: &str) {
        let mut found = false;
        for (at, _) in base.match_indices(old_part) {
            found = true;
            let mut new = base.to_string();
            new.replace_range(at..at + old_part.len(), new_part);
            check(base, &new);
            check(&new, base);
        }
        assert!(found, "{old_part:?} is not in the text");
    }

    const FILE: &str = "# syntax=docker/dockerfile:1\nARG PY=3.12\nFROM python:${PY}-slim AS build\n\
        # a comment\nRUN --mount=type=cache,target=/root/.cache/uv \\\n    uv sync --locked \\\n    # inside\n    --no-dev\n\
        COPY <<EOF /app/x\nhello\nEOF\n\nENV A=1 B=\"two words\"\nHEALTHCHECK CMD curl -f http://x/ || exit 1\n\
        ONBUILD RUN echo hi\nCMD [\"uv\", \"run\", \"app\"]\nFROM build\nRUN echo ünïcödé && true\n";

    #[test]
    fn typing_inside_an_instruction() {
        check_edit(FILE, "uv sync", "uv synx");
        check_edit(FILE, "--no-dev", "--no-de");
        check_edit(FILE, "B=\"two", "B=\"tw\"o");
        check_edit(FILE, "ünïcödé", "ünïcöd");
        check_edit(FILE, "ü", "u");
        check_edit(FILE, "hello", "hello again");
        check_edit(FILE, "\"app\"]", "\"app\"");
    }

    #[test]
    fn lines_joined_split_added_and_removed() {
        check_edit(FILE, "\nCMD", "CMD");
        check_edit(FILE, "\nFROM build", "\nFROM build\nRUN new");
        check_edit(FILE, " && true", "\n&& true");
        check_edit(FILE, "ENV A=1 B=\"two words\"\n", "");
        check_edit(FILE, "# a comment", "a comment");
        check_edit(FILE, "\n\n", "\n# note\n\n");
    }

    #[test]
    fn continuations_and_heredocs_that_swallow_what_follows() {
        check_edit(FILE, "ONBUILD RUN echo hi", "ONBUILD RUN echo hi \\");
        check_edit(FILE, "--no-dev", "--no-dev \\");
        check_edit(FILE, "\nEOF\n", "\nEOx\n");
        check_edit(FILE, "RUN echo ünïcödé", "RUN <<END echo ünïcödé");
        check_edit(FILE, "hello", "hello\nEOF\nRUN more");
    }

    #[test]
    fn edits_at_the_edges() {
        check_edit(FILE, "# syntax=docker/dockerfile:1\n", "# escape=`\n");
        check_edit(FILE, "ARG", "AR");
        check_edit(FILE, "&& true\n", "&& true\nRUN x");
        check_edit(FILE, "&& true\n", "&& true");
        check(FILE, "");
        check("", FILE);
        check("\u{feff}FROM a\nRUN b\n", "\u{feff}FROM a\nRUN bc\n");
        check("FROM a\r\nRUN b\r\nRUN c\r\n", "FROM a\r\nRUN b\\\r\nRUN c\r\n");
        check("FROM a\nRUN b\n", "FROM a\nRUN b\n");
    }

    #[test]
    fn the_escape_character_of_the_file_is_kept() {
        let old = "# escape=`\nFROM a\nRUN b `\n  c\nRUN d\n";
        check_edit(old, "RUN d", "RUN d `");
        check_edit(old, "c\n", "c `\n");
        check_edit(old, "b `", "b \\");
    }

    #[test]
    fn an_error_at_the_very_end_goes_with_the_instruction_it_belongs_to() {
        // `--mount=type=cache,` has an empty last option, reported at the end of the text.
        check("FROM a\nRUN --mount=type=cache,", "FROM a\nRUN --mount=type=cache,x\nUSER app\n");
        check("FROM a\nRUN --mount=type=cache,", "FROM a\nRUN --mount=type=cache, \\\n\n");
    }

    #[test]
    fn a_continuation_with_nothing_after_it() {
        check_edit("FROM a\nRUN b\n\\\n\n", "\\\n", "\\\n\\\n");
        check_edit("FROM a\nRUN b\n\\\n\n", "RUN b", "RUN c");
        check_edit("FROM a\nRUN b\n  \\\n", "b\n", "b\nRUN c\n");
    }
}
