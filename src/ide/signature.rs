//! Signature help: the syntax of the instruction or option being typed, with the part under the cursor.
//!
//! The cursor's context comes from the same reading of the text as completion
//! ([`Site`](super::completion)), so it works on half-written instructions.

use crate::analysis::Analysis;
use crate::knowledge;
use crate::syntax::Keyword;
use crate::text::TextRange;

use super::completion::{Site, SiteKind};

/// One signature to show, with the parameter the cursor is on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureHelp {
    pub label: String,
    /// Markdown.
    pub documentation: Option<String>,
    pub parameters: Vec<SignatureParameter>,
    /// Index into `parameters`; `None` when the cursor is on none of them.
    pub active_parameter: Option<usize>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureParameter {
    /// Byte range of the parameter inside the signature's label.
    pub range: TextRange,
    /// Markdown.
    pub documentation: Option<String>,
}

impl SignatureHelp {
    /// The parameter's text, as shown in the label.
    pub fn parameter_label(&self, idx: usize) -> Option<&str> {
        let parameter = self.parameters.get(idx)?;
        self.label.get(parameter.range.as_range())
    }
}

/// The signature at byte `offset` of `text`, for instructions whose arguments have a shape.
pub fn signature_help(analysis: &Analysis, text: &str, offset: usize) -> Option<SignatureHelp> {
    let site = Site::at(analysis, text, offset)?;
    let SiteKind::Args(keyword) = site.kind else { return None };
    let doc = knowledge::instruction(keyword.as_str())?;
    let current = site.current.text.as_str();
    let on_flag = current.starts_with('-') && positionals(&site) == 0;
    if keyword == Keyword::Run
        && on_flag
        && let Some(value) = current.strip_prefix("--mount=")
    {
        return Some(mount_signature(value));
    }
    let mut builder = Builder::new(keyword.as_str(), Some(doc.summary.clone()));
    let mut flag_params = Vec::new();
    let with_flags =
        matches!(keyword, Keyword::From | Keyword::Copy | Keyword::Add | Keyword::Run | Keyword::Healthcheck);
    if with_flags {
        for flag in &doc.flags {
            let shown = if flag.value.is_empty() || flag.value == "(flag)" {
                format!("[{}]", flag.name)
            } else {
                format!("[{}={}]", flag.name, flag.value)
            };
            let idx = builder.param(&shown, Some(flag.summary.clone()));
            flag_params.push((flag.name.trim_start_matches('-'), idx));
        }
    }
    let active_flag = || {
        let typed = current.trim_start_matches('-');
        let typed = typed.split_once('=').map_or(typed, |it| it.0);
        flag_params.iter().find(|it| !typed.is_empty() && it.0.starts_with(typed)).map(|it| it.1)
    };
    let n_positionals = positionals(&site);
    let active = match keyword {
        Keyword::From => {
            let image = builder.param("<image>", Some("The base image, or an earlier stage's name.".to_owned()));
            let alias = builder.param("[AS <name>]", Some("A name for this stage, for later `--from`.".to_owned()));
            match (on_flag, n_positionals) {
                (true, _) => active_flag(),
                (false, 0) => Some(image),
                (false, _) => Some(alias),
            }
        }
        Keyword::Copy | Keyword::Add => {
            let src = builder.param(
                "<src>...",
                Some("Files or folders to copy, relative to the build context or the `--from` source.".to_owned()),
            );
            let dest = builder
                .param("<dest>", Some("Where they go in the image; relative paths start at WORKDIR.".to_owned()));
            if on_flag {
                active_flag()
            } else if n_positionals > 0 && !words_follow(text, &site, analysis) {
                Some(dest)
            } else {
                Some(src)
            }
        }
        Keyword::Run => {
            let command =
                builder.param("<command>", Some("A shell command, or a JSON array for the exec form.".to_owned()));
            if on_flag { active_flag() } else { Some(command) }
        }
        Keyword::Healthcheck => {
            let command =
                builder.param("CMD <command>", Some("The check; `NONE` instead turns checks off.".to_owned()));
            if on_flag { active_flag() } else { Some(command) }
        }
        Keyword::Env | Keyword::Label => {
            let key = builder.param("<key>", None);
            builder.text("=");
            let value = builder.param("<value>", None);
            builder.text(" [<key>=<value>...]");
            let legacy_value = site.words.len() == 1 && !site.words[0].text.contains('=');
            if current.contains('=') || (keyword == Keyword::Env && legacy_value) { Some(value) } else { Some(key) }
        }
        Keyword::Arg => {
            let name = builder.param("<name>", None);
            builder.text("[=");
            let default = builder.param("<default value>", None);
            builder.text("]");
            if current.contains('=') { Some(default) } else { Some(name) }
        }
        _ => {
            // Other instructions: their documented syntax, without parameters.
            let syntax = doc.syntax.first()?;
            return Some(SignatureHelp {
                label: syntax.clone(),
                documentation: Some(doc.summary.clone()),
                parameters: Vec::new(),
                active_parameter: None,
            });
        }
    };
    Some(builder.finish(active))
}

