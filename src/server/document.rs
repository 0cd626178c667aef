//! One open document as the client sees it: a rope, a version and LSP position arithmetic.
//!
//! Positions arrive in the negotiated [`PositionEncoding`] and are never trusted: a line past the
//! end clamps to the end of the document, a column past the end of its line clamps to the line
//! end (before the terminator), and a column inside a character (between the halves of a UTF-16
//! surrogate pair, or inside a multi-byte UTF-8 sequence) snaps to the start of that character.
//! Nothing here can panic on client input.

use ropey::Rope;

use crate::text::{LineCol, PositionEncoding};

/// An open document. Line breaks are `\n`, `\r\n` and a lone `\r`, as in LSP (ropey is built
/// with `cr_lines` and without `unicode_lines` for exactly this reason).
#[derive(Clone, Debug)]
pub struct Document {
    rope: Rope,
    /// The text as the client sent it, kept until the first analysis takes it: opening a
    /// large file then costs no second copy out of the rope.
    received: Option<String>,
    version: i32,
    language_id: String,
}

/// One edit in LSP terms: `range: None` replaces the whole text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change<'a> {
    pub range: Option<(LineCol, LineCol)>,
    pub text: &'a str,
}

impl Document {
    pub fn new(text: impl Into<String>, version: i32, language_id: &str) -> Document {
        let text = text.into();
        Document { rope: Rope::from_str(&text), received: Some(text), version, language_id: language_id.to_owned() }
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn language_id(&self) -> &str {
        &self.language_id
    }

    pub fn rope(&self) -> &Rope {
        &self.rope
    }

    /// The whole text as one string (what the parser and rules take).
    pub fn text(&self) -> String {
        // Sized up front and filled chunk by chunk: `to_string` goes through the formatter and
        // grows the string step by step, copying a large file's text several times per edit.
        let mut text = String::with_capacity(self.rope.len_bytes());
        for chunk in self.rope.chunks() {
            text.push_str(chunk);
        }
        text
    }

    /// The whole text, handing over the text received on open when no edit came since.
    pub fn take_text(&mut self) -> String {
        self.received.take().unwrap_or_else(|| self.text())
    }

    /// Lets go of the text received on open, for documents no analysis will take it from.
    pub fn forget_received_text(&mut self) {
        self.received = None;
    }

    pub fn len(&self) -> usize {
        self.rope.len_bytes()
    }

    pub fn is_empty(&self) -> bool {
        self.rope.len_bytes() == 0
    }

    /// Applies `changes` in order and records `version`.
    pub fn apply_changes(&mut self, version: i32, changes: &[Change<'_>], encoding: PositionEncoding) {
        for change in changes {
            self.apply_change(change, encoding);
        }
        self.version = version;
    }

    /// Applies one change; each later change sees the text produced by the earlier ones.
    pub fn apply_change(&mut self, change: &Change<'_>, encoding: PositionEncoding) {
        self.received = None;
        let Some((start, end)) = change.range else {
            self.rope = Rope::from_str(change.text);
            return;
        };
        let start = self.char_index(start, encoding);
        let end = self.char_index(end, encoding);
        // An inverted range is a client bug; treating it as the range it spans is the most
        // useful reading and keeps ropey's preconditions intact.
        let (start, end) = if start <= end { (start, end) } else { (end, start) };
        if start < end
            && let Err(err) = self.rope.try_remove(start..end)
        {
            tracing::error!("could not remove {start}..{end}: {err}");
            return;
        }
        if !change.text.is_empty()
            && let Err(err) = self.rope.try_insert(start, change.text)
        {
            tracing::error!("could not insert at {start}: {err}");
        }
    }

    /// The char index (ropey's unit) of an LSP position, clamped and snapped as described in the
    /// module docs.
    pub fn char_index(&self, pos: LineCol, encoding: PositionEncoding) -> usize {
        let line = pos.line as usize;
        let Some(slice) = self.rope.get_line(line) else {
            return self.rope.len_chars();
        };
        let Ok(line_start) = self.rope.try_line_to_char(line) else {
            return self.rope.len_chars();
        };
        let mut remaining = pos.col as usize;
        let mut n_chars = 0;
        for ch in slice.chars() {
            // With `cr_lines`, `\r` and `\n` only ever appear as this line's terminator.
            if ch == '\n' || ch == '\r' {
                break;
            }
            let width = char_width(ch, encoding);
            if remaining < width {
                break;
            }
            remaining -= width;
            n_chars += 1;
        }
        line_start + n_chars
    }

    /// The byte offset of an LSP position (clamped and snapped like [`Document::char_index`]).
    pub fn offset(&self, pos: LineCol, encoding: PositionEncoding) -> usize {
        let char_idx = self.char_index(pos, encoding);
        self.rope.try_char_to_byte(char_idx).unwrap_or(self.rope.len_bytes())
    }

    /// The LSP position of a byte offset. Offsets past the end map to the end; offsets inside a
    /// character or inside a `\r\n` pair snap back to a valid position.
    pub fn position(&self, offset: usize, encoding: PositionEncoding) -> LineCol {
        let offset = offset.min(self.rope.len_bytes());
        let Ok(char_idx) = self.rope.try_byte_to_char(offset) else {
            return LineCol::default();
        };
        let Ok(line) = self.rope.try_char_to_line(char_idx) else {
            return LineCol::default();
        };
        let line_start = self.rope.try_line_to_char(line).unwrap_or(char_idx);
        let mut col = 0;
        for ch in self.rope.slice(line_start..char_idx).chars() {
            if ch == '\n' || ch == '\r' {
                break;
            }
            col += char_width(ch, encoding);
        }
        LineCol { line: line as u32, col: col as u32 }
    }
}

fn char_width(ch: char, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => ch.len_utf8(),
        PositionEncoding::Utf16 => ch.len_utf16(),
        PositionEncoding::Utf32 => 1,
    }
}

#[cfg(test)]
mod tests {
    use crate::text::LineIndex;

