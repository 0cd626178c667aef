//! Facts the uv rules share: mounts of a RUN, what each stage copies where, the working directory
//! and user at each instruction, the uv version a stage pins, and which stages reach the image.
//!
//! Everything is computed in one pass over the instructions so each rule stays linear in the
//! file's size; paths are compared as plain strings after resolving them against WORKDIR.

use std::borrow::Cow;
use std::sync::Arc;

use compact_str::CompactString;

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::rules::support_python::PerStage;
use crate::rules::{RuleContext, is_truthy};
use crate::semantics::shell::{UvFlag, UvInvocation};
use crate::semantics::{Base, CommandOrigin, CommandSite, Semantics, expand, image};
use crate::syntax::{Args, Instruction, Keyword};
use crate::text::{Spanned, TextRange};

/// One `--mount=...` of a RUN.
#[derive(Clone, Debug)]
pub(crate) struct Mount {
    /// `bind` (the default), `cache`, `secret`, `ssh`, `tmpfs`.
    pub(crate) kind: CompactString,
    pub(crate) source: Option<CompactString>,
    pub(crate) target: Option<Spanned<CompactString>>,
    /// `from=`: another stage or image instead of the build context.
    pub(crate) from: Option<CompactString>,
    /// `rw` / `readwrite` on a bind mount.
    pub(crate) writable: bool,
    /// The whole `--mount=...` flag.
    pub(crate) range: TextRange,
}

impl Mount {
    fn new(range: TextRange) -> Mount {
        Mount { kind: CompactString::new("bind"), source: None, target: None, from: None, writable: false, range }
    }

    /// Takes in one `key[=value]` option of the flag.
    fn set(&mut self, key: &str, value: Option<Spanned<&str>>) {
        let is = |name: &str| key.eq_ignore_ascii_case(name);
        if is("type") {
            self.kind = value
                .map(|it| match it.value.bytes().any(|byte| byte.is_ascii_uppercase()) {
                    true => CompactString::from(it.value).to_ascii_lowercase(),
                    false => CompactString::from(it.value),
                })
                .unwrap_or_default();
        } else if is("source") || is("src") {
            self.source = value.map(|it| CompactString::from(it.value));
        } else if is("target") || is("dst") || is("destination") {
            self.target = value.map(|it| Spanned::new(CompactString::from(it.value), it.range));
        } else if is("from") {
            self.from = value.map(|it| CompactString::from(it.value));
        } else if is("rw") || is("readwrite") {
            self.writable = value.is_none_or(|it| is_truthy(it.value));
        }
    }
}

/// The mounts of a RUN instruction, in order.
#[cfg(test)]
pub(crate) fn mounts(text: &str, instruction: &Instruction) -> Vec<Mount> {
    let mut res = Vec::new();
    push_mounts(&mut res, text, instruction);
    res
}

/// Appends the mounts of a RUN instruction to `res`, in order.
pub(crate) fn push_mounts(res: &mut Vec<Mount>, text: &str, instruction: &Instruction) {
    for flag in instruction.flags.iter().filter(|it| it.name.value == "mount") {
        let mut mount = Mount::new(flag.range);
        match &flag.value {
            // Written as is (no quotes, escapes or line breaks): split it in place instead of
            // asking the parser for its options, which maps every offset through the flag's map.
            Some(value)
                if !value.value.contains('"') && text.get(value.range.as_range()) == Some(value.value.as_str()) =>
            {
                let base = value.range.start;
                let mut offset = 0;
                // Options are short: a plain byte scan beats the general string splitter.
                let items = value.value.as_bytes().split(|it| *it == b',').scan(0, |start, item| {
                    let begin = *start;
                    *start += item.len() + 1;
                    value.value.get(begin..begin + item.len())
                });
                for item in items {
                    let (key, value) = match item.bytes().position(|it| it == b'=') {
                        Some(eq) => {
                            let start = base + offset + eq + 1;
                            let range = TextRange::new(start, start + item.len() - eq - 1);
                            (&item[..eq], Some(Spanned::new(&item[eq + 1..], range)))
                        }
                        None => (item, None),
                    };
                    mount.set(key, value);
                    offset += item.len() + 1;
                }
            }
            _ => {
                for option in flag.options() {
                    let value = option.value.as_ref().map(|it| Spanned::new(it.value.as_str(), it.range));
                    mount.set(option.key.value.as_str(), value);
                }
            }
        }
        res.push(mount);
    }
}

/// A cache mount whose target looks like uv's cache (`/root/.cache/uv`, `/tmp/uv-cache`, ...).
pub(crate) fn is_uv_cache_mount(mount: &Mount, cache_dir: Option<&str>) -> bool {
    if mount.kind != "cache" {
        return false;
    }
    let Some(target) = &mount.target else { return false };
    let target = target.value.trim_end_matches('/');
    if cache_dir.is_some_and(|dir| dir.trim_end_matches('/') == target) {
        return true;
    }
    let last = target.rsplit('/').next().unwrap_or(target);
    last == "uv" || last.starts_with("uv-") || last.starts_with("uv_") || last.ends_with("-uv")
}

