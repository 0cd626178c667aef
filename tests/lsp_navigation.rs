//! Navigation and structure requests over stdio against the built binary, in UTF-16 and UTF-8,
//! with non-ASCII text on the lines involved.

mod support;

use berth::text::{LineCol, LineIndex, PositionEncoding};
use serde_json::{Value, json};

use support::{TestServer, Workspace, file_uri};

const DOCKERFILE: &str = "# syntax=docker/dockerfile:1.7
# Build stage ✓
# with uv
ARG PY=3.12
FROM python:${PY}-slim AS build
ARG PY
ENV GREETING=\"héllo 🐍\" APP=/app
RUN echo \"🐍 $GREETING\" && echo $APP ${PY}
COPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/
COPY pyproject.toml uv.lock ./
RUN <<EOF
echo \"naïve 🐍 $APP\"
EOF
FROM build AS test
LABEL note=\"ünïcode\" \\
      more=\"x\"
COPY --from=build /app /app
RUN --mount=type=bind,source=uv.lock,target=/tmp/uv.lock echo \"é\" $APP
";

fn encoding_of(name: &str) -> PositionEncoding {
    match name {
        "utf-8" => PositionEncoding::Utf8,
        _ => PositionEncoding::Utf16,
    }
}

/// The LSP position of the `nth` occurrence of `needle` (plus `skip` bytes) in `text`.
fn position_in(text: &str, needle: &str, nth: usize, skip: usize, encoding: &str) -> Value {
    let offset = text.match_indices(needle).nth(nth).expect("needle in text").0 + skip;
    let at = LineIndex::new(text).line_col(text, offset, encoding_of(encoding));
    json!({ "line": at.line, "character": at.col })
}

fn position_of(needle: &str, nth: usize, skip: usize, encoding: &str) -> Value {
    position_in(DOCKERFILE, needle, nth, skip, encoding)
}

/// The LSP range of the `nth` occurrence of `needle`.
fn range_of(needle: &str, nth: usize, encoding: &str) -> Value {
    json!({
        "start": position_of(needle, nth, 0, encoding),
        "end": position_of(needle, nth, needle.len(), encoding),
    })
}

/// The text an LSP range covers.
fn text_at(range: &Value, encoding: &str) -> String {
    let index = LineIndex::new(DOCKERFILE);
    let offset = |pos: &Value| {
        let at = LineCol { line: pos["line"].as_u64().unwrap() as u32, col: pos["character"].as_u64().unwrap() as u32 };
        index.offset(DOCKERFILE, at, encoding_of(encoding))
    };
    DOCKERFILE[offset(&range["start"])..offset(&range["end"])].to_owned()
}

fn start(encoding: &str) -> (Workspace, TestServer, String) {
    let ws = Workspace::new();
    ws.write("pyproject.toml", "[project]\nname = \"app\"\nversion = \"0.1.0\"\nrequires-python = \">=3.12\"\n");
    ws.write("uv.lock", "version = 1\n");
    ws.write("Dockerfile", DOCKERFILE);
    let mut server = TestServer::spawn();
    let init = server.initialize_in(&ws.root(), json!({ "general": { "positionEncodings": [encoding] } }));
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], encoding);
    for provider in [
        "definitionProvider",
        "referencesProvider",
        "documentHighlightProvider",
        "documentSymbolProvider",
        "foldingRangeProvider",
        "inlayHintProvider",
    ] {
        assert_eq!(caps[provider], true, "{provider}");
    }
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert_eq!(caps["semanticTokensProvider"]["range"], true);
    let uri = ws.uri("Dockerfile");
    server.open(&uri, DOCKERFILE);
    server.await_diagnostics(&uri, 1);
    (ws, server, uri)
}

fn at(uri: &str, position: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position })
}

const ENCODINGS: [&str; 2] = ["utf-16", "utf-8"];

