//! Facts shared by the Python and uv-provisioning rules: image references wherever they are
//! written, WORKDIRs, where venvs are made and copied, and whether uv may use its own CPython.
//!
//! Everything here is computed in one pass over the file so rules stay linear in its size.

use std::borrow::Cow;
use std::sync::Arc;

use crate::project::{ProjectFacts, PythonVersion};
use crate::rules::support_uv::CopySources;
use crate::rules::{RuleContext, is_truthy};
use crate::semantics::expand;
use crate::semantics::image::{
    ImageRef, Libc, PythonImage, TagProblemKind, UvImage, parse_image_ref, python_image_info, uv_image_info,
};
use crate::semantics::shell::{ShellWord, UvInvocation};
use crate::semantics::{Base, CommandSite, PythonSource, Semantics};
use crate::syntax::{Args, Instruction, Keyword};
use crate::text::TextRange;

/// The newest uv release berth's knowledge base describes; pins suggested by fixes use it.
pub(crate) const KNOWN_UV_VERSION: &str = "0.12.5";

/// Where uv keeps the Pythons it downloads when nothing says otherwise (running as root).
pub(crate) const DEFAULT_PYTHON_INSTALL_DIR: &str = "/root/.local/share/uv/python";

// ---------------------------------------------------------------------------------------------
// Image references

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImageUseKind {
    From,
    /// `COPY --from=<image>` (or `ADD --from`).
    CopyFrom,
    /// `RUN --mount=from=<image>`.
    MountFrom,
}

/// An image named somewhere in the file.
pub(crate) struct ImageUse {
    pub(crate) kind: ImageUseKind,
    /// Where the reference is written in the Dockerfile.
    pub(crate) range: TextRange,
    /// The reference and what it says, shared by every use of the same text (files name the
    /// same few images over and over).
    info: Arc<ImageInfo>,
    /// Source offset of `text[0]` when the text sits verbatim in the Dockerfile, so parts of the
    /// reference can be pointed at and edited.
    exact_start: Option<usize>,
}

/// A reference text (after ARG substitution), parsed, with what it says about the `python` and
/// uv images.
pub(crate) struct ImageInfo {
    text: String,
    reference: ImageRef,
    python: Option<PythonImage>,
    uv: Option<UvImage>,
}

impl ImageUse {
    /// The reference after ARG substitution.
    pub(crate) fn text(&self) -> &str {
        &self.info.text
    }

    pub(crate) fn reference(&self) -> &ImageRef {
        &self.info.reference
    }

    /// What the reference says about the official `python` image, when it is one.
    pub(crate) fn python(&self) -> Option<&PythonImage> {
        self.info.python.as_ref()
    }

    /// What the reference says about a uv image, when it is one.
    pub(crate) fn uv(&self) -> Option<&UvImage> {
        self.info.uv.as_ref()
    }

    /// The Dockerfile range of a range inside `text`, or the whole reference when it was
    /// written with variables or quotes.
    pub(crate) fn source_range(&self, inner: TextRange) -> TextRange {
        match self.exact_start {
            Some(start) => TextRange::new(start + inner.start, start + inner.end),
            None => self.range,
        }
    }

    /// True when edits at [`ImageUse::source_range`] are exact.
    pub(crate) fn is_exact(&self) -> bool {
        self.exact_start.is_some()
    }

    /// Where the tag is written, or the end of the repository when there is none.
    pub(crate) fn tag_range(&self) -> TextRange {
        let reference = self.reference();
        match &reference.tag {
            Some(tag) => self.source_range(tag.range),
            None => self.source_range(TextRange::empty(reference.repository.range.end)),
        }
    }
}

/// Every image named by FROM, `COPY --from` and `RUN --mount=from`, in source order.
pub(crate) fn image_uses<'c>(ctx: &'c RuleContext<'_>) -> &'c [ImageUse] {
    ctx.image_uses()
}

/// What a reference text says about the official `python` and uv images. Files name the same
/// few images over and over, so each distinct text is looked at once.
#[derive(Default)]
struct ImageInfoMemo {
    known: crate::rules::facts::FastMap<String, Option<Arc<ImageInfo>>>,
}

impl ImageInfoMemo {
    fn get(&mut self, text: &str) -> Option<Arc<ImageInfo>> {
        if let Some(known) = self.known.get(text) {
            return known.clone();
        }
        let info = parse_image_ref(text).map(|reference| {
            let python = python_image_info(&reference);
            let uv = uv_image_info(&reference);
            Arc::new(ImageInfo { text: text.to_owned(), reference, python, uv })
        });
        self.known.insert(text.to_owned(), info.clone());
        info
    }
}