/// Joins `path` onto `dir` and removes `.` and `..` parts; `None` when a variable is involved.
pub(crate) fn resolve(dir: &str, path: &str) -> Option<String> {
    if path.contains('$') {
        return None;
    }
    Some(crate::rules::support_python::resolve_path(dir, path))
}

/// [`resolve`], borrowing `path` when it is absolute and normalised already.
pub(crate) fn resolve_ref<'p>(dir: &str, path: &'p str) -> Option<Cow<'p, str>> {
    resolve_cow(dir, Cow::Borrowed(path))
}

/// [`resolve`] of a borrowed or owned path, borrowing when it needs no work.
pub(crate) fn resolve_cow<'t>(dir: &str, path: Cow<'t, str>) -> Option<Cow<'t, str>> {
    if path.contains('$') {
        return None;
    }
    Some(crate::rules::support_python::resolve_cow(dir, path))
}

/// `text` without its leading `./` parts: what `trim_start_matches("./")` returns, without
/// setting up a substring search for each word.
pub(crate) fn without_dot_slashes(text: &str) -> &str {
    let mut res = text;
    while let Some(rest) = res.strip_prefix("./") {
        res = rest;
    }
    res
}

/// Whether `path` is `dir` or lies below it.
pub(crate) fn is_within(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// Whether a copied source may bring a file named `name` (a root-level file of the context).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Carries {
    Yes,
    Maybe,
    No,
}

/// One COPY or ADD.
#[derive(Clone, Debug)]
pub(crate) struct CopyEvent<'a> {
    pub(crate) instruction: usize,
    /// Source words as written (quotes removed).
    pub(crate) sources: CopySources<'a>,
    /// The destination resolved against WORKDIR; `None` when it uses a variable.
    pub(crate) dest: Option<Cow<'a, str>>,
    /// The destination is a folder (ends in `/`, is `.`, or several sources are copied).
    pub(crate) dest_is_dir: bool,
    /// `--from=` (a stage or an image).
    pub(crate) from: Option<Cow<'a, str>>,
    pub(crate) chown: bool,
}

/// The source words of a COPY or ADD (every word but the last), borrowed from the syntax tree.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CopySources<'a> {
    Words(&'a [crate::syntax::Word]),
    Exec(&'a [Spanned<CompactString>]),
}

impl<'a> CopySources<'a> {
    /// Each source with its range, in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Spanned<&'a str>> + use<'a> {
        let (words, exec): (&'a [crate::syntax::Word], &'a [Spanned<CompactString>]) = match *self {
            CopySources::Words(words) => (words, &[]),
            CopySources::Exec(exec) => (&[], exec),
        };
        let words = words.iter().map(|it| Spanned::new(it.value.as_str(), it.range));
        words.chain(exec.iter().map(|it| Spanned::new(it.value.as_str(), it.range)))
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            CopySources::Words(words) => words.len(),
            CopySources::Exec(exec) => exec.len(),
        }
    }
}

impl CopyEvent<'_> {
    /// Whether this copy may put the context's root-level file `name` into folder `dir`.
    pub(crate) fn carries(&self, ctx: &RuleContext<'_>, name: &str, dir: &str) -> Carries {
        let Some(dest) = self.dest.as_deref() else { return Carries::Maybe };
        let mut res = Carries::No;
        for source in self.sources.iter() {
            let verdict = self.source_carries(ctx, source.value, name, dest, dir);
            match verdict {
                Carries::Yes => return Carries::Yes,
                Carries::Maybe => res = Carries::Maybe,
                Carries::No => {}
            }
        }
        res
    }

    fn source_carries(&self, ctx: &RuleContext<'_>, source: &str, name: &str, dest: &str, dir: &str) -> Carries {
        if source.starts_with("<<") {
            return Carries::No;
        }
        // (`windows` over the bytes: setting up a substring search costs more than these short
        // words take to scan.)
        let url = source.as_bytes().windows(3).any(|it| it == b"://");
        if source.contains('$') || url || source.starts_with("git@") {
            return Carries::Maybe;
        }
        let clean = without_dot_slashes(source).trim_end_matches('/');
        let whole_context = clean.is_empty() || clean == ".";
        if self.from.is_some() {
            // Another stage's folder may well hold a lockfile generated or copied there.
            let lands = whole_context || clean.rsplit('/').next() == Some(name) || !looks_like_file(clean);
            return if lands && (is_within(dir, dest) || is_within(dest, dir)) { Carries::Maybe } else { Carries::No };
        }
        // The whole context, or the project's folder copied from a context above it.
        if let Some(landing) = ctx.project_landing(clean, dest) {
            if ctx.is_project_file_excluded(name) {
                return Carries::No;
            }
            return if is_within(dir, &landing) { Carries::Yes } else { Carries::No };
        }
        let basename = clean.rsplit('/').next().unwrap_or(clean);
        // `uv.lock*` matches the file in the project folder, `services/worker/uv.lock*` the file
        // in a project folder below the context (a wildcard stops at `/`, as Docker's does).
        let in_context = ctx.project.in_context(name);
        let globbed = has_glob(clean)
            && clean.matches('/').count() == in_context.matches('/').count()
            && glob_match(clean, &in_context);
        if globbed || ctx.names_project_file(clean, name) {
            // .dockerignore patterns are written from the context: the path is checked as copied.
            if ctx.is_excluded(if globbed { &in_context } else { clean }) {
                return Carries::No;
            }
            let landing =
                if self.dest_is_dir || dest.rsplit('/').next() != Some(name) { dest.to_owned() } else { parent(dest) };
            return if is_within(dir, &landing) { Carries::Yes } else { Carries::No };
        }
        if has_glob(basename) || looks_like_file(basename) {
            return Carries::No;
        }
        // A folder of the context copied straight into `dir` (`COPY app/ .`) may hold its own.
        if dest == dir { Carries::Maybe } else { Carries::No }
    }
}

