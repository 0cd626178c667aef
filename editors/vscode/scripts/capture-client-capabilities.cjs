// Prints the `capabilities` object that vscode-languageclient sends in `initialize`.
//
// VS Code cannot run here, so the `vscode` module is replaced by a stand-in that answers every
// property access, call and `new` with another stand-in. The client's capability code only reads
// enum-like values from `vscode`, so the stand-in is enough to reach `computeClientCapabilities`.
// Usage: node scripts/capture-client-capabilities.cjs > test/fixtures/client-capabilities.json
'use strict';

const Module = require('node:module');

function standIn(name) {
  const target = function () {};
  return new Proxy(target, {
    get(_target, prop) {
      if (prop === Symbol.toPrimitive) return () => name;
      // The client refuses to start on a VS Code older than its `engines.vscode`.
      if (name === 'vscode' && prop === 'version') return '1.82.0';
      if (prop === 'then') return undefined;
      return standIn(`${name}.${String(prop)}`);
    },
    apply() {
      return standIn(`${name}()`);
    },
    construct() {
      return standIn(`new ${name}`);
    },
  });
}

const realResolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'vscode') return 'vscode';
  return realResolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: standIn('vscode') };

const { LanguageClient } = require('vscode-languageclient/node');
const client = new LanguageClient('berth', 'berth', { command: 'berth' }, {});
const capabilities = client.computeClientCapabilities();
process.stdout.write(`${JSON.stringify(capabilities, null, 2)}\n`);