pub(crate) fn build_image_uses(ctx: &RuleContext<'_>) -> Vec<ImageUse> {
    let mut res = Vec::new();
    let mut memo = ImageInfoMemo::default();
    // Each use lies in the stage that writes it, so the walked stages' ones are all rules
    // report on.
    for stage in ctx.stages() {
        let (Base::Image(reference), Some(image), Some(text)) = (&stage.base, &stage.image, &stage.image_expanded)
        else {
            continue;
        };
        let exact = image.value == *text && image.range.len() == text.len();
        // The stage's reference was parsed from the same text, so the memo's agrees with it.
        let info = memo.get(text).unwrap_or_else(|| {
            let (python, uv) = (python_image_info(reference), uv_image_info(reference));
            Arc::new(ImageInfo { text: String::from(text.as_str()), reference: reference.clone(), python, uv })
        });
        res.push(ImageUse {
            kind: ImageUseKind::From,
            range: image.range,
            info,
            exact_start: exact.then_some(image.range.start),
        });
    }
    for (idx, instruction) in ctx.instructions_with(&[Keyword::Copy, Keyword::Add, Keyword::Run]) {
        match instruction.keyword {
            Keyword::Copy | Keyword::Add => {
                let Some(flag) = instruction.flag("from") else { continue };
                let stage = ctx.stage_index_of(idx);
                let Some(value) = &flag.value else { continue };
                let exact_start = (value.range.len() == value.value.len()).then_some(value.range.start);
                push_reference(
                    ctx,
                    &mut memo,
                    &mut res,
                    ImageUseKind::CopyFrom,
                    stage,
                    idx,
                    &value.value,
                    value.range,
                    exact_start,
                );
            }
            Keyword::Run => {
                let stage = ctx.stage_index_of(idx);
                for flag in instruction.flags.iter().filter(|it| it.name.value == "mount") {
                    // Splitting options allocates; most mounts have no `from=` at all.
                    if !mentions_from(flag) {
                        continue;
                    }
                    for option in flag.options() {
                        if !option.key.value.eq_ignore_ascii_case("from") {
                            continue;
                        }
                        let Some(value) = &option.value else { continue };
                        let exact_start = (value.range.len() == value.value.len()).then_some(value.range.start);
                        push_reference(
                            ctx,
                            &mut memo,
                            &mut res,
                            ImageUseKind::MountFrom,
                            stage,
                            idx,
                            &value.value,
                            value.range,
                            exact_start,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    res.sort_by_key(|it| it.range.start);
    res
}

#[allow(clippy::too_many_arguments)]
fn push_reference(
    ctx: &RuleContext<'_>,
    memo: &mut ImageInfoMemo,
    acc: &mut Vec<ImageUse>,
    kind: ImageUseKind,
    stage: Option<usize>,
    instruction: usize,
    written: &str,
    range: TextRange,
    exact_start: Option<usize>,
) {
    let Some(text) = expand_in(ctx, stage, instruction, written) else { return };
    // A stage name (or index) is not an image.
    if ctx.stage_named(&text).is_some() || text.bytes().all(|it| it.is_ascii_digit()) {
        return;
    }
    let Some(info) = memo.get(&text) else { return };
    let exact_start = exact_start.filter(|_| text == written);
    acc.push(ImageUse { kind, range, info, exact_start });
}

/// Whether a flag's value may hold a `from` key (compared case-insensitively), so flags without
/// one skip splitting their options.
pub(crate) fn mentions_from(flag: &crate::syntax::Flag) -> bool {
    match &flag.value {
        // This runs on every byte of every mount, most of which hold no `f` at all: jump from
        // one `f` or `F` to the next and compare only there.
        Some(value) => {
            let bytes = value.value.as_bytes();
            memchr::memchr2_iter(b'f', b'F', bytes)
                .any(|at| bytes.get(at..at + 4).is_some_and(|it| it.eq_ignore_ascii_case(b"from")))
        }
        None => true,
    }
}

/// Expands variables in `text` as instruction `instruction` of `stage` sees them; `None` when
/// some variable has no known value.
pub(crate) fn expand_in<'t>(
    ctx: &RuleContext<'_>,
    stage: Option<usize>,
    instruction: usize,
    text: &'t str,
) -> Option<Cow<'t, str>> {
    let (value, complete) = expansion_in(ctx, stage, instruction, text);
    complete.then_some(value)
}

/// Expands variables in `text` as instruction `instruction` of `stage` sees them, a variable
/// with no known value as empty (as the build does unless the base image sets it), and says
/// whether every variable had a known value.
pub(crate) fn expansion_in<'t>(
    ctx: &RuleContext<'_>,
    stage: Option<usize>,
    instruction: usize,
    text: &'t str,
) -> (Cow<'t, str>, bool) {
    // Most words have nothing to expand: borrow them.
    if !expand::has_references(text) {
        return (Cow::Borrowed(text), true);
    }
    let semantics = ctx.semantics;
    let lookup = |name: &str| match stage {
        Some(stage) => ctx.build_var(stage, instruction, name).and_then(|def| def.value.as_deref().map(String::from)),
        None => semantics
            .global_args
            .iter()
            .rev()
            .find(|def| def.name == name)
            .and_then(|def| def.value.as_deref().map(String::from)),
    };
    let expansion = expand::expand(text, ctx.parse.file.escape, &lookup);
    (Cow::Owned(expansion.value), expansion.complete)
}

// ---------------------------------------------------------------------------------------------
// Paths

/// Joins `path` onto `base` unless it is absolute, and removes `.`, `..` and doubled slashes.
pub(crate) fn resolve_path(base: &str, path: &str) -> String {
    // One pass into one buffer: this runs for every WORKDIR, COPY and venv of a large file.
    // A single plain name joined onto a resolved folder (`.venv` onto a WORKDIR), the usual
    // case, needs no splitting at all.
    let plain_name = !matches!(path, "" | "." | "..") && !path.as_bytes().contains(&b'/');
    if plain_name && is_normal_absolute(base) {
        let base = if base == "/" { "" } else { base };
        let mut res = String::with_capacity(base.len() + path.len() + 1);
        res.push_str(base);
        res.push('/');
        res.push_str(path);
        return res;
    }
    let mut res = String::with_capacity(base.len() + path.len() + 1);
    if !path.starts_with('/') {
        // The base is nearly always a WORKDIR resolved already: copy it whole.
        if is_normal_absolute(base) {
            if base != "/" {
                res.push_str(base);
            }
        } else {
            push_path_parts(&mut res, base);
        }
    }
    push_path_parts(&mut res, path);
    if res.is_empty() {
        res.push('/');
    }
    res
}

/// [`resolve_path`], borrowing `path` when it is absolute and normalised already, as most
/// WORKDIRs, COPY destinations and sources are written.
pub(crate) fn resolve_path_cow<'p>(base: &str, path: &'p str) -> Cow<'p, str> {
    // A folder written with its trailing slash (`/bin/`) resolves to the same text without it.
    let trimmed = match path.strip_suffix('/') {
        Some(rest) if !rest.is_empty() => rest,
        _ => path,
    };
    if is_normal_absolute(trimmed) { Cow::Borrowed(trimmed) } else { Cow::Owned(resolve_path(base, path)) }
}

/// [`resolve_path`] of a path that may be borrowed or owned, keeping either when it needs no work.
pub(crate) fn resolve_cow<'p>(base: &str, path: Cow<'p, str>) -> Cow<'p, str> {
    match path {
        Cow::Borrowed(path) => resolve_path_cow(base, path),
        Cow::Owned(path) if is_normal_absolute(&path) => Cow::Owned(path),
        Cow::Owned(path) => Cow::Owned(resolve_path(base, &path)),
    }
}

/// Whether [`resolve_path`] would return `path` unchanged: absolute, without empty, `.` or `..`
/// parts and without a trailing slash (except `/` itself).
fn is_normal_absolute(path: &str) -> bool {
    let Some(rest) = path.as_bytes().strip_prefix(b"/") else { return false };
    // Over the bytes: the general string splitter costs more than these short paths take to scan.
    rest.is_empty() || rest.split(|it| *it == b'/').all(|part| !matches!(part, b"" | b"." | b".."))
}

/// Appends `/part` for each part of `path` to `res`, dropping `.` and empty parts and letting
/// `..` remove the last part appended.
fn push_path_parts(res: &mut String, path: &str) {
    // Parts are short: a plain byte scan beats the general string splitter.
    let parts = path.as_bytes().split(|it| *it == b'/').scan(0, |start, part| {
        let begin = *start;
        *start += part.len() + 1;
        path.get(begin..begin + part.len())
    });
    for part in parts {
        match part {
            "" | "." => {}
            ".." => {
                let cut = res.rfind('/').unwrap_or(0);
                res.truncate(cut);
            }
            other => {
                res.push('/');
                res.push_str(other);
            }
        }
    }
}