fn looks_like_file(name: &str) -> bool {
    let basename = name.rsplit('/').next().unwrap_or(name);
    basename.contains('.')
}

fn has_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// `*` and `?` globbing, enough for COPY sources such as `uv.lock*` or `*.toml`.
pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some('?') => {
                p += 1;
                t += 1;
            }
            Some(ch) if *ch == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|it| *it == '*')
}

fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(0) | None => "/".to_owned(),
        Some(idx) => path[..idx].to_owned(),
    }
}

/// Per-stage facts, computed once.
pub(crate) struct Layout<'a> {
    /// COPY and ADD of each stage, in order.
    pub(crate) copies: PerStage<CopyEvent<'a>>,
    /// The uv version pinned for each stage (from `COPY --from=ghcr.io/astral-sh/uv:X` or a uv
    /// base image, inherited through `FROM <stage>`).
    /// (Shared between a stage and the stages built on it, which inherit it.)
    pub(crate) uv_version: Vec<Option<Arc<str>>>,
    /// Whether a stage ends up in the final image: the final stage, its ancestors, and stages
    /// something in them copies from.
    pub(crate) in_image: Vec<bool>,
}

impl<'a> Layout<'a> {
    pub(crate) fn build(ctx: &RuleContext<'a>) -> Layout<'a> {
        let semantics = ctx.semantics;
        // The uv version each `COPY --from=<image>` text pins: files copy uv from the same
        // image over and over, and parsing a reference allocates.
        let mut image_pins: crate::rules::facts::FastMap<&str, Option<Option<Arc<str>>>> = Default::default();
        let escape = ctx.parse.file.escape;
        let stages = semantics.stages.len();
        // The COPYs and ADDs here are the Python rules' ones: their count sizes the list.
        let mut res = Layout {
            copies: PerStage::with_capacity(ctx.py_copies().len(), stages),
            uv_version: vec![None; stages],
            in_image: vec![false; stages],
        };
        // Stages each stage copies from, for the reach computation below.
        let mut copied_from: PerStage<usize> = PerStage::default();
        // The walked stages only: a stage's pin and reach depend on its ancestors and on the
        // stages it copies from or that copy from it, which are all linked to it.
        for stage in ctx.stages() {
            let parent = match stage.base {
                Base::Stage(parent) if parent < stage.index => Some(parent),
                _ => None,
            };
            let mut uv_version = parent.and_then(|it| res.uv_version.get(it).cloned()).flatten();
            if let Base::Image(reference) = &stage.base {
                // Stages start from the same few images: look at each text once (the stage's
                // reference was parsed from its expanded text, so the two agree).
                let pin = match stage.image_expanded.as_deref() {
                    Some(text) => match image_pins.get(text) {
                        Some(pin) => pin.clone(),
                        None => {
                            let pin = image::uv_image_info(reference).map(|it| it.uv_version.map(Arc::from));
                            image_pins.insert(text, pin.clone());
                            pin
                        }
                    },
                    None => image::uv_image_info(reference).map(|it| it.uv_version.map(Arc::from)),
                };
                if let Some(pin) = pin {
                    uv_version = pin;
                }
            }
            let copies = ctx.instructions_with_in(&[Keyword::Copy, Keyword::Add], stage.instructions.clone());
            for (idx, instruction) in copies {
                let lookup = |name: &str| {
                    ctx.build_var(stage.index, idx, name).and_then(|it| it.value.as_deref().map(String::from))
                };
                let event = copy_event(idx, instruction, ctx.workdir_at(idx), escape, &lookup);
                if let Some(from) = &event.from {
                    match ctx.stage_by_reference(from) {
                        Some(source) if source.index < stage.index => copied_from.push(stage.index, source.index),
                        Some(_) => {}
                        None => {
                            let pin = match image_pins.get(from.as_ref()) {
                                Some(pin) => pin.clone(),
                                None => {
                                    let uv = image::parse_image_ref(from).and_then(|it| image::uv_image_info(&it));
                                    let pin = uv.map(|it| it.uv_version.map(Arc::from));
                                    // Only texts written in the file are kept as keys; an
                                    // expanded one is parsed each time it is met.
                                    if let Cow::Borrowed(key) = from {
                                        image_pins.insert(*key, pin.clone());
                                    }
                                    pin
                                }
                            };
                            if let Some(pin) = pin {
                                uv_version = pin.or(uv_version);
                            }
                        }
                    }
                }
                res.copies.push(stage.index, event);
            }
            res.uv_version[stage.index] = uv_version;
        }
        // Reach: walk back from the final stage through parents and copy sources.
        let mut todo: Vec<usize> = semantics.final_stage().map(|it| it.index).into_iter().collect();
        while let Some(idx) = todo.pop() {
            if res.in_image[idx] {
                continue;
            }
            res.in_image[idx] = true;
            if let Some(Base::Stage(parent)) = semantics.stages.get(idx).map(|it| &it.base)
                && *parent < idx
            {
                todo.push(*parent);
            }
            todo.extend(copied_from.of(idx).iter().copied());
        }
        res
    }

    /// The stage and its `FROM <stage>` ancestors, nearest first.
    pub(crate) fn chain(semantics: &Semantics, stage: usize) -> Vec<usize> {
        let mut res = Vec::new();
        let mut current = Some(stage);
        while let Some(idx) = current {
            res.push(idx);
            current = match semantics.stages.get(idx).map(|it| &it.base) {
                Some(Base::Stage(parent)) if *parent < idx => Some(*parent),
                _ => None,
            };
        }
        res
    }

    /// The stage and its `FROM <stage>` ancestors, oldest first, without allocating for the
    /// short chains nearly every file has.
    pub(crate) fn chain_oldest_first(semantics: &Semantics, stage: usize) -> impl Iterator<Item = usize> + use<> {
        const SHORT: usize = 8;
        let mut short = [0usize; SHORT];
        let mut len = 0;
        let mut long = Vec::new();
        let parent = |idx: &usize| match semantics.stages.get(*idx).map(|it| &it.base) {
            Some(Base::Stage(parent)) if parent < idx => Some(*parent),
            _ => None,
        };
        for idx in std::iter::successors(Some(stage), parent) {
            if len < SHORT {
                short[len] = idx;
                len += 1;
            } else {
                if long.is_empty() {
                    long.extend_from_slice(&short);
                }
                long.push(idx);
            }
        }
        if !long.is_empty() {
            len = 0;
        }
        short.into_iter().take(len).rev().chain(long.into_iter().rev())
    }

    /// COPY/ADD events visible to instruction `before` of `stage`: the ancestors' ones and the
    /// stage's own earlier ones.
    pub(crate) fn copies_before<'s>(
        &'s self,
        semantics: &Semantics,
        stage: usize,
        before: usize,
    ) -> impl Iterator<Item = &'s CopyEvent<'a>> + 's {
        Layout::chain_oldest_first(semantics, stage)
            .flat_map(move |idx| self.copies.of(idx).iter())
            .filter(move |event| event.instruction < before)
    }

    pub(crate) fn in_image(&self, stage: usize) -> bool {
        self.in_image.get(stage).copied().unwrap_or(false)
    }
}

