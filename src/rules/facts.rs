//! Facts several rules need, computed lazily once per [`RuleContext`] and shared by all rules.
//!
//! Rules used to rebuild per-stage layouts, image references and COPY lists on every call; with
//! a hundred rules that multiplied the work. Each fact here is built in one pass on first use.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;
use std::sync::{Mutex, OnceLock};

use crate::rules::RuleContext;
use crate::rules::support_df;
use crate::rules::support_env::{self, Setting};
use crate::rules::support_python::{self, CopiedVenv, Copy, ImageUse};
use crate::rules::support_uv::{self, Mount};
use crate::semantics::shell::ShellCommand;
use crate::semantics::{Base, CommandOrigin, CommandSite, Semantics, Stage, VarDef};
use crate::syntax::{Args, Keyword};

/// A multiply-rotate hash taking eight bytes at a time: the keys here are short names and
/// references, for which std's DoS-resistant hash (or a byte-at-a-time one) costs more than the
/// lookups it serves. The keys come from the file being linted, whose author gains nothing from
/// colliding them.
#[derive(Default)]
pub(crate) struct FastHasher(u64);

impl FastHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(FastHasher::SEED);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        // The table picks buckets from the low bits and tags from the top ones: fold the well
        // mixed top half into the bottom.
        self.0 ^ (self.0 >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            if let Ok(word) = <[u8; 8]>::try_from(chunk) {
                self.add(u64::from_le_bytes(word));
            }
        }
        // The tail byte by byte: copying a slice of unknown length would call memcpy.
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let word = rest.iter().rev().fold(0u64, |word, byte| (word << 8) | u64::from(*byte));
            self.add(word);
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }
}

/// A hash map keyed by short strings, hashed with [`FastHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Values for the instructions (or command sites) a context walks, by index: every one, or
/// under a focus those of the part before the first FROM and of the focused stages. A fact
/// kept per instruction then costs what the focus holds, not what the file holds; asking about
/// an index the context does not walk finds nothing.
pub(crate) struct Walked<T> {
    /// The walked index ranges in order, each with where its values start in `values`.
    ranges: Vec<(Range<usize>, usize)>,
    values: Vec<T>,
}

impl<T: Clone> Walked<T> {
    /// `fill` for every index of `ranges` (sorted and disjoint, as the context yields them).
    pub(crate) fn new(ranges: impl Iterator<Item = Range<usize>>, fill: T) -> Walked<T> {
        let mut res = Walked { ranges: Vec::new(), values: Vec::new() };
        for range in ranges.filter(|it| !it.is_empty()) {
            let offset = res.values.len();
            res.values.resize(offset + range.len(), fill.clone());
            res.ranges.push((range, offset));
        }
        res
    }
}

impl<T> Walked<T> {
    /// Where index `idx` is kept in `values`.
    fn slot(&self, idx: usize) -> Option<usize> {
        // One range without a focus (the whole file, asked about on every lookup of a full
        // run: answered before any search), a handful with one.
        if let Some((range, offset)) = self.ranges.first()
            && range.contains(&idx)
        {
            return Some(offset + (idx - range.start));
        }
        let at = self.ranges.partition_point(|(range, _)| range.end <= idx);
        let (range, offset) = self.ranges.get(at)?;
        (range.start <= idx).then(|| offset + (idx - range.start))
    }

    pub(crate) fn get(&self, idx: usize) -> Option<&T> {
        self.values.get(self.slot(idx)?)
    }

    pub(crate) fn get_mut(&mut self, idx: usize) -> Option<&mut T> {
        let slot = self.slot(idx)?;
        self.values.get_mut(slot)
    }

    /// The values of the indices `range`, when it lies inside one walked range (a stage's
    /// instructions or commands always do); an empty range has none.
    pub(crate) fn range_mut(&mut self, range: Range<usize>) -> Option<&mut [T]> {
        let Some(last) = range.end.checked_sub(1).filter(|it| *it >= range.start) else { return Some(&mut []) };
        let (first, last) = (self.slot(range.start)?, self.slot(last)?);
        // Slots keep the order of indices, so a gap between walked ranges would make the slots
        // closer together than the indices.
        if last.checked_sub(first) != Some(range.len() - 1) {
            return None;
        }
        self.values.get_mut(first..=last)
    }
}

/// `major.minor[.patch]` of an image's Python.
type PythonVersionTriple = (u64, u64, Option<u64>);

