//! `berth rules`, `berth explain` and the generated rules reference (docs/rules.md), all from
//! the rules' doc comments.

use std::fmt::Write as _;
use std::io::Write;

use crate::rules::{FixAvailability, Rule};

use super::Format;

#[derive(clap::Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A rule code (`UV001`), name (`unlocked-uv-sync`), or the hadolint code or BuildKit check
    /// name a rule corresponds to.
    pub rule: String,
}

fn fix_label(fix: FixAvailability) -> &'static str {
    match fix {
        FixAvailability::None => "no",
        FixAvailability::Sometimes => "sometimes",
        FixAvailability::Always => "yes",
    }
}

/// The table `berth rules` prints: code, name, severity, fix, correspondences, summary.
pub fn rules_table() -> String {
    let header = ["Code", "Name", "Severity", "Fix", "hadolint", "BuildKit", "Summary"];
    let rows: Vec<[String; 7]> = crate::rules::all()
        .map(|rule| {
            [
                rule.code.to_owned(),
                rule.name.to_owned(),
                rule.default_severity.as_str().to_owned(),
                fix_label(rule.fix).to_owned(),
                hadolint_list(rule, "-"),
                rule.buildkit.unwrap_or("-").to_owned(),
                rule.summary(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (idx, cell) in cells.iter().enumerate() {
            if idx + 1 == cells.len() {
                text.push_str(cell);
            } else {
                let _ = write!(text, "{cell:<width$}  ", width = widths[idx]);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        let cells: Vec<&str> = row.iter().map(String::as_str).collect();
        line(&cells);
    }
    out
}

/// What `berth rules --format json` prints for one rule.
pub fn rule_json(rule: &Rule) -> serde_json::Value {
    serde_json::json!({
        "code": rule.code,
        "name": rule.name,
        "severity": rule.default_severity.as_str(),
        "fix": match rule.fix {
            FixAvailability::None => "none",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Always => "always",
        },
        "hadolint": rule.hadolint_codes().collect::<Vec<_>>(),
        "buildkit": rule.buildkit,
        "summary": rule.summary(),
        "url": crate::rules::doc_url(rule.code),
    })
}

/// Runs `berth rules`; returns the exit code.
pub fn run_rules(args: &RulesArgs) -> i32 {
    let text = match args.format {
        Format::Human => rules_table(),
        Format::Json => {
            let items: Vec<serde_json::Value> = crate::rules::all().map(rule_json).collect();
            match serde_json::to_string_pretty(&items) {
                Ok(json) => json + "\n",
                Err(err) => {
                    eprintln!("berth: {err}");
                    return 2;
                }
            }
        }
    };
    write_stdout(&text)
}

/// A rule by code or name, else by the hadolint code or BuildKit check it corresponds to.
pub fn lookup(query: &str) -> Option<&'static Rule> {
    let query = query.trim();
    crate::rules::find(query).or_else(|| {
        crate::rules::all().find(|rule| {
            rule.hadolint_codes().any(|it| it.eq_ignore_ascii_case(query))
                || rule.buildkit.is_some_and(|it| it.eq_ignore_ascii_case(query))
        })
    })
}

/// The hadolint codes a rule corresponds to, comma-separated, or `none` when there are none.
fn hadolint_list(rule: &Rule, none: &str) -> String {
    let codes: Vec<&str> = rule.hadolint_codes().collect();
    if codes.is_empty() { none.to_owned() } else { codes.join(", ") }
}

/// The text `berth explain` prints for a rule.
pub fn explanation(rule: &Rule) -> String {
    let mut out = format!("{} {}\n\n", rule.code, rule.name);
    let _ = writeln!(out, "Default severity: {}", rule.default_severity.as_str());
    let _ = writeln!(out, "Fix available: {}", fix_label(rule.fix));
    let _ = writeln!(
        out,
        "Suppress: `# berth: ignore={}` (next instruction) or `# berth: ignore-file={}`",
        rule.code, rule.code
    );
    for code in rule.hadolint_codes() {
        let _ = writeln!(out, "hadolint: {code} (also honoured: `# hadolint ignore={code}`)");
    }
    if let Some(name) = rule.buildkit {
        let _ = writeln!(out, "BuildKit: {name} (also honoured: `# check=skip={name}`)");
    }
    let _ = writeln!(out, "Documentation: {}\n", crate::rules::doc_url(rule.code));
    out.push_str(rule.documentation().trim_end());
    out.push('\n');
    out
}

/// Runs `berth explain`; returns the exit code (2 for an unknown rule).
pub fn run_explain(args: &ExplainArgs) -> i32 {
    let Some(rule) = lookup(&args.rule) else {
        let hint = match crate::rules::closest(&args.rule) {
            Some(rule) => format!("; did you mean `{}` ({})?", rule.code, rule.name),
            None => "; `berth rules` lists them all".to_owned(),
        };
        eprintln!("berth: `{}` is not a berth rule{hint}", args.rule.trim());
        return 2;
    };
    write_stdout(&explanation(rule))
}

fn write_stdout(text: &str) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => 0,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(err) => {
            eprintln!("berth: cannot write the output: {err}");
            2
        }
    }
}

/// The rules reference, docs/rules.md: an index table, then one section per rule whose anchor
/// (`#df001`) is what [`crate::rules::doc_url`] links to.
pub fn rules_reference() -> String {
    let mut out = String::new();
    out.push_str("<!-- Generated from the rules' doc comments by `UPDATE_EXPECT=1 cargo test --test rules_reference`; do not edit by hand. -->\n\n");
    out.push_str("# berth rules\n\n");
    out.push_str(
        "Every rule berth checks, with its default severity. Configure them with `select`, `ignore`,\n\
         `extend-select` and `severity` in `berth.toml` or `[tool.berth]`, silence one place with\n\
         `# berth: ignore=CODE` on the line before an instruction, or a whole file with\n\
         `# berth: ignore-file=CODE`. Rules that correspond to a hadolint rule or a BuildKit check\n\
         also honour `# hadolint ignore=…` and `# check=skip=…`.\n\n",
    );
    out.push_str("| Code | Name | Severity | Fix | hadolint | BuildKit | Summary |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for rule in crate::rules::all() {
        let _ = writeln!(
            out,
            "| [{}](#{}) | `{}` | {} | {} | {} | {} | {} |",
            rule.code,
            rule.code.to_ascii_lowercase(),
            rule.name,
            rule.default_severity.as_str(),
            fix_label(rule.fix),
            hadolint_list(rule, ""),
            rule.buildkit.unwrap_or(""),
            rule.summary().replace('|', "\\|"),
        );
    }
    for rule in crate::rules::all() {
        let _ = write!(out, "\n## {}\n\n", rule.code);
        let _ = write!(
            out,
            "`{}` · default severity: {} · fix: {}",
            rule.name,
            rule.default_severity.as_str(),
            fix_label(rule.fix)
        );
        let hadolint = hadolint_list(rule, "");
        if !hadolint.is_empty() {
            let _ = write!(out, " · hadolint: {hadolint}");
        }
        if let Some(name) = rule.buildkit {
            let _ = write!(out, " · BuildKit: {name}");
        }
        out.push_str("\n\n");
        // The rule's own sections sit one level below its heading.
        let mut in_code = false;
        for line in rule.documentation().trim_end().lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if !in_code && line.starts_with('#') {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
