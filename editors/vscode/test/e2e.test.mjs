// End-to-end: the built `berth server` driven the way VS Code drives it.
//
// Steps run in order and each names what it checks, so a failure says which server feature is
// missing. Run one step with `node --test --test-name-pattern diagnostics test/e2e.test.mjs`.
// The server binary comes from BERTH_BIN, else ../../target/debug/berth.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { LspSession, applyTextEdits, workspaceEditByUri } from './lsp-session.mjs';

const DOCKERFILE = 'Dockerfile';
const FROM_LINE = 0;
const ENV_LINE = 1;
const RUN_LINE = 4;

// One server for the whole file, started by whichever step runs first.
let session;
let started;
function server() {
  started ??= (async () => {
    session = new LspSession();
    await session.start();
    const uri = await session.open(DOCKERFILE, 'dockerfile');
    return { session, uri };
  })();
  return started;
}

let diagnosticsSeen;
async function expectedDiagnostics() {
  diagnosticsSeen ??= (async () => {
    const { session, uri } = await server();
    const result = await session.diagnostics(uri, (items) => hasCode(items, 'PY001') && hasCode(items, 'UV001'));
    if (!result.accepted) {
      const how = session.pullsDiagnostics ? 'pulled (the server offers textDocument/diagnostic)' : 'pushed';
      assert.fail(
        `expected PY001 and UV001 for the Dockerfile; ${how} diagnostics were: ${describe_(result.items)}${session.context()}`,
      );
    }
    return result;
  })();
  return diagnosticsSeen;
}

function hasCode(items, code) {
  return items.some((item) => item.code === code);
}

function describe_(items) {
  if (items.length === 0) {
    return 'none';
  }
  return items.map((item) => `${item.code ?? '(no code)'}@${item.range.start.line + 1}`).join(', ');
}

after(async () => {
  if (started === undefined) {
    return;
  }
  try {
    await started;
  } catch {
    // The step that started the server has reported the failure.
  }
  await session?.shutdown();
});

describe('berth server as VS Code drives it', () => {
  test('initialize: server accepts VS Code capabilities', async () => {
    const { session } = await server();
    const capabilities = session.capabilities;
    // VS Code offers only UTF-16, so the server must pick it (or leave the field out, which means UTF-16).
    assert.ok(
      capabilities.positionEncoding === undefined || capabilities.positionEncoding === 'utf-16',
      `positionEncoding must be utf-16 for VS Code, got ${capabilities.positionEncoding}`,
    );
    const sync = capabilities.textDocumentSync;
    const change = typeof sync === 'number' ? sync : sync?.change;
    assert.equal(change, 2, 'textDocumentSync.change must be 2 (incremental)');
  });

  test('diagnostics: PY001 on the FROM line and UV001 on the RUN line', async () => {
    const { items } = await expectedDiagnostics();
    const py001 = items.find((item) => item.code === 'PY001');
    const uv001 = items.find((item) => item.code === 'UV001');
    assert.equal(py001.range.start.line, FROM_LINE, 'PY001 belongs on line 1 (FROM python:3.11-slim)');
    assert.equal(uv001.range.start.line, RUN_LINE, 'UV001 belongs on the RUN line');
    for (const item of [py001, uv001]) {
      assert.equal(item.source, 'berth', `${item.code} must have source "berth"`);
      assert.ok(item.message.length > 0, `${item.code} needs a message`);
    }
  });

  test('hover: UV_LINK_MODE in the ENV line explains copy', async () => {
    const { session, uri } = await server();
    assert.ok(session.capabilities.hoverProvider, 'the server does not advertise hoverProvider');
    const line = session.text(uri).split('\n')[ENV_LINE];
    const character = line.indexOf('UV_LINK_MODE') + 3;
    const hover = await session.request('textDocument/hover', {
      textDocument: { uri },
      position: { line: ENV_LINE, character },
    });
    assert.ok(hover !== null, `no hover on UV_LINK_MODE (line ${ENV_LINE + 1}, character ${character})`);
    const text = hoverText(hover.contents);
    assert.match(text, /copy/, `the hover on UV_LINK_MODE should mention copy; it says: ${text}`);
  });

  test('code action: the UV001 quick fix adds --locked', async () => {
    const { session, uri } = await server();
    const { items } = await expectedDiagnostics();
    assert.ok(session.capabilities.codeActionProvider, 'the server does not advertise codeActionProvider');
    const uv001 = items.find((item) => item.code === 'UV001');
    const actions = await session.request('textDocument/codeAction', {
      textDocument: { uri },
      range: uv001.range,
      context: { diagnostics: [uv001], triggerKind: 1 },
    });
    assert.ok(Array.isArray(actions) && actions.length > 0, `no code actions for UV001: ${JSON.stringify(actions)}`);
    const action = pickQuickFix(actions);
    assert.ok(action !== undefined, `no quick fix among: ${actions.map((it) => it.title).join(', ')}`);

    const before = session.text(uri);
    const after = await applyAction(session, uri, action);
    const runLine = after.split('\n')[RUN_LINE];
    assert.match(runLine, /uv sync --locked/, `the fix should give "uv sync --locked"; the RUN line is now: ${runLine}`);
    const untouched = (text) => text.split('\n').filter((_, index) => index !== RUN_LINE);
    assert.deepEqual(untouched(after), untouched(before), 'the fix must change only the RUN line');
  });

  test('incremental sync: after the fix, UV001 is gone and PY001 stays', async () => {
    const { session, uri } = await server();
    await expectedDiagnostics();
    assert.match(session.text(uri), /--locked/, 'needs the code action step to have applied its fix');
    const result = await session.diagnostics(uri, (items) => !hasCode(items, 'UV001') && hasCode(items, 'PY001'));
    assert.ok(result.accepted, `after the edit the diagnostics are: ${describe_(result.items)}${session.context()}`);
  });
});

