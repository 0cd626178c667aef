//! Go to definition, references, highlights and rename for stages, ARG/ENV variables and heredocs.
//!
//! One pass over the file builds an [`Index`]: every place a stage name, a variable or a heredoc
//! delimiter is written, each tied to what it names. Variables follow Docker's scoping: global
//! ARGs are seen by FROM lines and by stages that declare `ARG NAME` again, a stage sees its own
//! ARG/ENV from the instruction after the definition on, and ENV (not ARG) carries over to stages
//! built `FROM` it. Uses inside RUN/CMD/ENTRYPOINT shell text count too, because the shell sees
//! ARG and ENV as environment variables (CMD and ENTRYPOINT run later and see ENV only).
//!
//! Definitions that one rename must change together form one [`VarSymbol`]: all ARG/ENV
//! definitions of a name within a stage, a stage's `ARG NAME` with the global ARG of that name, and
//! a stage's definitions with the ENV of the stage it is built from. A rename is refused when some
//! use can't be rewritten in place, or the name also reaches the stage from elsewhere (the base
//! image, the shell, BuildKit), since then a rename would change what the build does.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use crate::analysis::Analysis;
use crate::semantics::{Base, CommandOrigin, PREDEFINED_ARGS, Semantics, VarKind, expand};
use crate::syntax::{Args, Dockerfile, Flag, Healthcheck, Instruction, Keyword};
use crate::text::TextRange;

/// What an occurrence names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A stage, by index.
    Stage(usize),
    /// A variable definition (an index into [`Index::defs`]): the definition itself or the one a
    /// use resolves to.
    Var(usize),
    /// A heredoc delimiter: the instruction and the heredoc's position in it.
    Heredoc { instruction: usize, heredoc: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Definition,
    Reference,
}

/// One place a stage, variable or heredoc delimiter is named.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// The name only (`builder` in `--from=builder`, `NAME` in `${NAME:-x}`).
    pub range: TextRange,
    pub target: Target,
    pub role: Role,
    /// The source at `range` is the name as written, so a rename can replace it. False for
    /// stage references by index (`--from=0`) and names broken by a line continuation.
    pub rewritable: bool,
}

/// One ARG or ENV definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Def {
    pub name: String,
    pub kind: VarKind,
    pub name_range: TextRange,
    /// `None` for global ARGs.
    pub stage: Option<usize>,
    pub instruction: usize,
    /// The written default/value, unexpanded.
    pub has_value: bool,
}

/// Definitions that are renamed together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarSymbol {
    pub name: String,
    pub defs: Vec<usize>,
    /// Why a rename is refused, if it is.
    pub not_renamable: Option<String>,
}

/// Every named occurrence in one file.
#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Sorted by start offset.
    pub occurrences: Vec<Occurrence>,
    pub defs: Vec<Def>,
    pub symbols: Vec<VarSymbol>,
    /// The symbol of each def.
    pub def_symbol: Vec<usize>,
}

/// A rename that can't be done, with the reason shown to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenameError(pub String);

/// One replacement of a rename.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    pub range: TextRange,
    pub new_text: String,
}

impl Index {
    /// The occurrence under `offset` (the cursor may sit right after the name).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        let idx = self.occurrences.partition_point(|it| it.range.end < offset);
        self.occurrences[idx..].iter().take_while(|it| it.range.start <= offset).find(|it| it.range.touches(offset))
    }

    /// The symbol an occurrence belongs to: stages and heredocs are their own symbols, a variable
    /// occurrence belongs to its definition's symbol.
    fn same_symbol(&self, a: Target, b: Target) -> bool {
        match (a, b) {
            (Target::Var(x), Target::Var(y)) => self.def_symbol.get(x) == self.def_symbol.get(y),
            _ => a == b,
        }
    }

    /// Every occurrence of the symbol `target` belongs to, in source order.
    pub fn occurrences_of(&self, target: Target) -> impl Iterator<Item = &Occurrence> {
        self.occurrences.iter().filter(move |it| self.same_symbol(it.target, target))
    }
}

/// Builds the index of `analysis`'s file.
pub fn index(analysis: &Analysis, text: &str) -> Index {
    let mut builder = Builder::new(analysis, text);
    builder.collect();
    builder.finish()
}

/// The occurrences of the one instruction around `offset` (with every definition known), which
/// is all a definition request needs; symbols are not grouped.
fn index_around(analysis: &Analysis, text: &str, offset: usize) -> Index {
    let mut builder = Builder::new(analysis, text);
    builder.collect_defs();
    // Only the definitions' own occurrences near the cursor matter.
    builder.occurrences.retain(|it| it.range.touches(offset));
    if let Some((idx, instruction)) = super::instruction_at(&analysis.parse.file, offset) {
        let stage = analysis.semantics.stage_of(idx).map(|it| it.index);
        builder.instruction(idx, stage, instruction);
    }
    let mut occurrences = builder.occurrences;
    occurrences.sort_by_key(|it| (it.range.start, it.range.end));
    let def_symbol = (0..builder.defs.len()).collect();
    Index { occurrences, defs: builder.defs, symbols: Vec::new(), def_symbol }
}

/// Where the thing under `offset` is defined.
pub fn definition(analysis: &Analysis, text: &str, offset: usize) -> Vec<TextRange> {
    let index = index_around(analysis, text, offset);
    let Some(occurrence) = index.at(offset) else { return Vec::new() };
    match occurrence.target {
        Target::Stage(stage) => {
            let stage = analysis.semantics.stages.get(stage);
            match stage.and_then(|it| it.name.as_ref()) {
                Some(name) => vec![name.range],
                None => stage.map(|it| it.image.as_ref().map_or(it.range, |image| image.range)).into_iter().collect(),
            }
        }
        Target::Var(def_idx) => {
            let Some(def) = index.defs.get(def_idx) else { return Vec::new() };
            let global = |name: &str| {
                index.defs.iter().rfind(|it| it.stage.is_none() && it.kind == VarKind::Arg && it.name == name)
            };
            let is_stage_arg = def.stage.is_some() && def.kind == VarKind::Arg;
            if occurrence.role == Role::Definition {
                // On a stage's `ARG NAME`, the global ARG it re-imports is the interesting place.
                if is_stage_arg && let Some(global) = global(&def.name) {
                    return vec![global.name_range];
                }
                return vec![def.name_range];
            }
            let mut res = vec![def.name_range];
            if is_stage_arg && !def.has_value {
                res.extend(global(&def.name).map(|it| it.name_range));
            }
            res
        }
        Target::Heredoc { .. } => {
            let others: Vec<TextRange> = index
                .occurrences_of(occurrence.target)
                .filter(|it| it.range != occurrence.range)
                .map(|it| it.range)
                .collect();
            others.into_iter().take(1).collect()
        }
    }
}

