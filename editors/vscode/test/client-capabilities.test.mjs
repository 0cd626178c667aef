// Keeps fixtures/client-capabilities.json equal to what the installed vscode-languageclient sends.
//
// The e2e test hands the server these capabilities; if a client upgrade changes them, this test says
// so and `npm run capture-client-capabilities` refreshes the fixture.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

test('client capabilities fixture matches the installed vscode-languageclient', () => {
  const captured = execFileSync(process.execPath, [path.join(here, '..', 'scripts', 'capture-client-capabilities.cjs')], {
    encoding: 'utf8',
  });
  const fixture = readFileSync(path.join(here, 'fixtures', 'client-capabilities.json'), 'utf8');
  assert.deepEqual(JSON.parse(captured), JSON.parse(fixture), 'run `npm run capture-client-capabilities`');
});

test('client capabilities offer only UTF-16 and the features berth relies on', () => {
  const capabilities = JSON.parse(readFileSync(path.join(here, 'fixtures', 'client-capabilities.json'), 'utf8'));
  assert.deepEqual(capabilities.general.positionEncodings, ['utf-16']);
  assert.equal(capabilities.workspace.configuration, true);
  assert.equal(capabilities.workspace.applyEdit, true);
  assert.equal(capabilities.workspace.didChangeWatchedFiles.dynamicRegistration, true);
  assert.ok(capabilities.textDocument.diagnostic !== undefined, 'VS Code supports pull diagnostics');
});