function hoverText(contents) {
  if (typeof contents === 'string') {
    return contents;
  }
  if (Array.isArray(contents)) {
    return contents.map(hoverText).join('\n');
  }
  return contents?.value ?? '';
}

function pickQuickFix(actions) {
  const codeActions = actions.filter((action) => typeof action.command !== 'string');
  const forUv001 = codeActions.filter(
    (action) => action.kind?.startsWith('quickfix') && (action.diagnostics ?? []).some((it) => it.code === 'UV001'),
  );
  const candidates = forUv001.length > 0 ? forUv001 : codeActions.filter((action) => action.kind?.startsWith('quickfix'));
  return candidates.find((action) => /--locked/.test(action.title)) ?? candidates[0] ?? actions.find((it) => typeof it.command === 'string');
}

// Applies a code action the way VS Code does: resolve it if it has no edit, apply the edit,
// then run its command (which may come back as a workspace/applyEdit request).
async function applyAction(session, uri, action) {
  if (typeof action.command === 'string') {
    await runCommand(session, action);
    return session.text(uri);
  }
  let resolved = action;
  if (resolved.edit === undefined && resolved.command === undefined) {
    assert.ok(
      session.capabilities.codeActionProvider?.resolveProvider,
      `the action "${action.title}" has neither edit nor command, and the server cannot resolve code actions`,
    );
    resolved = await session.request('codeAction/resolve', action);
  }
  if (resolved.edit !== undefined) {
    const edits = workspaceEditByUri(resolved.edit);
    assert.deepEqual([...edits.keys()], [uri], 'the quick fix should edit only the Dockerfile');
    await session.change(uri, edits.get(uri));
  }
  if (resolved.command !== undefined) {
    await runCommand(session, resolved.command);
  }
  return session.text(uri);
}

async function runCommand(session, command) {
  const appliedBefore = session.appliedEdits ?? 0;
  await session.request('workspace/executeCommand', { command: command.command, arguments: command.arguments });
  // The server applies its edit with a workspace/applyEdit request, which may come after the answer.
  const end = Date.now() + 5_000;
  while ((session.appliedEdits ?? 0) === appliedBefore && Date.now() < end) {
    await session.changed(250);
  }
  assert.ok((session.appliedEdits ?? 0) > appliedBefore, `the command ${command.command} sent no workspace/applyEdit`);
}

// Guards the helper the steps above rely on: UTF-16 columns after an astral character.
test('text edits: UTF-16 columns count a surrogate pair as two', () => {
  const text = 'FROM python:3.12\nRUN echo "📦" && uv sync\n';
  // "RUN echo \"" is 10 units, the parcel 2, then "\" && uv sync" 12 more: the line ends at 24.
  const edited = applyTextEdits(text, [
    { range: { start: { line: 1, character: 24 }, end: { line: 1, character: 24 } }, newText: ' --locked' },
  ]);
  assert.equal(edited, 'FROM python:3.12\nRUN echo "📦" && uv sync --locked\n');
});