/// The lazily built facts; every field is filled on first use.
#[derive(Default)]
pub(crate) struct Facts<'a> {
    /// Stage names, ASCII-lowercased, to the first stage with that name.
    stage_names: OnceLock<StageNames<'a>>,
    /// Lookups answered by scanning the stage names before the map is built (see
    /// [`RuleContext::stage_named`]).
    stage_name_scans: std::sync::atomic::AtomicU32,
    /// Names some stage defines with ENV or ARG; [`Semantics::build_var`] finds nothing else.
    stage_var_names: OnceLock<NameSet<'a>>,
    /// The stage of each instruction (`None` before the first FROM).
    instruction_stage: OnceLock<Walked<Option<usize>>>,
    image_uses: OnceLock<Vec<ImageUse>>,
    py_copies: OnceLock<Vec<Copy<'a>>>,
    py_layout: OnceLock<support_python::Layout<'a>>,
    copied_venvs: OnceLock<Vec<CopiedVenv>>,
    uv_layout: OnceLock<support_uv::Layout<'a>>,
    workdir_user: OnceLock<WorkdirUser<'a>>,
    uv_settings: OnceLock<Vec<Setting<'a>>>,
    start_commands: OnceLock<Vec<&'a CommandSite>>,
    /// The uv commands of RUN instructions, grouped by instruction.
    run_groups: OnceLock<Vec<RunGroupFacts>>,
    /// The `--mount` flags of every RUN.
    mounts: OnceLock<MountTable>,
    /// Per command: an earlier command of the same instruction changes directory.
    after_cd: OnceLock<Walked<bool>>,
    /// The RUN commands whose program some rule asks about.
    program_runs: OnceLock<Vec<ProgramRun>>,
    /// Per stage: it is the final stage or one the final stage is built `FROM`.
    final_chain: OnceLock<Vec<bool>>,
    /// Per stage: a number it shares with the stages linked to it (see
    /// [`RuleContext::same_component`]).
    components: OnceLock<Vec<u32>>,
    /// Image Pythons already compared with what the project asks for (version parsing is slow).
    meets_project: Mutex<Vec<(PythonVersionTriple, Option<bool>)>>,
    /// Image Pythons already checked against the project's `requires-python`.
    specifiers_allow: Mutex<Vec<(PythonVersionTriple, bool)>>,
    /// Per uv invocation (in the order of the context's uv list): uv's reference entry for each
    /// of its flags.
    known_uv_flags: OnceLock<KnownUvFlags>,
    /// Paths already matched against .dockerignore (rules ask about the same few names).
    excluded: Mutex<Vec<(String, bool)>>,
}

/// The programs of RUN commands that rules look for (see [`RuleContext::runs_of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Program {
    /// `apt-get`, `apt`.
    Apt,
    /// `pip`, `pip3.12`, `python`, `python3` (which may run `-m pip`).
    PipOrPython,
    /// `cd`.
    Cd,
    /// `curl`, `wget`.
    Fetch,
    /// `pipx`.
    Pipx,
    /// Any other, or none.
    Other,
}

/// A RUN command whose program some rule looks for.
struct ProgramRun {
    /// Its index in `semantics.commands`.
    command: u32,
    program: Program,
    /// `sudo` is its program or a wrapper word before it.
    sudo: bool,
}

/// WORKDIR and USER in effect at each instruction, for every rule that resolves paths or asks
/// who runs a command.
pub(crate) struct WorkdirUser<'a> {
    /// Every WORKDIR and USER value, which the per-instruction lists point into (one string
    /// per WORKDIR or USER instruction instead of one per instruction), borrowed from the
    /// syntax tree when written without variables or `.`/`..` parts.
    names: Vec<Cow<'a, str>>,
    /// Per walked instruction: WORKDIR, USER and whether the WORKDIR rests on the image start.
    at: Walked<Place>,
}

/// WORKDIR and USER at one instruction.
#[derive(Clone, Copy, Default)]
struct Place {
    /// WORKDIR, taking a root image to start in `/`, as an index into `names`; `None` when a
    /// variable makes it unknown.
    workdir: Option<u32>,
    /// The WORKDIR above still rests on the root image starting in `/` (no absolute WORKDIR
    /// since), which holds only for images known not to set their own.
    assumes_image_start: bool,
    /// USER as an index into `names` (`None` for the image default, root).
    user: Option<u32>,
}

impl<'a> WorkdirUser<'a> {
    fn name(&self, at: Option<u32>) -> Option<&str> {
        self.names.get(at? as usize).map(|it| &**it)
    }

    pub(crate) fn workdir_at(&self, idx: usize) -> Option<&str> {
        self.name(self.at.get(idx)?.workdir)
    }

    /// Whether [`WorkdirUser::workdir_at`] still rests on the root image starting in `/`.
    pub(crate) fn assumes_image_start_at(&self, idx: usize) -> bool {
        self.at.get(idx).is_some_and(|it| it.assumes_image_start)
    }

    pub(crate) fn user_at(&self, idx: usize) -> Option<&str> {
        self.name(self.at.get(idx)?.user)
    }

    /// Stores `name` among `names` and returns its index.
    fn intern(names: &mut Vec<Cow<'a, str>>, name: Cow<'a, str>) -> Option<u32> {
        let at = u32::try_from(names.len()).ok()?;
        names.push(name);
        Some(at)
    }

