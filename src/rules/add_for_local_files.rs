//! `DF210 add-for-local-files`: ADD where COPY does the same.

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix};
use crate::rules::support_df::keyword_text;
use crate::rules::{DiagnosticExt, RuleContext, declare_rule};
use crate::syntax::{Args, Keyword};

declare_rule! {
    /// ## What it flags
    /// `ADD` whose sources are all local files or folders that are not archives (no URL, no
    /// git repository, no `.tar*`/`.tgz`/`.gz`/`.bz2`/`.xz` file).
    /// ## Why it matters
    /// `ADD` has extra behaviour (downloading URLs, unpacking local tar archives) that `COPY`
    /// does not. Using `COPY` for plain files says exactly what happens and avoids a surprise
    /// unpacking when a file later turns out to be an archive.
    /// ## Example
    /// ```dockerfile
    /// ADD pyproject.toml uv.lock ./
    /// ```
    /// Use instead:
    /// ```dockerfile
    /// COPY pyproject.toml uv.lock ./
    /// ```
    /// ## Fix safety
    /// Unsafe: `ADD` recognises tar archives by their content, so a source without an archive
    /// extension could still be unpacked today.
    pub(crate) static ADD_FOR_LOCAL_FILES = {
        code: "DF210",
        name: "add-for-local-files",
        severity: Info,
        fix: Sometimes,
        hadolint: "DL3020",
    };
}

const ARCHIVE_ENDINGS: &[&str] = &[
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".gz", ".bz2", ".xz", ".zst", ".tar.zst",
];

pub(crate) fn check(ctx: &RuleContext<'_>, acc: &mut Vec<Diagnostic>) {
    for (_, instruction) in ctx.instructions_with(&[Keyword::Add]) {
        let sources: Vec<&str> = match &instruction.args {
            Args::Words(words) if words.len() >= 2 => {
                words[..words.len() - 1].iter().map(|it| it.value.as_str()).collect()
            }
            Args::Exec(exec) if exec.elements.len() >= 2 => {
                exec.elements[..exec.elements.len() - 1].iter().map(|it| it.value.as_str()).collect()
            }
            _ => continue,
        };
        let remote_or_archive = sources.iter().any(|source| {
            let lower = source.to_ascii_lowercase();
            lower.contains("://")
                || lower.starts_with("git@")
                || lower.contains('$')
                || lower.starts_with("<<")
                || ARCHIVE_ENDINGS.iter().any(|ext| lower.ends_with(ext))
        });
        if remote_or_archive {
            continue;
        }
        let mut diagnostic = ADD_FOR_LOCAL_FILES.report(
            instruction.keyword_range,
            "`ADD` of local files; `COPY` does the same without ADD's download and unpacking",
        );
        // COPY has no --checksum, --keep-git-dir or --unpack.
        let copy_flags = ["chown", "chmod", "link", "exclude", "parents"];
        if instruction.flags.iter().all(|flag| copy_flags.contains(&flag.name.value.as_str())) {
            let written = keyword_text(ctx, instruction);
            let new_text = if written == written.to_ascii_lowercase() { "copy" } else { "COPY" };
            diagnostic = diagnostic.with_fix(Fix {
                title: "Use `COPY`".to_owned(),
                applicability: Applicability::Unsafe,
                edits: vec![Edit { path: None, range: instruction.keyword_range, new_text: new_text.to_owned() }],
            });
        }
        acc.push(diagnostic);
    }
}