/// [`expand::expand`]'s value and completeness, without its work for words that have nothing
/// to expand, unquote or unescape.
pub(crate) fn expand_value<'t>(
    text: &'t str,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> (Cow<'t, str>, bool) {
    let plain = escape.is_ascii() && !text.bytes().any(|it| matches!(it, b'$' | b'\'' | b'"') || it == escape as u8);
    if plain {
        return (Cow::Borrowed(text), true);
    }
    let expansion = expand::expand(text, escape, lookup);
    (Cow::Owned(expansion.value), expansion.complete)
}

fn copy_event<'a>(
    idx: usize,
    instruction: &'a Instruction,
    workdir: Option<&str>,
    escape: char,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> CopyEvent<'a> {
    // The last word is the destination, the others are sources.
    let (sources, dest_word) = match &instruction.args {
        Args::Words(words) => match words.split_last() {
            Some((last, rest)) => (CopySources::Words(rest), Some(Spanned::new(last.value.as_str(), last.range))),
            None => (CopySources::Words(&[]), None),
        },
        Args::Exec(exec) => match exec.elements.split_last() {
            Some((last, rest)) => (CopySources::Exec(rest), Some(Spanned::new(last.value.as_str(), last.range))),
            None => (CopySources::Exec(&[]), None),
        },
        _ => (CopySources::Words(&[]), None),
    };
    let dest_word = dest_word.as_ref();
    let dest_text = dest_word.map(|it| expand_value(it.value, escape, lookup));
    let dest = match (dest_text, workdir) {
        (Some((text, true)), Some(dir)) => resolve_cow(dir, text),
        (Some((text, true)), None) if text.starts_with('/') => resolve_cow("/", text),
        _ => None,
    };
    let dest_is_dir = sources.len() > 1
        || dest_word.is_some_and(|it| it.value.ends_with('/') || it.value == "." || it.value.ends_with("/."));
    let from = instruction.flag("from").and_then(|it| it.value.as_ref()).map(|it| {
        let (value, _) = expand_value(&it.value, escape, lookup);
        value
    });
    CopyEvent { instruction: idx, sources, dest, dest_is_dir, from, chown: instruction.flag("chown").is_some() }
}

