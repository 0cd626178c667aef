//! Derived model of a parsed Dockerfile: stages, ARG/ENV scoping, base images, shell commands.
//!
//! Pure: a [`Parse`] in, a [`Semantics`] out. Ranges stay byte ranges into the Dockerfile text.

pub mod expand;
pub mod image;
pub mod shell;

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::Range;

use crate::syntax::{Args, CompactString, Dockerfile, Healthcheck, Instruction, Keyword, Parse, Splice, Word};
use crate::text::{Spanned, TextRange};

use self::image::{ImageRef, PythonImage, UvImage};
use self::shell::ShellCommand;

/// ARGs BuildKit defines for every build without a declaration.
pub const PREDEFINED_ARGS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "FTP_PROXY",
    "ftp_proxy",
    "NO_PROXY",
    "no_proxy",
    "ALL_PROXY",
    "all_proxy",
    "BUILDKIT_SYNTAX",
    "BUILDKIT_INLINE_CACHE",
    "BUILDKIT_MULTI_PLATFORM",
    "BUILDKIT_SANDBOX_HOSTNAME",
    "BUILDKIT_CONTEXT_KEEP_GIT_DIR",
    "BUILDKIT_DOCKERFILE_CHECK",
    "SOURCE_DATE_EPOCH",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarKind {
    Arg,
    Env,
}

/// One ARG or ENV definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarDef {
    pub kind: VarKind,
    /// Stored inline when short (as variable names are), without a heap allocation.
    pub name: CompactString,
    pub name_range: TextRange,
    /// The value with earlier variables expanded; `None` for an ARG without a default. Stored
    /// inline when short, as most values are.
    pub value: Option<CompactString>,
    /// The range of the value as written.
    pub value_range: Option<TextRange>,
    /// Index of the defining instruction in `Dockerfile::instructions`.
    pub instruction: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// `FROM scratch`.
    Scratch,
    /// `FROM <earlier stage name>`.
    Stage(usize),
    /// An image from a registry.
    Image(ImageRef),
    /// Missing, unresolvable (an ARG without a default) or not a valid reference.
    Unknown,
}

#[derive(Clone, Debug)]
pub struct Stage {
    pub index: usize,
    /// Index of the FROM instruction.
    pub from_instruction: usize,
    /// Indices of this stage's instructions, its FROM included.
    pub instructions: Range<usize>,
    /// From the FROM to the end of the stage's last instruction.
    pub range: TextRange,
    /// `AS name` as written (compare case-insensitively).
    pub name: Option<Spanned<CompactString>>,
    /// The image word of FROM as written.
    pub image: Option<Spanned<CompactString>>,
    /// The image after global ARG substitution; `None` when some variable had no value. Stored
    /// inline when short, as most image names are.
    pub image_expanded: Option<CompactString>,
    pub base: Base,
    /// `--platform` as written.
    pub platform: Option<Spanned<CompactString>>,
    /// ARG declarations inside the stage, in order.
    pub args: Vec<VarDef>,
    /// ENV definitions inside the stage, in order.
    pub env: Vec<VarDef>,
    /// The image that gives this stage its Python, following `FROM <stage>` chains.
    pub python: Option<PythonSource>,
    /// Indices of this stage's entries in [`Semantics::commands`].
    pub commands: Range<usize>,
}

/// Where a shell command was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandOrigin {
    Run,
    Cmd,
    Entrypoint,
    Healthcheck,
}

/// A simple shell command found in the file, with every range in Dockerfile coordinates.
#[derive(Clone, Debug)]
pub struct CommandSite {
    pub stage: Option<usize>,
    pub instruction: usize,
    pub origin: CommandOrigin,
    /// Written in exec (JSON) form.
    pub exec_form: bool,
    pub command: ShellCommand,
}

#[derive(Clone, Debug, Default)]
pub struct Semantics {
    /// ARGs declared before the first FROM.
    pub global_args: Vec<VarDef>,
    pub stages: Vec<Stage>,
    /// Every simple command of RUN, CMD, ENTRYPOINT and HEALTHCHECK, in source order.
    pub commands: Vec<CommandSite>,
}

/// Where a stage's Python comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PythonSource {
    /// The official `python` image, named by the FROM of `stage`.
    Python { stage: usize, image: PythonImage },
    /// A uv image with Python (`ghcr.io/astral-sh/uv:python3.12-...`), named by the FROM of `stage`.
    Uv { stage: usize, image: UvImage },
}

impl Semantics {
    /// The stage that holds instruction `idx`.
    pub fn stage_of(&self, idx: usize) -> Option<&Stage> {
        self.stages.iter().find(|stage| stage.instructions.contains(&idx))
    }

    /// The stage the image is built from (the last one).
    pub fn final_stage(&self) -> Option<&Stage> {
        self.stages.last()
    }

