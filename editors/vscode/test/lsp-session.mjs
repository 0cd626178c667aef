// A stand-in for VS Code's language client: spawns `berth server` and speaks LSP to it over stdio.
//
// It sends what vscode-languageclient sends (the capabilities in fixtures/client-capabilities.json,
// the `berth` settings as initializationOptions and didChangeConfiguration) and answers the
// requests VS Code answers (workspace/configuration, client/registerCapability, workspace/applyEdit).
// Every wait has a deadline and every failure says which step it was and what the server did.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-jsonrpc/node.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const fixtureWorkspace = path.join(here, 'fixtures', 'workspace');
const clientCapabilities = JSON.parse(readFileSync(path.join(here, 'fixtures', 'client-capabilities.json'), 'utf8'));
const settingsFile = path.join(here, '..', '..', 'settings.json');

// Long enough for a debug build on a busy two-core machine, short enough to fail a hung server.
export const DEADLINE_MS = 15_000;

export function serverBinary() {
  return process.env.BERTH_BIN ?? path.resolve(here, '..', '..', '..', 'target', 'debug', 'berth');
}

// The `berth` section VS Code builds from the contributed defaults: dotted names nested.
export function defaultBerthSection() {
  const { settings } = JSON.parse(readFileSync(settingsFile, 'utf8'));
  const section = {};
  for (const setting of settings) {
    const parts = setting.name.split('.').slice(1);
    let node = section;
    for (const part of parts.slice(0, -1)) {
      node[part] ??= {};
      node = node[part];
    }
    node[parts[parts.length - 1]] = structuredClone(setting.default);
  }
  return section;
}

export function fileUri(relative) {
  return pathToFileURL(path.join(fixtureWorkspace, relative)).href;
}

export class LspSession {
  constructor() {
    this.settings = defaultBerthSection();
    this.stderr = '';
    this.log = [];
    this.pushed = new Map();
    this.registrations = new Map();
    this.documents = new Map();
    this.listeners = new Set();
    this.exit = undefined;
    this.initializeResult = undefined;
  }