/// Every occurrence of the symbol under `offset` with its role (for references and highlights).
pub fn references(analysis: &Analysis, text: &str, offset: usize) -> Vec<(TextRange, Role)> {
    let index = index(analysis, text);
    let Some(occurrence) = index.at(offset) else { return Vec::new() };
    index.occurrences_of(occurrence.target).map(|it| (it.range, it.role)).collect()
}

/// The range a rename at `offset` would replace, with the current name; an error explains why
/// the thing under the cursor can't be renamed. `Ok(None)` when there is nothing renamable there.
pub fn prepare_rename(
    analysis: &Analysis,
    text: &str,
    offset: usize,
) -> Result<Option<(TextRange, String)>, RenameError> {
    let index = index(analysis, text);
    let Some(occurrence) = index.at(offset) else { return Ok(None) };
    check_renamable(analysis, text, &index, occurrence)?;
    let name = text.get(occurrence.range.as_range()).unwrap_or_default().to_owned();
    Ok(Some((occurrence.range, name)))
}

/// The edits renaming the stage or variable under `offset` to `new_name`.
pub fn rename(analysis: &Analysis, text: &str, offset: usize, new_name: &str) -> Result<Vec<TextEdit>, RenameError> {
    let index = index(analysis, text);
    let Some(occurrence) = index.at(offset) else {
        return Err(RenameError("there is no stage or variable name here".to_owned()));
    };
    check_renamable(analysis, text, &index, occurrence)?;
    match occurrence.target {
        Target::Stage(stage) => {
            if !is_valid_stage_name(new_name) {
                return Err(RenameError(format!(
                    "`{new_name}` is not a valid stage name: use lower-case letters, digits, `-`, `_` and `.`, starting with a letter"
                )));
            }
            let taken = analysis.semantics.stages.iter().any(|other| {
                other.index != stage && other.name.as_ref().is_some_and(|it| it.value.eq_ignore_ascii_case(new_name))
            });
            if taken {
                return Err(RenameError(format!("another stage is already named `{new_name}`")));
            }
        }
        Target::Var(def) => {
            if !is_valid_variable_name(new_name) {
                return Err(RenameError(format!(
                    "`{new_name}` is not a valid variable name: use letters, digits and `_`, not starting with a digit"
                )));
            }
            let symbol = index.def_symbol.get(def).and_then(|it| index.symbols.get(*it));
            let stages: Vec<Option<usize>> = symbol
                .map(|it| it.defs.iter().filter_map(|d| index.defs.get(*d)).map(|d| d.stage).collect())
                .unwrap_or_default();
            let taken = index.defs.iter().any(|other| other.name == new_name && stages.contains(&other.stage));
            if taken || new_name_used_in(text, analysis, &stages, new_name) {
                return Err(RenameError(format!("`{new_name}` is already used where this variable is visible")));
            }
        }
        Target::Heredoc { .. } => return Err(RenameError("heredoc delimiters are not renamed".to_owned())),
    }
    let mut edits: Vec<TextEdit> = index
        .occurrences_of(occurrence.target)
        .filter(|it| it.rewritable)
        .map(|it| TextEdit { range: it.range, new_text: new_name.to_owned() })
        .collect();
    edits.dedup_by_key(|it| it.range);
    Ok(edits)
}