/// True when `path` is `dir` or lies inside it (both normalised).
pub(crate) fn is_within(path: &str, dir: &str) -> bool {
    dir == "/" || path == dir || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

/// The first stage of `stage`'s `FROM <stage>` chain, which names the image it builds on.
pub(crate) fn root_stage(semantics: &Semantics, stage: usize) -> usize {
    let mut current = stage;
    // Parents always precede their children, so this ends.
    while let Some(Base::Stage(parent)) = semantics.stages.get(current).map(|it| &it.base) {
        if *parent >= current {
            break;
        }
        current = *parent;
    }
    current
}

/// Whether `ancestor` is `stage` or one of the stages it is built `FROM`.
pub(crate) fn is_ancestor(semantics: &Semantics, ancestor: usize, stage: usize) -> bool {
    let mut current = stage;
    loop {
        if current == ancestor {
            return true;
        }
        match semantics.stages.get(current).map(|it| &it.base) {
            Some(Base::Stage(parent)) if *parent < current => current = *parent,
            _ => return false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Python requests

/// The Python the project asks uv for: `.python-version`, else `requires-python`.
pub(crate) fn project_python_text(project: &ProjectFacts) -> Option<String> {
    if let Some(pin) = project.python_version.as_ref().and_then(|it| it.version) {
        return Some(pin.to_string());
    }
    let written = project.pyproject.as_ref()?.requires_python.as_ref()?;
    Some(written.value.trim_matches(['"', '\'']).to_owned())
}

/// Whether an image Python `major.minor[.patch]` meets `.python-version` (a patch pin needs the
/// same patch; an unknown patch does not meet one).
pub(crate) fn pin_met(pin: PythonVersion, major: u64, minor: u64, patch: Option<u64>) -> bool {
    pin.major == major
        && pin.minor == minor
        && match (pin.patch, patch) {
            (Some(want), Some(have)) => want == have,
            (Some(_), None) => false,
            (None, _) => true,
        }
}

/// Whether some release of `major.minor` (or exactly `major.minor.patch`) satisfies the specifiers.
pub(crate) fn specifiers_allow(
    specifiers: &pep440_rs::VersionSpecifiers,
    major: u64,
    minor: u64,
    patch: Option<u64>,
) -> bool {
    // Built from the numbers: the same versions as parsing `major.minor.patch`, without
    // formatting and parsing text.
    let patches = match patch {
        Some(patch) => &[patch][..],
        None => &[0, 1, 99][..],
    };
    patches.iter().any(|patch| specifiers.contains(&pep440_rs::Version::new([major, minor, *patch])))
}

/// The Python `major.minor[.patch]` a stage's image provides, when its tag says.
pub(crate) fn image_python(source: &PythonSource) -> Option<(u64, u64, Option<u64>)> {
    match source {
        PythonSource::Python { image, .. } => image.version,
        PythonSource::Uv { image, .. } => image.python.map(|(major, minor)| (major, minor, None)),
    }
}

pub(crate) fn image_libc(source: &PythonSource) -> Libc {
    match source {
        PythonSource::Python { image, .. } => image.libc,
        PythonSource::Uv { image, .. } => image.libc(),
    }
}

/// Whether the image Python meets what the project asks for (`None` when the project asks
/// nothing or the image's version is unknown).
pub(crate) fn image_meets_project(project: &ProjectFacts, source: &PythonSource) -> Option<bool> {
    let (major, minor, patch) = image_python(source)?;
    let mut asked = false;
    if let Some(pin) = project.python_version.as_ref().and_then(|it| it.version) {
        asked = true;
        if !pin_met(pin, major, minor, patch) {
            return Some(false);
        }
    }
    if let Some(specifiers) = project.requires_python() {
        asked = true;
        if !specifiers_allow(specifiers, major, minor, patch) {
            return Some(false);
        }
    }
    asked.then_some(true)
}

// ---------------------------------------------------------------------------------------------
// uv's Python settings for one command

/// A uv setting and where it was made.
pub(crate) struct Setting<'c> {
    /// Borrowed from the analysis or the project, except for a wrapper's `env NAME=…` word.
    pub(crate) value: Cow<'c, str>,
    pub(crate) range: Option<TextRange>,
}

/// The value of `UV_*` variable `name` for a command: its own `NAME=…` prefix, else the ENV/ARG
/// in effect at its instruction.
pub(crate) fn uv_setting<'c>(ctx: &'c RuleContext<'_>, site: &'c CommandSite, name: &str) -> Option<Setting<'c>> {
    // The same search as over `env_assignments()` from the end, without building that list:
    // wrapper assignments (`env NAME=…`) come last, so they win over leading ones.
    let command = &site.command;
    // The program's position is remembered per command; most commands have no word before it.
    let end = command.program_index().unwrap_or(0);
    if let Some(wrapped) = command.words.get(..end) {
        for word in wrapped.iter().rev() {
            if !word.raw().starts_with(name) {
                continue;
            }
            if let Some(assignment) = crate::semantics::shell::Assignment::from_word(word)
                && assignment.name == name
            {
                return Some(Setting { value: Cow::Owned(assignment.value), range: Some(assignment.value_range) });
            }
        }
    }
    if let Some(assignment) = command.assignments.iter().rev().find(|it| it.name == name) {
        return Some(Setting { value: Cow::Borrowed(&assignment.value), range: Some(assignment.value_range) });
    }
    let def = ctx.build_var(site.stage?, site.instruction, name)?;
    Some(Setting {
        value: Cow::Borrowed(def.value.as_deref()?),
        range: Some(def.value_range.unwrap_or(def.name_range)),
    })
}

/// `UV_PYTHON_DOWNLOADS` spellings that forbid downloads.
pub(crate) fn is_never(value: &str) -> bool {
    let value = value.trim();
    ["never", "false", "0"].iter().any(|it| value.eq_ignore_ascii_case(it))
}

/// Where Python downloads are switched off for a uv command, when they are.
pub(crate) fn downloads_disabled<'c>(
    ctx: &'c RuleContext<'_>,
    site: &'c CommandSite,
    uv: &'c UvInvocation<'_>,
) -> Option<Setting<'c>> {
    if let Some(flag) = uv.flag("--no-python-downloads") {
        return Some(Setting { value: Cow::Borrowed("--no-python-downloads"), range: Some(flag.range) });
    }
    if let Some(flag) = uv.flag("--python-downloads")
        && let Some(value) = &flag.value
        && is_never(&value.text)
    {
        return Some(Setting { value: Cow::Borrowed(&value.text), range: Some(value.range) });
    }
    if let Some(setting) = uv_setting(ctx, site, "UV_PYTHON_DOWNLOADS") {
        return is_never(&setting.value).then_some(setting);
    }
    let written = ctx.project.pyproject.as_ref()?.tool_uv.as_ref()?.python_downloads.as_ref()?;
    is_never(written.value.trim_matches(['"', '\'']))
        .then(|| Setting { value: Cow::Borrowed(&written.value), range: None })
}

/// Which interpreters a uv command may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Preference {
    OnlySystem,
    OnlyManaged,
    /// uv's default: an installed managed Python first, then the system's, then a download.
    Either,
}

