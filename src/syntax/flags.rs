//! Which flags each instruction takes, and the checks BuildKit makes on their values.

use crate::syntax::lexer::{MappedText, any_of_marks, skip_words};
use crate::syntax::suggest::closest;
use crate::syntax::{
    CompactString, Flag, FlagOption, Keyword, OffsetMap, Pieces, SyntaxError, SyntaxErrorKind, fold_const, fold_name,
};
use crate::text::{Spanned, TextRange};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `--name=value`, once.
    Value,
    /// `--name=value`, repeatable.
    Values,
    /// `--name` or `--name=true|false`.
    Bool,
}

/// The flags BuildKit's instruction parser registers (including the `-labs` ones, so that no
/// file that builds gets flagged).
fn specs(keyword: Keyword) -> &'static [(&'static str, Kind)] {
    match keyword {
        Keyword::From => &[("platform", Kind::Value)],
        Keyword::Run => {
            &[("mount", Kind::Values), ("network", Kind::Value), ("security", Kind::Value), ("device", Kind::Values)]
        }
        Keyword::Copy => &[
            ("from", Kind::Value),
            ("chown", Kind::Value),
            ("chmod", Kind::Value),
            ("link", Kind::Bool),
            ("parents", Kind::Bool),
            ("exclude", Kind::Values),
        ],
        Keyword::Add => &[
            ("chown", Kind::Value),
            ("chmod", Kind::Value),
            ("link", Kind::Bool),
            ("checksum", Kind::Value),
            ("keep-git-dir", Kind::Bool),
            ("unpack", Kind::Bool),
            ("exclude", Kind::Values),
        ],
        Keyword::Healthcheck => &[
            ("interval", Kind::Value),
            ("timeout", Kind::Value),
            ("start-period", Kind::Value),
            ("start-interval", Kind::Value),
            ("retries", Kind::Value),
        ],
        _ => &[],
    }
}

/// True when `name` is a flag `keyword` accepts.
pub(crate) fn is_known(keyword: Keyword, name: &str) -> bool {
    specs(keyword).iter().any(|it| it.0 == name)
}

/// Builds a [`Flag`] from a processed flag word (starting with `--`), the map from its offsets
/// to the source, and its whole source range. `contiguous` is the source offset of the word's
/// first byte when the word is one unchanged piece of the source, so offsets map by addition.
#[inline]
pub(crate) fn make_flag(text: &str, map: Pieces, contiguous: Option<usize>, range: TextRange) -> Flag {
    let name_end = text.bytes().position(|it| it == b'=').unwrap_or(text.len());
    let name_start = 2.min(name_end);
    let name_value = CompactString::from(&text[name_start..name_end]);
    let value_start = name_end + 1;
    if let Some(base) = contiguous {
        let name = Spanned::new(name_value, TextRange::new(base + name_start, base + name_end));
        if name_end == text.len() {
            return Flag { range, name, value: None, value_map: OffsetMap::default() };
        }
        let value_range = TextRange::new((base + value_start).min(range.end), range.end);
        let value = Spanned::new(CompactString::from(&text[value_start..]), value_range);
        return Flag { range, name, value: Some(value), value_map: OffsetMap::single(0, base + value_start) };
    }
    let name = Spanned::new(name_value, map_range(map, name_start, name_end));
    if name_end == text.len() {
        return Flag { range, name, value: None, value_map: OffsetMap::default() };
    }
    // The value as written runs from right after `=` to the end of the word.
    let value_source = map.to_source(name_end) + 1;
    let value_range = TextRange::new(value_source.min(range.end), range.end);
    let value_map = map.slice(value_start, text.len());
    let value = Spanned::new(CompactString::from(&text[value_start..]), value_range);
    Flag { range, name, value: Some(value), value_map }
}

fn map_range(map: Pieces, start: usize, end: usize) -> TextRange {
    if start >= end {
        return TextRange::empty(map.to_source(start));
    }
    map.range_to_source(TextRange::new(start, end))
}

fn error(acc: &mut Vec<SyntaxError>, range: TextRange, kind: SyntaxErrorKind, message: String) {
    acc.push(SyntaxError { range, kind, message });
}

