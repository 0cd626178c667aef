//! Every place a Dockerfile sets a `UV_*` variable (ENV, ARG, `NAME=value` before a command),
//! collected once for the variable rules.

use std::borrow::Cow;

use crate::diagnostic::{Applicability, Edit, Fix};
use crate::knowledge::UvEnvVar;
use crate::rules::RuleContext;
use crate::semantics::VarKind;
use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SettingKind {
    Env,
    Arg,
    /// `UV_X=1 uv sync` inside a RUN.
    Prefix,
}

/// One assignment of a `UV_*` variable (borrowed from the analysis where it can be).
#[derive(Clone, Debug)]
pub(crate) struct Setting<'a> {
    pub(crate) name: Cow<'a, str>,
    pub(crate) name_range: TextRange,
    /// The value as Docker or the shell would see it; `None` for `ARG NAME` without a default.
    pub(crate) value: Option<Cow<'a, str>>,
    pub(crate) value_range: Option<TextRange>,
    /// The value as written uses a variable, so the value above is a guess.
    pub(crate) dynamic: bool,
    pub(crate) kind: SettingKind,
    pub(crate) stage: Option<usize>,
    /// uv's reference entry for the variable, looked up once for every rule.
    pub(crate) known: Option<&'static UvEnvVar>,
}

impl Setting<'_> {
    /// A value written literally, as uv will read it.
    pub(crate) fn literal(&self) -> Option<&str> {
        if self.dynamic { None } else { self.value.as_deref() }
    }
}

/// Every `UV_*` assignment, in source order per kind.
pub(crate) fn uv_settings<'c, 'a>(ctx: &'c RuleContext<'a>) -> &'c [Setting<'a>] {
    ctx.uv_settings()
}

pub(crate) fn build_uv_settings<'a>(ctx: &RuleContext<'a>) -> Vec<Setting<'a>> {
    uv_settings_where(ctx, |_| true)
}

/// The `UV_*` assignments whose reference entry (`None` for a name uv does not read) `wanted`
/// accepts; the others are skipped before anything is copied.
pub(crate) fn uv_settings_where<'a>(
    ctx: &RuleContext<'a>,
    wanted: impl Fn(Option<&'static UvEnvVar>) -> bool,
) -> Vec<Setting<'a>> {
    let semantics: &'a crate::semantics::Semantics = ctx.semantics;
    // Files set the same few variables over and over; each lookup scans uv's whole list.
    let mut known: Vec<(String, Option<&'static UvEnvVar>)> = Vec::new();
    let mut lookup = |name: &str| -> Option<&'static UvEnvVar> {
        if let Some((_, var)) = known.iter().find(|(it, _)| *it == name) {
            return *var;
        }
        let var = crate::knowledge::uv_env(name);
        known.push((name.to_owned(), var));
        var
    };
    // Before the first FROM, then the walked stages: each setting is reported where it is made.
    let defs =
        semantics.global_args.iter().map(|def| (None, def)).chain(
            ctx.stages().flat_map(|stage| stage.args.iter().chain(&stage.env).map(|def| (Some(stage.index), def))),
        );
    let mut res = Vec::new();
    for (stage, def) in defs {
        if !def.name.starts_with("UV_") {
            continue;
        }
        let known = lookup(&def.name);
        if !wanted(known) {
            continue;
        }
        let raw = def.value_range.and_then(|range| ctx.text.get(range.as_range())).unwrap_or("");
        res.push(Setting {
            name: Cow::Borrowed(&def.name),
            name_range: def.name_range,
            value: def.value.as_deref().map(Cow::Borrowed),
            value_range: def.value_range,
            dynamic: raw.contains('$'),
            kind: if def.kind == VarKind::Env { SettingKind::Env } else { SettingKind::Arg },
            stage,
            known,
        });
    }
    for (_, site) in ctx.commands() {
        // Most commands assign nothing and have no word before their program: nothing to read.
        let program_index = site.command.program_index().unwrap_or(0);
        if site.command.assignments.is_empty() && program_index == 0 {
            continue;
        }
        // What `env_assignments()` lists, in its order, without copying every assignment: a
        // wrapper's word names a `UV_*` variable only when it starts with `UV_`.
        let leading = site.command.assignments.iter().map(|it| {
            (
                Cow::Borrowed(it.name.as_str()),
                Cow::Borrowed(it.value.as_str()),
                it.name_range,
                it.value_range,
                it.value_has_expansion,
            )
        });
        // Only the words before the program can be a wrapper's (what `wrapper_assignments`
        // reads), and most commands have none: the program's position is remembered.
        let before_program = site.command.words.get(..program_index).unwrap_or_default();
        let wrapped = before_program.iter().any(|word| word.raw().starts_with("UV_"));
        let wrapped = wrapped.then(|| ctx.wrapper_assignments(&site.command)).into_iter().flatten().map(|it| {
            (Cow::Owned(it.name), Cow::Owned(it.value), it.name_range, it.value_range, it.value_has_expansion)
        });
        for (name, value, name_range, value_range, value_has_expansion) in leading.chain(wrapped) {
            if !name.starts_with("UV_") {
                continue;
            }
            let known = lookup(&name);
            if !wanted(known) {
                continue;
            }
            res.push(Setting {
                name,
                name_range,
                value: Some(value),
                value_range: Some(value_range),
                dynamic: value_has_expansion,
                kind: SettingKind::Prefix,
                stage: site.stage,
                known,
            });
        }
    }
    res
}

/// Whether the file reads the variable itself (`$NAME`, `${NAME}`), which marks it as the
/// author's own variable rather than a setting for uv.
pub(crate) fn is_referenced(text: &str, name: &str) -> bool {
    text.contains(&format!("${name}")) || text.contains(&format!("${{{name}"))
}

/// Replaces a range with new text.
pub(crate) fn replace_fix(title: String, range: TextRange, new_text: &str, applicability: Applicability) -> Fix {
    Fix { title, applicability, edits: vec![Edit { path: None, range, new_text: new_text.to_owned() }] }
}