    /// Looks a stage up by name, case-insensitively, or by index (`--from=0`).
    pub fn stage_by_reference(&self, reference: &str) -> Option<&Stage> {
        if let Ok(index) = reference.parse::<usize>() {
            return self.stages.get(index);
        }
        self.stages
            .iter()
            .find(|stage| stage.name.as_ref().is_some_and(|name| name.value.eq_ignore_ascii_case(reference)))
    }

    /// The ENV or ARG value a command at instruction `before` in `stage` sees for `name`: the
    /// stage's own definitions before it, then what the parent stage had at its end.
    pub fn build_var(&self, stage: usize, before: usize, name: &str) -> Option<&VarDef> {
        let mut current = Some(stage);
        let mut limit = before;
        // Parents always precede their children, so the walk ends after at most `stages.len()` steps.
        while let Some(idx) = current {
            let stage = self.stages.get(idx)?;
            let own = stage.env.iter().chain(&stage.args).filter(|def| def.instruction < limit && def.name == name);
            if let Some(def) = own.max_by_key(|def| def.instruction) {
                return Some(def);
            }
            current = match stage.base {
                Base::Stage(parent) if parent < idx => Some(parent),
                _ => None,
            };
            limit = usize::MAX;
        }
        None
    }

    /// ENV only (ARG values do not reach the running container), as the final image sees it.
    pub fn runtime_env(&self, stage: usize, name: &str) -> Option<&VarDef> {
        let mut current = Some(stage);
        while let Some(idx) = current {
            let stage = self.stages.get(idx)?;
            if let Some(def) = stage.env.iter().rev().find(|def| def.name == name) {
                return Some(def);
            }
            current = match stage.base {
                Base::Stage(parent) if parent < idx => Some(parent),
                _ => None,
            };
        }
        None
    }

    /// The image that gives `stage` its Python, following `FROM <stage>` chains.
    pub fn python_source(&self, stage: usize) -> Option<&PythonSource> {
        self.stages.get(stage)?.python.as_ref()
    }

    /// Commands of one stage.
    pub fn commands_in(&self, stage: usize) -> &[CommandSite] {
        match self.stages.get(stage) {
            Some(stage) => self.commands.get(stage.commands.clone()).unwrap_or(&[]),
            None => &[],
        }
    }
}

/// Builds the semantic model of a parsed file.
pub fn analyze(parse: &Parse) -> Semantics {
    build(parse, None, None)
}

/// Builds the semantic model of `parse`, which [`crate::syntax::reparse_spliced`] made from the
/// parse `previous` describes: the shell commands of the instructions the edit kept are taken
/// from `previous` (moved) instead of being split again. Equal to [`analyze`].
pub fn analyze_after_edit(parse: &Parse, previous: Semantics, splice: &Splice) -> Semantics {
    let Semantics { global_args, stages, commands } = previous;
    // The stages the edit left as they were are taken over; the rest of the previous model is
    // freed first: two models of a large file need not be alive together.
    let reused = ReusedStages::plan(parse, global_args, stages, splice);
    let kept = KeptCommands { commands: commands.into_iter(), splice: *splice };
    build(parse, Some(kept), reused)
}

/// The stages of a previous version that an edit left as they were, taken over instead of
/// being built again: every stage but those holding an instruction the edit replaced and
/// those built `FROM` one of them (whose variables may see what changed).
struct ReusedStages {
    /// The previous version's stages, handed out in order by [`ReusedStages::take`]. Moved once,
    /// into the new model: a stage is over 600 bytes, and a large file has hundreds.
    stages: std::vec::IntoIter<Stage>,
    /// Per stage: whether the edit reached it, so that it is built again instead.
    rebuilt: Vec<bool>,
    /// The index of the next stage in `stages`.
    next: usize,
    global_args: Vec<VarDef>,
    /// The index of the first instruction after the replaced ones, in the new parse.
    moved_from: usize,
    /// How far the instructions from `moved_from` on moved, in indices and in bytes.
    index_delta: isize,
    byte_delta: isize,
}