    fn build(ctx: &RuleContext<'a>) -> WorkdirUser<'a> {
        let semantics = ctx.semantics;
        let instructions: &'a [crate::syntax::Instruction] = &ctx.parse.file.instructions;
        let escape = ctx.parse.file.escape;
        // Only the walked stages: a stage's parent is linked to it, so it is walked too.
        let mut names = vec![Cow::Borrowed("/")];
        let mut at = Walked::new(ctx.walked_instruction_ranges(), Place::default());
        const ROOT: Option<u32> = Some(0);
        for stage in ctx.stages() {
            let parent_end = match stage.base {
                Base::Stage(parent) if parent < stage.index => {
                    semantics.stages.get(parent).and_then(|it| it.instructions.end.checked_sub(1))
                }
                _ => None,
            };
            let (mut workdir, mut assumed, mut user) = match parent_end.and_then(|end| at.get(end)) {
                Some(place) => (place.workdir, place.assumes_image_start, place.user),
                None if parent_end.is_some() => (None, false, None),
                None => (ROOT, true, None),
            };
            let Some(places) = at.range_mut(stage.instructions.clone()) else { continue };
            for (idx, place) in stage.instructions.clone().zip(places) {
                // Only WORKDIR and USER change the place: the others are passed over by their
                // keyword alone, without reading their instructions.
                let instruction = match ctx.keyword_at(idx) {
                    Keyword::Workdir | Keyword::User => instructions.get(idx),
                    _ => None,
                };
                match instruction.map(|it| (it.keyword, &it.args)) {
                    Some((Keyword::Workdir, Args::Words(words))) => {
                        if let Some(word) = words.first() {
                            let lookup = |name: &str| {
                                ctx.build_var(stage.index, idx, name)
                                    .and_then(|it| it.value.as_deref().map(String::from))
                            };
                            let (value, complete) = support_uv::expand_value(&word.value, escape, &lookup);
                            let absolute = value.starts_with('/');
                            let current = workdir.and_then(|at| names.get(at as usize));
                            let resolved = match (current, complete) {
                                (Some(dir), true) => support_uv::resolve_cow(dir, value),
                                (None, true) if absolute => support_uv::resolve_cow("/", value),
                                _ => None,
                            };
                            assumed &= !absolute;
                            workdir = resolved.and_then(|it| WorkdirUser::intern(&mut names, it));
                        }
                    }
                    Some((Keyword::User, Args::Words(words))) => {
                        if let Some(word) = words.first() {
                            let lookup = |name: &str| {
                                ctx.build_var(stage.index, idx, name)
                                    .and_then(|it| it.value.as_deref().map(String::from))
                            };
                            let (value, _) = support_uv::expand_value(&word.value, escape, &lookup);
                            let name = match value {
                                Cow::Borrowed(value) => Cow::Borrowed(value.split(':').next().unwrap_or("")),
                                Cow::Owned(value) => Cow::Owned(value.split(':').next().unwrap_or("").to_owned()),
                            };
                            user = match &*name {
                                "root" | "0" => None,
                                _ => WorkdirUser::intern(&mut names, name),
                            };
                        }
                    }
                    _ => {}
                }
                *place = Place { workdir, assumes_image_start: assumed, user };
            }
        }
        WorkdirUser { names, at }
    }
}

/// Stage names, ASCII-lowercased, to the first stage with that name.
struct StageNames<'a> {
    by_name: FastMap<Cow<'a, str>, usize>,
    /// A bit per name length (the last bit for every length from 63 up), so most names that
    /// are not stage names are turned away without hashing them.
    lengths: u64,
}

impl StageNames<'_> {
    fn length_bit(len: usize) -> u64 {
        1 << len.min(63)
    }
}