/// `--mount` values already checked and found valid in this file. Whether a value is valid
/// depends on its text alone, and big files repeat the same few mounts on many RUN lines, so a
/// repeat skips the checks. Only the first few distinct values are kept: a file with many
/// different mounts checks the rest as usual.
#[derive(Default)]
pub(crate) struct ValidMounts {
    values: Vec<CompactString>,
}

impl ValidMounts {
    const LIMIT: usize = 8;

    fn contains(&self, value: &str) -> bool {
        self.values.iter().any(|it| it.as_str() == value)
    }

    fn insert(&mut self, value: &str) {
        if self.values.len() < Self::LIMIT {
            self.values.push(CompactString::from(value));
        }
    }
}

/// Checks the flags of one instruction.
pub(crate) fn validate(acc: &mut Vec<SyntaxError>, mounts: &mut ValidMounts, keyword: Keyword, flags: &[Flag]) {
    let specs = specs(keyword);
    // Bit `i` is set once a flag named `specs[i].0` has been seen.
    let mut seen = 0u32;
    for flag in flags {
        let name = flag.name.value.as_str();
        let Some(spec_idx) = specs.iter().position(|it| it.0 == name) else {
            let suggestion = closest(name, specs.iter().map(|it| it.0)).map(str::to_string);
            let message = match (&suggestion, specs.is_empty()) {
                (Some(it), _) => format!("unknown flag `--{name}` for {}; did you mean `--{it}`?", keyword.as_str()),
                (None, true) => format!("{} takes no flags, so `--{name}` is not allowed", keyword.as_str()),
                (None, false) => format!(
                    "unknown flag `--{name}` for {}; it takes {}",
                    keyword.as_str(),
                    specs.iter().map(|it| format!("--{}", it.0)).collect::<Vec<_>>().join(", ")
                ),
            };
            error(acc, flag.range, SyntaxErrorKind::UnknownFlag { suggestion }, message);
            continue;
        };
        let kind = specs[spec_idx].1;
        let bit = 1u32 << spec_idx;
        let repeated = seen & bit != 0;
        seen |= bit;
        if kind != Kind::Values && repeated {
            let message = format!("`--{name}` is given more than once");
            error(acc, flag.range, SyntaxErrorKind::MalformedFlag, message);
            continue;
        }
        let value = match (&flag.value, kind) {
            (None, Kind::Bool) => continue,
            (None, _) => {
                let message = format!("`--{name}` needs a value: `--{name}=...`");
                error(acc, flag.range, SyntaxErrorKind::MalformedFlag, message);
                continue;
            }
            (Some(value), _) => value,
        };
        if value.value.is_empty() {
            let message = match kind {
                Kind::Bool => {
                    format!("`--{name}=` needs `true` or `false` after `=`, or no `=` at all")
                }
                _ => format!("`--{name}` has an empty value"),
            };
            error(acc, flag.range, SyntaxErrorKind::MalformedFlag, message);
            continue;
        }
        if let Some(message) = check_value(keyword, name, kind, &value.value) {
            error(acc, value.range, SyntaxErrorKind::MalformedFlag, message);
            continue;
        }
        if name == "mount" && !mounts.contains(&value.value) {
            let errors_before = acc.len();
            check_mount(acc, flag);
            if acc.len() == errors_before {
                mounts.insert(&value.value);
            }
        }
    }
}

