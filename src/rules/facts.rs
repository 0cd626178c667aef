//! Facts several rules need, computed lazily once per [`RuleContext`] and shared by all rules.
//!
//! Rules used to rebuild per-stage layouts, image references and COPY lists on every call; with
//! a hundred rules that multiplied the work. Each fact here is built in one pass on first use.

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use crate::rules::RuleContext;
use crate::rules::support_env::{self, Setting};
use crate::rules::support_python::{self, CopiedVenv, Copy, ImageUse};
use crate::rules::support_uv::{self, Mount};
use crate::semantics::{Base, CommandOrigin, CommandSite, Semantics, Stage, VarDef};
use crate::syntax::{Args, Keyword};

/// FNV-1a: the keys here are short names and references, for which std's DoS-resistant hash
/// costs more than the lookups it serves.
pub(crate) struct FnvHasher(u64);

impl Default for FnvHasher {
    fn default() -> FnvHasher {
        FnvHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for FnvHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut hash = self.0;
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
}

/// A hash map keyed by short strings, hashed with [`FnvHasher`].
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FnvHasher>>;

/// `major.minor[.patch]` of an image's Python.
type PythonVersionTriple = (u64, u64, Option<u64>);

/// The lazily built facts; every field is filled on first use.
#[derive(Default)]
pub(crate) struct Facts<'a> {
    /// Stage names, ASCII-lowercased, to the first stage with that name.
    stage_names: OnceCell<FastMap<String, usize>>,
    /// Names some stage defines with ENV or ARG; [`Semantics::build_var`] finds nothing else.
    stage_var_names: OnceCell<HashSet<&'a str, BuildHasherDefault<FnvHasher>>>,
    /// The stage of each instruction (`None` before the first FROM).
    instruction_stage: OnceCell<Vec<Option<usize>>>,
    image_uses: OnceCell<Vec<ImageUse>>,
    py_copies: OnceCell<Vec<Copy>>,
    py_layout: OnceCell<support_python::Layout>,
    copied_venvs: OnceCell<Vec<CopiedVenv>>,
    uv_layout: OnceCell<support_uv::Layout>,
    workdir_user: OnceCell<WorkdirUser>,
    uv_settings: OnceCell<Vec<Setting>>,
    start_commands: OnceCell<Vec<&'a CommandSite>>,
    /// The uv commands of RUN instructions, grouped by instruction.
    run_groups: OnceCell<Vec<RunGroupFacts>>,
    /// The `--mount` flags of each instruction, parsed when first asked for (only RUNs of uv
    /// commands are, so the mounts of other RUNs are never parsed).
    mounts: OnceCell<Vec<OnceCell<Vec<Mount>>>>,
    /// Per command: an earlier command of the same instruction changes directory.
    after_cd: OnceCell<Vec<bool>>,
    /// Per stage: it is the final stage or one the final stage is built `FROM`.
    final_chain: OnceCell<Vec<bool>>,
    /// Image Pythons already compared with what the project asks for (version parsing is slow).
    meets_project: RefCell<Vec<(PythonVersionTriple, Option<bool>)>>,
    /// Per uv invocation (in the order of the context's uv list): uv's reference entry for each
    /// of its flags.
    known_uv_flags: OnceCell<Vec<Vec<Option<&'static crate::knowledge::UvFlag>>>>,
    /// Paths already matched against .dockerignore (rules ask about the same few names).
    excluded: RefCell<Vec<(String, bool)>>,
}

/// WORKDIR and USER in effect at each instruction, for every rule that resolves paths or asks
/// who runs a command.
pub(crate) struct WorkdirUser {
    /// WORKDIR at each instruction, taking a root image to start in `/`; `None` when a variable
    /// makes it unknown.
    workdir: Vec<Option<Rc<str>>>,
    /// Per instruction: the WORKDIR above still rests on the root image starting in `/` (no
    /// absolute WORKDIR since), which holds only for images known not to set their own.
    assumes_image_start: Vec<bool>,
    /// USER at each instruction (`None` for the image default, root).
    user: Vec<Option<Rc<str>>>,
}

impl WorkdirUser {
    pub(crate) fn workdir_at(&self, idx: usize) -> Option<&str> {
        self.workdir.get(idx).and_then(|it| it.as_deref())
    }

    /// Whether [`WorkdirUser::workdir_at`] still rests on the root image starting in `/`.
    pub(crate) fn assumes_image_start_at(&self, idx: usize) -> bool {
        self.assumes_image_start.get(idx).copied().unwrap_or(false)
    }

    pub(crate) fn user_at(&self, idx: usize) -> Option<&str> {
        self.user.get(idx).and_then(|it| it.as_deref())
    }

