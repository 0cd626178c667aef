//! Markdown renderings of knowledge entries for hovers: a bold title line, the one-line summary,
//! a compact facts line, then short paragraphs. Kept scannable: tables only for value lists.

use std::fmt::Write;

use super::{
    ArgGroup, BOOL_FALSE, BOOL_TRUE, Directive, EnumValue, InstructionDoc, InstructionFlag, LockModes, MountOption,
    MountType, PredefinedArg, PythonImageDoc, UvCommand, UvEnvVar, UvFlag, UvImageDoc, ValueKind,
};

/// Joins the non-empty facts with a middle dot, e.g. `Default: off · Flag: --frozen`.
fn facts_line(facts: &[Option<String>]) -> Option<String> {
    let present: Vec<&str> = facts.iter().flatten().map(String::as_str).collect();
    if present.is_empty() { None } else { Some(present.join(" · ")) }
}

fn code_list(items: &[String]) -> String {
    items.iter().map(|it| format!("`{it}`")).collect::<Vec<_>>().join(", ")
}

fn values_table(acc: &mut String, values: &[EnumValue]) {
    if values.is_empty() {
        return;
    }
    acc.push_str("| Value | Meaning |\n|---|---|\n");
    for it in values {
        let mut cell = format!("`{}`", it.value);
        if !it.aliases.is_empty() {
            let _ = write!(cell, " (also {})", code_list(&it.aliases));
        }
        let _ = writeln!(acc, "| {cell} | {} |", it.meaning);
    }
    acc.push('\n');
}

/// Appends a paragraph followed by a blank line.
fn paragraph(acc: &mut String, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    acc.push_str(text);
    acc.push_str("\n\n");
}

fn finish(mut acc: String) -> String {
    let len = acc.trim_end().len();
    acc.truncate(len);
    acc.push('\n');
    acc
}

pub(super) fn env_var(var: &UvEnvVar) -> String {
    let mut acc = String::new();
    let _ = writeln!(acc, "**`{}`** — {}\n", var.name, var.summary);
    if let Some(replacement) = &var.deprecated {
        let _ = writeln!(acc, "**Deprecated:** use `{replacement}` instead.\n");
    }
    if var.hidden {
        acc.push_str("_Undocumented: uv reads it, but it is not in uv's reference._\n\n");
    }
    if var.secret {
        acc.push_str("**Credential:** keep it out of `ENV` and `ARG`.\n\n");
    }
    if var.insecure {
        acc.push_str("**Weakens security checks.**\n\n");
    }
    values_table(&mut acc, &var.values);

    let kind = match var.kind {
        ValueKind::Enum => None,
        ValueKind::Bool => {
            Some(format!("Type: boolean (`{}` / `{}`)", BOOL_TRUE.join("`, `"), BOOL_FALSE.join("`, `")))
        }
        other => Some(format!("Type: {}", other.label())),
    };
    let facts = [
        kind,
        var.default.as_ref().map(|it| format!("Default: {it}")),
        var.flag.as_ref().map(|flag| match &var.flag_command {
            Some(command) => format!("Flag: `uv {command} {flag}`"),
            None => format!("Flag: `{flag}`"),
        }),
        var.setting.as_ref().map(|it| format!("Setting: `{it}`")),
        var.since.as_ref().map(|it| format!("Since: uv {it}")),
    ];
    if let Some(line) = facts_line(&facts) {
        paragraph(&mut acc, &line);
    }
    paragraph(&mut acc, &var.description);
    paragraph(&mut acc, &format!("**In a Dockerfile:** {}", var.docker.trim()));
    finish(acc)
}

pub(super) fn uv_flag(flag: &UvFlag, command: Option<&str>) -> String {
    let mut acc = String::new();
    let mut title = match command {
        Some(path) => format!("uv {path} {}", flag.name),
        None => flag.name.clone(),
    };
    if let Some(value) = &flag.value {
        let _ = write!(title, " <{value}>");
    }
    let _ = write!(acc, "**`{title}`**");
    if let Some(short) = &flag.short {
        let _ = write!(acc, " (`{short}`)");
    }
    let _ = writeln!(acc, " — {}\n", flag.summary);
    if let Some(replacement) = &flag.deprecated {
        let _ = writeln!(acc, "**Deprecated:** use `{replacement}` instead.\n");
    }
    values_table(&mut acc, &flag.values);
    let facts = [
        (!flag.aliases.is_empty()).then(|| format!("Also: {}", code_list(&flag.aliases))),
        flag.env.as_ref().map(|it| format!("Env: `{it}`")),
        (!flag.conflicts.is_empty()).then(|| format!("Conflicts with: {}", code_list(&flag.conflicts))),
        flag.since.as_ref().map(|it| format!("Since: uv {it}")),
    ];
    if let Some(line) = facts_line(&facts) {
        paragraph(&mut acc, &line);
    }
    paragraph(&mut acc, &flag.description);
    if let Some(docker) = &flag.docker {
        paragraph(&mut acc, &format!("**In a Dockerfile:** {}", docker.trim()));
    }
    if flag.show_lock_modes {
        lock_modes_table(&mut acc, super::lock_modes());
    }
    finish(acc)
}