impl ReusedStages {
    /// `None` when the edit may change every stage: it touched the part before the first
    /// FROM, or a FROM line (added, removed or changed).
    fn plan(parse: &Parse, global_args: Vec<VarDef>, stages: Vec<Stage>, splice: &Splice) -> Option<ReusedStages> {
        let first_from = stages.first()?.from_instruction;
        if splice.first <= first_from {
            return None;
        }
        let instructions = &parse.file.instructions;
        let removed = splice.first..splice.first + splice.removed;
        let inserted = splice.first..splice.first + splice.inserted;
        // The FROMs among the replaced instructions must come back with the same words, as the
        // same stages.
        let mut old_froms = stages.iter().filter(|stage| removed.contains(&stage.from_instruction));
        let new_froms = instructions.get(inserted.clone())?.iter().filter(|it| it.keyword == Keyword::From);
        for instruction in new_froms {
            let old = old_froms.next()?;
            if !same_header(old, instruction) {
                return None;
            }
        }
        if old_froms.next().is_some() {
            return None;
        }
        let index_delta = splice.inserted as isize - splice.removed as isize;
        // Stages keep their indices; the edit touched the stages from the one holding the
        // instruction before the replaced ones to the one holding the last replaced one.
        let stage_of_old = |idx: usize| stages.partition_point(|it| it.from_instruction <= idx).checked_sub(1);
        let first_touched = stage_of_old(splice.first - 1)?;
        let last_touched = stage_of_old((splice.first + splice.removed).saturating_sub(1).max(splice.first - 1))?;
        let mut rebuilt = vec![false; stages.len()];
        for (index, stage) in stages.iter().enumerate() {
            rebuilt[index] = (first_touched..=last_touched).contains(&index)
                || matches!(stage.base, Base::Stage(parent) if parent < index && rebuilt[parent]);
        }
        Some(ReusedStages {
            stages: stages.into_iter(),
            rebuilt,
            next: 0,
            global_args,
            moved_from: splice.first + splice.inserted,
            index_delta,
            byte_delta: splice.delta,
        })
    }

    /// The previous version's stage `index`, moved to where the edit put it, when it is taken
    /// over. Stages are asked for in order; those passed over are dropped.
    fn take(&mut self, index: usize, from_instruction: usize) -> Option<Stage> {
        let passed_over = index.checked_sub(self.next)?;
        let mut stage = self.stages.nth(passed_over)?;
        self.next = index + 1;
        if self.rebuilt.get(index).copied().unwrap_or(true) {
            return None;
        }
        if from_instruction >= self.moved_from {
            let moved = |range: &mut TextRange| {
                *range = TextRange::new(
                    range.start.wrapping_add_signed(self.byte_delta),
                    range.end.wrapping_add_signed(self.byte_delta),
                );
            };
            moved(&mut stage.range);
            for spanned in [&mut stage.name, &mut stage.image, &mut stage.platform].into_iter().flatten() {
                moved(&mut spanned.range);
            }
            for def in stage.args.iter_mut().chain(stage.env.iter_mut()) {
                def.instruction = def.instruction.wrapping_add_signed(self.index_delta);
                moved(&mut def.name_range);
                if let Some(range) = &mut def.value_range {
                    moved(range);
                }
            }
        }
        Some(stage)
    }
}

/// Whether a FROM instruction still says what `stage` was built from: its image, name and
/// platform as written.
fn same_header(stage: &Stage, instruction: &Instruction) -> bool {
    let words: &[Word] = match &instruction.args {
        Args::Words(words) => words,
        _ => &[],
    };
    let name = match words {
        [_, as_kw, name, ..] if as_kw.value.eq_ignore_ascii_case("as") => Some(name.value.as_str()),
        _ => None,
    };
    let platform = instruction.flag("platform").and_then(|flag| flag.value.as_ref()).map(|it| it.value.as_str());
    stage.image.as_ref().map(|it| it.value.as_str()) == words.first().map(|it| it.value.as_str())
        && stage.name.as_ref().map(|it| it.value.as_str()) == name
        && stage.platform.as_ref().map(|it| it.value.as_str()) == platform
}

/// The shell commands of a previous version, handed out again for the instructions an edit kept.
struct KeptCommands {
    commands: std::vec::IntoIter<CommandSite>,
    splice: Splice,
}

impl KeptCommands {
    /// Moves the commands of the instruction `idx` to `acc` when the edit kept that instruction;
    /// returns false when it was parsed again.
    fn take(&mut self, acc: &mut Vec<CommandSite>, stage: Option<usize>, idx: usize) -> bool {
        self.take_block(acc, stage, idx..idx + 1)
    }

    /// Moves the commands of the instructions `block` to `acc`, like [`KeptCommands::take`]
    /// for each of them, when the edit kept them all; false (and nothing moved) otherwise.
    fn take_block(&mut self, acc: &mut Vec<CommandSite>, stage: Option<usize>, block: Range<usize>) -> bool {
        let (first, inserted) = (self.splice.first, self.splice.inserted);
        let kept_all = block.end <= first || block.start >= first + inserted;
        let Some((old_start, delta)) = self.splice.old_index(block.start).filter(|_| kept_all) else {
            return block.is_empty();
        };
        let old_end = old_start + block.len();
        // Instructions are visited in order, so what comes before `old_start` belonged to
        // instructions parsed again.
        // Counted first, then moved in one go: cheaper than looking at each command before
        // taking it.
        let parsed_again = self.commands.as_slice().iter().take_while(|it| it.instruction < old_start).count();
        self.commands.by_ref().take(parsed_again).for_each(drop);
        let block_commands = self.commands.as_slice().iter().take_while(|it| it.instruction < old_end).count();
        // Moved first and then adjusted where they lie: a site is over 100 bytes, and adjusting
        // it on the way copied it twice.
        let moved_from = acc.len();
        acc.extend(self.commands.by_ref().take(block_commands));
        let moved = |range: TextRange| {
            TextRange::new(range.start.wrapping_add_signed(delta), range.end.wrapping_add_signed(delta))
        };
        for site in &mut acc[moved_from..] {
            site.instruction = site.instruction - old_start + block.start;
            // A FROM added or removed before these instructions renumbers the stages.
            site.stage = stage;
            if delta != 0 {
                shell::remap(&mut site.command, &moved);
            }
        }
        true
    }
}