/// A set of names: files define few distinct variables, and comparing a handful of names
/// (lengths first) is cheaper than hashing the one asked about; many names get a hash set.
enum NameSet<'a> {
    Few(Vec<&'a str>),
    Many(HashSet<&'a str, BuildHasherDefault<FastHasher>>),
}

impl<'a> NameSet<'a> {
    /// Up to this many distinct names are kept in a list.
    const FEW: usize = 16;

    fn new(names: impl Iterator<Item = &'a str>) -> NameSet<'a> {
        let mut few: Vec<&'a str> = Vec::new();
        let mut names = names;
        for name in names.by_ref() {
            if few.contains(&name) {
                continue;
            }
            if few.len() == NameSet::FEW {
                let mut many: HashSet<&'a str, BuildHasherDefault<FastHasher>> = few.into_iter().collect();
                many.insert(name);
                many.extend(names);
                return NameSet::Many(many);
            }
            few.push(name);
        }
        NameSet::Few(few)
    }

    fn contains(&self, name: &str) -> bool {
        match self {
            NameSet::Few(few) => few.iter().any(|it| it.len() == name.len() && *it == name),
            NameSet::Many(many) => many.contains(name),
        }
    }
}

/// The `--mount` flags of every walked RUN, in one list.
struct MountTable {
    mounts: Vec<Mount>,
    /// Per walked instruction: where its mounts are in `mounts`.
    spans: Walked<(usize, usize)>,
}

/// uv's reference entry for each flag of each uv invocation, in one list.
struct KnownUvFlags {
    flags: Vec<Option<&'static crate::knowledge::UvFlag>>,
    /// Per invocation (and one past the last): where its flags start in `flags`.
    starts: Vec<usize>,
}

/// The uv commands of one RUN instruction, as indices into the context's uv list.
pub(crate) struct RunGroupFacts {
    pub(crate) instruction: usize,
    pub(crate) uv: std::ops::Range<usize>,
}

impl<'a> RuleContext<'a> {
    /// A stage by name (case-insensitively) or index, like [`crate::semantics::Semantics::stage_by_reference`]
    /// but without scanning every stage.
    pub(crate) fn stage_by_reference(&self, reference: &str) -> Option<&'a Stage> {
        if let Ok(index) = reference.parse::<usize>() {
            return self.semantics.stages.get(index);
        }
        self.stage_named(reference).and_then(|index| self.semantics.stages.get(index))
    }

    /// The first stage named `name`, compared case-insensitively.
    pub(crate) fn stage_named(&self, name: &str) -> Option<usize> {
        // After an edit the rules ask about the references of the few stages it reaches: a scan
        // of the stage names costs less than building the map of the whole file, as long as
        // the lookups stay few.
        if self.focus.is_some()
            && self.facts.stage_names.get().is_none()
            && self.facts.stage_name_scans.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 16
        {
            let stages: &'a [Stage] = &self.semantics.stages;
            return stages
                .iter()
                .find(|stage| stage.name.as_ref().is_some_and(|it| it.value.eq_ignore_ascii_case(name)))
                .map(|stage| stage.index);
        }
        let names = self.facts.stage_names.get_or_init(|| {
            let mut res = StageNames { by_name: FastMap::default(), lengths: 0 };
            res.by_name.reserve(self.semantics.stages.len());
            let stages: &'a [Stage] = &self.semantics.stages;
            for stage in stages {
                if let Some(name) = &stage.name {
                    // Most names are written in lower case already: borrow those.
                    let key: Cow<'a, str> = if name.value.bytes().any(|it| it.is_ascii_uppercase()) {
                        name.value.to_ascii_lowercase().into()
                    } else {
                        name.value.as_str().into()
                    };
                    res.lengths |= StageNames::length_bit(key.len());
                    res.by_name.entry(key).or_insert(stage.index);
                }
            }
            res
        });
        // Most references asked about are images, whose length no stage name has.
        if names.lengths & StageNames::length_bit(name.len()) == 0 {
            return None;
        }
        if name.bytes().any(|it| it.is_ascii_uppercase()) {
            names.by_name.get(name.to_ascii_lowercase().as_str()).copied()
        } else {
            names.by_name.get(name).copied()
        }
    }

    /// [`Semantics::build_var`], without walking the stages for names no stage defines (most
    /// names rules ask about).
    pub(crate) fn build_var(&self, stage: usize, before: usize, name: &str) -> Option<&'a VarDef> {
        let semantics: &'a Semantics = self.semantics;
        // The walked stages' names: a stage reads only its own and its ancestors' definitions,
        // and its ancestors are linked to it, so walked too.
        let names = self.facts.stage_var_names.get_or_init(|| {
            let stages = self.stages();
            NameSet::new(stages.flat_map(|stage| stage.env.iter().chain(&stage.args)).map(|def| def.name.as_str()))
        });
        if !names.contains(name) {
            return None;
        }
        semantics.build_var(stage, before, name)
    }

    /// WORKDIR in effect at instruction `idx`, taking a root image to start in `/` (`None` when a
    /// variable makes it unknown).
    pub(crate) fn workdir_at(&self, idx: usize) -> Option<&str> {
        self.workdir_user().workdir_at(idx)
    }

    /// USER in effect at instruction `idx` (`None` for the image default, root).
    pub(crate) fn user_at(&self, idx: usize) -> Option<&str> {
        self.workdir_user().user_at(idx)
    }

    pub(crate) fn workdir_user(&self) -> &WorkdirUser<'a> {
        self.facts.workdir_user.get_or_init(|| WorkdirUser::build(self))
    }

    /// The stage holding instruction `idx` (of the walked ones).
    pub(crate) fn stage_index_of(&self, idx: usize) -> Option<usize> {
        self.instruction_stages().get(idx).copied().flatten()
    }

    /// The stage of each walked instruction (`None` before the first FROM).
    pub(crate) fn instruction_stages(&self) -> &Walked<Option<usize>> {
        self.facts.instruction_stage.get_or_init(|| {
            let mut res = Walked::new(self.walked_instruction_ranges(), None);
            for stage in self.stages() {
                for slot in res.range_mut(stage.instructions.clone()).into_iter().flatten() {
                    *slot = Some(stage.index);
                }
            }
            res
        })
    }

    /// Every image named by FROM, `COPY --from` and `RUN --mount=from`, in source order.
    pub(crate) fn image_uses(&self) -> &[ImageUse] {
        self.facts.image_uses.get_or_init(|| support_python::build_image_uses(self))
    }

    /// Every COPY and ADD inside a stage, in order (the Python rules' view).
    pub(crate) fn py_copies(&self) -> &[Copy<'a>] {
        self.facts.py_copies.get_or_init(|| support_python::build_copies(self))
    }

    /// WORKDIR, USER, venvs and Python installs per stage (the Python rules' view).
    pub(crate) fn py_layout(&self) -> &support_python::Layout<'a> {
        self.facts.py_layout.get_or_init(|| support_python::Layout::build(self))
    }

    /// Every venv copied between stages, in source order.
    pub(crate) fn copied_venvs(&self) -> &[CopiedVenv] {
        self.facts.copied_venvs.get_or_init(|| support_python::build_copied_venvs(self, self.py_layout()))
    }

    /// WORKDIR, USER, COPYs, uv pins and reach per instruction and stage (the uv rules' view).
    pub(crate) fn uv_layout(&self) -> &support_uv::Layout<'a> {
        self.facts.uv_layout.get_or_init(|| support_uv::Layout::build(self))
    }

    /// Every `UV_*` assignment.
    pub(crate) fn uv_settings(&self) -> &[Setting<'a>] {
        self.facts.uv_settings.get_or_init(|| support_env::build_uv_settings(self))
    }

    /// [`RuleContext::uv_settings`] when some rule has asked for them already.
    pub(crate) fn uv_settings_if_built(&self) -> Option<&[Setting<'a>]> {
        self.facts.uv_settings.get().map(Vec::as_slice)
    }

    /// The last CMD and ENTRYPOINT commands the final image starts with.
    pub(crate) fn start_commands(&self) -> &[&'a CommandSite] {
        self.facts.start_commands.get_or_init(|| support_uv::build_start_commands(self))
    }

    /// The uv commands of RUN instructions grouped by instruction, with the RUN's mounts.
    pub(crate) fn run_group_facts(&self) -> &[RunGroupFacts] {
        self.facts.run_groups.get_or_init(|| {
            let mut res: Vec<RunGroupFacts> = Vec::new();
            let commands = &self.semantics.commands;
            for (at, (idx, _)) in self.uv_list().iter().enumerate() {
                let Some(site) = commands.get(*idx) else { continue };
                if site.origin != CommandOrigin::Run {
                    continue;
                }
                match res.last_mut() {
                    Some(group) if group.instruction == site.instruction && group.uv.end == at => group.uv.end = at + 1,
                    _ => res.push(RunGroupFacts { instruction: site.instruction, uv: at..at + 1 }),
                }
            }
            res
        })
    }

    /// The `--mount` flags of instruction `idx`, in order (empty unless it is a RUN with mounts).
    pub(crate) fn mounts_of(&self, idx: usize) -> &[Mount] {
        let table = self.facts.mounts.get_or_init(|| {
            // Every walked RUN's mounts in one list, with where each instruction's are: two
            // allocations in all instead of one per RUN (and as few to free).
            let runs = || self.instructions_with(&[Keyword::Run]).filter(|(_, it)| !it.flags.is_empty());
            // Sized first (every flag of a RUN may be a mount): growing a list of mounts step by
            // step copied it over and over.
            let flags: usize = runs().map(|(_, it)| it.flags.len()).sum();
            let mut table = MountTable {
                mounts: Vec::with_capacity(flags),
                spans: Walked::new(self.walked_instruction_ranges(), (0, 0)),
            };
            for (idx, instruction) in runs() {
                let start = table.mounts.len();
                support_uv::push_mounts(&mut table.mounts, self.text, instruction);
                if let Some(span) = table.spans.get_mut(idx) {
                    *span = (start, table.mounts.len());
                }
            }
            table
        });
        match table.spans.get(idx) {
            Some((start, end)) => table.mounts.get(*start..*end).unwrap_or_default(),
            None => &[],
        }
    }

    /// The uv invocation at position `at` of the context's uv list.
    pub(crate) fn uv_at(&self, at: usize) -> Option<(&'a CommandSite, &crate::semantics::shell::UvInvocation<'a>)> {
        let (idx, uv) = self.uv_list().get(at)?;
        Some((self.semantics.commands.get(*idx)?, uv))
    }

    /// The RUN commands (of the walked stages) whose program is one of `programs`, with their
    /// indices in `semantics.commands`, in source order. Several rules look at a few programs
    /// only; one walk over the commands finds them all, so each of those rules reads its own
    /// commands only.
    pub(crate) fn runs_of<'s>(
        &'s self,
        programs: &'s [Program],
    ) -> impl Iterator<Item = (usize, &'a CommandSite)> + use<'s, 'a> {
        self.program_runs().iter().filter(move |it| programs.contains(&it.program)).filter_map(|it| self.run_at(it))
    }

    /// The RUN commands (of the walked stages) with `sudo` before or as their program, with
    /// their indices in `semantics.commands`, in source order.
    pub(crate) fn runs_with_sudo(&self) -> impl Iterator<Item = (usize, &'a CommandSite)> + use<'_, 'a> {
        self.program_runs().iter().filter(|it| it.sudo).filter_map(|it| self.run_at(it))
    }

    fn run_at(&self, run: &ProgramRun) -> Option<(usize, &'a CommandSite)> {
        let commands: &'a [CommandSite] = &self.semantics.commands;
        let at = run.command as usize;
        Some((at, commands.get(at)?))
    }

    fn program_runs(&self) -> &[ProgramRun] {
        self.facts.program_runs.get_or_init(|| {
            let mut res = Vec::new();
            for (at, site) in self.commands() {
                if site.origin != CommandOrigin::Run {
                    continue;
                }
                let command = &site.command;
                let index = command.program_index();
                let program = match index.and_then(|it| command.words.get(it)).map(|it| it.basename()) {
                    Some("apt-get" | "apt") => Program::Apt,
                    Some("cd") => Program::Cd,
                    Some("curl" | "wget") => Program::Fetch,
                    Some("pipx") => Program::Pipx,
                    Some(name) if support_df::is_pip_name(name) || support_df::is_python_name(name) => {
                        Program::PipOrPython
                    }
                    _ => Program::Other,
                };
                // `sudo` is the program, or a wrapper word before it.
                let end = index.map_or(command.words.len(), |it| it + 1);
                let sudo = command.words.get(..end).unwrap_or_default().iter().any(|it| it.basename() == "sudo");
                if program != Program::Other || sudo {
                    // Files with more than four billion commands are not analysed to begin with.
                    let command = u32::try_from(at).unwrap_or(u32::MAX);
                    res.push(ProgramRun { command, program, sudo });
                }
            }
            res
        })
    }

    /// Whether an earlier command of the same instruction changes directory (`cd x && uv sync`).
    pub(crate) fn after_cd(&self, command: usize) -> bool {
        let flags = self.facts.after_cd.get_or_init(|| {
            let commands: &[CommandSite] = &self.semantics.commands;
            let mut res = Walked::new(self.walked_command_ranges(), false);
            // The commands of one instruction are contiguous, and all in one stage (so in one
            // walked range); look at each run of them as a whole.
            for range in self.walked_command_ranges() {
                let end_of_range = range.end.min(commands.len());
                let mut start = range.start;
                while start < end_of_range {
                    let instruction = commands[start].instruction;
                    let end = commands[start..end_of_range]
                        .iter()
                        .position(|it| it.instruction != instruction)
                        .map_or(end_of_range, |it| start + it);
                    let first_cd = commands[start..end]
                        .iter()
                        .filter(|it| matches!(it.command.program_name(), Some("cd" | "pushd")))
                        .map(|it| it.command.range.start)
                        .min();
                    if let Some(first_cd) = first_cd {
                        let slots = res.range_mut(start..end).into_iter().flatten();
                        for (slot, site) in slots.zip(&commands[start..end]) {
                            *slot = first_cd < site.command.range.start;
                        }
                    }
                    start = end;
                }
            }
            res
        });
        flags.get(command).copied().unwrap_or(false)
    }

    /// Whether `stage` is the final stage or one it is built `FROM`.
    /// Whether stages `a` and `b` are linked (by `FROM <stage>`, `COPY`/`ADD --from` or a
    /// `from=` mount, either way, step by step). Only stages the context walks are linked.
    pub(crate) fn same_component(&self, a: usize, b: usize) -> bool {
        let components = self.facts.components.get_or_init(|| {
            let count = self.semantics.stages.len();
            let mut links = Vec::new();
            for stage in self.stages() {
                links.extend(crate::rules::incremental::stage_links(self, stage.index..stage.index + 1));
            }
            crate::rules::incremental::component_numbers(count, &links)
        });
        a == b || matches!((components.get(a), components.get(b)), (Some(x), Some(y)) if x == y)
    }

    pub(crate) fn in_final_chain(&self, stage: usize) -> bool {
        let chain = self.facts.final_chain.get_or_init(|| {
            let mut res = vec![false; self.semantics.stages.len()];
            if let Some(last) = self.semantics.final_stage() {
                for idx in support_uv::Layout::chain(self.semantics, last.index) {
                    if let Some(slot) = res.get_mut(idx) {
                        *slot = true;
                    }
                }
            }
            res
        });
        chain.get(stage).copied().unwrap_or(false)
    }

    /// [`support_python::image_meets_project`], remembered per image Python version.
    pub(crate) fn image_meets_project(&self, source: &crate::semantics::PythonSource) -> Option<bool> {
        let Some(version) = support_python::image_python(source) else {
            return support_python::image_meets_project(self.project, source);
        };
        // A poisoned lock only means another thread panicked mid-push; the list is still sound.
        let known = |list: &Vec<(PythonVersionTriple, Option<bool>)>| {
            list.iter().find(|(known, _)| *known == version).map(|(_, meets)| *meets)
        };
        if let Some(meets) = known(&self.facts.meets_project.lock().unwrap_or_else(|it| it.into_inner())) {
            return meets;
        }
        let meets = support_python::image_meets_project(self.project, source);
        self.facts.meets_project.lock().unwrap_or_else(|it| it.into_inner()).push((version, meets));
        meets
    }

    /// [`support_python::specifiers_allow`] for the project's own `requires-python`, remembered
    /// per image Python version (building a version to compare allocates).
    /// (`true` when the project has none).
    pub(crate) fn project_specifiers_allow(&self, major: u64, minor: u64, patch: Option<u64>) -> bool {
        let Some(specifiers) = self.project.requires_python() else { return true };
        let version = (major, minor, patch);
        let known = |list: &Vec<(PythonVersionTriple, bool)>| {
            list.iter().find(|(known, _)| *known == version).map(|(_, allows)| *allows)
        };
        if let Some(allows) = known(&self.facts.specifiers_allow.lock().unwrap_or_else(|it| it.into_inner())) {
            return allows;
        }
        let allows = support_python::specifiers_allow(specifiers, major, minor, patch);
        self.facts.specifiers_allow.lock().unwrap_or_else(|it| it.into_inner()).push((version, allows));
        allows
    }

    /// uv's reference entry for each flag of the `at`-th uv invocation, in flag order.
    pub(crate) fn known_uv_flags(&self, at: usize) -> &[Option<&'static crate::knowledge::UvFlag>] {
        let known = self.facts.known_uv_flags.get_or_init(|| {
            // The same few subcommand and flag pairs repeat on every command, and each lookup
            // scans the subcommand's whole flag list: look each pair up once.
            type Known = Option<&'static crate::knowledge::UvFlag>;
            let mut memo: FastMap<&str, FastMap<&str, Known>> = FastMap::default();
            let mut res = KnownUvFlags { flags: Vec::new(), starts: Vec::with_capacity(self.uv_list().len() + 1) };
            for (_, uv) in self.uv_list() {
                res.starts.push(res.flags.len());
                let by_flag = memo.entry(uv.subcommand()).or_default();
                res.flags.extend(uv.flags.iter().map(|flag| {
                    *by_flag.entry(&flag.name).or_insert_with(|| crate::knowledge::uv_flag(uv.subcommand(), &flag.name))
                }));
            }
            res.starts.push(res.flags.len());
            res
        });
        match (known.starts.get(at), known.starts.get(at + 1)) {
            (Some(start), Some(end)) => known.flags.get(*start..*end).unwrap_or_default(),
            _ => &[],
        }
    }

    /// Whether .dockerignore keeps `path` out of the build context, remembered per path.
    pub(crate) fn is_excluded(&self, path: &str) -> bool {
        if self.project.dockerignore.is_none() {
            return false;
        }
        let known = |list: &Vec<(String, bool)>| list.iter().find(|(known, _)| known == path).map(|(_, it)| *it);
        if let Some(excluded) = known(&self.facts.excluded.lock().unwrap_or_else(|it| it.into_inner())) {
            return excluded;
        }
        let excluded = self.project.is_excluded(path);
        self.facts.excluded.lock().unwrap_or_else(|it| it.into_inner()).push((path.to_owned(), excluded));
        excluded
    }

    /// Whether .dockerignore keeps the project's file `name` (a path in the project folder) out
    /// of the build context.
    pub(crate) fn is_project_file_excluded(&self, name: &str) -> bool {
        self.is_excluded(&self.project.in_context(name))
    }

    /// The file at the top of the project folder that `source` names from a build context
    /// further up: `worker/uv.lock` for the project in `…/worker`, as written by a Dockerfile
    /// built from the repository's root. `None` for any other path. When a compose file says
    /// where the context is, only the project's path from there counts; otherwise any trailing
    /// part of the project's path does, and only for a top-level file: a folder with the
    /// project's own name is more often its package (`myapp/myapp/`), which is no sign of where
    /// the context is.
    pub(crate) fn project_file_from_above<'s>(&self, source: &'s str) -> Option<&'s str> {
        let (folder, file) = source.rsplit_once('/')?;
        if file.is_empty() || folder.is_empty() || folder.contains(['$', '*', '?', '[']) {
            return None;
        }
        if let Some(known) = &self.project.project_in_context {
            return (folder.trim_end_matches('/') == known).then_some(file);
        }
        let root = self.project.root.as_deref()?;
        // `worker` and `services/worker` both name `…/services/worker`.
        let mut wanted = folder.rsplit('/').filter(|it| !it.is_empty() && *it != ".").peekable();
        wanted.peek()?;
        let mut names = root.components().rev().map(|it| it.as_os_str());
        let matches = wanted.all(|part| names.next().is_some_and(|name| name == part));
        matches.then_some(file)
    }

    /// Whether `source` (a path in the build context, without `./`) names the project's
    /// top-level file `name`: `uv.lock` itself, or `worker/uv.lock` from a context above the
    /// project (where a bare `uv.lock` is some other folder's).
    pub(crate) fn names_project_file(&self, source: &str, name: &str) -> bool {
        (self.project.project_in_context.is_none() && source == name)
            || self.project_file_from_above(source) == Some(name)
    }

    /// Where the project's top-level files land when `source` (a path in the build context,
    /// without `./`) is copied as a folder to `dest`: under `dest` at the project's path for the
    /// whole context, `dest` itself for the project's folder (see
    /// [`ProjectFacts::is_whole_project_source`]). `None` when `source` is another folder or file.
    pub(crate) fn project_landing<'d>(&self, source: &str, dest: &'d str) -> Option<Cow<'d, str>> {
        if !self.project.is_whole_project_source(source) {
            return None;
        }
        let source = source.trim_end_matches('/');
        Some(match &self.project.project_in_context {
            Some(folder) if source.is_empty() || source == "." => {
                Cow::Owned(crate::rules::support_python::resolve_path(dest, folder))
            }
            _ => Cow::Borrowed(dest),
        })
    }

    /// The `NAME=value` words given to wrappers before the program (`env NAME=value cmd`): what
    /// [`ShellCommand::env_assignments`] adds to the leading assignments.
    pub(crate) fn wrapper_assignments<'c>(
        &self,
        command: &'c ShellCommand,
    ) -> impl Iterator<Item = crate::semantics::shell::Assignment> + use<'c> {
        let end = command.program_index().unwrap_or(0);
        command.words.get(..end).unwrap_or_default().iter().filter_map(crate::semantics::shell::Assignment::from_word)
    }

    /// The index of `site` in `semantics.commands`, when it is one of them.
    pub(crate) fn command_index(&self, site: &CommandSite) -> Option<usize> {
        let commands = &self.semantics.commands;
        let size = std::mem::size_of::<CommandSite>();
        let start = commands.as_ptr() as usize;
        let at = site as *const CommandSite as usize;
        if size == 0 || at < start {
            return None;
        }
        let idx = (at - start) / size;
        commands.get(idx).filter(|it| std::ptr::eq(*it, site)).map(|_| idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_runs_find_what_a_walk_over_the_commands_finds() {
        let text = "FROM python\n\
                    RUN apt-get update && sudo apt install -y x && cd /app && pip install y\n\
                    RUN /usr/bin/python3 -m pip install z; curl -sSf u | sh; wget v; pipx install w\n\
                    CMD apt-get x\n\
                    RUN env A=1 sudo -u me ls && sudo\n\
                    RUN FOO=1 pip3.12 install q && pipenv install && python3.12 -V && /bin/cd x\n";
        let parse = crate::syntax::parse(text);
        let semantics = crate::semantics::analyze(&parse);
        let project = crate::project::ProjectFacts::default();
        let ctx = RuleContext::new(text, &parse, &semantics, &project);
        let walk = |wanted: &dyn Fn(&ShellCommand) -> bool| -> Vec<usize> {
            let runs = ctx.commands().filter(|(_, site)| site.origin == CommandOrigin::Run);
            runs.filter(|(_, site)| wanted(&site.command)).map(|(idx, _)| idx).collect()
        };
        let named = |names: &'static [&'static str]| {
            move |command: &ShellCommand| command.program_name().is_some_and(|it| names.contains(&it))
        };
        let pip_or_python = |command: &ShellCommand| {
            command.program_name().is_some_and(|it| support_df::is_pip_name(it) || support_df::is_python_name(it))
        };
        let cases: [(Program, Vec<usize>); 5] = [
            (Program::Apt, walk(&named(&["apt-get", "apt"]))),
            (Program::Cd, walk(&named(&["cd"]))),
            (Program::Fetch, walk(&named(&["curl", "wget"]))),
            (Program::Pipx, walk(&named(&["pipx"]))),
            (Program::PipOrPython, walk(&pip_or_python)),
        ];
        for (program, expected) in cases {
            let found: Vec<usize> = ctx.runs_of(&[program]).map(|(idx, _)| idx).collect();
            assert!(!expected.is_empty(), "{program:?}: the text has none");
            assert_eq!(found, expected, "{program:?}");
        }
        let all: Vec<usize> = ctx.runs_of(&[Program::Apt, Program::Cd]).map(|(idx, _)| idx).collect();
        let expected = walk(&|command| named(&["apt-get", "apt"])(command) || named(&["cd"])(command));
        assert_eq!(all, expected);
        let sudo: Vec<usize> = ctx.runs_with_sudo().map(|(idx, _)| idx).collect();
        let expected = walk(&|command| {
            let end = command.program_index().map_or(command.words.len(), |it| it + 1);
            command.words[..end].iter().any(|word| word.basename() == "sudo")
        });
        assert_eq!(expected.len(), 3, "the text has three commands run with sudo");
        assert_eq!(sudo, expected);
    }

    #[test]
    fn walked_values_answer_only_for_walked_indices() {
        // The part before the first FROM, then two stages apart, as a focus walks them.
        let mut walked = Walked::new([0..2, 2..2, 5..8, 10..11].into_iter(), 0usize);
        for idx in [0, 1, 5, 6, 7, 10] {
            *walked.get_mut(idx).expect("a walked index") = idx * 10;
        }
        for idx in 0..14 {
            let expected = matches!(idx, 0 | 1 | 5..=7 | 10).then_some(idx * 10);
            assert_eq!(walked.get(idx).copied(), expected, "index {idx}");
        }
        assert!(walked.get_mut(3).is_none());
        assert_eq!(walked.range_mut(5..8).map(|it| it.to_vec()), Some(vec![50, 60, 70]));
        assert_eq!(walked.range_mut(6..6).map(|it| it.len()), Some(0));
        // Across a gap, or past what is walked.
        assert!(walked.range_mut(1..6).is_none());
        assert!(walked.range_mut(7..9).is_none());
        assert!(walked.get_mut(usize::MAX).is_none());
        let whole = Walked::new(std::iter::once(0..4), true);
        assert_eq!(
            (0..5).map(|idx| whole.get(idx).copied()).collect::<Vec<_>>(),
            [Some(true), Some(true), Some(true), Some(true), None]
        );
    }
}