/// `[a-z][a-z0-9-_.]*`, the names BuildKit accepts after `AS`.
pub fn is_valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// `[A-Za-z_][A-Za-z0-9_]*`, names both Docker and the shell accept.
pub fn is_valid_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// True when a `$new_name` use already appears in one of `stages` (it would be captured).
fn new_name_used_in(text: &str, analysis: &Analysis, stages: &[Option<usize>], new_name: &str) -> bool {
    let file = &analysis.parse.file;
    let needle_plain = format!("${new_name}");
    let needle_braced = format!("${{{new_name}");
    file.instructions.iter().enumerate().any(|(idx, instruction)| {
        let stage = analysis.semantics.stage_of(idx).map(|it| it.index);
        let stage = if instruction.keyword == Keyword::From { None } else { stage };
        if !stages.contains(&stage) {
            return false;
        }
        let source = text.get(instruction.range.as_range()).unwrap_or_default();
        source.contains(&needle_braced)
            || source.match_indices(&needle_plain).any(|(at, _)| {
                !source[at + needle_plain.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
    })
}

fn check_renamable(analysis: &Analysis, text: &str, index: &Index, occurrence: &Occurrence) -> Result<(), RenameError> {
    match occurrence.target {
        Target::Stage(stage) => {
            let stage = analysis.semantics.stages.get(stage);
            let Some(name) = stage.and_then(|it| it.name.as_ref()) else {
                return Err(RenameError("this stage has no name; add `AS <name>` to its FROM line".to_owned()));
            };
            let by_index = |it: &Occurrence| {
                text.get(it.range.as_range()).is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            };
            if by_index(occurrence) {
                return Err(RenameError("a stage referred to by its index is not renamed".to_owned()));
            }
            if index.occurrences_of(occurrence.target).any(|it| !it.rewritable && !by_index(it)) {
                return Err(RenameError(format!(
                    "`{}` is also named in a way berth can't rewrite safely (through a variable or odd quoting)",
                    name.value
                )));
            }
            let same_name = analysis
                .semantics
                .stages
                .iter()
                .filter(|it| it.name.as_ref().is_some_and(|n| n.value.eq_ignore_ascii_case(&name.value)))
                .count();
            if same_name > 1 {
                return Err(RenameError(format!("more than one stage is named `{}`", name.value)));
            }
            Ok(())
        }
        Target::Var(def) => {
            let symbol = index.def_symbol.get(def).and_then(|it| index.symbols.get(*it));
            match symbol.and_then(|it| it.not_renamable.clone()) {
                Some(reason) => Err(RenameError(reason)),
                None => Ok(()),
            }
        }
        Target::Heredoc { .. } => Err(RenameError("heredoc delimiters are not renamed".to_owned())),
    }
}

/// Names a rename must not touch: BuildKit's own ARGs and variables other programs read by name.
fn reserved_reason(name: &str) -> Option<String> {
    if PREDEFINED_ARGS.contains(&name) {
        return Some(format!("`{name}` is predefined by BuildKit and can't be renamed"));
    }
    const WELL_KNOWN: &[&str] = &[
        "PATH",
        "HOME",
        "USER",
        "SHELL",
        "LANG",
        "LANGUAGE",
        "LC_ALL",
        "TZ",
        "TERM",
        "PWD",
        "HOSTNAME",
        "LD_LIBRARY_PATH",
        "VIRTUAL_ENV",
        "DEBIAN_FRONTEND",
        "SSL_CERT_FILE",
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONUNBUFFERED",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONFAULTHANDLER",
        "PYTHONHASHSEED",
        "PYTHONOPTIMIZE",
    ];
    if WELL_KNOWN.contains(&name) || name.starts_with("UV_") || name.starts_with("PIP_") {
        return Some(format!(
            "`{name}` is read by programs in the image under this name; renaming it changes the build"
        ));
    }
    None
}

/// A file in the build context named under `offset`: a COPY/ADD source, a bind mount's
/// `source=`, or the words `uv.lock`, `pyproject.toml` and `.python-version` anywhere in an
/// instruction. `is_file` says whether a path exists (the caller does the IO).
pub fn file_target(
    analysis: &Analysis,
    text: &str,
    context: &Path,
    offset: usize,
    is_file: &dyn Fn(&Path) -> bool,
) -> Option<(TextRange, PathBuf)> {
    let (_, instruction) = super::instruction_at(&analysis.parse.file, offset)?;
    let instruction = match &instruction.args {
        Args::Onbuild(inner) => inner.as_ref(),
        _ => instruction,
    };
    for (range, relative) in context_files(instruction) {
        if range.touches(offset)
            && let Some(path) = context_path(context, &relative)
            && is_file(&path)
        {
            return Some((range, path));
        }
    }
    // Files named in an instruction that copies from another image are that image's files.
    if instruction.flag("from").is_some() {
        return None;
    }
    let source = text.get(instruction.range.as_range())?;
    for name in PROJECT_FILES {
        for (at, _) in source.match_indices(name) {
            let range = TextRange::new(instruction.range.start + at, instruction.range.start + at + name.len());
            let bytes = source.as_bytes();
            let before_ok = at == 0 || !is_path_char(bytes[at - 1]) || bytes[at - 1] == b'/';
            let after = at + name.len();
            let after_ok = after >= bytes.len() || !is_path_char(bytes[after]);
            if range.touches(offset) && before_ok && after_ok {
                let path = context.join(name);
                if is_file(&path) {
                    return Some((range, path));
                }
            }
        }
    }
    None
}

const PROJECT_FILES: [&str; 3] = ["uv.lock", "pyproject.toml", ".python-version"];

fn is_path_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_' | b'-' | b'/')
}

/// Words of an instruction that name files in the build context, as written (relative).
pub fn context_files(instruction: &Instruction) -> Vec<(TextRange, String)> {
    let mut res = Vec::new();
    if matches!(instruction.keyword, Keyword::Copy | Keyword::Add) && instruction.flag("from").is_none() {
        let sources: Vec<(TextRange, &str)> = match &instruction.args {
            Args::Words(words) if words.len() >= 2 => {
                words[..words.len() - 1].iter().map(|word| (word.range, word.value.as_str())).collect()
            }
            Args::Exec(exec) if exec.elements.len() >= 2 => {
                exec.elements[..exec.elements.len() - 1].iter().map(|it| (it.range, it.value.as_str())).collect()
            }
            _ => Vec::new(),
        };
        for (range, value) in sources {
            if value.starts_with("<<") || value.contains("://") || value.contains('$') {
                continue;
            }
            res.push((range, value.to_owned()));
        }
    }
    for flag in instruction.flags.iter().filter(|it| it.name.value == "mount") {
        let options = flag.options();
        let get = |key: &str| options.iter().find(|it| it.key.value == key);
        let mount_type = get("type").and_then(|it| it.value.as_ref()).map_or("bind", |it| it.value.as_str());
        if mount_type != "bind" || get("from").is_some() {
            continue;
        }
        let source = get("source").or_else(|| get("src"));
        if let Some(value) = source.and_then(|it| it.value.as_ref())
            && !value.value.contains('$')
        {
            res.push((value.range, value.value.to_string()));
        }
    }
    res
}

/// `context/relative`, or `None` for paths that leave the context or use glob characters.
pub fn context_path(context: &Path, relative: &str) -> Option<PathBuf> {
    if relative.is_empty() || relative.contains(['*', '?', '[']) {
        return None;
    }
    let mut path = context.to_path_buf();
    for component in Path::new(relative.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir | Component::RootDir => {}
            Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    Some(path)
}

/// Stage lookup by name (case-insensitively) or index, answering like
/// [`Semantics::stage_by_reference`] without a scan over every stage per lookup.
pub(crate) struct StageNames {
    by_name: HashMap<String, usize>,
    count: usize,
}

impl StageNames {
    pub(crate) fn new(semantics: &Semantics) -> StageNames {
        let mut by_name = HashMap::with_capacity(semantics.stages.len());
        for stage in &semantics.stages {
            if let Some(name) = &stage.name {
                // The first stage of a name wins, as in `stage_by_reference`.
                by_name.entry(name.value.as_str().to_ascii_lowercase()).or_insert(stage.index);
            }
        }
        StageNames { by_name, count: semantics.stages.len() }
    }

    pub(crate) fn get(&self, reference: &str) -> Option<usize> {
        if let Ok(index) = reference.parse::<usize>() {
            return (index < self.count).then_some(index);
        }
        if reference.bytes().any(|it| it.is_ascii_uppercase()) {
            return self.by_name.get(&reference.to_ascii_lowercase()).copied();
        }
        self.by_name.get(reference).copied()
    }
}

/// How the variables of a piece of text get their values.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// Before the first FROM, or on a FROM line: global ARGs only.
    Global,
    /// While building `stage`: its ARG/ENV so far, then ENV of its parents.
    Build(usize),
    /// When the container runs (CMD, ENTRYPOINT, HEALTHCHECK): ENV of the stage and its parents.
    Runtime(usize),
}

struct Builder<'a> {
    analysis: &'a Analysis,
    text: &'a str,
    occurrences: Vec<Occurrence>,
    defs: Vec<Def>,
    /// For each def, the index of its first def in `defs` order, as a union-find forest.
    parent: Vec<usize>,
    /// Uses that resolve to no definition: `(scope stage, name)`; a symbol with a def in that
    /// scope must not be renamed.
    ambient: Vec<(Option<usize>, String)>,
    /// Scopes where the shell assigns a name: `(stage, name)`.
    shell_assigned: Vec<(usize, String)>,
    /// Where each stage's defs start in `defs` (global ARGs come first).
    first_def_of_stage: Vec<usize>,
    stage_names: StageNames,
}

impl<'a> Builder<'a> {
    fn new(analysis: &'a Analysis, text: &'a str) -> Builder<'a> {
        Builder {
            analysis,
            text,
            occurrences: Vec::new(),
            defs: Vec::new(),
            parent: Vec::new(),
            ambient: Vec::new(),
            shell_assigned: Vec::new(),
            first_def_of_stage: Vec::new(),
            stage_names: StageNames::new(&analysis.semantics),
        }
    }

    fn semantics(&self) -> &'a Semantics {
        &self.analysis.semantics
    }

    fn file(&self) -> &'a Dockerfile {
        &self.analysis.parse.file
    }

    fn collect(&mut self) {
        self.collect_defs();
        self.link_defs();
        let file = self.file();
        let semantics = self.semantics();
        let first_from = semantics.stages.first().map_or(file.instructions.len(), |it| it.from_instruction);
        for (idx, instruction) in file.instructions.iter().enumerate().take(first_from) {
            self.instruction(idx, None, instruction);
        }
        for stage in &semantics.stages {
            for idx in stage.instructions.clone() {
                if let Some(instruction) = file.instructions.get(idx) {
                    self.instruction(idx, Some(stage.index), instruction);
                }
            }
        }
        self.collect_shell_assignments();
    }

    fn collect_defs(&mut self) {
        let semantics = self.semantics();
        for def in &semantics.global_args {
            self.push_def(def, None);
        }
        for stage in semantics.stages.iter() {
            self.first_def_of_stage.push(self.defs.len());
            let mut defs: Vec<&crate::semantics::VarDef> = stage.args.iter().chain(&stage.env).collect();
            defs.sort_by_key(|it| (it.instruction, it.name_range.start));
            for def in defs {
                self.push_def(def, Some(stage.index));
            }
        }
    }

    fn push_def(&mut self, def: &crate::semantics::VarDef, stage: Option<usize>) {
        let idx = self.defs.len();
        self.defs.push(Def {
            name: def.name.to_string(),
            kind: def.kind,
            name_range: def.name_range,
            stage,
            instruction: def.instruction,
            has_value: def.value_range.is_some(),
        });
        self.parent.push(idx);
        self.occurrences.push(Occurrence {
            range: def.name_range,
            target: Target::Var(idx),
            role: Role::Definition,
            rewritable: self.text.get(def.name_range.as_range()) == Some(def.name.as_str()),
        });
    }

    fn find(&mut self, mut idx: usize) -> usize {
        while self.parent[idx] != idx {
            self.parent[idx] = self.parent[self.parent[idx]];
            idx = self.parent[idx];
        }
        idx
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            let (low, high) = if a < b { (a, b) } else { (b, a) };
            self.parent[high] = low;
        }
    }

    /// Joins the definitions a rename must change together (see the module docs).
    fn link_defs(&mut self) {
        let semantics = self.semantics();
        let n = self.defs.len();
        // Defs are grouped by stage in order, so one sorted pass per stage is enough; a map
        // from (stage, name) to the first def keeps this linear.
        let mut first: HashMap<(Option<usize>, &str), usize> = HashMap::new();
        let mut first_env: HashMap<(usize, &str), usize> = HashMap::new();
        let defs = std::mem::take(&mut self.defs);
        for (idx, def) in defs.iter().enumerate() {
            if let (Some(stage), VarKind::Env) = (def.stage, def.kind) {
                first_env.entry((stage, def.name.as_str())).or_insert(idx);
            }
            match first.get(&(def.stage, def.name.as_str())) {
                Some(&other) => self.union(other, idx),
                None => {
                    first.insert((def.stage, def.name.as_str()), idx);
                }
            }
        }
        for idx in 0..n {
            let def = &defs[idx];
            let Some(stage) = def.stage else { continue };
            if def.kind == VarKind::Arg
                && let Some(&global) = first.get(&(None, def.name.as_str()))
            {
                self.union(global, idx);
            }
            // Definitions in a stage built from another stage join the ENV they shadow.
            if let Some(Base::Stage(parent)) = semantics.stages.get(stage).map(|it| &it.base) {
                let mut current = Some(*parent);
                while let Some(p) = current {
                    let env = defs
                        .iter()
                        .position(|it| it.stage == Some(p) && it.kind == VarKind::Env && it.name == def.name);
                    if let Some(env) = env {
                        self.union(env, idx);
                        break;
                    }
                    current = match semantics.stages.get(p).map(|it| &it.base) {
                        Some(Base::Stage(grand)) if *grand < p => Some(*grand),
                        _ => None,
                    };
                }
            }
        }
        self.defs = defs;
    }

    fn instruction(&mut self, idx: usize, stage: Option<usize>, instruction: &'a Instruction) {
        match instruction.keyword {
            Keyword::From => {
                if let Some(stage) = stage {
                    self.from(idx, stage, instruction);
                }
                return;
            }
            // Triggers run in some other build, with that build's variables and stages.
            Keyword::Onbuild => return,
            _ => {}
        }
        let Some(stage) = stage else {
            // Global ARG defaults see earlier global ARGs.
            if let Args::KeyValues(pairs) = &instruction.args {
                for pair in pairs {
                    if let Some(value) = &pair.value {
                        self.docker_refs(value.range, idx, Scope::Global);
                    }
                }
            }
            return;
        };
        for flag in &instruction.flags {
            self.flag(idx, stage, instruction, flag);
        }
        let build = Scope::Build(stage);
        match &instruction.args {
            Args::Empty | Args::Onbuild(_) => {}
            Args::Words(words) => {
                for word in words {
                    self.docker_refs(word.range, idx, build);
                }
            }
            Args::Exec(exec) => {
                if matches!(instruction.keyword, Keyword::Copy | Keyword::Add) {
                    for element in &exec.elements {
                        self.docker_refs(element.range, idx, build);
                    }
                }
            }
            Args::KeyValues(pairs) => {
                for pair in pairs {
                    if instruction.keyword == Keyword::Label {
                        self.docker_refs(pair.key.range, idx, build);
                    }
                    if let Some(value) = &pair.value {
                        self.docker_refs(value.range, idx, build);
                    }
                }
            }
            Args::Shell(shell) => {
                let scope = match instruction.keyword {
                    Keyword::Run => build,
                    _ => Scope::Runtime(stage),
                };
                self.shell_refs(&shell.text, &|range| shell.map.range_to_source(range), idx, scope);
            }
            Args::Healthcheck(Healthcheck::Cmd { args, .. }) => {
                if let Args::Shell(shell) = args.as_ref() {
                    self.shell_refs(&shell.text, &|range| shell.map.range_to_source(range), idx, Scope::Runtime(stage));
                }
            }
            Args::Healthcheck(Healthcheck::None { .. }) => {}
        }
        self.heredocs(idx, stage, instruction);
    }

    fn from(&mut self, idx: usize, stage: usize, instruction: &Instruction) {
        let semantics = self.semantics();
        let Some(stage) = semantics.stages.get(stage) else { return };
        if let Some(name) = &stage.name {
            self.occurrences.push(Occurrence {
                range: name.range,
                target: Target::Stage(stage.index),
                role: Role::Definition,
                rewritable: self.text.get(name.range.as_range()) == Some(name.value.as_str()),
            });
        }
        for flag in &instruction.flags {
            if let Some(value) = &flag.value {
                self.docker_refs(value.range, idx, Scope::Global);
            }
        }
        let Args::Words(words) = &instruction.args else { return };
        let Some(image) = words.first() else { return };
        self.docker_refs(image.range, idx, Scope::Global);
        if let Base::Stage(parent) = stage.base {
            self.stage_reference(image.range, &image.value, parent);
        }
    }

    /// A stage named in `range` whose unquoted text is `value`.
    fn stage_reference(&mut self, range: TextRange, value: &str, stage: usize) {
        let source = self.text.get(range.as_range()).unwrap_or_default();
        let (range, rewritable) = if source == value {
            (range, !value.chars().all(|c| c.is_ascii_digit()))
        } else if source.len() == value.len() + 2 && source.get(1..source.len() - 1) == Some(value) {
            (TextRange::new(range.start + 1, range.end - 1), true)
        } else {
            (range, false)
        };
        self.occurrences.push(Occurrence { range, target: Target::Stage(stage), role: Role::Reference, rewritable });
    }

    fn flag(&mut self, idx: usize, stage: usize, instruction: &Instruction, flag: &Flag) {
        let Some(value) = &flag.value else { return };
        let build = Scope::Build(stage);
        match flag.name.value.as_str() {
            "from" if matches!(instruction.keyword, Keyword::Copy | Keyword::Add) => {
                self.docker_refs(value.range, idx, build);
                if let Some(target) = self.stage_names.get(&value.value) {
                    self.stage_reference(value.range, &value.value, target);
                }
            }
            "mount" => {
                for option in flag.options() {
                    let Some(option_value) = &option.value else { continue };
                    self.docker_refs(option_value.range, idx, build);
                    if option.key.value == "from"
                        && let Some(target) = self.stage_names.get(&option_value.value)
                    {
                        self.stage_reference(option_value.range, &option_value.value, target);
                    }
                }
            }
            _ => self.docker_refs(value.range, idx, build),
        }
    }

    fn heredocs(&mut self, idx: usize, stage: usize, instruction: &Instruction) {
        let semantics = self.semantics();
        for (pos, heredoc) in instruction.heredocs.iter().enumerate() {
            let target = Target::Heredoc { instruction: idx, heredoc: pos };
            self.occurrences.push(Occurrence {
                range: heredoc.name.range,
                target,
                role: Role::Definition,
                rewritable: true,
            });
            if let Some(terminator) = heredoc.terminator {
                let line = self.text.get(terminator.as_range()).unwrap_or_default();
                let indent = line.len() - line.trim_start_matches('\t').len();
                let start = terminator.start + indent;
                let range = TextRange::new(start, (start + heredoc.name.value.len()).min(terminator.end));
                self.occurrences.push(Occurrence { range, target, role: Role::Reference, rewritable: true });
            }
            let body = &heredoc.body;
            if !body.value.contains('$') {
                continue;
            }
            match instruction.keyword {
                Keyword::Run => {
                    // A script body is run by the shell; a data body is expanded by the shell
                    // only when its delimiter is unquoted.
                    let is_script = semantics.commands.iter().any(|site| {
                        site.instruction == idx
                            && site.origin == CommandOrigin::Run
                            && body.range.contains_range(site.command.range)
                    });
                    if is_script || !heredoc.quoted {
                        let base = body.range.start;
                        self.shell_refs(
                            &body.value,
                            &|range| TextRange::new(range.start + base, range.end + base),
                            idx,
                            Scope::Build(stage),
                        );
                    }
                }
                Keyword::Copy | Keyword::Add if !heredoc.quoted => {
                    self.docker_refs(body.range, idx, Scope::Build(stage));
                }
                _ => {}
            }
        }
    }

    /// Variable uses in a piece of source BuildKit expands itself.
    fn docker_refs(&mut self, range: TextRange, instruction: usize, scope: Scope) {
        let Some(source) = self.text.get(range.as_range()) else { return };
        if !expand::has_references(source) {
            return;
        }
        let escape = self.file().escape;
        for reference in expand::references(source, escape) {
            let name_range =
                TextRange::new(range.start + reference.name_range.start, range.start + reference.name_range.end);
            let spelled = self.text.get(name_range.as_range()) == Some(reference.name.as_str());
            self.reference(&reference.name, name_range, spelled, instruction, scope);
        }
    }

    /// Variable uses in shell text; `map` turns ranges in `text` into source ranges.
    fn shell_refs(&mut self, text: &str, map: &dyn Fn(TextRange) -> TextRange, instruction: usize, scope: Scope) {
        if !text.contains('$') {
            return;
        }
        for (name, range) in shell_variable_uses(text) {
            let source = map(range);
            let spelled = self.text.get(source.as_range()) == Some(name);
            self.reference(name, source, spelled, instruction, scope);
        }
    }

    fn reference(&mut self, name: &str, range: TextRange, rewritable: bool, instruction: usize, scope: Scope) {
        match self.resolve(name, instruction, scope) {
            Some(def) => {
                self.occurrences.push(Occurrence { range, target: Target::Var(def), role: Role::Reference, rewritable })
            }
            None => {
                let stage = match scope {
                    Scope::Global => None,
                    Scope::Build(stage) | Scope::Runtime(stage) => Some(stage),
                };
                self.ambient.push((stage, name.to_owned()));
            }
        }
    }

    /// The definition a use of `name` at `instruction` sees.
    fn resolve(&self, name: &str, instruction: usize, scope: Scope) -> Option<usize> {
        let semantics = self.semantics();
        let stage_defs = |stage: usize| -> &[Def] {
            let start = self.first_def_of_stage.get(stage).copied().unwrap_or(self.defs.len());
            let end = self.first_def_of_stage.get(stage + 1).copied().unwrap_or(self.defs.len());
            self.defs.get(start..end).unwrap_or(&[])
        };
        let offset_of = |stage: usize| self.first_def_of_stage.get(stage).copied().unwrap_or(0);
        let (start_stage, own_limit, own_args) = match scope {
            Scope::Global => {
                let global_end = self.first_def_of_stage.first().copied().unwrap_or(self.defs.len());
                return self.defs[..global_end]
                    .iter()
                    .rposition(|def| def.name == name && def.instruction < instruction);
            }
            Scope::Build(stage) => (stage, instruction, true),
            Scope::Runtime(stage) => (stage, usize::MAX, false),
        };
        let mut current = Some(start_stage);
        let mut limit = own_limit;
        let mut args = own_args;
        while let Some(stage) = current {
            let defs = stage_defs(stage);
            let found = defs
                .iter()
                .rposition(|def| def.name == name && def.instruction < limit && (args || def.kind == VarKind::Env));
            if let Some(pos) = found {
                return Some(offset_of(stage) + pos);
            }
            current = match semantics.stages.get(stage).map(|it| &it.base) {
                Some(Base::Stage(parent)) if *parent < stage => Some(*parent),
                _ => None,
            };
            limit = usize::MAX;
            args = false;
        }
        None
    }

    /// Scopes where a RUN/CMD shell assigns, exports or unsets a name.
    fn collect_shell_assignments(&mut self) {
        for site in &self.semantics().commands {
            let Some(stage) = site.stage else { continue };
            for assignment in &site.command.assignments {
                self.shell_assigned.push((stage, assignment.name.clone()));
            }
            let builtin = matches!(
                site.command.program_name(),
                Some("export" | "unset" | "readonly" | "declare" | "local" | "typeset" | "read")
            );
            if builtin {
                for word in site.command.args_after_program() {
                    let name = word.value.split('=').next().unwrap_or_default();
                    if is_valid_variable_name(name) {
                        self.shell_assigned.push((stage, name.to_owned()));
                    }
                }
            }
        }
    }

    fn finish(mut self) -> Index {
        let n = self.defs.len();
        let mut symbol_of_root: HashMap<usize, usize> = HashMap::new();
        let mut symbols: Vec<VarSymbol> = Vec::new();
        let mut def_symbol = Vec::with_capacity(n);
        for idx in 0..n {
            let root = self.find(idx);
            let symbol = *symbol_of_root.entry(root).or_insert_with(|| {
                symbols.push(VarSymbol { name: self.defs[idx].name.clone(), defs: Vec::new(), not_renamable: None });
                symbols.len() - 1
            });
            symbols[symbol].defs.push(idx);
            def_symbol.push(symbol);
        }
        for symbol in &mut symbols {
            let stages: Vec<Option<usize>> = symbol.defs.iter().map(|it| self.defs[*it].stage).collect();
            symbol.not_renamable = reserved_reason(&symbol.name).or_else(|| {
                if self.ambient.iter().any(|(stage, name)| *name == symbol.name && stages.contains(stage)) {
                    return Some(format!(
                        "`{}` is also used before it is defined, so it comes from the base image or the builder",
                        symbol.name
                    ));
                }
                if self
                    .shell_assigned
                    .iter()
                    .any(|(stage, name)| *name == symbol.name && stages.contains(&Some(*stage)))
                {
                    return Some(format!("a shell command also sets `{}`", symbol.name));
                }
                None
            });
        }
        let mut occurrences = std::mem::take(&mut self.occurrences);
        for occurrence in &occurrences {
            if let Target::Var(def) = occurrence.target
                && !occurrence.rewritable
                && let Some(symbol) = symbols.get_mut(def_symbol[def])
                && symbol.not_renamable.is_none()
            {
                symbol.not_renamable =
                    Some(format!("`{}` is written in a way berth can't rewrite safely", symbol.name));
            }
        }
        occurrences.sort_by_key(|it| (it.range.start, it.range.end));
        occurrences.dedup_by_key(|it| (it.range, it.target));
        Index { occurrences, defs: self.defs, symbols, def_symbol }
    }
}