fn build(parse: &Parse, mut kept: Option<KeptCommands>, mut reused: Option<ReusedStages>) -> Semantics {
    let file = &parse.file;
    let mut res = Semantics::default();
    let escape = file.escape;
    // Sizing the big vectors up front saves copying them while they grow. One pass counts
    // everything sizes are made from: each pass over a large file's instructions reads
    // hundreds of kilobytes.
    let mut n_command_instructions = 0;
    // ARG and ENV definitions per stage, so each stage's lists are allocated once at their
    // final size.
    let mut stage_definitions: Vec<(usize, usize)> = Vec::new();
    // After an edit most stages are taken over and their instructions are not read at all
    // (see the loop below), so neither are they counted; the stages built again grow as they go.
    let counted: &[Instruction] = if reused.is_some() { &[] } else { &file.instructions };
    for instruction in counted {
        let count = || match &instruction.args {
            Args::KeyValues(pairs) => pairs.len(),
            _ => 0,
        };
        match instruction.keyword {
            Keyword::From => stage_definitions.push((0, 0)),
            Keyword::Run | Keyword::Cmd | Keyword::Entrypoint | Keyword::Healthcheck => n_command_instructions += 1,
            Keyword::Arg => {
                if let Some(last) = stage_definitions.last_mut() {
                    last.0 += count();
                }
            }
            Keyword::Env => {
                if let Some(last) = stage_definitions.last_mut() {
                    last.1 += count();
                }
            }
            _ => {}
        }
    }
    let n_stages = reused.as_ref().map_or(stage_definitions.len(), |it| it.rebuilt.len());
    res.stages.reserve_exact(n_stages);
    // Most instructions hold one or two simple commands.
    res.commands.reserve(kept.as_ref().map_or(n_command_instructions * 2, |it| it.commands.len() + 16));
    let mut stage_names = StageNames::default();
    stage_names.first_by_hash.reserve(n_stages);
    let mut defs = Vec::new();
    let mut scratch = CommandScratch::default();
    let mut images = FromImages::default();
    if let Some(reused) = &mut reused {
        res.global_args = std::mem::take(&mut reused.global_args);
    }
    // The current stage's variables were taken over with it.
    let mut taken_over = false;
    let mut idx = 0;
    while let Some(instruction) = file.instructions.get(idx) {
        // Where a stage taken over from the previous version ends: its instructions are the
        // old ones, moved, so only their commands need moving too.
        let mut taken_over_until = None;
        match instruction.keyword {
            Keyword::From => {
                let commands_so_far = res.commands.len();
                if let Some(last) = res.stages.last_mut() {
                    last.instructions.end = idx;
                    last.commands.end = commands_so_far;
                }
                let index = res.stages.len();
                let stage = match reused.as_mut().and_then(|it| it.take(index, idx)) {
                    Some(mut stage) => {
                        taken_over = true;
                        taken_over_until = Some(idx + stage.instructions.len().max(1));
                        stage.from_instruction = idx;
                        stage.instructions = idx..idx + 1;
                        stage.commands = commands_so_far..commands_so_far;
                        stage
                    }
                    None => {
                        taken_over = false;
                        let mut stage = stage_from(&res, &stage_names, &mut images, file, idx, instruction);
                        let (n_args, n_env) = stage_definitions.get(index).copied().unwrap_or_default();
                        stage.args.reserve_exact(n_args);
                        stage.env.reserve_exact(n_env);
                        stage
                    }
                };
                if let Some(name) = &stage.name {
                    stage_names.insert(&name.value, stage.index);
                }
                res.stages.push(stage);
            }
            Keyword::Arg | Keyword::Env if taken_over || (reused.is_some() && res.stages.is_empty()) => {}
            Keyword::Arg => {
                let stage_idx = res.stages.len().checked_sub(1);
                var_defs(&mut defs, &res, stage_idx, idx, instruction, VarKind::Arg, escape);
                match res.stages.last_mut() {
                    Some(stage) => stage.args.append(&mut defs),
                    None => res.global_args.append(&mut defs),
                }
            }
            Keyword::Env => {
                let stage_idx = res.stages.len().checked_sub(1);
                var_defs(&mut defs, &res, stage_idx, idx, instruction, VarKind::Env, escape);
                match res.stages.last_mut() {
                    Some(stage) => stage.env.append(&mut defs),
                    None => defs.clear(),
                }
            }
            _ => {}
        }
        if let Some(stage) = res.stages.last_mut() {
            stage.range = stage.range.cover(instruction.range);
        }
        let stage_idx = res.stages.len().checked_sub(1);
        if !kept.as_mut().is_some_and(|kept| kept.take(&mut res.commands, stage_idx, idx)) {
            collect_commands(&mut res.commands, &mut scratch, stage_idx, idx, instruction);
        }
        idx += 1;
        if let Some(end) = taken_over_until {
            let ends_the_stage = end <= file.instructions.len()
                && file.instructions.get(end).is_none_or(|it| it.keyword == Keyword::From);
            if ends_the_stage
                && kept.as_mut().is_some_and(|kept| kept.take_block(&mut res.commands, stage_idx, idx..end))
            {
                idx = end;
            }
        }
    }
    let commands_total = res.commands.len();
    if let Some(last) = res.stages.last_mut() {
        last.instructions.end = file.instructions.len();
        last.commands.end = commands_total;
    }
    res
}