/// Whether the RUN holding `site` changes directory before its uv command (`cd x && uv sync`).
pub(crate) fn changes_directory(ctx: &RuleContext<'_>, site: &CommandSite) -> bool {
    if site.stage.is_none() {
        return true;
    }
    match ctx.command_index(site) {
        Some(idx) => ctx.after_cd(idx),
        None => ctx.semantics.commands.iter().any(|other| {
            other.instruction == site.instruction
                && other.command.range.start < site.command.range.start
                && matches!(other.command.program_name(), Some("cd" | "pushd"))
        }),
    }
}

/// [`UvInvocation::has_flag`] for a long flag that is no alias of another (`--frozen`, not
/// `--compile`): invocations keep canonical names, so the name is compared as is instead of
/// being looked up among the aliases on every question (a test keeps the names used canonical).
pub(crate) fn has_long_flag(uv: &UvInvocation<'_>, name: &str) -> bool {
    uv.flags.iter().any(|it| it.name == name)
}

/// Whether uv is pointed at another project folder (`--directory`, `--project`).
pub(crate) fn elsewhere(uv: &UvInvocation<'_>) -> bool {
    has_long_flag(uv, "--directory") || has_long_flag(uv, "--project")
}

/// Whether a word of uv's own arguments that the shell expands (`uv sync $SYNC_FLAGS`) may supply
/// one of `flags`. A plain `$NAME` or `${NAME}` is looked up as the shell expands it (an
/// assignment earlier in the same instruction, else the ENV or ARG in effect) and split into
/// words; any other expansion, or a variable whose value cannot be told, may hold
/// anything. Rules that report a missing flag ask this first, so they never claim a flag is
/// absent when it may arrive through a variable.
pub(crate) fn expansion_may_supply(
    ctx: &RuleContext<'_>,
    site: &CommandSite,
    uv: &UvInvocation<'_>,
    flags: &[&str],
) -> bool {
    let after_program = uv.uv_words().iter().skip(1);
    // `uv run $ARGS app`: a leading expansion is read as the child command, but may be flags.
    let child_head = uv.run_command().and_then(<[_]>::first);
    after_program.chain(child_head).filter(|word| word.has_expansion && is_bare_expansion(&word.value)).any(|word| {
        let Some(name) = simple_variable(&word.value) else { return true };
        let Some(value) = variable_before(ctx, site, name) else { return true };
        value.split_whitespace().any(|part| {
            let part = part.trim_matches(['"', '\'']);
            flags.iter().any(|flag| part == *flag || part.strip_prefix(flag).is_some_and(|rest| rest.starts_with('=')))
        })
    })
}

/// A word the shell may turn into words of its own: it starts with an expansion (`$ARGS`,
/// `${FLAGS}`, `$(cat flags)`, a backtick), rather than having one inside a value (`--python=$PY`).
fn is_bare_expansion(value: &str) -> bool {
    value.starts_with('$') || value.starts_with('`')
}

/// `NAME` of a word that is exactly `$NAME` or `${NAME}`.
fn simple_variable(value: &str) -> Option<&str> {
    let name = value.strip_prefix('$')?;
    let name = name.strip_prefix('{').and_then(|it| it.strip_suffix('}')).unwrap_or(name);
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|it| it.is_ascii_alphabetic() || it == '_')
        && chars.all(|it| it.is_ascii_alphanumeric() || it == '_');
    valid.then_some(name)
}

/// The value `$name` expands to in a command's words: the last assignment before it in the same
/// instruction (`FLAGS="--frozen" && uv sync $FLAGS`), else the ENV or ARG in effect. A prefix
/// assignment (`FLAGS=x uv sync $FLAGS`) does not count: the shell expands the words before it
/// applies it. `None` when the value cannot be told: an assignment that expands something
/// itself, or an earlier command that sets the name another way (`export FLAGS=...`).
fn variable_before<'c>(ctx: &'c RuleContext<'_>, site: &'c CommandSite, name: &str) -> Option<&'c str> {
    // Commands are in source order: the instruction's own are found by bisection.
    let commands = &ctx.semantics.commands;
    let first = commands.partition_point(|it| it.instruction < site.instruction);
    let earlier = commands[first..]
        .iter()
        .take_while(|it| it.instruction == site.instruction)
        .filter(|it| it.command.range.end <= site.command.range.start);
    // `Some(None)`: set earlier in a way that cannot be read.
    let mut set_earlier: Option<Option<&'c str>> = None;
    for command in earlier.map(|it| &it.command) {
        if command.words.is_empty() {
            if let Some(assignment) = command.assignments.iter().rev().find(|it| it.name == name) {
                set_earlier = Some((!assignment.value_has_expansion).then_some(assignment.value.as_str()));
            }
        } else if command
            .words
            .iter()
            .any(|word| word.value.strip_prefix(name).is_some_and(|rest| rest.starts_with('=')))
        {
            set_earlier = Some(None);
        }
    }
    match set_earlier {
        Some(value) => value,
        None => declared_value(ctx, site, name),
    }
}