    fn build(ctx: &RuleContext<'_>) -> WorkdirUser {
        let semantics = ctx.semantics;
        let instructions = &ctx.parse.file.instructions;
        let escape = ctx.parse.file.escape;
        let mut res = WorkdirUser {
            workdir: vec![None; instructions.len()],
            assumes_image_start: vec![false; instructions.len()],
            user: vec![None; instructions.len()],
        };
        for stage in &semantics.stages {
            let parent_end = match stage.base {
                Base::Stage(parent) if parent < stage.index => {
                    semantics.stages.get(parent).and_then(|it| it.instructions.end.checked_sub(1))
                }
                _ => None,
            };
            let (mut workdir, mut assumed, mut user) = match parent_end {
                Some(end) => (
                    res.workdir.get(end).cloned().flatten(),
                    res.assumes_image_start.get(end).copied().unwrap_or(false),
                    res.user.get(end).cloned().flatten(),
                ),
                None => (Some(Rc::from("/")), true, None),
            };
            for idx in stage.instructions.clone() {
                let Some(instruction) = instructions.get(idx) else { continue };
                let lookup = |name: &str| ctx.build_var(stage.index, idx, name).and_then(|it| it.value.clone());
                match (instruction.keyword, &instruction.args) {
                    (Keyword::Workdir, Args::Words(words)) => {
                        if let Some(word) = words.first() {
                            let (value, complete) = support_uv::expand_value(&word.value, escape, &lookup);
                            let absolute = value.starts_with('/');
                            let resolved = match (&workdir, complete) {
                                (Some(dir), true) => support_uv::resolve(dir, &value),
                                (None, true) if absolute => support_uv::resolve("/", &value),
                                _ => None,
                            };
                            assumed &= !absolute;
                            workdir = resolved.map(Rc::from);
                        }
                    }
                    (Keyword::User, Args::Words(words)) => {
                        if let Some(word) = words.first() {
                            let (value, _) = support_uv::expand_value(&word.value, escape, &lookup);
                            let name = value.split(':').next().unwrap_or("");
                            user = match name {
                                "root" | "0" => None,
                                _ => Some(Rc::from(name)),
                            };
                        }
                    }
                    _ => {}
                }
                res.workdir[idx] = workdir.clone();
                res.assumes_image_start[idx] = assumed;
                res.user[idx] = user.clone();
            }
        }
        res
    }
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
        let names = self.facts.stage_names.get_or_init(|| {
            let mut res = FastMap::default();
            res.reserve(self.semantics.stages.len());
            for stage in &self.semantics.stages {
                if let Some(name) = &stage.name {
                    res.entry(name.value.to_ascii_lowercase()).or_insert(stage.index);
                }
            }
            res
        });
        if names.is_empty() {
            return None;
        }
        if name.bytes().any(|it| it.is_ascii_uppercase()) {
            names.get(&name.to_ascii_lowercase()).copied()
        } else {
            names.get(name).copied()
        }
    }

    /// [`Semantics::build_var`], without walking the stages for names no stage defines (most
    /// names rules ask about).
    pub(crate) fn build_var(&self, stage: usize, before: usize, name: &str) -> Option<&'a VarDef> {
        let semantics: &'a Semantics = self.semantics;
        let names = self.facts.stage_var_names.get_or_init(|| {
            let stages = semantics.stages.iter();
            stages.flat_map(|stage| stage.env.iter().chain(&stage.args)).map(|def| def.name.as_str()).collect()
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

    pub(crate) fn workdir_user(&self) -> &WorkdirUser {
        self.facts.workdir_user.get_or_init(|| WorkdirUser::build(self))
    }

    /// The stage holding instruction `idx`.
    pub(crate) fn stage_index_of(&self, idx: usize) -> Option<usize> {
        self.instruction_stages().get(idx).copied().flatten()
    }

    /// The stage of each instruction (`None` before the first FROM).
    pub(crate) fn instruction_stages(&self) -> &[Option<usize>] {
        self.facts.instruction_stage.get_or_init(|| {
            let mut res = vec![None; self.parse.file.instructions.len()];
            for stage in &self.semantics.stages {
                for slot in res.get_mut(stage.instructions.clone()).into_iter().flatten() {
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
    pub(crate) fn py_copies(&self) -> &[Copy] {
        self.facts.py_copies.get_or_init(|| support_python::build_copies(self))
    }

    /// WORKDIR, USER, venvs and Python installs per stage (the Python rules' view).
    pub(crate) fn py_layout(&self) -> &support_python::Layout {
        self.facts.py_layout.get_or_init(|| support_python::Layout::build(self))
    }

    /// Every venv copied between stages, in source order.
    pub(crate) fn copied_venvs(&self) -> &[CopiedVenv] {
        self.facts.copied_venvs.get_or_init(|| support_python::build_copied_venvs(self, self.py_layout()))
    }

    /// WORKDIR, USER, COPYs, uv pins and reach per instruction and stage (the uv rules' view).
    pub(crate) fn uv_layout(&self) -> &support_uv::Layout {
        self.facts.uv_layout.get_or_init(|| support_uv::Layout::build(self))
    }

    /// Every `UV_*` assignment.
    pub(crate) fn uv_settings(&self) -> &[Setting] {
        self.facts.uv_settings.get_or_init(|| support_env::build_uv_settings(self))
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
            for (at, (idx, _)) in self.uv.iter().enumerate() {
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
        let mounts = self
            .facts
            .mounts
            .get_or_init(|| std::iter::repeat_with(OnceCell::new).take(self.parse.file.instructions.len()).collect());
        let Some(slot) = mounts.get(idx) else { return &[] };
        slot.get_or_init(|| match self.parse.file.instructions.get(idx) {
            Some(it) if it.keyword == Keyword::Run && !it.flags.is_empty() => support_uv::mounts(self.text, it),
            _ => Vec::new(),
        })
    }

    /// The uv invocation at position `at` of the context's uv list.
    pub(crate) fn uv_at(&self, at: usize) -> Option<(&'a CommandSite, &crate::semantics::shell::UvInvocation<'a>)> {
        let (idx, uv) = self.uv.get(at)?;
        Some((self.semantics.commands.get(*idx)?, uv))
    }

    /// Whether an earlier command of the same instruction changes directory (`cd x && uv sync`).
    pub(crate) fn after_cd(&self, command: usize) -> bool {
        let flags = self.facts.after_cd.get_or_init(|| {
            let commands = &self.semantics.commands;
            let mut res = vec![false; commands.len()];
            // The commands of one instruction are contiguous; look at each run of them as a whole.
            let mut start = 0;
            while start < commands.len() {
                let instruction = commands[start].instruction;
                let end = commands[start..]
                    .iter()
                    .position(|it| it.instruction != instruction)
                    .map_or(commands.len(), |it| start + it);
                let first_cd = commands[start..end]
                    .iter()
                    .filter(|it| matches!(it.command.program_name(), Some("cd" | "pushd")))
                    .map(|it| it.command.range.start)
                    .min();
                if let Some(first_cd) = first_cd {
                    for (slot, site) in res[start..end].iter_mut().zip(&commands[start..end]) {
                        *slot = first_cd < site.command.range.start;
                    }
                }
                start = end;
            }
            res
        });
        flags.get(command).copied().unwrap_or(false)
    }

    /// Whether `stage` is the final stage or one it is built `FROM`.
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
        if let Some((_, meets)) = self.facts.meets_project.borrow().iter().find(|(known, _)| *known == version) {
            return *meets;
        }
        let meets = support_python::image_meets_project(self.project, source);
        self.facts.meets_project.borrow_mut().push((version, meets));
        meets
    }

    /// uv's reference entry for each flag of the `at`-th uv invocation, in flag order.
    pub(crate) fn known_uv_flags(&self, at: usize) -> &[Option<&'static crate::knowledge::UvFlag>] {
        let known = self.facts.known_uv_flags.get_or_init(|| {
            // The same few subcommand and flag pairs repeat on every command, and each lookup
            // scans the subcommand's whole flag list: look each pair up once.
            type Known = Option<&'static crate::knowledge::UvFlag>;
            let mut memo: HashMap<&str, HashMap<&str, Known>> = HashMap::new();
            self.uv
                .iter()
                .map(|(_, uv)| {
                    let by_flag = memo.entry(uv.subcommand()).or_default();
                    uv.flags
                        .iter()
                        .map(|flag| {
                            *by_flag
                                .entry(&flag.name)
                                .or_insert_with(|| crate::knowledge::uv_flag(uv.subcommand(), &flag.name))
                        })
                        .collect()
                })
                .collect()
        });
        known.get(at).map_or(&[], Vec::as_slice)
    }

    /// Whether .dockerignore keeps `path` out of the build context, remembered per path.
    pub(crate) fn is_excluded(&self, path: &str) -> bool {
        if self.project.dockerignore.is_none() {
            return false;
        }
        if let Some((_, excluded)) = self.facts.excluded.borrow().iter().find(|(known, _)| known == path) {
            return *excluded;
        }
        let excluded = self.project.is_excluded(path);
        self.facts.excluded.borrow_mut().push((path.to_owned(), excluded));
        excluded
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