/// Finds stages by name in constant time, for files with hundreds of stages. Keys are
/// case-insensitive hashes of the names, each kept for the first stage that has it; a lookup
/// compares the name itself and falls back to [`Semantics::stage_by_reference`] on a collision.
#[derive(Default)]
struct StageNames {
    first_by_hash: HashMap<u64, usize, BuildHasherDefault<KeyIsHash>>,
}

/// The keys of [`StageNames`] are hashes already; hashing them again would only cost time.
#[derive(Default)]
struct KeyIsHash(u64);

impl Hasher for KeyIsHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 << 8) | u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

impl StageNames {
    fn insert(&mut self, name: &str, index: usize) {
        self.first_by_hash.entry(fold_hash(name)).or_insert(index);
    }

    /// The same answer as [`Semantics::stage_by_reference`].
    fn find<'a>(&self, res: &'a Semantics, reference: &str) -> Option<&'a Stage> {
        if reference.parse::<usize>().is_ok() {
            return res.stage_by_reference(reference);
        }
        let idx = *self.first_by_hash.get(&fold_hash(reference))?;
        match res.stages.get(idx) {
            Some(stage) if stage.name.as_ref().is_some_and(|name| name.value.eq_ignore_ascii_case(reference)) => {
                Some(stage)
            }
            _ => res.stage_by_reference(reference),
        }
    }
}

/// A hash of the ASCII-lowercased bytes, so names equal up to ASCII case hash alike. It takes
/// eight bytes at a time (image words run to dozens of bytes, and every FROM hashes a few), then
/// mixes the high bits down, because the map's buckets are chosen by the low bits.
fn fold_hash(text: &str) -> u64 {
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes = text.as_bytes();
    // The length tells apart texts whose last word differs only by trailing zero bytes.
    let mut hash = 0xcbf2_9ce4_8422_2325 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in chunks.by_ref() {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        hash = (hash ^ lowercase_word(u64::from_le_bytes(word))).rotate_left(23).wrapping_mul(MULTIPLIER);
    }
    let mut word = [0u8; 8];
    word[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    hash = (hash ^ lowercase_word(u64::from_le_bytes(word))).wrapping_mul(MULTIPLIER);
    hash ^ (hash >> 32)
}

/// `u8::to_ascii_lowercase` on each byte of `word`: bit 5 is set on the bytes `A` to `Z`. The
/// sums cannot carry from one byte into the next, as only the low seven bits of each take part.
fn lowercase_word(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let low = word & LOW7;
    // The high bit of a byte of `from_a` is set when the byte is `A` or above, of `past_z` when
    // it is above `Z`; ASCII bytes only.
    let from_a = low + 0x3f3f_3f3f_3f3f_3f3f;
    let past_z = low + 0x2525_2525_2525_2525;
    let upper = (from_a ^ past_z) & !word & HIGH;
    word | (upper >> 2)
}

/// What the image word of a FROM gives, worked out once per distinct word. The global ARGs a
/// FROM sees are all declared before the first FROM, so one word always expands alike, and big
/// files repeat the same few base images many times.
#[derive(Default)]
struct FromImages<'p> {
    by_hash: HashMap<u64, usize, BuildHasherDefault<KeyIsHash>>,
    entries: Vec<FromImage<'p>>,
}

struct FromImage<'p> {
    written: &'p str,
    /// The word with global ARGs substituted; `None` when some variable had no value.
    expanded: Option<CompactString>,
    /// The expanded word as an image reference, with the Python it brings; filled when first
    /// needed (a word naming an earlier stage never needs it).
    image: Option<Option<(ImageRef, Option<ImagePython>)>>,
}

/// The Python an image reference brings, before it is tied to a stage.
enum ImagePython {
    Python(PythonImage),
    Uv(UvImage),
}