pub(crate) fn python_preference(ctx: &RuleContext<'_>, site: &CommandSite, uv: &UvInvocation<'_>) -> Preference {
    if uv.has_flag("--no-managed-python") {
        return Preference::OnlySystem;
    }
    if uv.has_flag("--managed-python") {
        return Preference::OnlyManaged;
    }
    if let Some(value) = uv.flag_value("--python-preference") {
        return preference_from(&value.text).unwrap_or(Preference::Either);
    }
    if uv_setting(ctx, site, "UV_NO_MANAGED_PYTHON").is_some_and(|it| is_truthy(&it.value)) {
        return Preference::OnlySystem;
    }
    if uv_setting(ctx, site, "UV_MANAGED_PYTHON").is_some_and(|it| is_truthy(&it.value)) {
        return Preference::OnlyManaged;
    }
    if let Some(setting) = uv_setting(ctx, site, "UV_PYTHON_PREFERENCE") {
        return preference_from(&setting.value).unwrap_or(Preference::Either);
    }
    let written =
        ctx.project.pyproject.as_ref().and_then(|it| it.tool_uv.as_ref()).and_then(|it| it.python_preference.as_ref());
    written.and_then(|it| preference_from(it.value.trim_matches(['"', '\'']))).unwrap_or(Preference::Either)
}

fn preference_from(value: &str) -> Option<Preference> {
    let value = value.trim();
    let is = |name: &str| value.eq_ignore_ascii_case(name);
    if is("only-system") {
        Some(Preference::OnlySystem)
    } else if is("only-managed") {
        Some(Preference::OnlyManaged)
    } else if is("managed") || is("system") {
        Some(Preference::Either)
    } else {
        None
    }
}