/// The value of a variable for a command: a `NAME=value` prefix, else the ENV/ARG in effect.
pub(crate) fn env_value<'c>(ctx: &'c RuleContext<'_>, site: &'c CommandSite, name: &str) -> Option<&'c str> {
    if let Some(assignment) = site.command.assignments.iter().rev().find(|it| it.name == name) {
        return Some(&assignment.value);
    }
    declared_value(ctx, site, name)
}

/// The value of the ENV or ARG `name` in effect for a command (for CMD and ENTRYPOINT, the
/// image's environment).
fn declared_value<'c>(ctx: &'c RuleContext<'_>, site: &'c CommandSite, name: &str) -> Option<&'c str> {
    let stage = site.stage?;
    if site.origin != CommandOrigin::Run {
        return ctx.semantics.runtime_env(stage, name).and_then(|it| it.value.as_deref());
    }
    ctx.build_var(stage, site.instruction, name).and_then(|it| it.value.as_deref())
}

/// `uv sync` that installs packages (not a dry run, check, or script).
pub(crate) fn is_installing_sync(uv: &UvInvocation<'_>) -> bool {
    uv.is("sync") && !has_long_flag(uv, "--dry-run") && !has_long_flag(uv, "--check") && !has_long_flag(uv, "--script")
}

/// A uv command that downloads and installs packages into an environment.
pub(crate) fn installs_packages(uv: &UvInvocation<'_>) -> bool {
    is_installing_sync(uv)
        || matches!(uv.subcommand(), "pip install" | "pip sync" | "tool install" | "add")
        || (uv.is("run") && !has_long_flag(uv, "--no-sync"))
}

/// `uv sync` that installs only the dependencies (the first layer of the two-step pattern).
pub(crate) fn is_deps_only_sync(uv: &UvInvocation<'_>) -> bool {
    uv.is("sync")
        && (has_long_flag(uv, "--no-install-project")
            || has_long_flag(uv, "--no-install-workspace")
            || has_long_flag(uv, "--only-dev")
            || has_long_flag(uv, "--no-install-local"))
}

/// Inserts ` flag` right after the subcommand.
pub(crate) fn insert_flag_fix(uv: &UvInvocation<'_>, flag: &str, applicability: Applicability) -> Fix {
    Fix {
        title: format!("Add `{flag}`"),
        applicability,
        edits: vec![Edit { path: None, range: TextRange::empty(uv.subcommand_end()), new_text: format!(" {flag}") }],
    }
}

/// Inserts a flag after the subcommand of a command in shell form or in a JSON exec form.
pub(crate) fn insert_flag_fix_in(
    ctx: &RuleContext<'_>,
    uv: &UvInvocation<'_>,
    flag: &str,
    applicability: Applicability,
) -> Fix {
    let end = uv.subcommand_end();
    let json_word = uv.subcommand_words.last().is_some_and(|word| {
        ctx.text.get(word.range.as_range()).is_some_and(|it| it.starts_with('"') && it.ends_with('"'))
    });
    if !json_word {
        return insert_flag_fix(uv, flag, applicability);
    }
    Fix {
        title: format!("Add `{flag}`"),
        applicability,
        edits: vec![Edit { path: None, range: TextRange::empty(end), new_text: format!(", \"{flag}\"") }],
    }
}

/// The flag as written, for messages: `-U` stays `-U`.
pub(crate) fn written(flag: &UvFlag<'_>) -> String {
    let word = flag.word.value.as_str();
    if word.starts_with("--") {
        word.split('=').next().unwrap_or(word).to_owned()
    } else if word.len() == 2 {
        word.to_owned()
    } else {
        flag.name.to_string()
    }
}

/// The last CMD and ENTRYPOINT commands the final image starts with (inherited from parent
/// stages when the final stage sets none).
pub(crate) fn start_commands<'c, 'a>(ctx: &'c RuleContext<'a>) -> &'c [&'a CommandSite] {
    ctx.start_commands()
}