impl ImagePython {
    fn of(reference: &ImageRef) -> Option<ImagePython> {
        match image::python_image_info(reference) {
            Some(image) => Some(ImagePython::Python(image)),
            None => image::uv_image_info(reference).filter(|uv| uv.python.is_some()).map(ImagePython::Uv),
        }
    }

    fn for_stage(&self, stage: usize) -> PythonSource {
        match self {
            ImagePython::Python(image) => PythonSource::Python { stage, image: image.clone() },
            ImagePython::Uv(image) => PythonSource::Uv { stage, image: image.clone() },
        }
    }
}

impl<'p> FromImages<'p> {
    /// The entry for `written`, made on first sight. Words whose hashes collide with an earlier,
    /// different word get an entry of their own that is not found again (still correct, only
    /// not shared).
    fn entry(&mut self, res: &Semantics, escape: char, written: &'p str) -> &mut FromImage<'p> {
        let hash = fold_hash(written);
        let known = self.by_hash.get(&hash).copied().filter(|idx| self.entries[*idx].written == written);
        let idx = match known {
            Some(idx) => idx,
            None => {
                let lookup = |var: &str| global_arg_value(res, var).map(Cow::Borrowed);
                let (value, complete) = expand::expand_compact(written, escape, &lookup);
                let expanded = complete.then_some(value);
                self.entries.push(FromImage { written, expanded, image: None });
                let idx = self.entries.len() - 1;
                self.by_hash.entry(hash).or_insert(idx);
                idx
            }
        };
        &mut self.entries[idx]
    }
}

impl FromImage<'_> {
    fn image(&mut self) -> Option<&(ImageRef, Option<ImagePython>)> {
        let expanded = self.expanded.as_deref();
        self.image
            .get_or_insert_with(|| {
                let reference = image::parse_image_ref(expanded?)?;
                let python = ImagePython::of(&reference);
                Some((reference, python))
            })
            .as_ref()
    }
}

fn stage_from<'p>(
    res: &Semantics,
    stage_names: &StageNames,
    images: &mut FromImages<'p>,
    file: &'p Dockerfile,
    idx: usize,
    instruction: &'p Instruction,
) -> Stage {
    let words: &[Word] = match &instruction.args {
        Args::Words(words) => words,
        _ => &[],
    };
    let image = words.first().map(|word| Spanned::new(word.value.clone(), word.range));
    let name = match words {
        [_, as_kw, name, ..] if as_kw.value.eq_ignore_ascii_case("as") => {
            Some(Spanned::new(name.value.clone(), name.range))
        }
        _ => None,
    };
    let index = res.stages.len();
    let mut from_image = words.first().map(|word| images.entry(res, file.escape, word.value.as_str()));
    let image_expanded = from_image.as_ref().and_then(|it| it.expanded.clone());
    // Parents always precede their children, so their Python is already known.
    let (base, python) = match (&image_expanded, &mut from_image) {
        (Some(text), Some(from_image)) if !text.eq_ignore_ascii_case("scratch") => match stage_names.find(res, text) {
            Some(parent) if !text.chars().all(|c| c.is_ascii_digit()) => {
                (Base::Stage(parent.index), parent.python.clone())
            }
            _ => match from_image.image() {
                Some((reference, python)) => {
                    (Base::Image(reference.clone()), python.as_ref().map(|it| it.for_stage(index)))
                }
                None => (Base::Unknown, None),
            },
        },
        (Some(_), _) => (Base::Scratch, None),
        (None, _) => (Base::Unknown, None),
    };
    let platform = instruction.flag("platform").and_then(|flag| flag.value.as_ref());
    let platform = platform.map(|it| Spanned::new(it.value.clone(), it.range));
    Stage {
        index,
        from_instruction: idx,
        instructions: idx..idx + 1,
        range: instruction.range,
        name,
        image,
        image_expanded,
        base,
        platform,
        args: Vec::new(),
        env: Vec::new(),
        python,
        commands: res.commands.len()..res.commands.len(),
    }
}

/// The value a global ARG gives to FROM lines (its default), or a predefined platform ARG.
fn global_arg_value<'s>(res: &'s Semantics, name: &str) -> Option<&'s str> {
    res.global_args.iter().rev().find(|def| def.name == name).and_then(|def| def.value.as_deref())
}