/// Where uv installs managed Pythons for a command: `UV_PYTHON_INSTALL_DIR`, else under
/// `XDG_DATA_HOME`, else under the home directory (root's unless a USER says otherwise).
pub(crate) fn python_install_dir(ctx: &RuleContext<'_>, site: &CommandSite, user: Option<&str>) -> String {
    if let Some(setting) = uv_setting(ctx, site, "UV_PYTHON_INSTALL_DIR")
        && !setting.value.is_empty()
    {
        return resolve_path("/", &setting.value);
    }
    if let Some(setting) = uv_setting(ctx, site, "XDG_DATA_HOME")
        && !setting.value.is_empty()
    {
        return resolve_path("/", &format!("{}/uv/python", setting.value));
    }
    match user {
        Some(user) if !matches!(user, "root" | "0") => "~/.local/share/uv/python".to_owned(),
        _ => DEFAULT_PYTHON_INSTALL_DIR.to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Stage layout: WORKDIR, USER, venvs, uv availability

/// Why a venv's interpreter may be a uv-managed CPython rather than the image's.
#[derive(Clone, Debug)]
pub(crate) struct ManagedPython {
    /// A clause saying why, e.g. "python:3.12-slim provides 3.12 but the project asks for 3.10".
    pub(crate) reason: String,
    /// Where uv puts it.
    pub(crate) install_dir: String,
    /// The version uv will fetch, when known (`3.10`).
    pub(crate) version: Option<String>,
}

/// A virtual environment created by a command of the file.
#[derive(Clone, Debug)]
pub(crate) struct Venv {
    /// Absolute, normalised.
    pub(crate) path: String,
    pub(crate) stage: usize,
    /// The command word range that creates it (`uv sync`).
    pub(crate) range: TextRange,
    pub(crate) relocatable: bool,
    pub(crate) managed: Option<ManagedPython>,
}

/// Lists per stage in one vector (one allocation for the file instead of one per stage): items
/// come stage by stage, so each stage's are contiguous.
pub(crate) struct PerStage<T> {
    items: Vec<T>,
    /// Where each stage's items end in `items` (they start where the previous stage's end),
    /// up to the last stage that has any: finding a stage's list is two reads, where a
    /// search over the items' stages took two binary searches on every question.
    ends: Vec<usize>,
}

impl<T> Default for PerStage<T> {
    fn default() -> PerStage<T> {
        PerStage { items: Vec::new(), ends: Vec::new() }
    }
}

impl<T> PerStage<T> {
    /// Room for `items` items in `stages` stages, so lists whose size is known roughly grow in
    /// one step.
    pub(crate) fn with_capacity(items: usize, stages: usize) -> PerStage<T> {
        PerStage { items: Vec::with_capacity(items), ends: Vec::with_capacity(stages) }
    }

    /// Adds an item at the end of `stage`'s list.
    pub(crate) fn push(&mut self, stage: usize, item: T) {
        // Stages with nothing before this one end where the list ends now.
        while self.ends.len() <= stage {
            self.ends.push(self.items.len());
        }
        // Items arrive in stage order, so they almost always go at the end.
        if self.ends.len() == stage + 1 {
            self.items.push(item);
            self.ends[stage] += 1;
            return;
        }
        // Should one not, it still lands after its stage's others.
        let at = self.ends[stage];
        self.items.insert(at, item);
        for end in &mut self.ends[stage..] {
            *end += 1;
        }
    }

    /// Every item, stage by stage.
    pub(crate) fn all(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The items of `stage`, in the order they were added.
    pub(crate) fn of(&self, stage: usize) -> &[T] {
        let Some(end) = self.ends.get(stage) else { return &[] };
        let start = match stage.checked_sub(1) {
            Some(previous) => self.ends.get(previous).copied().unwrap_or(0),
            None => 0,
        };
        self.items.get(start..*end).unwrap_or_default()
    }
}

/// Per-stage facts, computed in one pass.
pub(crate) struct Layout<'a> {
    /// Per stage: `(instruction, absolute path)` of each WORKDIR (borrowed when written so).
    workdirs: PerStage<(usize, Cow<'a, str>)>,
    /// Per stage: `(instruction, user)` of each USER.
    users: PerStage<(usize, &'a str)>,
    /// Venvs created in each stage (not inherited ones).
    venvs: PerStage<Venv>,
    /// Per stage: instructions that run `uv python install`, with the install dir.
    python_installs: PerStage<(usize, String)>,
    /// Per stage: a `COPY --from` copies out of it or a stage built on it. Only venvs made in
    /// those stages reach [`CopiedVenv`], the one place their managed Python matters.
    copied_from: Vec<bool>,
}

impl<'a> Layout<'a> {
    pub(crate) fn build(ctx: &RuleContext<'a>) -> Layout<'a> {
        let semantics = ctx.semantics;
        let count = semantics.stages.len();
        let mut layout = Layout {
            workdirs: PerStage::with_capacity(count, count),
            users: PerStage::default(),
            // Nearly every venv is made by a uv command.
            venvs: PerStage::with_capacity(ctx.uv_list().len(), count),
            python_installs: PerStage::default(),
            copied_from: vec![false; count],
        };
        for from in ctx.py_copies().iter().filter_map(|it| it.from_stage) {
            let mut current = Some(from);
            while let Some(idx) = current {
                match layout.copied_from.get_mut(idx) {
                    Some(slot) if !*slot => *slot = true,
                    // Already marked, and its parents with it.
                    _ => break,
                }
                current = match semantics.stages.get(idx).map(|it| &it.base) {
                    Some(Base::Stage(parent)) if *parent < idx => Some(*parent),
                    _ => None,
                };
            }
        }
        // The walked stages only: what a stage holds depends on itself, its ancestors and the
        // stages it copies from, which are all linked to it.
        for stage in ctx.stages() {
            for (idx, instruction) in
                ctx.instructions_with_in(&[Keyword::Workdir, Keyword::User], stage.instructions.clone())
            {
                match instruction.keyword {
                    Keyword::Workdir => {
                        let Some(word) = first_word(instruction) else { continue };
                        let Some(value) = expand_in(ctx, Some(stage.index), idx, &word.value) else { continue };
                        let path = resolve_cow(layout.workdir(semantics, stage.index, idx), value);
                        layout.workdirs.push(stage.index, (idx, path));
                    }
                    Keyword::User => {
                        let Some(word) = first_word(instruction) else { continue };
                        let user = word.value.split(':').next().unwrap_or_default();
                        layout.users.push(stage.index, (idx, user));
                    }
                    _ => {}
                }
            }
        }
        // Commands are in source order, so earlier `uv python install`s are known when a venv
        // is made.
        let mut uv_iter = ctx.uv_list().iter().peekable();
        for (idx, site) in ctx.commands() {
            let mut uv = None;
            while let Some((at, invocation)) = uv_iter.peek() {
                if *at > idx {
                    break;
                }
                if *at == idx {
                    uv = Some(invocation);
                }
                uv_iter.next();
            }
            let Some(stage) = site.stage else { continue };
            if let Some(uv) = uv {
                layout.note_uv(ctx, site, uv, stage);
            } else if let Some(venv) = plain_venv(&site.command.words) {
                let path = resolve_path(layout.workdir(semantics, stage, site.instruction), &venv.value);
                layout
                    .venvs
                    .push(stage, Venv { path, stage, range: site.command.range, relocatable: false, managed: None });
            }
        }
        layout
    }

    fn note_uv(&mut self, ctx: &RuleContext<'_>, site: &CommandSite, uv: &UvInvocation<'_>, stage: usize) {
        let semantics = ctx.semantics;
        let user = self.user(semantics, stage, site.instruction);
        if uv.is("python install") {
            let dir = match uv.flag_value("--install-dir") {
                Some(value) => resolve_path("/", &value.text),
                None => python_install_dir(ctx, site, user),
            };
            self.python_installs.push(stage, (site.instruction, dir));
            return;
        }
        let workdir = self.workdir(semantics, stage, site.instruction);
        let project_dir: std::borrow::Cow<'_, str> =
            match uv.flag_value("--directory").or_else(|| uv.flag_value("--project")) {
                Some(value) => resolve_path(workdir, &value.text).into(),
                None => workdir.into(),
            };
        let relocatable = uv.has_flag("--relocatable")
            || uv_setting(ctx, site, "UV_VENV_RELOCATABLE").is_some_and(|it| is_truthy(&it.value));
        let path = match uv.subcommand() {
            "sync" | "run" => {
                let skip = ["--script", "--no-project", "--no-sync", "--isolated", "--active"];
                if skip.iter().any(|flag| uv.has_flag(flag)) {
                    return;
                }
                if uv.is("run") && uv_setting(ctx, site, "UV_NO_SYNC").is_some_and(|it| is_truthy(&it.value)) {
                    return;
                }
                match uv_setting(ctx, site, "UV_PROJECT_ENVIRONMENT") {
                    Some(setting) if !setting.value.is_empty() => resolve_path(&project_dir, &setting.value),
                    _ => resolve_path(&project_dir, ".venv"),
                }
            }
            "venv" => match uv.positionals.first() {
                Some(word) => resolve_path(workdir, &word.value),
                None => resolve_path(workdir, ".venv"),
            },
            _ => return,
        };
        if path.contains('$') || path.contains('*') {
            return;
        }
        // Judging the interpreter takes many setting lookups; skip it where nothing reads it.
        let managed = match self.copied_from.get(stage) {
            Some(true) => self.managed_python(ctx, site, uv, stage, user),
            _ => None,
        };
        let range = uv.subcommand_range().map_or(uv.program.range, |it| uv.program.range.cover(it));
        self.venvs.push(stage, Venv { path, stage, range, relocatable, managed });
    }

    /// Why the venv a uv command makes may link to a uv-managed CPython, if it may.
    fn managed_python(
        &self,
        ctx: &RuleContext<'_>,
        site: &CommandSite,
        uv: &UvInvocation<'_>,
        stage: usize,
        user: Option<&str>,
    ) -> Option<ManagedPython> {
        let semantics = ctx.semantics;
        let preference = python_preference(ctx, site, uv);
        if preference == Preference::OnlySystem {
            return None;
        }
        let explicit = uv
            .flag_value("--python")
            .map(|it| it.text.clone())
            .or_else(|| uv_setting(ctx, site, "UV_PYTHON").map(|it| it.value.into_owned()));
        // An interpreter path or name picks a system Python we cannot judge.
        if explicit.as_deref().is_some_and(|it| it.contains('/') || it.starts_with("python")) {
            return None;
        }
        // Both are only needed when the answer is yes, which it seldom is.
        let install_dir = || python_install_dir(ctx, site, user);
        let version = || explicit.clone().or_else(|| project_python_text(ctx.project));
        // An earlier `uv python install` in this stage or one it builds on.
        let mut current = Some(stage);
        while let Some(idx) = current {
            if let Some((_, dir)) =
                self.python_installs.of(idx).iter().rev().find(|(at, _)| idx != stage || *at < site.instruction)
            {
                return Some(ManagedPython {
                    reason: "`uv python install` runs earlier, and uv prefers the Pythons it installed".to_owned(),
                    install_dir: dir.clone(),
                    version: version(),
                });
            }
            current = match semantics.stages.get(idx).map(|it| &it.base) {
                Some(Base::Stage(parent)) if *parent < idx => Some(*parent),
                _ => None,
            };
        }
        if preference == Preference::OnlyManaged {
            return Some(ManagedPython {
                reason: "uv is told to use only the Pythons it manages".to_owned(),
                install_dir: install_dir(),
                version: version(),
            });
        }
        if downloads_disabled(ctx, site, uv).is_some() {
            return None;
        }
        let Some(source) = semantics.python_source(stage) else {
            let root = semantics.stages.get(root_stage(semantics, stage))?;
            let Base::Image(reference) = &root.base else { return None };
            if !image_without_python(reference) || installs_python(ctx, stage) {
                return None;
            }
            let image_text = root.image_expanded.clone().unwrap_or_default();
            return Some(ManagedPython {
                reason: format!("{image_text} has no Python, so uv downloads one"),
                install_dir: install_dir(),
                version: version(),
            });
        };
        let image = semantics.stages.get(match source {
            PythonSource::Python { stage, .. } | PythonSource::Uv { stage, .. } => *stage,
        })?;
        let (major, minor, patch) = image_python(source)?;
        let meets = match explicit.as_deref() {
            Some(request) => request_met(request, major, minor, patch)?,
            None => ctx.image_meets_project(source)?,
        };
        if meets {
            return None;
        }
        let image_text = image.image_expanded.as_deref().unwrap_or_default();
        let provided = match patch {
            Some(patch) => format!("{major}.{minor}.{patch}"),
            None => format!("{major}.{minor}"),
        };
        let version = version();
        let wanted = version.as_deref().unwrap_or("another version");
        Some(ManagedPython {
            reason: format!(
                "{image_text} has Python {provided} while uv is asked for {wanted}, so uv downloads its own"
            ),
            install_dir: install_dir(),
            version,
        })
    }

    /// The working directory instruction `before` of `stage` runs in.
    pub(crate) fn workdir(&self, semantics: &Semantics, stage: usize, before: usize) -> &str {
        let mut current = Some(stage);
        let mut limit = before;
        while let Some(idx) = current {
            if let Some((_, path)) = self.workdirs.of(idx).iter().rev().find(|(at, _)| *at < limit) {
                return path;
            }
            current = match semantics.stages.get(idx).map(|it| &it.base) {
                Some(Base::Stage(parent)) if *parent < idx => Some(*parent),
                _ => None,
            };
            limit = usize::MAX;
        }
        "/"
    }

    /// The USER in effect at instruction `before` of `stage`, when one is set in the file.
    pub(crate) fn user(&self, semantics: &Semantics, stage: usize, before: usize) -> Option<&str> {
        let mut current = Some(stage);
        let mut limit = before;
        while let Some(idx) = current {
            if let Some((_, user)) = self.users.of(idx).iter().rev().find(|(at, _)| *at < limit) {
                return Some(*user);
            }
            current = match semantics.stages.get(idx).map(|it| &it.base) {
                Some(Base::Stage(parent)) if *parent < idx => Some(*parent),
                _ => None,
            };
            limit = usize::MAX;
        }
        None
    }

    /// Venvs present at the end of `stage`: its own and those of the stages it builds on,
    /// one per path (the first creation wins; later ones may only add a managed cause).
    pub(crate) fn venvs_in(&self, semantics: &Semantics, stage: usize) -> Vec<Venv> {
        let mut chain = Vec::new();
        let mut current = Some(stage);
        while let Some(idx) = current {
            chain.push(idx);
            current = match semantics.stages.get(idx).map(|it| &it.base) {
                Some(Base::Stage(parent)) if *parent < idx => Some(*parent),
                _ => None,
            };
        }
        let mut res: Vec<Venv> = Vec::new();
        for idx in chain.into_iter().rev() {
            for venv in self.venvs.of(idx) {
                match res.iter_mut().find(|it| it.path == venv.path) {
                    Some(existing) => {
                        if existing.managed.is_none() {
                            existing.managed.clone_from(&venv.managed);
                        }
                    }
                    None => res.push(venv.clone()),
                }
            }
        }
        res
    }
}

impl Layout<'_> {
    /// [`Layout::venvs_in`] without copying: each venv with the managed cause it ends up with.
    /// (Into `res`, cleared first, so one list serves every COPY.)
    fn venv_refs_in<'l>(
        &'l self,
        semantics: &Semantics,
        stage: usize,
        res: &mut Vec<(&'l Venv, Option<&'l ManagedPython>)>,
    ) {
        res.clear();
        for idx in crate::rules::support_uv::Layout::chain_oldest_first(semantics, stage) {
            for venv in self.venvs.of(idx) {
                match res.iter_mut().find(|(it, _)| it.path == venv.path) {
                    Some((_, managed)) => {
                        if managed.is_none() {
                            *managed = venv.managed.as_ref();
                        }
                    }
                    None => res.push((venv, venv.managed.as_ref())),
                }
            }
        }
    }
}

/// The stage `stage` is built `FROM`, when it is one of the file's.
fn parent_stage(semantics: &Semantics, stage: usize) -> Option<usize> {
    match semantics.stages.get(stage).map(|it| &it.base) {
        Some(Base::Stage(parent)) if *parent < stage => Some(*parent),
        _ => None,
    }
}

/// Whether a `--python`/`UV_PYTHON` version request is met by the image Python; `None` when the
/// request is not a plain version.
fn request_met(request: &str, major: u64, minor: u64, patch: Option<u64>) -> Option<bool> {
    let request = request.trim().trim_start_matches("cpython").trim_start_matches(['@', '-']);
    let mut fields = request.split('.');
    let want_major: u64 = fields.next()?.parse().ok()?;
    let want_minor: Option<u64> = match fields.next() {
        Some(it) => Some(it.parse().ok()?),
        None => None,
    };
    let want_patch: Option<u64> = match fields.next() {
        Some(it) => Some(it.parse().ok()?),
        None => None,
    };
    let pin = PythonVersion { major: want_major, minor: want_minor.unwrap_or(minor), patch: want_patch };
    Some(pin_met(pin, major, minor, patch))
}

fn first_word(instruction: &Instruction) -> Option<&crate::syntax::Word> {
    match &instruction.args {
        Args::Words(words) => words.first(),
        _ => None,
    }
}

/// The path of `python -m venv PATH` / `virtualenv PATH`.
pub(crate) fn plain_venv(words: &[ShellWord]) -> Option<&ShellWord> {
    let program = words.first()?;
    let rest = match program.basename() {
        "virtualenv" => &words[1..],
        name if name.starts_with("python") => {
            let m = words.iter().position(|it| it.value == "-m")?;
            if words.get(m + 1)?.value != "venv" {
                return None;
            }
            words.get(m + 2..)?
        }
        _ => return None,
    };
    rest.iter().find(|it| !it.value.starts_with('-') && !it.value.contains('$'))
}

// ---------------------------------------------------------------------------------------------
// COPY instructions

/// A `COPY`/`ADD` with its sources and destination.
pub(crate) struct Copy<'a> {
    pub(crate) instruction: usize,
    pub(crate) stage: usize,
    /// `--from=<stage>` resolved to a stage index.
    pub(crate) from_stage: Option<usize>,
    /// `--from=<image>`, expanded, with what it says about the uv images.
    from_image: Option<Arc<ImageInfo>>,
    pub(crate) from_range: Option<TextRange>,
    /// Sources as written (values) with their ranges.
    pub(crate) sources: crate::rules::support_uv::CopySources<'a>,
    pub(crate) dest: Option<(&'a str, TextRange)>,
}

impl Copy<'_> {
    /// What `--from=<image>` says about the uv images, when it names one.
    pub(crate) fn uv_image_copied_from(&self) -> Option<&UvImage> {
        self.from_image.as_deref().and_then(|it| it.uv.as_ref())
    }
}

/// Every COPY and ADD inside a stage, in order.
pub(crate) fn copies<'c, 'a>(ctx: &'c RuleContext<'a>) -> &'c [Copy<'a>] {
    ctx.py_copies()
}

pub(crate) fn build_copies<'a>(ctx: &RuleContext<'a>) -> Vec<Copy<'a>> {
    let mut res = Vec::new();
    let mut memo = ImageInfoMemo::default();
    // The walked stages only: each copy belongs to its stage, and one out of another stage
    // links the two.
    for stage in ctx.stages() {
        for (idx, instruction) in ctx.instructions_with_in(&[Keyword::Copy, Keyword::Add], stage.instructions.clone()) {
            // With two words or more, the last is the destination.
            let (items, dest) = match &instruction.args {
                Args::Words(words) => match words.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        (CopySources::Words(rest), Some((last.value.as_str(), last.range)))
                    }
                    _ => (CopySources::Words(words), None),
                },
                Args::Exec(exec) => match exec.elements.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        (CopySources::Exec(rest), Some((last.value.as_str(), last.range)))
                    }
                    _ => (CopySources::Exec(&exec.elements), None),
                },
                _ => (CopySources::Words(&[]), None),
            };
            let mut copy = Copy {
                instruction: idx,
                stage: stage.index,
                from_stage: None,
                from_image: None,
                from_range: None,
                sources: items,
                dest,
            };
            if let Some(flag) = instruction.flag("from")
                && let Some(value) = &flag.value
            {
                copy.from_range = Some(value.range);
                if let Some(text) = expand_in(ctx, Some(stage.index), idx, &value.value) {
                    match ctx.stage_by_reference(&text) {
                        Some(from) if from.index < stage.index => copy.from_stage = Some(from.index),
                        Some(_) => {}
                        None => copy.from_image = memo.get(&text),
                    }
                }
            }
            res.push(copy);
        }
    }
    res
}