fn check_value(keyword: Keyword, name: &str, kind: Kind, value: &str) -> Option<String> {
    if kind == Kind::Bool {
        if value.eq_ignore_ascii_case("true") || value.eq_ignore_ascii_case("false") {
            return None;
        }
        return Some(format!("`--{name}` takes `true` or `false`, not `{value}`"));
    }
    // Values with variables are expanded at build time; only literal values are checked.
    let literal = || !value.as_bytes().contains(&b'$');
    match (keyword, name) {
        (Keyword::Run, "network") if !matches!(value, "default" | "none" | "host") && literal() => {
            Some(format!("`--network` must be default, none or host, not `{value}`"))
        }
        (Keyword::Run, "security") if !matches!(value, "insecure" | "sandbox") && literal() => {
            Some(format!("`--security` must be insecure or sandbox, not `{value}`"))
        }
        (Keyword::Healthcheck, "retries") => match value.parse::<i32>() {
            Ok(n) if n < 0 => Some(format!("`--retries` can't be negative (`{value}`)")),
            Ok(_) => None,
            Err(_) => Some(format!("`--retries` must be a whole number, not `{value}`")),
        },
        (Keyword::Healthcheck, _) => match go_duration_nanos(value) {
            None => Some(format!("`--{name}` must be a duration like `30s` or `1m30s`, not `{value}`")),
            Some(nanos) if nanos != 0.0 && nanos < 1e6 => {
                Some(format!("`--{name}` must be 0 or at least 1ms, not `{value}`"))
            }
            Some(_) => None,
        },
        _ => None,
    }
}