/// Appends the definitions of one ARG or ENV instruction to `defs`.
fn var_defs(
    defs: &mut Vec<VarDef>,
    res: &Semantics,
    stage: Option<usize>,
    idx: usize,
    instruction: &Instruction,
    kind: VarKind,
    escape: char,
) {
    let Args::KeyValues(pairs) = &instruction.args else { return };
    for pair in pairs {
        let value = pair.value.as_ref().map(|word| {
            // Later pairs of one instruction do not see earlier ones (Docker expands the whole
            // instruction first), so look only at earlier instructions.
            let lookup = |var: &str| {
                let value = match stage {
                    Some(stage) => res.build_var(stage, idx, var).and_then(|def| def.value.as_deref()),
                    None => global_arg_value(res, var),
                };
                value.map(Cow::Borrowed)
            };
            expand::expand_compact(&word.raw, escape, &lookup).0
        });
        let value = match (kind, value) {
            // `ARG NAME` in a stage re-imports the global default.
            (VarKind::Arg, None) if stage.is_some() => global_arg_value(res, &pair.key.value).map(CompactString::from),
            (_, value) => value,
        };
        defs.push(VarDef {
            kind,
            name: pair.key.value.clone(),
            name_range: pair.key.range,
            value,
            value_range: pair.value.as_ref().map(|word| word.range),
            instruction: idx,
        });
    }
}

/// Buffers reused while splitting the shell text of every instruction.
#[derive(Default)]
struct CommandScratch {
    buffers: shell::SplitBuffers,
    commands: Vec<ShellCommand>,
    /// Where the heredocs that hold scripts are opened (see `collect_commands`).
    script_markers: Vec<usize>,
}

impl CommandScratch {
    /// Splits `text`, whose ranges are moved by `base`; the commands are left in `self.commands`.
    fn split(&mut self, text: &str, base: usize) {
        self.commands.clear();
        shell::split_commands_into(&mut self.commands, &mut self.buffers, text, base);
    }
}

fn collect_commands(
    acc: &mut Vec<CommandSite>,
    scratch: &mut CommandScratch,
    stage: Option<usize>,
    idx: usize,
    instruction: &Instruction,
) {
    let origin = match instruction.keyword {
        Keyword::Run => CommandOrigin::Run,
        Keyword::Cmd => CommandOrigin::Cmd,
        Keyword::Entrypoint => CommandOrigin::Entrypoint,
        Keyword::Healthcheck => CommandOrigin::Healthcheck,
        _ => return,
    };
    let args = match &instruction.args {
        Args::Healthcheck(Healthcheck::Cmd { args, .. }) => args.as_ref(),
        Args::Healthcheck(Healthcheck::None { .. }) => return,
        args => args,
    };
    let mut push = |command: ShellCommand, exec_form: bool| {
        acc.push(CommandSite { stage, instruction: idx, origin, exec_form, command });
    };
    match args {
        Args::Shell(shell) => {
            // A single piece (no line continuation) is a plain shift, which the splitter applies
            // as it goes; otherwise each range is mapped through the pieces afterwards.
            let shift = match (shell.map.segment_count(), shell.map.segments().next()) {
                (1, Some((0, source_start))) => Some(source_start),
                _ => None,
            };
            scratch.split(&shell.text, shift.unwrap_or(0));
            if shift.is_none() {
                for command in &mut scratch.commands {
                    shell::remap(command, &|range| shell.map.range_to_source(range));
                }
            }
            // A heredoc is a script when it is the whole command (`RUN <<EOF`) or the input of
            // a shell (`RUN bash <<EOF`); otherwise it is data for the command (`python3 <<EOF`).
            // Without heredocs there is nothing to mark.
            // Taken out of the scratch space while it splits the heredocs, then put back.
            let mut script_markers = std::mem::take(&mut scratch.script_markers);
            script_markers.clear();
            let commands = if instruction.heredocs.is_empty() { &[][..] } else { &scratch.commands[..] };
            for command in commands {
                let is_script = match command.program_name() {
                    None => true,
                    Some(name) => is_shell_program(name),
                };
                if is_script {
                    script_markers.extend(command.heredoc_markers().map(|it| it.range.start));
                }
            }
            for command in scratch.commands.drain(..) {
                push(command, false);
            }
            // Sorted for lookups: a RUN may open thousands of heredocs.
            script_markers.sort_unstable();
            for heredoc in &instruction.heredocs {
                if script_markers.binary_search(&heredoc.marker.start).is_err() {
                    continue;
                }
                scratch.split(&heredoc.body.value, heredoc.body.range.start);
                for command in scratch.commands.drain(..) {
                    push(command, false);
                }
            }
            scratch.script_markers = script_markers;
        }
        Args::Exec(exec) => {
            let command = shell::split_exec(&exec.elements, exec.range);
            let script = shell::exec_shell_script_index(&command).and_then(|idx| exec.elements.get(idx));
            push(command, true);
            if let Some(script) = script {
                // Offsets inside the JSON literal match the decoded string only without escapes.
                let mapped_exactly = script.range.len() == script.value.len() + 2;
                scratch.split(&script.value, script.range.start + 1);
                for mut command in scratch.commands.drain(..) {
                    if !mapped_exactly {
                        let whole = script.range;
                        shell::remap(&mut command, &|_| whole);
                    }
                    push(command, true);
                }
            }
        }
        _ => {}
    }
}