    use super::*;

    const ENCODINGS: [PositionEncoding; 3] = [PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32];

    fn pos(line: u32, col: u32) -> LineCol {
        LineCol { line, col }
    }

    fn edit(doc: &mut Document, start: LineCol, end: LineCol, text: &str, encoding: PositionEncoding) {
        doc.apply_change(&Change { range: Some((start, end)), text }, encoding);
    }

    #[test]
    fn non_ascii_columns_follow_the_encoding() {
        let text = "FROM é日本🐍x\nRUN\n";
        // Insert `!` right after the snake, which is 4 bytes, 2 UTF-16 units or 1 char wide.
        let cases = [
            (PositionEncoding::Utf8, 5 + 2 + 6 + 4),
            (PositionEncoding::Utf16, 5 + 1 + 2 + 2),
            (PositionEncoding::Utf32, 5 + 1 + 2 + 1),
        ];
        for (encoding, col) in cases {
            let mut doc = Document::new(text, 1, "dockerfile");
            edit(&mut doc, pos(0, col), pos(0, col), "!", encoding);
            assert_eq!(doc.text(), "FROM é日本🐍!x\nRUN\n", "{encoding:?}");
        }
    }

    #[test]
    fn a_large_text_comes_back_whole_after_edits() {
        let line = "RUN echo é 🐍 && uv sync --locked\n";
        let mut expected = line.repeat(3_000);
        let mut doc = Document::new(&expected, 1, "dockerfile");
        edit(&mut doc, pos(1_500, 4), pos(1_500, 8), "printf", PositionEncoding::Utf16);
        expected.replace_range(1_500 * line.len() + 4..1_500 * line.len() + 8, "printf");
        edit(&mut doc, pos(3_000, 0), pos(3_000, 0), "CMD x", PositionEncoding::Utf16);
        expected.push_str("CMD x");
        assert_eq!(doc.text(), expected);
        assert_eq!(doc.text().capacity(), expected.len());
    }