pub(crate) fn build_start_commands<'a>(ctx: &RuleContext<'a>) -> Vec<&'a CommandSite> {
    let semantics = ctx.semantics;
    let Some(last) = semantics.final_stage() else { return Vec::new() };
    let instructions = &ctx.parse.file.instructions;
    let mut res = Vec::new();
    for keyword in [Keyword::Entrypoint, Keyword::Cmd] {
        let mut found = None;
        for stage in Layout::chain(semantics, last.index) {
            let Some(stage) = semantics.stages.get(stage) else { continue };
            found = stage
                .instructions
                .clone()
                .rev()
                .find(|idx| instructions.get(*idx).is_some_and(|it| it.keyword == keyword));
            if found.is_some() {
                break;
            }
        }
        let Some(instruction) = found else { continue };
        // Commands are in instruction order, so the ones of `instruction` are contiguous.
        let commands = &semantics.commands;
        let first = commands.partition_point(|site| site.instruction < instruction);
        res.extend(commands[first..].iter().take_while(|site| site.instruction == instruction));
    }
    res
}

/// The uv commands of one RUN instruction, with what they share.
pub(crate) struct RunGroup<'c, 'a> {
    ctx: &'c RuleContext<'a>,
    pub(crate) instruction: usize,
    uv: std::ops::Range<usize>,
    pub(crate) mounts: &'c [Mount],
}

impl<'c, 'a> RunGroup<'c, 'a> {
    /// The uv commands of the RUN, in order.
    pub(crate) fn commands(&self) -> impl Iterator<Item = (&'a CommandSite, &'c UvInvocation<'a>)> + use<'c, 'a> {
        let ctx = self.ctx;
        self.uv.clone().filter_map(move |at| ctx.uv_at(at))
    }
}

/// Groups the uv commands of RUN instructions by instruction, in source order.
pub(crate) fn run_groups<'c, 'a>(ctx: &'c RuleContext<'a>) -> impl Iterator<Item = RunGroup<'c, 'a>> + use<'c, 'a> {
    ctx.run_group_facts().iter().map(move |group| RunGroup {
        ctx,
        instruction: group.instruction,
        uv: group.uv.clone(),
        mounts: ctx.mounts_of(group.instruction),
    })
}

/// uv's cache folder for a command: `--cache-dir`, `UV_CACHE_DIR`, `XDG_CACHE_HOME/uv`, else
/// `$HOME/.cache/uv` (`/root/.cache/uv` for root). `None` when it cannot be told.
pub(crate) fn cache_dir<'c>(
    ctx: &'c RuleContext<'_>,
    site: &'c CommandSite,
    uv: &'c UvInvocation<'_>,
) -> Option<Cow<'c, str>> {
    let dir = ctx.workdir_at(site.instruction).unwrap_or("/");
    if let Some(value) = uv.flag_value("--cache-dir") {
        return resolve_ref(dir, &value.text);
    }
    if let Some(value) = env_value(ctx, site, "UV_CACHE_DIR") {
        return resolve_ref(dir, value);
    }
    if let Some(value) = env_value(ctx, site, "XDG_CACHE_HOME") {
        return resolve("/", &format!("{value}/uv")).map(Cow::Owned);
    }
    if let Some(value) = env_value(ctx, site, "HOME") {
        return resolve("/", &format!("{value}/.cache/uv")).map(Cow::Owned);
    }
    match ctx.user_at(site.instruction) {
        None => Some(Cow::Borrowed("/root/.cache/uv")),
        Some(_) => None,
    }
}

/// Where a uv link mode is chosen for a command: the `--link-mode` value or the variable.
pub(crate) struct LinkMode<'c> {
    pub(crate) value: &'c str,
    pub(crate) range: Option<TextRange>,
}

pub(crate) fn link_mode<'c>(
    ctx: &'c RuleContext<'_>,
    site: &'c CommandSite,
    uv: &'c UvInvocation<'_>,
) -> Option<LinkMode<'c>> {
    if let Some(value) = uv.flag_value("--link-mode") {
        return Some(LinkMode { value: &value.text, range: Some(value.range) });
    }
    if let Some(assignment) = site.command.assignments.iter().rev().find(|it| it.name == "UV_LINK_MODE") {
        return Some(LinkMode { value: &assignment.value, range: Some(assignment.value_range) });
    }
    let stage = site.stage?;
    let def = ctx.build_var(stage, site.instruction, "UV_LINK_MODE")?;
    Some(LinkMode { value: def.value.as_deref()?, range: def.value_range })
}