  // Spawns the server and runs the initialize handshake the way VS Code does.
  async start() {
    const binary = serverBinary();
    this.child = spawn(binary, ['server'], { cwd: fixtureWorkspace, stdio: ['pipe', 'pipe', 'pipe'] });
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
        this.notify();
      });
      this.child.on('error', (error) => {
        this.exit = { code: null, signal: null, error };
        resolve(this.exit);
        this.notify();
      });
    });
    // Messages go through a PassThrough so that writing to a server that has died never fails inside
    // vscode-jsonrpc (EPIPE would surface as an unhandled rejection); the exit handler reports it instead.
    this.child.stdin.on('error', () => {});
    const toServer = new PassThrough();
    toServer.pipe(this.child.stdin);
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => {
      this.stderr += chunk;
    });
    this.connection = createMessageConnection(
      new StreamMessageReader(this.child.stdout),
      new StreamMessageWriter(toServer),
    );
    this.connection.onNotification((method, params) => this.onNotification(method, params));
    this.connection.onRequest((method, params) => this.onRequest(method, params));
    // A server that dies mid-test makes writes fail; the test reports the exit instead.
    this.connection.onError(() => {});
    this.connection.listen();

    const folder = pathToFileURL(fixtureWorkspace).href;
    this.initializeResult = await this.request('initialize', {
      processId: process.pid,
      clientInfo: { name: 'Visual Studio Code', version: '1.82.0' },
      locale: 'en',
      rootPath: fixtureWorkspace,
      rootUri: folder,
      capabilities: clientCapabilities,
      initializationOptions: { berth: this.settings },
      trace: 'off',
      workspaceFolders: [{ uri: folder, name: path.basename(fixtureWorkspace) }],
    });
    await this.notification('initialized', {});
    await this.notification('workspace/didChangeConfiguration', {
      settings: { berth: this.settings },
    });
    return this.initializeResult;
  }

  get capabilities() {
    return this.initializeResult?.capabilities ?? {};
  }

  // Pull diagnostics are on when the server says so in `initialize` or registers them later.
  get pullsDiagnostics() {
    if (this.capabilities.diagnosticProvider !== undefined) {
      return true;
    }
    return [...this.registrations.values()].some((registration) => registration.method === 'textDocument/diagnostic');
  }

  async request(method, params, deadline = DEADLINE_MS) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer to ${method} within ${deadline} ms${this.context()}`)), deadline);
    });
    const died = this.exited.then((exit) => {
      throw new Error(`the server exited (${describeExit(exit)}) before answering ${method}${this.context()}`);
    });
    // A write to a dead server fails before its exit is seen; report the exit, which says more.
    const answer = this.connection.sendRequest(method, params).catch(async (error) => {
      const exit = await Promise.race([this.exited, delay(1_000)]);
      if (exit !== undefined) {
        throw new Error(`the server exited (${describeExit(exit)}) before answering ${method}${this.context()}`);
      }
      throw new Error(`${method} failed: ${error.message}${this.context()}`);
    });
    try {
      return await Promise.race([answer, timeout, died]);
    } finally {
      clearTimeout(timer);
    }
  }

  async notification(method, params) {
    if (this.exit !== undefined) {
      throw new Error(`the server exited (${describeExit(this.exit)}) before ${method} could be sent${this.context()}`);
    }
    try {
      await this.connection.sendNotification(method, params);
    } catch (error) {
      const exit = await Promise.race([this.exited, delay(1_000)]);
      const reason = exit !== undefined ? `the server exited (${describeExit(exit)})` : error.message;
      throw new Error(`${method} could not be sent: ${reason}${this.context()}`);
    }
  }

  async open(relative, languageId) {
    const uri = fileUri(relative);
    const text = readFileSync(path.join(fixtureWorkspace, relative), 'utf8');
    this.documents.set(uri, { text, version: 1 });
    await this.notification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  text(uri) {
    return this.documents.get(uri)?.text;
  }

  // Sends the edits as an incremental change, as VS Code does after applying a workspace edit.
  async change(uri, edits) {
    const document = this.documents.get(uri);
    document.text = applyTextEdits(document.text, edits);
    document.version += 1;
    await this.notification('textDocument/didChange', {
      textDocument: { uri, version: document.version },
      contentChanges: edits.map((edit) => ({ range: edit.range, text: edit.newText })),
    });
  }

  // Waits until `accept(diagnostics)` holds, pulling when the server supports it and reading pushes
  // otherwise. Returns the last diagnostics seen, accepted or not, with where they came from.
  async diagnostics(uri, accept, deadline = DEADLINE_MS) {
    const end = Date.now() + deadline;
    let last = { source: 'none', items: [] };
    while (Date.now() < end && this.exit === undefined) {
      if (this.pullsDiagnostics) {
        const report = await this.request('textDocument/diagnostic', { textDocument: { uri } });
        if (report?.kind === 'full') {
          last = { source: 'pull', items: report.items ?? [] };
          if (accept(last.items)) {
            return { ...last, accepted: true };
          }
        }
      }
      const pushed = this.pushed.get(uri);
      if (pushed !== undefined) {
        last = { source: 'push', items: pushed };
        if (accept(pushed)) {
          return { ...last, accepted: true };
        }
      }
      await this.changed(Math.min(250, Math.max(0, end - Date.now())));
    }
    return { ...last, accepted: false };
  }

  async shutdown() {
    if (this.child === undefined) {
      return undefined;
    }
    if (this.exit === undefined) {
      try {
        await this.request('shutdown', null, 5_000);
        await this.connection.sendNotification('exit');
      } catch {
        // The caller looks at the exit status; a failed shutdown shows up there.
      }
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    const exit = await this.exited;
    clearTimeout(timer);
    this.connection.dispose();
    return exit;
  }

  context() {
    const stderr = this.stderr.trim().split('\n').slice(-15).join('\n');
    const log = this.log.slice(-10).join('\n');
    return `${log ? `\nserver log messages:\n${log}` : ''}${stderr ? `\nserver stderr (last lines):\n${stderr}` : ''}`;
  }

  onNotification(method, params) {
    switch (method) {
      case 'textDocument/publishDiagnostics':
        this.pushed.set(params.uri, params.diagnostics);
        break;
      case 'window/logMessage':
      case 'window/showMessage':
        this.log.push(`[${method}] ${params.message}`);
        break;
      default:
        break;
    }
    this.notify();
  }

  onRequest(method, params) {
    switch (method) {
      case 'workspace/configuration':
        return params.items.map((item) => this.configurationFor(item.section));
      case 'client/registerCapability':
        for (const registration of params.registrations) {
          this.registrations.set(registration.id, registration);
        }
        this.notify();
        return null;
      case 'client/unregisterCapability':
        for (const unregistration of params.unregisterations ?? params.unregistrations ?? []) {
          this.registrations.delete(unregistration.id);
        }
        return null;
      case 'workspace/applyEdit':
        return this.applyWorkspaceEdit(params.edit);
      case 'window/workDoneProgress/create':
      case 'window/showMessageRequest':
      case 'workspace/diagnostic/refresh':
      case 'workspace/codeLens/refresh':
      case 'workspace/semanticTokens/refresh':
      case 'workspace/inlayHint/refresh':
        this.notify();
        return null;
      default:
        this.log.push(`[unexpected request] ${method}`);
        return null;
    }
  }

  configurationFor(section) {
    if (section === undefined || section === null || section === '') {
      return { berth: this.settings };
    }
    const parts = section.split('.');
    if (parts[0] !== 'berth') {
      return null;
    }
    let node = this.settings;
    for (const part of parts.slice(1)) {
      node = node?.[part];
    }
    return node ?? null;
  }

  // Applies a WorkspaceEdit to the open documents, then tells the server as VS Code would.
  async applyWorkspaceEdit(edit) {
    const perDocument = workspaceEditByUri(edit);
    for (const [uri, edits] of perDocument) {
      if (!this.documents.has(uri)) {
        return { applied: false, failureReason: `edit for a document that is not open: ${uri}` };
      }
    }
    this.appliedEdits = (this.appliedEdits ?? 0) + 1;
    for (const [uri, edits] of perDocument) {
      await this.change(uri, edits);
    }
    this.notify();
    return { applied: true };
  }

  notify() {
    for (const listener of this.listeners) {
      listener();
    }
  }

  // Resolves when any message arrives or after `ms`, whichever is first.
  changed(ms) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.listeners.add(done);
    });
  }
}

export function workspaceEditByUri(edit) {
  const perDocument = new Map();
  for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
    perDocument.set(uri, [...(perDocument.get(uri) ?? []), ...edits]);
  }
  for (const change of edit.documentChanges ?? []) {
    if (change.kind !== undefined) {
      throw new Error(`unexpected resource operation in a quick fix: ${JSON.stringify(change)}`);
    }
    const uri = change.textDocument.uri;
    perDocument.set(uri, [...(perDocument.get(uri) ?? []), ...change.edits]);
  }
  return perDocument;
}

// Applies LSP text edits whose positions count UTF-16 code units, the only encoding VS Code offers.
// Edits are applied from the end of the text so that earlier offsets stay valid.
export function applyTextEdits(text, edits) {
  const withOffsets = edits.map((edit) => ({
    start: offsetAt(text, edit.range.start),
    end: offsetAt(text, edit.range.end),
    newText: edit.newText,
  }));
  withOffsets.sort((a, b) => b.start - a.start || b.end - a.end);
  let result = text;
  for (const edit of withOffsets) {
    result = result.slice(0, edit.start) + edit.newText + result.slice(edit.end);
  }
  return result;
}

function offsetAt(text, position) {
  let offset = 0;
  for (let line = 0; line < position.line; line += 1) {
    const next = text.indexOf('\n', offset);
    if (next === -1) {
      return text.length;
    }
    offset = next + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  const end = lineEnd === -1 ? text.length : lineEnd;
  // JavaScript strings index UTF-16 code units, so the character maps directly.
  return Math.min(offset + position.character, end);
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeExit(exit) {
  if (exit.error !== undefined) {
    return `could not run it: ${exit.error.message}`;
  }
  return exit.signal ? `signal ${exit.signal}` : `status ${exit.code}`;
}