    #[test]
    fn positions_inside_a_character_snap_to_its_start() {
        // Column 7 in UTF-16 is the low surrogate of 🐍 (which starts at 6).
        let mut doc = Document::new("RUN é 🐍 x", 1, "dockerfile");
        edit(&mut doc, pos(0, 7), pos(0, 7), "|", PositionEncoding::Utf16);
        assert_eq!(doc.text(), "RUN é |🐍 x");
        // Byte 5 is the second byte of é (which starts at byte 4).
        let mut doc = Document::new("RUN é 🐍 x", 1, "dockerfile");
        edit(&mut doc, pos(0, 5), pos(0, 9), "", PositionEncoding::Utf8);
        assert_eq!(doc.text(), "RUN 🐍 x");
    }

    #[test]
    fn positions_past_the_end_are_clamped() {
        let mut doc = Document::new("ab\r\ncd\n", 1, "dockerfile");
        // A column past the end of line 0 lands before its `\r\n`.
        edit(&mut doc, pos(0, 99), pos(0, 120), "X", PositionEncoding::Utf16);
        assert_eq!(doc.text(), "abX\r\ncd\n");
        // A line past the end lands at the end of the document.
        edit(&mut doc, pos(40, 3), pos(u32::MAX, u32::MAX), "Y", PositionEncoding::Utf8);
        assert_eq!(doc.text(), "abX\r\ncd\nY");
        // An inverted range deletes what it spans.
        edit(&mut doc, pos(1, 2), pos(0, 1), "", PositionEncoding::Utf32);
        assert_eq!(doc.text(), "a\nY");
    }

    #[test]
    fn lone_carriage_returns_and_unicode_separators() {
        // `\r` alone ends a line; U+2028, NEL, VT and FF do not.
        let text = "a\rb\u{2028}c\u{85}d\u{b}e\u{c}f\ng";
        let mut doc = Document::new(text, 1, "dockerfile");
        edit(&mut doc, pos(1, 99), pos(1, 99), "!", PositionEncoding::Utf32);
        assert_eq!(doc.text(), "a\rb\u{2028}c\u{85}d\u{b}e\u{c}f!\ng");
        edit(&mut doc, pos(2, 0), pos(2, 0), ">", PositionEncoding::Utf32);
        assert_eq!(doc.text(), "a\rb\u{2028}c\u{85}d\u{b}e\u{c}f!\n>g");
    }

    #[test]
    fn a_change_without_range_replaces_everything() {
        let mut doc = Document::new("old", 1, "dockerfile");
        doc.apply_changes(
            7,
            &[Change { range: None, text: "FROM x\n" }, Change { range: Some((pos(0, 5), pos(0, 6))), text: "python" }],
            PositionEncoding::Utf16,
        );
        assert_eq!(doc.text(), "FROM python\n");
        assert_eq!(doc.version(), 7);
    }

    #[test]
    fn the_text_received_on_open_is_handed_over_once_and_never_after_an_edit() {
        let received = String::from("FROM x\n");
        let address = received.as_ptr();
        let mut doc = Document::new(received, 1, "dockerfile");
        let taken = doc.take_text();
        assert_eq!((taken.as_str(), taken.as_ptr()), ("FROM x\n", address), "the same allocation, not a copy");
        assert_eq!(doc.take_text(), "FROM x\n");

        let mut edited = Document::new("FROM x\n", 1, "dockerfile");
        edited.apply_changes(2, &[Change { range: Some((pos(0, 5), pos(0, 6))), text: "y" }], PositionEncoding::Utf16);
        assert_eq!(edited.take_text(), "FROM y\n");
        let mut replaced = Document::new("FROM x\n", 1, "dockerfile");
        replaced.apply_changes(2, &[Change { range: None, text: "FROM z\n" }], PositionEncoding::Utf16);
        assert_eq!(replaced.take_text(), "FROM z\n");
        let mut forgotten = Document::new("x = 1\n", 1, "toml");
        forgotten.forget_received_text();
        assert_eq!(forgotten.take_text(), "x = 1\n");
    }