/// Finished words after the instruction's leading flags.
fn positionals(site: &Site) -> usize {
    site.words.iter().skip_while(|it| it.text.starts_with("--")).count()
}

/// More words come after the one under the cursor, in the same instruction.
fn words_follow(text: &str, site: &Site, analysis: &Analysis) -> bool {
    let end = match super::instruction_at(&analysis.parse.file, site.offset) {
        Some((_, instruction)) => instruction.range.end,
        None => return false,
    };
    let Some(rest) = text.get(site.offset..end.max(site.offset)) else { return false };
    let rest = rest.trim_start_matches(|c: char| !c.is_whitespace());
    rest.split_whitespace().any(|word| !(word.len() == 1 && word.starts_with(site.escape)))
}

/// `--mount=type=<type>,<option>=<value>,...` for the type written so far (bind by default).
fn mount_signature(value: &str) -> SignatureHelp {
    let items: Vec<&str> = value.split(',').collect();
    let typed = items.last().copied().unwrap_or_default();
    let typed_key = typed.split_once('=').map_or(typed, |it| it.0);
    let mount_type = items.iter().find_map(|it| it.strip_prefix("type=")).unwrap_or("bind");
    let doc = knowledge::mount_type(mount_type).or_else(|| knowledge::mount_type("bind"));
    let summary = doc.map(|it| it.summary.clone());
    let mut builder = Builder::new("--mount=", summary);
    let type_param = builder.param(
        &format!("type={}", doc.map_or(mount_type, |it| it.name.as_str())),
        Some("bind, cache, tmpfs, secret or ssh".to_owned()),
    );
    let mut active = (typed_key == "type").then_some(type_param);
    if let Some(doc) = doc {
        for option in &doc.options {
            builder.text(",");
            let shown = if option.value == "(flag)" {
                option.name.clone()
            } else {
                format!("{}={}", option.name, option.value)
            };
            let idx = builder.param(&shown, Some(option.summary.clone()));
            if !typed_key.is_empty() && (option.matches(typed_key) || option.name.starts_with(typed_key)) {
                active = Some(idx);
            }
        }
    }
    builder.finish(active)
}

/// Builds a label and the ranges of its parameters, separated by spaces.
struct Builder {
    label: String,
    documentation: Option<String>,
    parameters: Vec<SignatureParameter>,
}

impl Builder {
    fn new(keyword: &str, documentation: Option<String>) -> Builder {
        Builder { label: keyword.to_owned(), documentation, parameters: Vec::new() }
    }

    fn text(&mut self, text: &str) {
        self.label.push_str(text);
    }

    /// Appends a parameter (after a space, unless the label ends in `=`, `,` or `[`).
    fn param(&mut self, text: &str, documentation: Option<String>) -> usize {
        if !self.label.is_empty() && !self.label.ends_with(['=', ',', '[']) {
            self.label.push(' ');
        }
        let start = self.label.len();
        self.label.push_str(text);
        self.parameters.push(SignatureParameter { range: TextRange::new(start, self.label.len()), documentation });
        self.parameters.len() - 1
    }