/// True when the image is one of Astral's uv images.
pub(crate) fn is_uv_image(reference: &ImageRef) -> bool {
    uv_image_info(reference).is_some()
}

/// True for official images known to ship without any Python (before something installs one).
pub(crate) fn image_without_python(reference: &ImageRef) -> bool {
    if let Some(uv) = uv_image_info(reference) {
        return uv.python.is_none();
    }
    if python_image_info(reference).is_some() || !reference.is_docker_hub() {
        return false;
    }
    matches!(
        reference.full_repository().as_str(),
        "library/debian" | "library/ubuntu" | "library/alpine" | "library/busybox" | "library/fedora"
    )
}

/// Whether some RUN of `stage` or a stage it builds on installs a Python package from the
/// distribution (`apt-get install python3`, `apk add python3`).
pub(crate) fn installs_python(ctx: &RuleContext<'_>, stage: usize) -> bool {
    let semantics = ctx.semantics;
    let mut current = Some(stage);
    while let Some(idx) = current {
        let found = semantics.commands_in(idx).iter().any(|site| {
            let is_installer =
                matches!(site.command.program_name(), Some("apt-get" | "apt" | "apk" | "dnf" | "yum" | "microdnf"));
            is_installer && site.command.words.iter().any(|word| word.value.starts_with("python"))
        });
        if found {
            return true;
        }
        current = match semantics.stages.get(idx).map(|it| &it.base) {
            Some(Base::Stage(parent)) if *parent < idx => Some(*parent),
            _ => None,
        };
    }
    false
}