fn lock_modes_table(acc: &mut String, modes: &LockModes) {
    if modes.rows.is_empty() {
        return;
    }
    acc.push_str("| | no flag | `--locked` | `--frozen` |\n|---|---|---|---|\n");
    for row in &modes.rows {
        let _ = writeln!(acc, "| {} | {} | {} | {} |", row.situation, row.neither, row.locked, row.frozen);
    }
    acc.push('\n');
}

pub(super) fn lock_modes(modes: &LockModes) -> String {
    let mut acc = String::new();
    acc.push_str("**Lockfile modes: no flag, `--locked`, `--frozen`**\n\n");
    paragraph(&mut acc, &modes.summary);
    lock_modes_table(&mut acc, modes);
    for it in &modes.choose {
        let _ = writeln!(acc, "- {it}");
    }
    finish(acc)
}

pub(super) fn uv_command(command: &UvCommand) -> String {
    let mut acc = String::new();
    let _ = writeln!(acc, "**`uv {}`** — {}\n", command.path, command.summary);
    let _ = writeln!(acc, "```sh\n{}\n```\n", command.usage);
    if !command.aliases.is_empty() {
        paragraph(&mut acc, &format!("Also invoked as {}.", code_list(&command.aliases)));
    }
    paragraph(&mut acc, &command.description);
    if let Some(docker) = &command.docker {
        paragraph(&mut acc, &format!("**In a Dockerfile:** {}", docker.trim()));
    }
    finish(acc)
}

pub(super) fn instruction(doc: &InstructionDoc) -> String {
    let mut acc = String::new();
    let _ = writeln!(acc, "**`{}`** — {}\n", doc.name, doc.summary);
    if let Some(replacement) = &doc.deprecated {
        let _ = writeln!(acc, "**Deprecated:** use `{replacement}` instead.\n");
    }
    if !doc.syntax.is_empty() {
        let _ = writeln!(acc, "```dockerfile\n{}\n```\n", doc.syntax.join("\n"));
    }
    paragraph(&mut acc, &doc.description);
    if !doc.flags.is_empty() {
        let names: Vec<String> = doc.flags.iter().map(|it| it.name.clone()).collect();
        paragraph(&mut acc, &format!("Flags: {}", code_list(&names)));
    }
    if let Some(python) = &doc.python {
        paragraph(&mut acc, &format!("**Python / uv:** {}", python.trim()));
    }
    finish(acc)
}

pub(super) fn instruction_flag(flag: &InstructionFlag, instruction: Option<&str>) -> String {
    let mut acc = String::new();
    let name = match instruction {
        Some(instruction) => format!("{instruction} {}", flag.name),
        None => flag.name.clone(),
    };
    // Switch-like flags document their value as `[=<bool>]`; everything else takes `=value`.
    let title =
        if flag.value.starts_with('[') { format!("{name}{}", flag.value) } else { format!("{name}={}", flag.value) };
    let _ = writeln!(acc, "**`{title}`** — {}\n", flag.summary);
    values_table(&mut acc, &flag.values);
    let facts = [
        flag.default.as_ref().map(|it| format!("Default: {it}")),
        flag.since.as_ref().map(|it| format!("Dockerfile syntax ≥ {it}")),
    ];
    if let Some(line) = facts_line(&facts) {
        paragraph(&mut acc, &line);
    }
    paragraph(&mut acc, &flag.description);
    if let Some(python) = &flag.python {
        paragraph(&mut acc, &format!("**Python / uv:** {}", python.trim()));
    }
    finish(acc)
}