fn is_shell_program(name: &str) -> bool {
    matches!(name, "sh" | "bash" | "ash" | "dash" | "zsh" | "ksh")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named_stages(names: &[&str]) -> (Semantics, StageNames) {
        let mut res = Semantics::default();
        let mut stage_names = StageNames::default();
        for (index, name) in names.iter().enumerate() {
            stage_names.insert(name, index);
            res.stages.push(Stage {
                index,
                from_instruction: index,
                instructions: index..index + 1,
                range: TextRange::default(),
                name: Some(Spanned::new(CompactString::from(*name), TextRange::default())),
                image: None,
                image_expanded: None,
                base: Base::Unknown,
                platform: None,
                args: Vec::new(),
                env: Vec::new(),
                python: None,
                commands: 0..0,
            });
        }
        (res, stage_names)
    }

    #[test]
    fn repeated_from_words_resolve_per_stage() {
        let text = "ARG V=3.12\nFROM base\nFROM python:${V}-slim AS base\nFROM python:${V}-slim\nFROM base\n";
        let semantics = analyze(&crate::syntax::parse(text));
        let bases: Vec<_> = semantics.stages.iter().map(|it| &it.base).collect();
        // `base` is an image before a stage takes the name, and that stage after.
        assert!(matches!(bases[0], Base::Image(reference) if reference.repository.value == "base"));
        assert!(
            matches!(bases[1], Base::Image(reference) if reference.tag.as_ref().is_some_and(|it| it.value == "3.12-slim"))
        );
        assert_eq!(bases[2], bases[1]);
        assert_eq!(bases[3], &Base::Stage(1));
        let pythons: Vec<_> = semantics.stages.iter().map(|it| it.python.clone()).collect();
        assert_eq!(pythons[0], None);
        // Each stage that names the image is the source of its own Python; a child keeps its parent's.
        let stage_of = |python: &Option<PythonSource>| match python {
            Some(PythonSource::Python { stage, image }) => Some((*stage, image.version)),
            _ => None,
        };
        assert_eq!(stage_of(&pythons[1]), Some((1, Some((3, 12, None)))));
        assert_eq!(stage_of(&pythons[2]), Some((2, Some((3, 12, None)))));
        assert_eq!(stage_of(&pythons[3]), Some((1, Some((3, 12, None)))));
        assert_eq!(semantics.stages[2].image_expanded.as_deref(), Some("python:3.12-slim"));
    }

    #[test]
    fn stage_names_agree_with_stage_by_reference() {
        let names = ["build", "Build", "test", "1", "base-é", "BASE-é", "runtime"];
        let (res, stage_names) = named_stages(&names);
        let queries =
            ["build", "BUILD", "bUiLd", "test", "TEST", "1", "0", "+1", "6", "7", "base-é", "BASE-É", "nope", ""];
        for query in queries {
            let expected = res.stage_by_reference(query).map(|it| it.index);
            assert_eq!(stage_names.find(&res, query).map(|it| it.index), expected, "{query:?}");
        }
    }

    #[test]
    fn stage_names_survive_hash_collisions() {
        let (res, mut stage_names) = named_stages(&["a", "b", "c"]);
        // Pretend `b` and `c` hash like `a`: the lookup must still find them by name.
        stage_names.first_by_hash.clear();
        stage_names.first_by_hash.insert(fold_hash("b"), 0);
        stage_names.first_by_hash.insert(fold_hash("c"), 0);
        assert_eq!(stage_names.find(&res, "B").map(|it| it.index), Some(1));
        assert_eq!(stage_names.find(&res, "c").map(|it| it.index), Some(2));
        assert_eq!(fold_hash("Stage-1"), fold_hash("sTAGE-1"));
    }

    #[test]
    fn lowercase_word_is_ascii_lowercase() {
        // Every byte value at every position of a word.
        for byte in 0..=255u8 {
            for at in 0..8 {
                let mut bytes = *b"aZ\x00\x7f@[`{";
                bytes[at] = byte;
                let expected = bytes.map(|it| it.to_ascii_lowercase());
                assert_eq!(lowercase_word(u64::from_le_bytes(bytes)).to_le_bytes(), expected, "{byte} at {at}");
            }
        }
    }

    #[test]
    fn fold_hash_ignores_ascii_case_only() {
        let names = ["", "a", "a\0", "python:3.12-slim", "ghcr.io/astral-sh/uv:0.5.11", "Builder-É", "builder-é"];
        for name in names {
            assert_eq!(fold_hash(name), fold_hash(&name.to_ascii_uppercase()), "{name:?}");
            assert_eq!(fold_hash(name), fold_hash(&name.to_ascii_lowercase()), "{name:?}");
        }
        // Different names (not only in case) hash apart, trailing zero bytes and non-ASCII
        // case included.
        for (idx, name) in names.iter().enumerate() {
            for other in &names[idx + 1..] {
                assert_ne!(fold_hash(name), fold_hash(other), "{name:?} {other:?}");
            }
        }
    }
}