/// A venv that a `COPY --from=<stage>` brings into a later stage.
pub(crate) struct CopiedVenv {
    /// Index of the COPY instruction.
    pub(crate) instruction: usize,
    /// The stage holding the COPY.
    pub(crate) stage: usize,
    /// The stage copied from.
    pub(crate) from: usize,
    pub(crate) venv: Venv,
    /// The source word that brings the venv along.
    pub(crate) source_range: TextRange,
    /// The venv's path in this stage.
    pub(crate) dest_path: String,
    /// Some COPY of this stage (or a stage it builds on) brings the managed Python's install
    /// directory along too.
    pub(crate) copies_install_dir: bool,
}

/// Every venv copied between stages, in source order.
pub(crate) fn copied_venvs<'c>(ctx: &'c RuleContext<'_>) -> &'c [CopiedVenv] {
    ctx.copied_venvs()
}

pub(crate) fn build_copied_venvs<'a>(ctx: &RuleContext<'a>, layout: &Layout<'a>) -> Vec<CopiedVenv> {
    let semantics = ctx.semantics;
    let copies: &[Copy<'a>] = copies(ctx);
    // Per stage: absolute sources copied in from other stages, for the install-dir check. Only
    // a managed Python asks about them: most files have none, so they are gathered on demand.
    let stage_sources = std::cell::OnceCell::new();
    let gather_sources = || {
        let mut res: Vec<Vec<Cow<'a, str>>> = vec![Vec::new(); semantics.stages.len()];
        for copy in copies {
            if copy.from_stage.is_none() {
                continue;
            }
            for source in copy.sources.iter().map(|it| it.value) {
                if let Some(slot) = res.get_mut(copy.stage) {
                    slot.push(resolve_path_cow("/", source));
                }
            }
        }
        res
    };
    let mut res = Vec::new();
    let mut venvs = Vec::new();
    for copy in copies {
        let Some(from) = copy.from_stage else { continue };
        let Some((dest, _)) = &copy.dest else { continue };
        if dest.contains('$') {
            continue;
        }
        layout.venv_refs_in(semantics, from, &mut venvs);
        if venvs.is_empty() {
            continue;
        }
        let dest_dir = resolve_path_cow(layout.workdir(semantics, copy.stage, copy.instruction), dest);
        for crate::text::Spanned { value: source, range } in copy.sources.iter() {
            if source.contains(['$', '*', '?', '[']) {
                continue;
            }
            let source_path = resolve_path_cow("/", source);
            for (venv, managed) in &venvs {
                if !is_within(&venv.path, &source_path) {
                    continue;
                }
                let rest = if source_path == "/" { venv.path.as_str() } else { &venv.path[source_path.len()..] };
                let dest_path = resolve_path(&dest_dir, rest.trim_start_matches('/'));
                let copies_install_dir = managed.is_some_and(|managed| {
                    chain_sources(semantics, stage_sources.get_or_init(gather_sources), copy.stage)
                        .any(|source| covers_install_dir(source, &managed.install_dir))
                });
                res.push(CopiedVenv {
                    instruction: copy.instruction,
                    stage: copy.stage,
                    from,
                    venv: Venv {
                        path: venv.path.clone(),
                        stage: venv.stage,
                        range: venv.range,
                        relocatable: venv.relocatable,
                        managed: managed.cloned(),
                    },
                    source_range: range,
                    dest_path,
                    copies_install_dir,
                });
            }
        }
    }
    res
}

fn chain_sources<'s>(
    semantics: &'s Semantics,
    sources: &'s [Vec<Cow<'_, str>>],
    stage: usize,
) -> impl Iterator<Item = &'s str> {
    let chain = std::iter::successors(Some(stage), move |idx| parent_stage(semantics, *idx));
    chain.filter_map(|idx| sources.get(idx)).flatten().map(|it| &**it)
}