/// Parses a Go `time.ParseDuration` string into nanoseconds.
fn go_duration_nanos(s: &str) -> Option<f64> {
    let (sign, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (-1.0, &s[1..]),
        Some(b'+') => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if rest == "0" {
        return Some(0.0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let number_len = rest.bytes().take_while(|it| it.is_ascii_digit() || *it == b'.').count();
        let number = &rest[..number_len];
        let value = match integer_value(number) {
            Some(it) => it,
            None => {
                if number.is_empty() || number == "." || number.matches('.').count() > 1 {
                    return None;
                }
                number.parse().ok()?
            }
        };
        rest = &rest[number_len..];
        // Digits and `.` are ASCII, so a byte search finds the same place a char search would.
        let unit_len = rest.bytes().position(|it| it.is_ascii_digit() || it == b'.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += value * scale;
        rest = &rest[unit_len..];
    }
    Some(sign * total)
}

/// The value of a number written as digits only, when that is short enough to be exact in an
/// `f64` (what parsing it as a float gives): durations are nearly always written so (`30s`),
/// and this skips the general float parser for them.
fn integer_value(number: &str) -> Option<f64> {
    if number.is_empty() || number.len() > 15 {
        return None;
    }
    let mut value = 0u64;
    for digit in number.bytes() {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(digit - b'0');
    }
    // Below 10^15, so the conversion is exact.
    Some(value as f64)
}

/// Splits a flag value into CSV items; the second value is the first error found, if any.
pub(crate) fn split_options(flag: &Flag) -> (Vec<FlagOption>, Option<(TextRange, String)>) {
    let mut options = Vec::new();
    let mut problem = None;
    let Some(value) = &flag.value else {
        return (options, problem);
    };
    let text = value.value.as_str();
    let bytes = text.as_bytes();
    let to_source = |start: usize, end: usize| map_range(flag.value_map.pieces(), start, end);
    let mut pos = 0;
    loop {
        let field_start = pos;
        // The field's content (quotes removed) with, for each piece, its offset in `text`.
        let mut content = MappedText::default();
        content.clear();
        if bytes.get(pos) == Some(&b'"') {
            pos += 1;
            let mut closed = false;
            while pos < bytes.len() {
                if bytes[pos] == b'"' {
                    if bytes.get(pos + 1) == Some(&b'"') {
                        content.push("\"", pos);
                        pos += 2;
                        continue;
                    }
                    pos += 1;
                    closed = true;
                    break;
                }
                let ch_len = text[pos..].chars().next().map_or(1, char::len_utf8);
                content.push(&text[pos..pos + ch_len], pos);
                pos += ch_len;
            }
            let rest_end = text[pos..].find(',').map_or(text.len(), |it| pos + it);
            if (!closed || rest_end != pos) && problem.is_none() {
                problem = Some((to_source(field_start, rest_end), "a quoted item is not closed properly".to_string()));
            }
            pos = rest_end;
        } else {
            let end = text[pos..].find(',').map_or(text.len(), |it| pos + it);
            if text[pos..end].contains('"') && problem.is_none() {
                let message = format!("`{}` has a stray `\"`; quote the whole item instead", &text[pos..end]);
                problem = Some((to_source(pos, end), message));
            }
            content.push(&text[pos..end], pos);
            pos = end;
        }
        let field_range = to_source(field_start, pos);
        let (field, field_map) = content.into_parts();
        // Offsets in `field` -> offsets in `text` -> source offsets.
        let source_of = |start: usize, end: usize| {
            if start >= end {
                let at = if field_map.is_empty() { field_start } else { field_map.to_source(start) };
                return to_source(at, at);
            }
            let inner = field_map.range_to_source(TextRange::new(start, end));
            to_source(inner.start, inner.end)
        };
        let (key, value) = match field.find('=') {
            Some(eq) => {
                let value = Spanned::new(CompactString::from(&field[eq + 1..]), source_of(eq + 1, field.len()));
                (Spanned::new(CompactString::from(&field[..eq]), source_of(0, eq)), Some(value))
            }
            None => (Spanned::new(CompactString::from(field.as_str()), source_of(0, field.len())), None),
        };
        options.push(FlagOption { range: field_range, key, value });
        if pos >= bytes.len() {
            break;
        }
        pos += 1;
    }
    (options, problem)
}

const MOUNT_TYPES: [&str; 5] = ["bind", "cache", "tmpfs", "secret", "ssh"];
const MOUNT_KEYS: [&str; 19] = [
    "type",
    "from",
    "source",
    "src",
    "target",
    "dst",
    "destination",
    "readonly",
    "ro",
    "readwrite",
    "rw",
    "required",
    "id",
    "sharing",
    "mode",
    "uid",
    "gid",
    "size",
    "env",
];

/// The entry of [`MOUNT_KEYS`] that `key` spells, ignoring ASCII case.
fn mount_key(key: &str) -> Option<&'static str> {
    let candidates: &[(&str, (u64, u64))] = match key.len() {
        2 => &MOUNT_KEYS_2,
        3 => &MOUNT_KEYS_3,
        4 => &MOUNT_KEYS_4,
        6 => &MOUNT_KEYS_6,
        7 => &MOUNT_KEYS_7,
        8 => &MOUNT_KEYS_8,
        9 => &MOUNT_KEYS_9,
        11 => &MOUNT_KEYS_11,
        _ => return None,
    };
    let folded = fold_name(key.as_bytes());
    candidates.iter().find(|it| it.1 == folded).map(|it| it.0)
}

const fn folded_keys<const N: usize>(keys: [&'static str; N]) -> [(&'static str, (u64, u64)); N] {
    let mut out = [("", (0, 0)); N];
    let mut idx = 0;
    while idx < N {
        out[idx] = (keys[idx], fold_const(keys[idx]));
        idx += 1;
    }
    out
}

// Every entry of `MOUNT_KEYS`, by length.
const MOUNT_KEYS_2: [(&str, (u64, u64)); 3] = folded_keys(["ro", "rw", "id"]);
const MOUNT_KEYS_3: [(&str, (u64, u64)); 5] = folded_keys(["src", "dst", "uid", "gid", "env"]);
const MOUNT_KEYS_4: [(&str, (u64, u64)); 4] = folded_keys(["type", "from", "mode", "size"]);
const MOUNT_KEYS_6: [(&str, (u64, u64)); 2] = folded_keys(["source", "target"]);
const MOUNT_KEYS_7: [(&str, (u64, u64)); 1] = folded_keys(["sharing"]);
const MOUNT_KEYS_8: [(&str, (u64, u64)); 2] = folded_keys(["readonly", "required"]);
const MOUNT_KEYS_9: [(&str, (u64, u64)); 1] = folded_keys(["readwrite"]);
const MOUNT_KEYS_11: [(&str, (u64, u64)); 1] = folded_keys(["destination"]);

/// Go's `strconv.ParseBool`.
fn is_go_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True" | "0" | "f" | "F" | "FALSE" | "false" | "False")
}

/// One `--mount` item, borrowed from the flag value (or from split options when quoted).
#[derive(Clone, Copy)]
struct Item<'a> {
    key: &'a str,
    value: Option<&'a str>,
    /// The value holds a `$`, so it is expanded at build time and not checked.
    variable: bool,
    at: ItemAt,
}