pub(super) fn mount_type(doc: &MountType) -> String {
    let mut acc = String::new();
    let _ = writeln!(acc, "**`RUN --mount=type={}`** — {}\n", doc.name, doc.summary);
    paragraph(&mut acc, &doc.description);
    if !doc.options.is_empty() {
        acc.push_str("| Option | Default | Meaning |\n|---|---|---|\n");
        for it in &doc.options {
            let mut names = format!("`{}`", it.name);
            for alias in &it.aliases {
                let _ = write!(names, ", `{alias}`");
            }
            let default = match (&it.default, it.required) {
                (_, true) => "required",
                (Some(default), false) => default.as_str(),
                (None, false) => "",
            };
            let _ = writeln!(acc, "| {names} | {default} | {} |", it.summary);
        }
        acc.push('\n');
    }
    if let Some(python) = &doc.python {
        paragraph(&mut acc, &format!("**Python / uv:** {}", python.trim()));
    }
    finish(acc)
}

pub(super) fn mount_option(option: &MountOption, mount_type: Option<&str>) -> String {
    let mut acc = String::new();
    let title = match mount_type {
        Some(kind) => format!("--mount=type={kind},{}={}", option.name, option.value),
        None => format!("{}={}", option.name, option.value),
    };
    let _ = writeln!(acc, "**`{title}`** — {}\n", option.summary);
    values_table(&mut acc, &option.values);
    let facts = [
        (!option.aliases.is_empty()).then(|| format!("Also: {}", code_list(&option.aliases))),
        option.required.then(|| "Required".to_owned()),
        option.default.as_ref().map(|it| format!("Default: {it}")),
        option.since.as_ref().map(|it| format!("Dockerfile syntax ≥ {it}")),
    ];
    if let Some(line) = facts_line(&facts) {
        paragraph(&mut acc, &line);
    }
    paragraph(&mut acc, &option.description);
    if let Some(python) = &option.python {
        paragraph(&mut acc, &format!("**Python / uv:** {}", python.trim()));
    }
    finish(acc)
}

pub(super) fn directive(doc: &Directive) -> String {
    let mut acc = String::new();
    let _ = writeln!(acc, "**`# {}`** — parser directive: {}\n", doc.name, doc.summary);
    let _ = writeln!(acc, "```dockerfile\n{}\n```\n", doc.syntax);
    if let Some(since) = &doc.since {
        paragraph(&mut acc, &format!("Dockerfile syntax ≥ {since}"));
    }
    paragraph(&mut acc, &doc.description);
    if let Some(python) = &doc.python {
        paragraph(&mut acc, &format!("**Python / uv:** {}", python.trim()));
    }
    finish(acc)
}

pub(super) fn predefined_arg(arg: &PredefinedArg) -> String {
    let mut acc = String::new();
    let _ = writeln!(acc, "**`{}`** — predefined build argument\n", arg.name);
    paragraph(&mut acc, &arg.summary);
    let platform_note =
        format!("Set automatically in the global scope; write `ARG {}` inside a stage to use it there.", arg.name);
    let note = match arg.group {
        ArgGroup::Platform => platform_note.as_str(),
        ArgGroup::Proxy => "Available without an `ARG` instruction and left out of `docker history` unless declared.",
        ArgGroup::Buildkit => "A BuildKit switch, usually passed with `--build-arg`.",
    };
    paragraph(&mut acc, note);
    finish(acc)
}

pub(super) fn python_image(doc: &PythonImageDoc) -> String {
    let mut acc = String::new();
    let _ = writeln!(acc, "**`python`** — {}\n", doc.summary);
    paragraph(&mut acc, &format!("Tags: `{}`", doc.tag_grammar));
    for it in &doc.variants {
        let name = if it.name.is_empty() { "(no variant)" } else { it.name.as_str() };
        let _ = writeln!(acc, "- `{name}`: {}", it.summary);
    }
    acc.push('\n');
    paragraph(&mut acc, &doc.description);
    paragraph(&mut acc, &doc.slim_move);
    paragraph(&mut acc, &format!("**uv:** {}", doc.uv.trim()));
    finish(acc)
}

pub(super) fn uv_image(doc: &UvImageDoc) -> String {
    let mut acc = String::new();
    let _ = writeln!(acc, "**`ghcr.io/astral-sh/uv`** — {}\n", doc.summary);
    paragraph(&mut acc, &doc.description);
    paragraph(&mut acc, &format!("**Distroless:** {}", doc.distroless.trim()));
    paragraph(&mut acc, &format!("**Derived:** {}", doc.derived.trim()));
    finish(acc)
}