fn covers_install_dir(source: &str, install_dir: &str) -> bool {
    match install_dir.strip_prefix('~') {
        // Some user's home: any copy of a home directory or its `.local` counts.
        Some(_) => source.starts_with("/home") || source.contains("/.local") || source == "/",
        None => is_within(install_dir, source) || is_within(source, install_dir),
    }
}

/// How messages name a stage: `` `builder` `` or `stage 0`.
pub(crate) fn stage_label(semantics: &Semantics, stage: usize) -> String {
    match semantics.stages.get(stage).and_then(|it| it.name.as_ref()) {
        Some(name) => format!("`{}`", name.value),
        None => format!("stage {stage}"),
    }
}

/// `3.10` when `text` is a plain version, else `None` (for specifiers such as `>=3.10`).
pub(crate) fn plain_version(text: &str) -> Option<&str> {
    (!text.is_empty() && text.bytes().all(|it| it.is_ascii_digit() || it == b'.')).then_some(text)
}

/// Reports uv image tags with a problem of `kind` as findings of `rule` (UV103, UV104).
pub(crate) fn report_uv_tag_problems(
    ctx: &RuleContext<'_>,
    acc: &mut Vec<crate::diagnostic::Diagnostic>,
    kind: TagProblemKind,
    rule: &'static crate::rules::Rule,
) {
    for use_ in image_uses(ctx) {
        let Some(image) = use_.uv() else { continue };
        let Some(problem) = image.tag_problem() else { continue };
        if problem.kind != kind || use_.reference().tag.is_none() {
            continue;
        }
        let verdict = match kind {
            TagProblemKind::Nonexistent => "is not a published uv image tag",
            TagProblemKind::Retired => "is no longer updated",
        };
        let suggestion = match &problem.suggestion {
            Some(tag) => format!("; use `{tag}`"),
            None => String::new(),
        };
        let message = format!("`{}` {verdict}: {}{suggestion}", image.tag, problem.message);
        let mut diagnostic = rule.report(use_.tag_range(), message);
        if let Some(tag) = &problem.suggestion
            && use_.is_exact()
        {
            diagnostic = crate::rules::DiagnosticExt::with_fix(
                diagnostic,
                crate::diagnostic::Fix {
                    title: format!("Use `{tag}`"),
                    applicability: crate::diagnostic::Applicability::Unsafe,
                    edits: vec![crate::diagnostic::Edit { path: None, range: use_.tag_range(), new_text: tag.clone() }],
                },
            );
        }
        acc.push(diagnostic);
    }
}

/// The `major.minor` the project asks for: `.python-version`, else the lower bound of
/// `requires-python` (`>=3.11`, `~=3.11`, `==3.11.*`).
pub(crate) fn project_minor(project: &ProjectFacts) -> Option<(u64, u64)> {
    if let Some(pin) = project.python_version.as_ref().and_then(|it| it.version) {
        return Some((pin.major, pin.minor));
    }
    let written = project.pyproject.as_ref()?.requires_python.as_ref()?;
    let text = written.value.trim_matches(['"', '\'']);
    for clause in text.split(',') {
        let clause = clause.trim();
        let Some(version) = [">=", "~=", "=="].iter().find_map(|op| clause.strip_prefix(op)) else { continue };
        let mut fields = version.trim().split('.');
        let major = fields.next().and_then(|it| it.parse().ok());
        let minor = fields.next().and_then(|it| it.parse().ok());
        if let (Some(major), Some(minor)) = (major, minor) {
            return Some((major, minor));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_resolution_matches_the_owned_one() {
        let paths = [
            "/", "//", "/app", "/app/", "/app//", "/app/.", "/app/..", "/a/./b", "/a/../b", ".", "", "x", "./x/",
            "../..",
        ];
        for base in ["/", "/srv/app"] {
            for path in paths {
                let borrowed = resolve_path_cow(base, path);
                assert_eq!(borrowed, resolve_path(base, path), "{base} + {path}");
                assert_eq!(resolve_cow(base, Cow::Owned(path.to_owned())), resolve_path(base, path));
            }
        }
        // Paths written normalised (or with a trailing slash only) are borrowed.
        assert!(matches!(resolve_path_cow("/x", "/app/src"), Cow::Borrowed("/app/src")));
        assert!(matches!(resolve_path_cow("/x", "/bin/"), Cow::Borrowed("/bin")));
        assert!(matches!(resolve_path_cow("/x", "src"), Cow::Owned(_)));
    }

    #[test]
    fn plain_names_join_resolved_folders_like_any_other_path() {
        let cases = [
            ("/app", ".venv", "/app/.venv"),
            ("/", ".venv", "/.venv"),
            ("/app/", "x", "/app/x"),
            ("/a/../b", "x", "/b/x"),
            ("/a//b", "x", "/a/b/x"),
            ("relative", "x", "/relative/x"),
            ("/app", "...", "/app/..."),
            ("/app", "..", "/"),
            ("/app", ".", "/app"),
            ("/app", "", "/app"),
            ("/app", "/opt", "/opt"),
        ];
        for (base, path, resolved) in cases {
            assert_eq!(resolve_path(base, path), resolved, "{base} + {path}");
        }
        assert!(is_normal_absolute("/") && is_normal_absolute("/a/b"));
        for path in ["", "a", "//", "/a/", "/a//b", "/./a", "/a/..", "/a/.", "/.."] {
            assert!(!is_normal_absolute(path), "{path}");
        }
    }

    #[test]
    fn only_mounts_that_may_name_a_from_key_are_split() {
        let text = "FROM x\nRUN --mount=type=cache,target=/root/.cache/uv \\\n    --mount=type=bind,FROM=img,source=/a,target=/b \\\n    --mount=type=bind,source=conf,target=/etc/fro \\\n    --mount=type=bind,source=/from,target=/f true\n";
        let parse = crate::syntax::parse(text);
        let run = parse.file.instructions.iter().find(|it| it.keyword == Keyword::Run).expect("a RUN");
        let seen: Vec<bool> = run.flags.iter().map(mentions_from).collect();
        // A key in any case, or the word anywhere in the value (splitting then finds no key);
        // a cut-off `fro` at the end is no match.
        assert_eq!(seen, [false, true, false, true]);
    }

    #[test]
    fn per_stage_lists_keep_each_stage_in_order() {
        let mut lists = PerStage::default();
        lists.push(0, "a");
        lists.push(2, "b");
        lists.push(2, "c");
        // Out of order: still found with its stage, after the stage's earlier items.
        lists.push(0, "d");
        assert_eq!(lists.of(0), ["a", "d"]);
        assert_eq!(lists.of(1), [] as [&str; 0]);
        assert_eq!(lists.of(2), ["b", "c"]);
        assert_eq!(lists.of(7), [] as [&str; 0]);
    }
}
