//! Helpers shared by the BuildKit-check, hadolint-derived and security rules (DF1xx, DF2xx, SEC).

use crate::rules::RuleContext;
use crate::semantics::shell::{ShellCommand, ShellWord};
use crate::semantics::{Base, Semantics, Stage};
use crate::syntax::suggest::{closest_within, upper_case};
use crate::syntax::{Args, Instruction, Word};
use crate::text::TextRange;

/// The stages `stage` is built on, itself first, following `FROM <stage>` chains.
pub(crate) fn stage_chain(semantics: &Semantics, stage: usize) -> impl Iterator<Item = &Stage> {
    let mut current = Some(stage);
    std::iter::from_fn(move || {
        let idx = current?;
        let it = semantics.stages.get(idx)?;
        current = match it.base {
            Base::Stage(parent) if parent < idx => Some(parent),
            _ => None,
        };
        Some(it)
    })
}

/// What the first stage of the chain is built on (an image, scratch or unknown).
pub(crate) fn root_base(semantics: &Semantics, stage: usize) -> &Base {
    // The last stage of `stage_chain`, without collecting the chain.
    let root = crate::rules::support_python::root_stage(semantics, stage);
    match semantics.stages.get(root) {
        Some(root) => &root.base,
        None => &Base::Unknown,
    }
}

/// Whether `stage` ends up in the image that is built: the final stage and the stages it is
/// built on with `FROM <stage>`.
pub(crate) fn final_image_stages(semantics: &Semantics) -> Vec<bool> {
    let mut res = vec![false; semantics.stages.len()];
    if let Some(last) = semantics.final_stage() {
        for stage in stage_chain(semantics, last.index) {
            res[stage.index] = true;
        }
    }
    res
}

/// The source range of `word.raw[start..end]`: exact when the word sits on one line, otherwise
/// the whole word.
pub(crate) fn word_subrange(word: &Word, start: usize, end: usize) -> TextRange {
    if word.range.len() == word.raw.len() && start <= end && end <= word.raw.len() {
        return TextRange::new(word.range.start + start, word.range.start + end);
    }
    word.range
}

/// The words of an instruction written in word form (FROM, COPY, EXPOSE, ...).
pub(crate) fn words(instruction: &Instruction) -> &[Word] {
    match &instruction.args {
        Args::Words(words) => words,
        _ => &[],
    }
}

/// The keyword as written in the file.
pub(crate) fn keyword_text<'a>(ctx: &RuleContext<'a>, instruction: &Instruction) -> &'a str {
    ctx.text.get(instruction.keyword_range.as_range()).unwrap_or("")
}

/// The range to delete to remove an instruction together with its line break.
pub(crate) fn instruction_removal(text: &str, instruction: &Instruction) -> TextRange {
    let start = text.get(..instruction.range.start).and_then(|it| it.rfind('\n')).map_or(0, |it| it + 1);
    let end = match text.get(instruction.range.end..).and_then(|it| it.find('\n')) {
        Some(offset) => instruction.range.end + offset + 1,
        None => text.len(),
    };
    TextRange::new(start, end.max(start))
}

/// The candidate closest to `name` (ASCII case ignored) when it is close enough to be a likely
/// typo: about one edit per three characters, a swap of neighbours counting as one. Names longer
/// than 64 characters are not compared.
pub(crate) fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    const LONGEST: usize = 64;
    let name_upper = upper_case(name);
    if name_upper.len() > LONGEST {
        return None;
    }
    let limit = (name_upper.len() / 3).max(1);
    closest_within(&name_upper, candidates.into_iter().filter(|it| *it != name), limit, LONGEST)
}

/// A package-manager command: the index of its subcommand word (`install`) and the words after it.
pub(crate) struct Subcommand<'a> {
    pub(crate) word: &'a ShellWord,
    pub(crate) args: &'a [ShellWord],
}

/// `apt-get install ...` (also `apt install`), behind wrappers such as `sudo`.
pub(crate) fn apt_get_install(command: &ShellCommand) -> Option<Subcommand<'_>> {
    if !matches!(command.program_name()?, "apt-get" | "apt") {
        return None;
    }
    subcommand(command.args_after_program(), "install")
}

/// `pip install`, `pip3 install`, `pip3.12 install` or `python -m pip install`; never
/// `uv pip install`, whose behaviour differs.
pub(crate) fn pip_install(command: &ShellCommand) -> Option<Subcommand<'_>> {
    let name = command.program_name()?;
    let args = command.args_after_program();
    if is_pip_name(name) {
        return subcommand(args, "install");
    }
    if is_python_name(name) {
        let mut idx = 0;
        while let Some(word) = args.get(idx) {
            if word.value == "-m" {
                let module = args.get(idx + 1)?;
                if module.value != "pip" {
                    return None;
                }
                return subcommand(args.get(idx + 2..)?, "install");
            }
            if !word.value.starts_with('-') {
                return None;
            }
            idx += 1;
        }
    }
    None
}

/// Any pip invocation (`pip ...`, `python -m pip ...`): the words after the program.
pub(crate) fn pip_args(command: &ShellCommand) -> Option<&[ShellWord]> {
    let name = command.program_name()?;
    let args = command.args_after_program();
    if is_pip_name(name) {
        return Some(args);
    }
    if is_python_name(name) {
        let idx = args.iter().position(|it| it.value == "-m")?;
        if args.get(idx + 1)?.value == "pip" {
            return args.get(idx + 2..);
        }
    }
    None
}

fn subcommand<'a>(args: &'a [ShellWord], name: &str) -> Option<Subcommand<'a>> {
    let idx = args.iter().position(|it| !it.value.starts_with('-'))?;
    let word = &args[idx];
    (word.value == name).then(|| Subcommand { word, args: &args[idx + 1..] })
}

pub(crate) fn is_pip_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("pip") else { return false };
    rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}

pub(crate) fn is_python_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("python") else { return false };
    rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// True when a `RUN` instruction has a cache mount whose target starts with one of `prefixes`.
pub(crate) fn has_cache_mount(instruction: &Instruction, prefixes: &[&str]) -> bool {
    instruction.flags.iter().filter(|flag| flag.name.value == "mount").any(|flag| {
        let options = flag.options();
        let is_cache = options.iter().any(|it| {
            it.key.value.eq_ignore_ascii_case("type") && it.value.as_ref().is_some_and(|v| v.value == "cache")
        });
        let target = options.iter().find(|it| matches!(it.key.value.as_str(), "target" | "dst" | "destination"));
        let target = target.and_then(|it| it.value.as_ref()).map(|it| it.value.trim_end_matches('/'));
        is_cache && target.is_some_and(|target| prefixes.iter().any(|prefix| target.starts_with(prefix)))
    })
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn closest_names_for_typos() {
        let names = ["APP_HOME", "PYTHON_VERSION", "NAME"];
        // A swap of neighbours is one edit: within the limit of a four-letter name.
        assert_eq!(closest("NMAE", names), Some("NAME"));
        assert_eq!(closest("python_versoin", names), Some("PYTHON_VERSION"));
        assert_eq!(closest("APP_HOMES", names), Some("APP_HOME"));
        // The name itself is not a suggestion, and far names are none.
        assert_eq!(closest("NAME", names), None);
        assert_eq!(closest("UNRELATED", names), None);
        assert_eq!(closest(&"X".repeat(65), [&*"X".repeat(64)]), None);
    }
}