impl Item<'_> {
    const EMPTY: Item<'static> =
        Item { key: "", value: None, variable: false, at: ItemAt::Value { start: 0, key_end: 0, end: 0 } };
}

/// Where a `--mount` item is; source ranges are worked out only when an error needs them.
#[derive(Clone, Copy)]
enum ItemAt {
    /// Source ranges of a quoted item (from [`split_options`]).
    Source { range: TextRange, key: TextRange, value: TextRange },
    /// Offsets in the flag value: `start..end` with the key ending at `key_end`.
    Value { start: usize, key_end: usize, end: usize },
}

impl ItemAt {
    fn range(self, flag: &Flag) -> TextRange {
        match self {
            ItemAt::Source { range, .. } => range,
            ItemAt::Value { start, end, .. } => map_range(flag.value_map.pieces(), start, end),
        }
    }

    fn key_range(self, flag: &Flag) -> TextRange {
        match self {
            ItemAt::Source { key, .. } => key,
            ItemAt::Value { start, key_end, .. } => map_range(flag.value_map.pieces(), start, key_end),
        }
    }

    fn value_range(self, flag: &Flag) -> TextRange {
        match self {
            ItemAt::Source { value, .. } => value,
            ItemAt::Value { key_end, end, .. } => map_range(flag.value_map.pieces(), (key_end + 1).min(end), end),
        }
    }
}

/// The items of a `--mount` value read as unquoted: the text between commas, split at the
/// first `=`. `quoted` is set once a `"` has been passed, so the caller can tell the value needs
/// CSV reading instead.
#[derive(Clone)]
struct PlainItems<'a> {
    text: &'a str,
    /// Where the next item starts; past the end when done.
    pos: usize,
    quoted: bool,
}

impl<'a> PlainItems<'a> {
    fn new(text: &'a str) -> PlainItems<'a> {
        PlainItems { text, pos: 0, quoted: false }
    }
}

/// Byte classes for [`PlainItems`]: everything but these four is part of an item.
const ITEM_COMMA: u8 = 1;
const ITEM_EQUALS: u8 = 2;
const ITEM_QUOTE: u8 = 3;
const ITEM_DOLLAR: u8 = 4;

static ITEM_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    table[b',' as usize] = ITEM_COMMA;
    table[b'=' as usize] = ITEM_EQUALS;
    table[b'"' as usize] = ITEM_QUOTE;
    table[b'$' as usize] = ITEM_DOLLAR;
    table
};

impl<'a> Iterator for PlainItems<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        let text = self.text;
        let bytes = text.as_bytes();
        let start = self.pos;
        if start > bytes.len() {
            return None;
        }
        // Items are short, so one scan for every byte of interest beats `memchr` calls, whose
        // set-up costs more than the search.
        let mut eq = None;
        let mut variable = false;
        let mut end = start;
        loop {
            end = skip_words(bytes, end, |word| any_of_marks(word, b',', b'=', b'"', b'$'));
            while let Some(&b) = bytes.get(end)
                && ITEM_CLASS[b as usize] == 0
            {
                end += 1;
            }
            let Some(&b) = bytes.get(end) else {
                break;
            };
            match ITEM_CLASS[b as usize] {
                ITEM_COMMA => break,
                ITEM_EQUALS => {
                    if eq.is_none() {
                        eq = Some(end);
                    }
                }
                ITEM_QUOTE => self.quoted = true,
                _ => variable |= eq.is_some(),
            }
            end += 1;
        }
        self.pos = end + 1;
        let key_end = eq.unwrap_or(end);
        let value = eq.map(|eq| &text[eq + 1..end]);
        Some(Item { key: &text[start..key_end], value, variable, at: ItemAt::Value { start, key_end, end } })
    }
}