    #[test]
    fn position_round_trips_and_snaps() {
        let doc = Document::new("é🐍\r\nx", 1, "dockerfile");
        assert_eq!(doc.position(2, PositionEncoding::Utf16), pos(0, 1));
        assert_eq!(doc.position(6, PositionEncoding::Utf16), pos(0, 3));
        // Inside the snake: snaps back to its start.
        assert_eq!(doc.position(4, PositionEncoding::Utf8), pos(0, 2));
        // Between `\r` and `\n`: the end of line 0.
        assert_eq!(doc.position(7, PositionEncoding::Utf32), pos(0, 2));
        assert_eq!(doc.position(8, PositionEncoding::Utf32), pos(1, 0));
        assert_eq!(doc.position(999, PositionEncoding::Utf32), pos(1, 1));
        assert_eq!(doc.offset(pos(1, 1), PositionEncoding::Utf8), 9);
    }

    /// A deterministic xorshift generator, so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    const PIECES: [&str; 16] = [
        "a",
        "RUN ",
        "é",
        "日本",
        "🐍",
        "\n",
        "\r\n",
        "\r",
        "\\\n",
        " ",
        "x🐍y",
        "\u{2028}",
        "",
        "uv sync\n",
        "\t",
        "ü\r",
    ];

    fn random_text(rng: &mut Rng) -> String {
        let n = rng.below(5);
        (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect()
    }

    /// Picks a position, sometimes valid, sometimes past the end or inside a character.
    fn random_pos(rng: &mut Rng, reference: &str) -> LineCol {
        let n_lines = LineIndex::new(reference).line_count() as u32;
        let line = match rng.below(10) {
            0 => n_lines + rng.below(3) as u32,
            _ => rng.below(n_lines as usize) as u32,
        };
        let col = match rng.below(10) {
            0 => 1000,
            _ => rng.below(12) as u32,
        };
        LineCol { line, col }
    }

    /// Applies the same random edits to a [`Document`] and to a plain `String` whose positions are
    /// resolved by [`LineIndex`] (an independent implementation), and compares after every edit.
    fn fuzz(encoding: PositionEncoding, seed: u64, n_edits: usize) {
        let mut rng = Rng(seed);
        let mut reference = String::from("FROM python:3.12 AS é\r\nRUN 🐍 日本\rCOPY . .\n");
        let mut doc = Document::new(&reference, 0, "dockerfile");
        for step in 0..n_edits {
            let text = random_text(&mut rng);
            if rng.below(50) == 0 {
                doc.apply_change(&Change { range: None, text: &text }, encoding);
                reference = text;
            } else {
                let start = random_pos(&mut rng, &reference);
                let end = random_pos(&mut rng, &reference);
                let index = LineIndex::new(&reference);
                let a = index.offset(&reference, start, encoding);
                let b = index.offset(&reference, end, encoding);
                let (a, b) = (a.min(b), a.max(b));
                reference.replace_range(a..b, &text);
                edit(&mut doc, start, end, &text, encoding);
            }
            assert_eq!(doc.text(), reference, "{encoding:?} seed {seed} step {step}");
            // Byte offset -> position -> byte offset is the identity on character boundaries
            // that are not inside a `\r\n` pair.
            let index = LineIndex::new(&reference);
            let probe = rng.below(reference.len() + 1);
            if reference.is_char_boundary(probe)
                && !(probe > 0 && reference[..probe].ends_with('\r') && reference[probe..].starts_with('\n'))
            {
                let lc = doc.position(probe, encoding);
                assert_eq!(lc, index.line_col(&reference, probe, encoding), "{encoding:?} seed {seed} step {step}");
                assert_eq!(doc.offset(lc, encoding), probe, "{encoding:?} seed {seed} step {step}");
            }
        }
    }

    #[test]
    fn random_edits_match_a_string_reference() {
        for encoding in ENCODINGS {
            for seed in [1, 0x9e37_79b9_7f4a_7c15, 42] {
                fuzz(encoding, seed, 1000);
            }
        }
    }
}