/// `$NAME` and `${NAME…}` uses the shell expands in `text`: not in single quotes, `$'…'`,
/// after an escape or in comments. Positional and special parameters are left out.
pub fn shell_variable_uses(text: &str) -> Vec<(&str, TextRange)> {
    let bytes = text.as_bytes();
    let mut res = Vec::new();
    let mut in_double = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'\'' if !in_double => {
                i = memchr_from(bytes, i + 1, b'\'').map_or(bytes.len(), |it| it + 1);
            }
            b'"' => {
                in_double = !in_double;
                i += 1;
            }
            b'#' if !in_double
                && (i == 0 || matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(')) =>
            {
                i = memchr_from(bytes, i, b'\n').unwrap_or(bytes.len());
            }
            b'$' => {
                let mut start = i + 1;
                match bytes.get(start) {
                    Some(b'\'') if !in_double => {
                        // `$'…'`: ANSI-C quoting, backslash escapes inside.
                        let mut j = start + 1;
                        while j < bytes.len() && bytes[j] != b'\'' {
                            j += if bytes[j] == b'\\' { 2 } else { 1 };
                        }
                        i = j + 1;
                        continue;
                    }
                    Some(b'{') => {
                        start += 1;
                        if matches!(bytes.get(start), Some(b'#' | b'!'))
                            && bytes.get(start + 1).is_some_and(|it| it.is_ascii_alphabetic() || *it == b'_')
                        {
                            start += 1;
                        }
                    }
                    _ => {}
                }
                let end = start
                    + bytes[start.min(bytes.len())..]
                        .iter()
                        .take_while(|it| it.is_ascii_alphanumeric() || **it == b'_')
                        .count();
                let first_ok = bytes.get(start).is_some_and(|it| it.is_ascii_alphabetic() || *it == b'_');
                if first_ok && let Some(name) = text.get(start..end) {
                    res.push((name, TextRange::new(start, end)));
                }
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    res
}

fn memchr_from(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    bytes.get(from..)?.iter().position(|it| *it == needle).map(|it| it + from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::ProjectFacts;

    /// The text without its `$0` cursor marker, and the cursor offset.
    fn fixture(text: &str) -> (String, usize) {
        let offset = text.find("$0").expect("a $0 cursor");
        (text.replacen("$0", "", 1), offset)
    }

    fn analyze(text: &str) -> Analysis {
        crate::analysis::analyze(text, &ProjectFacts::default())
    }

    /// `(line, text)` of each reference, with `D` for definitions.
    fn refs(text: &str) -> Vec<String> {
        let (text, offset) = fixture(text);
        let analysis = analyze(&text);
        references(&analysis, &text, offset)
            .into_iter()
            .map(|(range, role)| {
                let line = text[..range.start].matches('\n').count();
                let mark = if role == Role::Definition { "D" } else { "R" };
                format!("{line}{mark}:{}", &text[range.as_range()])
            })
            .collect()
    }

    fn defs(text: &str) -> Vec<String> {
        let (text, offset) = fixture(text);
        let analysis = analyze(&text);
        definition(&analysis, &text, offset)
            .into_iter()
            .map(|range| format!("{}:{}", text[..range.start].matches('\n').count(), &text[range.as_range()]))
            .collect()
    }

    fn renamed(text: &str, new_name: &str) -> Result<String, RenameError> {
        let (text, offset) = fixture(text);
        let analysis = analyze(&text);
        let mut edits = rename(&analysis, &text, offset, new_name)?;
        edits.sort_by_key(|it| std::cmp::Reverse(it.range.start));
        let mut out = text.clone();
        for edit in edits {
            out.replace_range(edit.range.as_range(), &edit.new_text);
        }
        Ok(out)
    }

    #[test]
    fn stage_names_in_from_copy_and_mounts() {
        let text = "FROM python AS bui$0ld\nFROM build AS test\nCOPY --from=build /a /b\n\
                    RUN --mount=type=cache,from=build,target=/c true\nCOPY --from=0 /a /b\nCOPY --from=builder /a /b\n";
        assert_eq!(refs(text), ["0D:build", "1R:build", "2R:build", "3R:build", "4R:0"]);
        let text = "FROM python AS build\nCOPY --from=bu$0ild /a /b\n";
        assert_eq!(defs(text), ["0:build"]);
        let text =
            "FROM python AS build\nFROM build\nCOPY --from=build /a /b\nCOPY --from=0 /x /y\nRUN echo build $0\n";
        let (plain, _) = fixture(text);
        let cursor = text.find("AS build").unwrap() + 4;
        let with_cursor = format!("{}$0{}", &plain[..cursor], &plain[cursor..]);
        assert_eq!(
            renamed(&with_cursor, "base").unwrap(),
            "FROM python AS base\nFROM base\nCOPY --from=base /a /b\nCOPY --from=0 /x /y\nRUN echo build \n"
        );
    }

    #[test]
    fn stage_rename_validates_the_new_name() {
        let text = "FROM python AS bu$0ild\nFROM alpine AS test\nCOPY --from=build /a /b\n";
        assert!(renamed(text, "Build").is_err());
        assert!(renamed(text, "9x").is_err());
        assert!(renamed(text, "te st").is_err());
        assert!(renamed(text, "test").unwrap_err().0.contains("already"));
        assert!(renamed(text, "b-1_2.x").is_ok());
        let unnamed = "FROM python\nCOPY --from=$00 /a /b\n";
        assert!(renamed(unnamed, "x").is_err());
    }

    #[test]
    fn global_args_reach_from_lines_and_stages_that_import_them() {
        let text = "ARG P$0Y=3.12\nFROM python:${PY}-slim\nARG PY\nRUN echo $PY\nFROM python:$PY\nRUN echo $PY\n";
        // The last RUN's stage did not import PY, so its `$PY` is someone else's.
        assert_eq!(refs(text), ["0D:PY", "1R:PY", "2D:PY", "3R:PY", "4R:PY"]);
        let text = "ARG PY=3.12\nFROM python\nARG PY\nRUN echo ${P$0Y}\n";
        assert_eq!(defs(text), ["2:PY", "0:PY"]);
        let text = "ARG PY=3.12\nFROM python\nARG P$0Y\n";
        assert_eq!(defs(text), ["0:PY"]);
        let text = "ARG P$0Y=3.12\nFROM python:${PY}-slim\nARG PY\nRUN echo \"$PY\" ${PY:-x} '$PY' \\$PY $PYX\n";
        assert_eq!(
            renamed(text, "PYTHON").unwrap(),
            "ARG PYTHON=3.12\nFROM python:${PYTHON}-slim\nARG PYTHON\nRUN echo \"$PYTHON\" ${PYTHON:-x} '$PY' \\$PY $PYX\n"
        );
    }

    #[test]
    fn env_is_inherited_by_child_stages_but_arg_is_not() {
        let text =
            "FROM python AS base\nENV AP$0P=/app\nARG MODE=x\nFROM base\nRUN cd $APP && echo $MODE\nCMD echo $APP\n";
        assert_eq!(refs(text), ["1D:APP", "4R:APP", "5R:APP"]);
        let text = "FROM python AS base\nARG MO$0DE=x\nFROM base\nRUN echo $MODE\n";
        assert_eq!(refs(text), ["1D:MODE"]);
        // CMD runs in the container, where ARG values are gone.
        let text = "FROM python\nARG MO$0DE=x\nRUN echo $MODE\nCMD echo $MODE\n";
        assert_eq!(refs(text), ["1D:MODE", "2R:MODE"]);
    }

    #[test]
    fn uses_before_the_definition_are_not_references() {
        let text = "FROM python\nRUN echo $APP\nENV AP$0P=/app\nWORKDIR $APP\n";
        assert_eq!(refs(text), ["2D:APP", "3R:APP"]);
        // And they block a rename: the earlier use comes from the base image.
        assert!(renamed(text, "ROOT").is_err());
    }

    #[test]
    fn heredoc_bodies_and_markers() {
        let text = "FROM python\nENV NAME=x\nRUN <<E$0OF\necho $NAME\nEOF\nCOPY <<'DATA' /f\n$NAME\nDATA\n";
        assert_eq!(refs(text), ["2D:EOF", "4R:EOF"]);
        let text = "FROM python\nENV NAME=x\nRUN <<EOF\necho $NAME\nEOF\nCOPY <<'DATA' /f\n$NAME\nDATA\nRUN <<EOT\n\t$0\nEOT\n";
        let (plain, _) = fixture(text);
        let analysis = analyze(&plain);
        let at = plain.find("NAME=").unwrap();
        let found: Vec<usize> = references(&analysis, &plain, at).into_iter().map(|it| it.0.start).collect();
        assert_eq!(found, [at, plain.find("$NAME\nEOF").unwrap() + 1]);
        let text = "FROM python\nRUN <<EOF\ntrue\nE$0OF\n";
        assert_eq!(defs(text), ["1:EOF"]);
    }

    #[test]
    fn renames_are_refused_where_they_would_change_the_build() {
        assert!(renamed("FROM python\nARG TARGET$0ARCH\nRUN echo $TARGETARCH\n", "ARCH").is_err());
        assert!(renamed("FROM python\nENV UV_LINK$0_MODE=copy\n", "X").is_err());
        assert!(renamed("FROM python\nENV PA$0TH=/x:$PATH\n", "P").is_err());
        assert!(renamed("FROM python\nENV A$0PP=/app\nRUN APP=/other make\n", "ROOT").is_err());
        assert!(renamed("FROM python\nENV A$0PP=/app\nRUN export APP\n", "ROOT").is_err());
        // Invalid names and names already in use.
        assert!(renamed("FROM python\nENV A$0PP=/app\n", "1X").is_err());
        assert!(renamed("FROM python\nENV A$0PP=/app\nENV ROOT=/\n", "ROOT").is_err());
        assert!(renamed("FROM python\nENV A$0PP=/app\nRUN echo $ROOT\n", "ROOT").is_err());
        assert_eq!(
            renamed("FROM python\nENV A$0PP=/app\nENV APP=$APP/x\nRUN echo $APP\n", "ROOT").unwrap(),
            "FROM python\nENV ROOT=/app\nENV ROOT=$ROOT/x\nRUN echo $ROOT\n"
        );
    }

    #[test]
    fn shell_uses_skip_quotes_escapes_and_comments() {
        let uses: Vec<&str> = shell_variable_uses("echo $A \"$B\" '$C' \\$D ${E:-$F} $'$G' $1 $@ ${#H} # $I\n$J")
            .into_iter()
            .map(|it| it.0)
            .collect();
        assert_eq!(uses, ["A", "B", "E", "F", "H", "J"]);
    }

    #[test]
    fn files_in_the_build_context() {
        let text = "FROM python\nCOPY pyproject.toml uv.lock ./\nRUN --mount=type=bind,source=uv.lock,target=/x uv sync\nCOPY --from=python /uv.lock /y\n";
        let analysis = analyze(text);
        let exists = |path: &Path| path.starts_with("/ctx");
        let at = |needle: &str, nth: usize| text.match_indices(needle).nth(nth).unwrap().0 + 1;
        let target = |offset| file_target(&analysis, text, Path::new("/ctx"), offset, &exists).map(|it| it.1);
        assert_eq!(target(at("pyproject", 0)), Some(PathBuf::from("/ctx/pyproject.toml")));
        assert_eq!(target(at("uv.lock", 0)), Some(PathBuf::from("/ctx/uv.lock")));
        assert_eq!(target(at("uv.lock", 1)), Some(PathBuf::from("/ctx/uv.lock")));
        // A path in another image is not a context file.
        assert_eq!(target(at("uv.lock", 2)), None);
        assert_eq!(target(at("python", 1)), None);
        assert_eq!(context_path(Path::new("/ctx"), "../x"), None);
        assert_eq!(context_path(Path::new("/ctx"), "./src/*.py"), None);
        assert_eq!(context_path(Path::new("/ctx"), "/a/b"), Some(PathBuf::from("/ctx/a/b")));
    }

    /// Every feature at every offset of broken and unusual files: answers, never panics.
    #[test]
    fn no_panics_on_odd_input() {
        let inputs = [
            "\u{feff}FROM python AS a\r\nRUN echo $A \\\r\n  ${B:-${C}} \"$\"\r\nCOPY --from=a /x /y",
            "# escape=`\nFROM python AS é\nRUN echo `\n  $X\nONBUILD COPY --from=é <<EOF /f\n$Y\nEOF\n",
            "ARG\nFROM ${\nFROM $\nENV =1 A\nRUN <<EOF\nunterminated $Z",
            "FROM a AS a\nFROM a AS A\nCOPY --from=\"a\" --from= /x /y\nRUN --mount=from=a,source=\"uv.lock\" ${#A} ${!B} $'x' $",
            "FROM 🐍:${V:-é} AS b\nHEALTHCHECK CMD echo $HOME\nHEALTHCHECK NONE\nMAINTAINER x\nLABEL \"$K\"=v\nEXPOSE 80/tcp $P\n",
            "",
            "\n\n#\n",
        ];
        for text in inputs {
            let analysis = analyze(text);
            let line_index = crate::text::LineIndex::new(text);
            let _ = super::super::symbols::document_symbols(&analysis, text);
            let _ = super::super::symbols::folding_ranges(&analysis, text, &line_index);
            let tokens = super::super::tokens::semantic_tokens(&analysis, text);
            for encoding in [crate::text::PositionEncoding::Utf8, crate::text::PositionEncoding::Utf16] {
                let _ = super::super::tokens::encode(&tokens, text, &line_index, encoding, None);
            }
            let _ = super::super::hints::inlay_hints(&analysis, TextRange::new(0, text.len()));
            let _ = super::super::hints::document_links(&analysis, Some(Path::new("/ctx")), &|_| true);
            for offset in 0..=text.len() + 1 {
                let _ = definition(&analysis, text, offset);
                let _ = references(&analysis, text, offset);
                let _ = prepare_rename(&analysis, text, offset);
                let _ = rename(&analysis, text, offset, "new_name");
                let _ = rename(&analysis, text, offset, "new-name");
                let _ = file_target(&analysis, text, Path::new("/ctx"), offset, &|_| true);
                let _ = crate::ide::hover::hover(&analysis, text, &ProjectFacts::default(), offset);
            }
        }
    }
}