fn check_mount(acc: &mut Vec<SyntaxError>, flag: &Flag) {
    let Some(value) = &flag.value else { return };
    // Without quotes an item is just the text between commas: no copies needed. The checks walk
    // the items twice, so the first few are kept in a small array on the way.
    let mut items = PlainItems::new(&value.value);
    let mut held = [Item::EMPTY; 8];
    let mut count = 0;
    for item in items.by_ref() {
        if let Some(slot) = held.get_mut(count) {
            *slot = item;
        }
        count += 1;
    }
    if !items.quoted {
        match held.get(..count) {
            Some(held) => check_mount_items(acc, flag, held.iter().copied()),
            None => check_mount_items(acc, flag, PlainItems::new(&value.value)),
        }
        return;
    }
    let (owned, problem) = split_options(flag);
    if let Some((range, message)) = problem {
        error(acc, range, SyntaxErrorKind::MalformedFlag, format!("`--mount`: {message}"));
        return;
    }
    let items = owned.iter().map(|it| Item {
        key: &it.key.value,
        value: it.value.as_ref().map(|v| v.value.as_str()),
        variable: it.value.as_ref().is_some_and(|v| v.value.contains('$')),
        at: ItemAt::Source {
            range: it.range,
            key: it.key.range,
            value: it.value.as_ref().map_or(it.range, |v| v.range),
        },
    });
    check_mount_items(acc, flag, items);
}

