//! Which flags each instruction takes, and the checks BuildKit makes on their values.

use crate::syntax::lexer::MappedText;
use crate::syntax::suggest::closest;
use crate::syntax::{CompactString, Flag, FlagOption, Keyword, OffsetMap, SyntaxError, SyntaxErrorKind};
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
/// to the source, and its whole source range.
pub(crate) fn make_flag(text: &str, map: &OffsetMap, range: TextRange) -> Flag {
    let name_end = text.bytes().position(|it| it == b'=').unwrap_or(text.len());
    let name_start = 2.min(name_end);
    let name = Spanned::new(CompactString::from(&text[name_start..name_end]), map_range(map, name_start, name_end));
    if name_end == text.len() {
        return Flag { range, name, value: None, value_map: OffsetMap::default() };
    }
    let value_start = name_end + 1;
    // The value as written runs from right after `=` to the end of the word.
    let value_source = map.to_source(name_end) + 1;
    let value_range = TextRange::new(value_source.min(range.end), range.end);
    let value_map = map.slice(value_start, text.len());
    let value = Spanned::new(CompactString::from(&text[value_start..]), value_range);
    Flag { range, name, value: Some(value), value_map }
}

fn map_range(map: &OffsetMap, start: usize, end: usize) -> TextRange {
    if start >= end {
        return TextRange::empty(map.to_source(start));
    }
    map.range_to_source(TextRange::new(start, end))
}

fn error(acc: &mut Vec<SyntaxError>, range: TextRange, kind: SyntaxErrorKind, message: String) {
    acc.push(SyntaxError { range, kind, message });
}

/// Checks the flags of one instruction.
pub(crate) fn validate(acc: &mut Vec<SyntaxError>, keyword: Keyword, flags: &[Flag]) {
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
        if name == "mount" {
            check_mount(acc, flag);
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
    let literal = || !value.contains('$');
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
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        let value: f64 = number.parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest.find(|it: char| it.is_ascii_digit() || it == '.').unwrap_or(rest.len());
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

/// Splits a flag value into CSV items; the second value is the first error found, if any.
pub(crate) fn split_options(flag: &Flag) -> (Vec<FlagOption>, Option<(TextRange, String)>) {
    let mut options = Vec::new();
    let mut problem = None;
    let Some(value) = &flag.value else {
        return (options, problem);
    };
    let text = value.value.as_str();
    let bytes = text.as_bytes();
    let to_source = |start: usize, end: usize| map_range(&flag.value_map, start, end);
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
    let bytes = key.as_bytes();
    let mut lower = [0u8; 11];
    if bytes.len() > lower.len() {
        return None;
    }
    for (slot, byte) in lower.iter_mut().zip(bytes) {
        *slot = byte.to_ascii_lowercase();
    }
    let lower = &lower[..bytes.len()];
    MOUNT_KEYS.iter().find(|it| it.as_bytes() == lower).copied()
}

/// Go's `strconv.ParseBool`.
fn is_go_bool(value: &str) -> bool {
    matches!(value, "1" | "t" | "T" | "TRUE" | "true" | "True" | "0" | "f" | "F" | "FALSE" | "false" | "False")
}

/// One `--mount` item, borrowed from the flag value (or from split options when quoted).
#[derive(Clone, Copy)]
struct Item<'a> {
    key: &'a str,
    value: Option<&'a str>,
    at: ItemAt,
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
            ItemAt::Value { start, end, .. } => map_range(&flag.value_map, start, end),
        }
    }

    fn key_range(self, flag: &Flag) -> TextRange {
        match self {
            ItemAt::Source { key, .. } => key,
            ItemAt::Value { start, key_end, .. } => map_range(&flag.value_map, start, key_end),
        }
    }

    fn value_range(self, flag: &Flag) -> TextRange {
        match self {
            ItemAt::Source { value, .. } => value,
            ItemAt::Value { key_end, end, .. } => map_range(&flag.value_map, (key_end + 1).min(end), end),
        }
    }
}

/// The items of an unquoted `--mount` value: the text between commas, split at the first `=`.
#[derive(Clone)]
struct PlainItems<'a> {
    text: &'a str,
    /// Where the next item starts; past the end when done.
    pos: usize,
}

impl<'a> Iterator for PlainItems<'a> {
    type Item = Item<'a>;

    fn next(&mut self) -> Option<Item<'a>> {
        let text = self.text;
        let bytes = text.as_bytes();
        let start = self.pos;
        if start > bytes.len() {
            return None;
        }
        // Items are short, so one plain scan for both separators beats two `memchr` calls,
        // whose set-up costs more than the search.
        let mut eq = None;
        let mut end = start;
        while end < bytes.len() {
            match bytes[end] {
                b',' => break,
                b'=' if eq.is_none() => eq = Some(end),
                _ => {}
            }
            end += 1;
        }
        self.pos = end + 1;
        let key_end = eq.unwrap_or(end);
        let value = eq.map(|eq| &text[eq + 1..end]);
        Some(Item { key: &text[start..key_end], value, at: ItemAt::Value { start, key_end, end } })
    }
}

fn check_mount(acc: &mut Vec<SyntaxError>, flag: &Flag) {
    let Some(value) = &flag.value else { return };
    if !value.value.as_bytes().contains(&b'"') {
        // Without quotes an item is just the text between commas: no copies needed.
        check_mount_items(acc, flag, PlainItems { text: &value.value, pos: 0 });
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
            if mount_type.is_none() && !value.contains('$') {
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
        if v.contains('$') {
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
    }
}