#[test]
fn document_symbols_nest_instructions_under_stages() {
    for encoding in ENCODINGS {
        let (_ws, mut server, uri) = start(encoding);
        let result = server.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
        let names: Vec<&str> = result.as_array().unwrap().iter().map(|it| it["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["ARG PY=3.12", "build", "test"], "{encoding}");
        let build = &result[1];
        assert_eq!(build["detail"], "python:${PY}-slim (python:3.12-slim)");
        assert_eq!(build["selectionRange"], range_of("build", 0, encoding), "{encoding}");
        let env =
            build["children"].as_array().unwrap().iter().find(|it| it["name"].as_str().unwrap().starts_with("ENV"));
        let env = env.expect("an ENV child");
        assert_eq!(env["name"], "ENV GREETING=\"héllo 🐍\" APP=/app");
        assert_eq!(text_at(&env["range"], encoding), "ENV GREETING=\"héllo 🐍\" APP=/app", "{encoding}");
        let label = &result[2]["children"][0];
        assert_eq!(label["name"], "LABEL note=\"ünïcode\" more=\"x\"");
        assert_eq!(text_at(&label["range"], encoding), "LABEL note=\"ünïcode\" \\\n      more=\"x\"", "{encoding}");
        // Asked again for the same version: the same outline. After an edit: the new one.
        let again = server.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
        assert_eq!(again, result, "{encoding}");
        server.edit(&uri, (3, 0), (3, 0), "ARG LATE=1\n");
        let edited = server.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
        let names: Vec<&str> = edited.as_array().unwrap().iter().map(|it| it["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["ARG LATE=1", "ARG PY=3.12", "build", "test"], "{encoding}");
        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn definition_of_variables_stages_and_context_files() {
    for encoding in ENCODINGS {
        let (ws, mut server, uri) = start(encoding);
        // `$APP` after an emoji: the ENV key it names sits after `héllo 🐍` on its own line.
        let result = server.request("textDocument/definition", at(&uri, position_of("$APP", 0, 2, encoding)));
        assert_eq!(
            result,
            json!([{ "uri": uri, "range": range_of("APP=", 0, encoding).as_object().map(|r| {
            let mut r = r.clone();
            r.insert("end".to_owned(), position_of("APP=", 0, 3, encoding));
            Value::Object(r)
        }).unwrap() }]),
            "{encoding}"
        );
        // `${PY}` in a stage that re-imported the global ARG: the stage's ARG, then the global one.
        let result = server.request("textDocument/definition", at(&uri, position_of("${PY}", 1, 3, encoding)));
        let lines: Vec<u64> =
            result.as_array().unwrap().iter().map(|it| it["range"]["start"]["line"].as_u64().unwrap()).collect();
        assert_eq!(lines, [5, 3], "{encoding}");
        let result = server.request("textDocument/definition", at(&uri, position_of("--from=build", 0, 9, encoding)));
        assert_eq!(result, json!([{ "uri": uri, "range": range_of("build", 0, encoding) }]), "{encoding}");
        // The bind mount's source after `é`-free text, and the COPY source: files of the context.
        let result = server.request("textDocument/definition", at(&uri, position_of("uv.lock", 0, 1, encoding)));
        assert_eq!(result["uri"], file_uri(&ws.path("uv.lock")), "{encoding}");
        let result = server.request("textDocument/definition", at(&uri, position_of("pyproject.toml", 0, 0, encoding)));
        assert_eq!(result["uri"], file_uri(&ws.path("pyproject.toml")), "{encoding}");
        // Nothing to go to on a plain word.
        let result = server.request("textDocument/definition", at(&uri, position_of("echo", 0, 1, encoding)));
        assert_eq!(result, Value::Null, "{encoding}");
        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn references_and_highlights_follow_scopes_into_shell_text_and_heredocs() {
    for encoding in ENCODINGS {
        let (_ws, mut server, uri) = start(encoding);
        let mut params = at(&uri, position_of("APP=", 0, 1, encoding));
        params["context"] = json!({ "includeDeclaration": true });
        let result = server.request("textDocument/references", params.clone());
        let found: Vec<(u64, String)> = result
            .as_array()
            .unwrap()
            .iter()
            .map(|it| (it["range"]["start"]["line"].as_u64().unwrap(), text_at(&it["range"], encoding)))
            .collect();
        let expected: Vec<(u64, String)> =
            [(6, "APP"), (7, "APP"), (11, "APP"), (17, "APP")].into_iter().map(|(l, t)| (l, t.to_owned())).collect();
        assert_eq!(found, expected, "{encoding}");
        params["context"] = json!({ "includeDeclaration": false });
        let result = server.request("textDocument/references", params);
        assert_eq!(result.as_array().unwrap().len(), 3, "{encoding}");

        let result =
            server.request("textDocument/documentHighlight", at(&uri, position_of("naïve 🐍 $APP", 0, 14, encoding)));
        let highlights = result.as_array().unwrap();
        assert_eq!(highlights.len(), 4, "{encoding}");
        assert_eq!(highlights[0]["kind"], 3, "the definition is a write");
        assert_eq!(highlights[2]["kind"], 2, "a use is a read");
        assert_eq!(highlights[2]["range"], range_of("APP", 2, encoding), "{encoding}");

        // Stage references, and the heredoc marker with its terminator.
        let result = server.request("textDocument/documentHighlight", at(&uri, position_of("build", 0, 0, encoding)));
        assert_eq!(result.as_array().unwrap().len(), 3, "{encoding}");
        let result = server.request("textDocument/documentHighlight", at(&uri, position_of("<<EOF", 0, 3, encoding)));
        let lines: Vec<u64> =
            result.as_array().unwrap().iter().map(|it| it["range"]["start"]["line"].as_u64().unwrap()).collect();
        assert_eq!(lines, [10, 12], "{encoding}");
        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn rename_changes_every_reference_and_refuses_bad_names() {
    for encoding in ENCODINGS {
        let (_ws, mut server, uri) = start(encoding);
        let position = position_of("$APP", 0, 1, encoding);
        let prepared = server.request("textDocument/prepareRename", at(&uri, position.clone()));
        assert_eq!(prepared["placeholder"], "APP", "{encoding}");
        assert_eq!(prepared["range"], range_of("APP", 1, encoding), "{encoding}");

        let mut params = at(&uri, position.clone());
        params["newName"] = json!("ROOT");
        let result = server.request("textDocument/rename", params);
        let edits = result["changes"][&uri].as_array().unwrap().clone();
        let mut text = DOCKERFILE.to_owned();
        let index = LineIndex::new(DOCKERFILE);
        let mut offsets: Vec<(usize, usize, String)> = edits
            .iter()
            .map(|edit| {
                let offset = |pos: &Value| {
                    let at = LineCol {
                        line: pos["line"].as_u64().unwrap() as u32,
                        col: pos["character"].as_u64().unwrap() as u32,
                    };
                    index.offset(DOCKERFILE, at, encoding_of(encoding))
                };
                (
                    offset(&edit["range"]["start"]),
                    offset(&edit["range"]["end"]),
                    edit["newText"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        offsets.sort_by_key(|it| std::cmp::Reverse(it.0));
        for (start, end, new_text) in offsets {
            text.replace_range(start..end, &new_text);
        }
        assert_eq!(text, DOCKERFILE.replace("APP=", "ROOT=").replace("$APP", "$ROOT"), "{encoding}");

        // An invalid name and a predefined-looking rename are refused with a message.
        let mut params = at(&uri, position);
        params["newName"] = json!("1-bad");
        let response = server.request_raw("textDocument/rename", params);
        assert_eq!(response["error"]["code"], -32803, "{encoding}: {response}");
        assert!(response["error"]["message"].as_str().unwrap().contains("not a valid variable name"));

        let mut params = at(&uri, position_of("AS build", 0, 4, encoding));
        params["newName"] = json!("compile");
        let result = server.request("textDocument/rename", params);
        let ranges: Vec<String> =
            result["changes"][&uri].as_array().unwrap().iter().map(|it| text_at(&it["range"], encoding)).collect();
        assert_eq!(ranges, ["build", "build", "build"], "{encoding}");
        let response = server.request_raw("textDocument/prepareRename", at(&uri, position_of("<<EOF", 0, 3, encoding)));
        assert_eq!(response["error"]["code"], -32803, "{encoding}: {response}");
        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn folding_ranges_cover_stages_continuations_heredocs_and_comments() {
    for encoding in ENCODINGS {
        let (_ws, mut server, uri) = start(encoding);
        let result = server.request("textDocument/foldingRange", json!({ "textDocument": { "uri": uri } }));
        let folds: Vec<(u64, u64, String)> = result
            .as_array()
            .unwrap()
            .iter()
            .map(|it| {
                (
                    it["startLine"].as_u64().unwrap(),
                    it["endLine"].as_u64().unwrap(),
                    it["kind"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let expected: Vec<(u64, u64, String)> =
            [(0, 2, "comment"), (4, 12, "region"), (10, 12, "region"), (13, 17, "region"), (14, 15, "region")]
                .into_iter()
                .map(|(a, b, k)| (a, b, k.to_owned()))
                .collect();
        assert_eq!(folds, expected, "{encoding}");
        assert!(server.shutdown_and_exit().success());
    }
}

/// Decodes a semantic token stream into `(line, start, length, type name, modifiers)`.
fn decode(data: &Value, legend: &Value) -> Vec<(u32, u32, u32, String, u32)> {
    let numbers: Vec<u32> = data.as_array().unwrap().iter().map(|it| it.as_u64().unwrap() as u32).collect();
    let mut line = 0;
    let mut start = 0;
    let mut res = Vec::new();
    for group in numbers.chunks(5) {
        if group[0] > 0 {
            start = 0;
        }
        line += group[0];
        start += group[1];
        let kind = legend["tokenTypes"][group[3] as usize].as_str().unwrap().to_owned();
        res.push((line, start, group[2], kind, group[4]));
    }
    res
}

#[test]
fn semantic_tokens_decode_to_the_right_kinds_and_positions() {
    for encoding in ENCODINGS {
        let (_ws, mut server, uri) = start(encoding);
        let init_legend = {
            // The legend is fixed; ask a fresh server for it rather than hard-coding indices.
            let mut other = TestServer::spawn();
            let init = other.initialize(json!({}));
            let legend = init["capabilities"]["semanticTokensProvider"]["legend"].clone();
            assert!(other.shutdown_and_exit().success());
            legend
        };
        let result = server.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }));
        let tokens = decode(&result["data"], &init_legend);
        let text_of = |token: &(u32, u32, u32, String, u32)| {
            let range = json!({
                "start": { "line": token.0, "character": token.1 },
                "end": { "line": token.0, "character": token.1 + token.2 },
            });
            text_at(&range, encoding)
        };
        let find = |text: &str, kind: &str| {
            tokens
                .iter()
                .find(|it| it.3 == kind && text_of(it) == text)
                .cloned()
                .unwrap_or_else(|| panic!("{encoding}: no {kind} token {text:?} in {tokens:?}"))
        };
        // Positions come out in the client's units, after `🐍` and `é` on the same line.
        let greeting = find("$GREETING", "variable");
        let expected = position_of("$GREETING", 0, 0, encoding);
        assert_eq!(
            (greeting.0, greeting.1),
            (expected["line"].as_u64().unwrap() as u32, expected["character"].as_u64().unwrap() as u32)
        );
        let app = tokens.iter().filter(|it| it.3 == "variable" && text_of(it) == "$APP").count();
        assert_eq!(app, 3, "{encoding}");
        find("FROM", "keyword");
        find("--mount", "parameter");
        find("source", "property");
        find("\"ünïcode\"", "string");
        find("# Build stage ✓", "comment");
        find("ghcr.io/astral-sh/uv:0.5", "type");
        let stage = find("build", "namespace");
        assert_eq!(stage.4 & 1, 1, "a stage name after AS is a declaration");
        let key = find("GREETING", "property");
        assert_eq!(key.4, 2, "an ENV key is a definition");
        // Tokens never span lines: the heredoc terminator is its own token.
        find("EOF", "operator");
        assert!(tokens.windows(2).all(|w| (w[0].0, w[0].1 + w[0].2) <= (w[1].0, w[1].1)), "sorted and disjoint");

        let range = json!({ "start": { "line": 6, "character": 0 }, "end": { "line": 7, "character": 0 } });
        let result = server
            .request("textDocument/semanticTokens/range", json!({ "textDocument": { "uri": uri }, "range": range }));
        let ranged = decode(&result["data"], &init_legend);
        assert!(!ranged.is_empty() && ranged.iter().all(|it| it.0 == 6), "{encoding}: {ranged:?}");
        let expected: Vec<_> = tokens.iter().filter(|it| it.0 == 6).cloned().collect();
        assert_eq!(ranged, expected, "{encoding}");
        assert!(server.shutdown_and_exit().success());
    }
}

/// Applies `semanticTokens/full/delta` edits to a token stream the way a client does.
fn apply_token_edits(old: &[Value], edits: &Value) -> Vec<Value> {
    let mut res = old.to_vec();
    let mut edits = edits.as_array().unwrap().clone();
    // Edits refer to the old stream; applied back to front they do not disturb each other.
    edits.sort_by_key(|it| std::cmp::Reverse(it["start"].as_u64().unwrap()));
    for edit in edits {
        let start = edit["start"].as_u64().unwrap() as usize;
        let delete = edit["deleteCount"].as_u64().unwrap() as usize;
        let data = edit["data"].as_array().cloned().unwrap_or_default();
        res.splice(start..start + delete, data);
    }
    res
}

#[test]
fn semantic_token_deltas_reproduce_the_full_tokens() {
    let (_ws, mut server, uri) = start("utf-16");
    let doc = json!({ "textDocument": { "uri": uri } });
    let first = server.request("textDocument/semanticTokens/full", doc.clone());
    let first_id = first["resultId"].as_str().expect("a resultId").to_owned();
    let delta_params = |id: &str| json!({ "textDocument": { "uri": uri }, "previousResultId": id });

    // Nothing changed: no edits.
    let same = server.request("textDocument/semanticTokens/full/delta", delta_params(&first_id));
    assert_eq!(same["edits"], json!([]), "{same}");
    let same_id = same["resultId"].as_str().unwrap().to_owned();

    // An ENV line with a variable use, inserted as line 8, changes a few tokens in the middle.
    let version = server.edit(&uri, (7, 0), (7, 0), "ENV EXTRA=$APP\n");
    server.await_diagnostics(&uri, version);
    let delta = server.request("textDocument/semanticTokens/full/delta", delta_params(&same_id));
    let edits = &delta["edits"];
    assert!(!edits.as_array().unwrap().is_empty(), "{delta}");
    let full = server.request("textDocument/semanticTokens/full", doc.clone());
    let patched = apply_token_edits(first["data"].as_array().unwrap(), edits);
    assert_eq!(Value::Array(patched), full["data"]);
    assert!(edits.to_string().len() < full["data"].to_string().len() / 2, "the delta is smaller: {delta}");

    // An unknown base gets the full tokens.
    let unknown = server.request("textDocument/semanticTokens/full/delta", delta_params("no-such-id"));
    assert_eq!(unknown["data"], full["data"]);
    assert!(server.shutdown_and_exit().success());
}

#[test]
fn document_links_and_inlay_hints() {
    for encoding in ENCODINGS {
        let (ws, mut server, uri) = start(encoding);
        let result = server.request("textDocument/documentLink", json!({ "textDocument": { "uri": uri } }));
        let links: Vec<(String, String)> = result
            .as_array()
            .unwrap()
            .iter()
            .map(|it| (text_at(&it["range"], encoding), it["target"].as_str().unwrap().to_owned()))
            .collect();
        let expected = vec![
            ("python:${PY}-slim".to_owned(), "https://hub.docker.com/_/python".to_owned()),
            ("ghcr.io/astral-sh/uv:0.5".to_owned(), "https://github.com/astral-sh/uv/pkgs/container/uv".to_owned()),
            ("pyproject.toml".to_owned(), file_uri(&ws.path("pyproject.toml"))),
            ("uv.lock".to_owned(), file_uri(&ws.path("uv.lock"))),
            ("uv.lock".to_owned(), file_uri(&ws.path("uv.lock"))),
        ];
        assert_eq!(links, expected, "{encoding}");

        let whole = json!({ "start": { "line": 0, "character": 0 }, "end": { "line": 20, "character": 0 } });
        let result =
            server.request("textDocument/inlayHint", json!({ "textDocument": { "uri": uri }, "range": whole }));
        let hints: Vec<(Value, String)> = result
            .as_array()
            .unwrap()
            .iter()
            .map(|it| (it["position"].clone(), it["label"].as_str().unwrap().to_owned()))
            .collect();
        let after_image = position_of("-slim", 0, 5, encoding);
        let after_build = position_of("FROM build", 0, 10, encoding);
        assert_eq!(
            hints,
            [
                (after_image.clone(), "python:3.12-slim".to_owned()),
                (after_image, "Python 3.12".to_owned()),
                (after_build, "Python 3.12".to_owned()),
            ],
            "{encoding}"
        );
        let later = json!({ "start": { "line": 6, "character": 0 }, "end": { "line": 12, "character": 0 } });
        let result =
            server.request("textDocument/inlayHint", json!({ "textDocument": { "uri": uri }, "range": later }));
        assert_eq!(result, json!([]), "{encoding}");
        assert!(server.shutdown_and_exit().success());
    }
}

#[test]
fn hovers_say_where_variables_and_stages_are_defined() {
    for encoding in ENCODINGS {
        let (_ws, mut server, uri) = start(encoding);
        let hover = |server: &mut TestServer, position: Value| {
            let result = server.request("textDocument/hover", at(&uri, position));
            result["contents"]["value"].as_str().unwrap_or_default().to_owned()
        };
        let text = hover(&mut server, position_of("$APP", 2, 2, encoding));
        assert!(text.contains("**$APP** = `/app`"), "{encoding}: {text}");
        assert!(text.contains("defined on line 7 in stage `build`, inherited through `FROM`"), "{encoding}: {text}");
        let text = hover(&mut server, position_of("${PY}", 1, 3, encoding));
        assert!(
            text.contains("defined on line 6; its default comes from the global ARG on line 4"),
            "{encoding}: {text}"
        );
        let text = hover(&mut server, position_of("${PY}", 0, 3, encoding));
        assert!(text.contains("line 4 before the first FROM"), "{encoding}: {text}");
        let text = hover(&mut server, position_of("--from=build", 0, 9, encoding));
        assert!(text.contains("starting on line 5") && text.contains("index 0"), "{encoding}: {text}");
        assert!(server.shutdown_and_exit().success());
    }
}