    fn finish(self, active: Option<usize>) -> SignatureHelp {
        SignatureHelp {
            label: self.label,
            documentation: self.documentation,
            parameters: self.parameters,
            active_parameter: active,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::project::ProjectFacts;

    /// The label and the active parameter's text for a fixture with `$0` at the cursor.
    #[track_caller]
    fn check(fixture: &str, label: &str, active: Option<&str>) {
        let offset = fixture.find("$0").expect("fixture has a $0 cursor");
        let text = fixture.replace("$0", "");
        let analysis = crate::analysis::analyze(&text, &ProjectFacts::default());
        let help = super::signature_help(&analysis, &text, offset).expect("a signature");
        assert_eq!(help.label, label);
        let shown = help.active_parameter.and_then(|idx| help.parameter_label(idx));
        assert_eq!(shown, active);
    }

    #[track_caller]
    fn check_none(fixture: &str) {
        let offset = fixture.find("$0").expect("fixture has a $0 cursor");
        let text = fixture.replace("$0", "");
        let analysis = crate::analysis::analyze(&text, &ProjectFacts::default());
        assert_eq!(super::signature_help(&analysis, &text, offset), None);
    }

    const FROM: &str = "FROM [--platform=<os>/<arch>[/<variant>]] <image> [AS <name>]";

    #[test]
    fn from_follows_the_cursor() {
        check("FROM $0", FROM, Some("<image>"));
        check("FROM --plat$0", FROM, Some("[--platform=<os>/<arch>[/<variant>]]"));
        check("FROM python:3.12 $0", FROM, Some("[AS <name>]"));
        check("FROM --platform=linux/amd64 python:3.12 AS b$0", FROM, Some("[AS <name>]"));
    }

    #[test]
    fn copy_tells_sources_from_the_destination() {
        let help = |fixture: &str| {
            let offset = fixture.find("$0").expect("cursor");
            let text = fixture.replace("$0", "");
            let analysis = crate::analysis::analyze(&text, &ProjectFacts::default());
            let help = super::signature_help(&analysis, &text, offset).expect("a signature");
            help.active_parameter.and_then(|idx| help.parameter_label(idx)).map(str::to_owned)
        };
        assert_eq!(help("FROM x\nCOPY $0").as_deref(), Some("<src>..."));
        assert_eq!(help("FROM x\nCOPY a.txt $0").as_deref(), Some("<dest>"));
        assert_eq!(help("FROM x\nCOPY a$0 b.txt /app/").as_deref(), Some("<src>..."));
        assert_eq!(help("FROM x\nCOPY --fr$0").as_deref(), Some("[--from=<stage|image|context>]"));
        assert_eq!(help("FROM x\nHEALTHCHECK --retries=3 $0").as_deref(), Some("CMD <command>"));
        assert_eq!(help("FROM x\nHEALTHCHECK --time$0").as_deref(), Some("[--timeout=<duration>]"));
    }

    #[test]
    fn mount_options_follow_the_type() {
        let fixture = "FROM x\nRUN --mount=type=cache,sh$0";
        let offset = fixture.find("$0").expect("cursor");
        let text = fixture.replace("$0", "");
        let analysis = crate::analysis::analyze(&text, &ProjectFacts::default());
        let help = super::signature_help(&analysis, &text, offset).expect("a signature");
        assert!(help.label.starts_with("--mount=type=cache,"), "{}", help.label);
        assert!(help.label.contains("target=") && help.label.contains("sharing="), "{}", help.label);
        let active = help.active_parameter.and_then(|idx| help.parameter_label(idx));
        assert_eq!(active, Some("sharing=<shared|private|locked>"));
    }

    #[test]
    fn key_value_forms() {
        check("FROM x\nENV $0", "ENV <key>=<value> [<key>=<value>...]", Some("<key>"));
        check("FROM x\nENV UV_LINK_MODE=co$0", "ENV <key>=<value> [<key>=<value>...]", Some("<value>"));
        check("FROM x\nENV NAME $0", "ENV <key>=<value> [<key>=<value>...]", Some("<value>"));
        check("ARG VERSION=$0", "ARG <name>[=<default value>]", Some("<default value>"));
        check("FROM x\nLABEL a=b $0", "LABEL <key>=<value> [<key>=<value>...]", Some("<key>"));
    }

    #[test]
    fn nothing_on_keywords_comments_and_heredocs() {
        check_none("FR$0");
        check_none("# FROM $0");
        check_none("FROM x\nRUN <<EOF\necho $0\nEOF\n");
    }
}