/// Whether `--no-cache` or `UV_NO_CACHE` applies to a command; the range that says so.
pub(crate) fn no_cache(ctx: &RuleContext<'_>, site: &CommandSite, uv: &UvInvocation<'_>) -> Option<TextRange> {
    if let Some(flag) = uv.flags.iter().rev().find(|it| it.name == "--no-cache") {
        return Some(flag.word.range);
    }
    crate::rules::uv_env_flag(ctx, site, "UV_NO_CACHE").map(|it| it.range.unwrap_or(site.command.range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_run_from_the_root_stage() {
        let mut text = String::from("FROM python:3.12 AS s0\n");
        for idx in 1..12 {
            text.push_str(&format!("FROM s{} AS s{idx}\n", idx - 1));
        }
        let parse = crate::syntax::parse(&text);
        let semantics = crate::semantics::analyze(&parse);
        // Short chains stay on the stack, long ones spill; both read oldest first.
        assert_eq!(Layout::chain_oldest_first(&semantics, 2).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(Layout::chain_oldest_first(&semantics, 11).collect::<Vec<_>>(), (0..12).collect::<Vec<_>>());
        let mut nearest_first = Layout::chain(&semantics, 11);
        nearest_first.reverse();
        assert_eq!(Layout::chain_oldest_first(&semantics, 11).collect::<Vec<_>>(), nearest_first);
    }

    #[test]
    fn long_flags_asked_by_name_are_canonical() {
        // `has_long_flag` compares names as written: each must be what the invocation keeps.
        let names = [
            "--directory",
            "--project",
            "--dry-run",
            "--check",
            "--script",
            "--no-sync",
            "--no-install-project",
            "--no-install-workspace",
            "--only-dev",
            "--no-install-local",
            "--no-cache",
            "--frozen",
            "--locked",
            "--no-project",
        ];
        for name in names {
            let text = format!("FROM x\nRUN uv sync {name}\n");
            let parse = crate::syntax::parse(&text);
            let semantics = crate::semantics::analyze(&parse);
            let uv = semantics.commands.iter().find_map(|it| it.command.as_uv()).expect("a uv command");
            assert!(has_long_flag(&uv, name), "{name} is stored under another name");
            assert_eq!(uv.has_flag(name), has_long_flag(&uv, name));
        }
    }

    #[test]
    fn drops_leading_dot_slashes_only() {
        assert_eq!(without_dot_slashes("././uv.lock"), "uv.lock");
        assert_eq!(without_dot_slashes("../uv.lock"), "../uv.lock");
        assert_eq!(without_dot_slashes("./"), "");
    }

    #[test]
    fn resolves_paths_against_workdir() {
        assert_eq!(resolve("/app", ".").as_deref(), Some("/app"));
        assert_eq!(resolve("/app", "./src/../x").as_deref(), Some("/app/x"));
        assert_eq!(resolve("/app", "/opt/").as_deref(), Some("/opt"));
        assert_eq!(resolve("/", "..").as_deref(), Some("/"));
        assert_eq!(resolve("/app", "$HOME"), None);
    }

    #[test]
    fn mounts_read_plain_and_quoted_values_alike() {
        let text = "FROM x\nRUN --mount=type=cache,target=/root/.cache/uv \\\n    --mount=\"type=bind,source=uv.lock,target=uv.lock\",rw uv sync\n";
        let parse = crate::syntax::parse(text);
        let run = &parse.file.instructions[1];
        let mounts = mounts(text, run);
        assert_eq!(mounts.len(), 2);
        assert_eq!(mounts[0].kind, "cache");
        let target = mounts[0].target.as_ref().expect("a target");
        assert_eq!(&text[target.range.as_range()], "/root/.cache/uv");
        assert!(!mounts[0].writable);
        assert_eq!(mounts[1].kind, "bind");
        assert_eq!(mounts[1].source.as_deref(), Some("uv.lock"));
        let target = mounts[1].target.as_ref().expect("a target");
        assert_eq!(&text[target.range.as_range()], "uv.lock");
        assert!(mounts[1].writable);
    }

    #[test]
    fn mounts_split_in_place_read_what_the_parser_reads() {
        let text = "FROM x\nRUN --mount=type=cache,target=/a=b,,rw --mount=TYPE=Bind,src=x,dst=/y, \\\n    --mount=from=img,source=/s,readwrite=false --mount=\"type=secret,id=a\" true\n";
        let parse = crate::syntax::parse(text);
        let run = &parse.file.instructions[1];
        let found = mounts(text, run);
        assert_eq!(found.len(), 4);
        for (mount, flag) in found.iter().zip(&run.flags) {
            let mut expected = Mount::new(flag.range);
            for option in flag.options() {
                let value = option.value.as_ref().map(|it| Spanned::new(it.value.as_str(), it.range));
                expected.set(option.key.value.as_str(), value);
            }
            assert_eq!(format!("{mount:?}"), format!("{expected:?}"));
        }
        assert_eq!(found[0].target.as_ref().map(|it| &text[it.range.as_range()]), Some("/a=b"));
        assert_eq!(found[1].kind, "bind");
    }

    #[test]
    fn globs_match_like_copy_sources() {
        assert!(glob_match("uv.lock*", "uv.lock"));
        assert!(glob_match("*.lock", "uv.lock"));
        assert!(glob_match("u?.lock", "uv.lock"));
        assert!(!glob_match("*.toml", "uv.lock"));
        assert!(is_within("/app/src", "/app"));
        assert!(!is_within("/application", "/app"));
    }
}