/// Checks the items of one `--mount` value; `options` is walked twice (the type first).
fn check_mount_items<'a>(acc: &mut Vec<SyntaxError>, flag: &Flag, options: impl Iterator<Item = Item<'a>> + Clone) {
    let malformed = |acc: &mut Vec<SyntaxError>, range: TextRange, message: String| {
        error(acc, range, SyntaxErrorKind::MalformedFlag, message);
    };
    let mut mount_type = Some("bind");
    for option in options.clone() {
        if option.key.eq_ignore_ascii_case("type")
            && let Some(value) = option.value
        {
            mount_type = MOUNT_TYPES.iter().find(|it| it.eq_ignore_ascii_case(value)).copied();
            if mount_type.is_none() && !option.variable {
                let message = format!("`--mount` type `{value}` is not one of {}", MOUNT_TYPES.join(", "));
                malformed(acc, option.at.value_range(flag), message);
                return;
            }
        }
    }
    let mut has_target = false;
    let mut has_secret_source = false;
    for option in options {
        let Some(key) = mount_key(option.key) else {
            let message = match closest(option.key, MOUNT_KEYS) {
                Some(it) => format!("`--mount` has no option `{}`; did you mean `{it}`?", option.key),
                None => format!("`--mount` has no option `{}`", option.key),
            };
            malformed(acc, option.at.key_range(flag), message);
            continue;
        };
        match key {
            "target" | "dst" | "destination" => has_target = true,
            "id" | "source" | "src" | "env" => has_secret_source = true,
            _ => {}
        }
        let Some(v) = option.value else {
            if !matches!(key, "readonly" | "ro" | "readwrite" | "rw" | "required") {
                malformed(acc, option.at.range(flag), format!("`--mount` option `{key}` needs a value: `{key}=...`"));
                continue;
            }
            if key == "required" && mount_type.is_some_and(|it| it != "secret" && it != "ssh") {
                malformed(acc, option.at.range(flag), "`required` only applies to secret and ssh mounts".to_string());
            }
            continue;
        };
        let Some(mount_type) = mount_type else {
            continue;
        };
        if option.variable {
            continue;
        }
        let message = match key {
            "readonly" | "ro" | "readwrite" | "rw" if !is_go_bool(v) => {
                Some(format!("`{key}` must be true or false, not `{v}`"))
            }
            "required" if mount_type != "secret" && mount_type != "ssh" => {
                Some("`required` only applies to secret and ssh mounts".to_string())
            }
            "required" if !is_go_bool(v) => Some(format!("`required` must be true or false, not `{v}`")),
            "sharing" if mount_type != "cache" => Some("`sharing` only applies to cache mounts".to_string()),
            "sharing" if !["shared", "private", "locked"].iter().any(|it| it.eq_ignore_ascii_case(v)) => {
                Some(format!("`sharing` must be shared, private or locked, not `{v}`"))
            }
            "mode" | "uid" | "gid" if !matches!(mount_type, "cache" | "secret" | "ssh") => {
                Some(format!("`{key}` only applies to cache, secret and ssh mounts"))
            }
            "mode" if u32::from_str_radix(v, 8).is_err() => {
                Some(format!("`mode` must be an octal number like 0755, not `{v}`"))
            }
            "uid" | "gid" if v.parse::<u32>().is_err() => {
                Some(format!("`{key}` must be a non-negative whole number, not `{v}`"))
            }
            "from" if mount_type == "secret" => Some("a secret mount can't use `from`".to_string()),
            _ => None,
        };
        if let Some(message) = message {
            malformed(acc, option.at.value_range(flag), message);
        }
    }
    match mount_type {
        Some(kind @ ("bind" | "cache" | "tmpfs")) if !has_target => {
            malformed(acc, flag.range, format!("a {kind} mount needs a `target`"));
        }
        Some("secret") if !has_target && !has_secret_source => {
            malformed(acc, flag.range, "a secret mount needs an `id` or a `target`".to_string());
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_keys_ignore_ascii_case_only() {
        for key in MOUNT_KEYS {
            assert_eq!(mount_key(key), Some(key));
            assert_eq!(mount_key(&key.to_ascii_uppercase()), Some(key));
            assert_eq!(mount_key(&format!("{key}s")), None);
            assert_eq!(mount_key(&key[..key.len() - 1]), None);
        }
        for key in ["", "r", "ro\0", "Type ", "t\u{fd}pe", "targets", "destinations", "src\u{0}", "R\u{f}", "\u{12}O"] {
            assert_eq!(mount_key(key), None, "{key:?}");
        }
    }

    #[test]
    fn repeated_mounts_are_judged_alike() {
        let valid = "--mount=type=cache,target=/root/.cache/uv";
        let invalid = "--mount=type=cache,sharing=sometimes,target=/x";
        let text = format!("FROM a\nRUN {valid} a\nRUN {invalid} b\nRUN {valid} c\nRUN {invalid} d\n");
        let parse = crate::syntax::parse(&text);
        let lines: Vec<usize> = parse.errors.iter().map(|it| text[..it.range.start].matches('\n').count()).collect();
        assert_eq!(lines, vec![2, 4], "{:?}", parse.errors);
        // More distinct valid values than are remembered still pass, and a bad one still fails.
        let mut text = String::from("FROM a\n");
        for idx in 0..2 * ValidMounts::LIMIT {
            text.push_str(&format!("RUN --mount=type=cache,target=/c{idx} a\n"));
        }
        text.push_str("RUN --mount=type=cache,target=/c0,uid=x a\n");
        let parse = crate::syntax::parse(&text);
        assert_eq!(parse.errors.len(), 1, "{:?}", parse.errors);
        assert!(parse.errors[0].message.contains("uid"), "{:?}", parse.errors);
    }

    #[test]
    fn durations() {
        assert_eq!(go_duration_nanos("30s"), Some(30e9));
        assert_eq!(go_duration_nanos("1m30s"), Some(90e9));
        assert_eq!(go_duration_nanos("1.5h"), Some(5400e9));
        assert_eq!(go_duration_nanos("0"), Some(0.0));
        assert_eq!(go_duration_nanos("-2ms"), Some(-2e6));
        assert_eq!(go_duration_nanos("30"), None);
        assert_eq!(go_duration_nanos("abc"), None);
        assert_eq!(go_duration_nanos("1..5s"), None);
        assert_eq!(go_duration_nanos(""), None);
        assert_eq!(go_duration_nanos("5 s"), None);
        assert_eq!(go_duration_nanos("0030s"), Some(30e9));
        assert_eq!(go_duration_nanos("12345678901234567s"), Some("12345678901234567".parse::<f64>().unwrap() * 1e9));
    }

    #[test]
    fn whole_numbers_read_as_the_float_parser_reads_them() {
        for number in ["0", "7", "007", "30", "999999999999999", "123456789012345"] {
            assert_eq!(integer_value(number), Some(number.parse::<f64>().unwrap()), "{number}");
        }
        for number in ["", "1.5", ".", "1234567890123456", "12a"] {
            assert_eq!(integer_value(number), None, "{number}");
        }
    }
}
