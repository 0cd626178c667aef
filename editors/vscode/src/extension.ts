// The berth extension: starts `berth server` and connects it to VS Code through vscode-languageclient.
//
// The extension is deliberately thin. Everything a Dockerfile needs (diagnostics, hovers, quick fixes,
// file watching) comes from the server; this file only finds the binary, passes the `berth` settings,
// and gives the user a restart command and readable errors.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  type DocumentSelector,
  type Executable,
  LanguageClient,
  type LanguageClientOptions,
} from 'vscode-languageclient/node';

// tests/editors.rs reads these two lines to check them against Cargo.toml and `berth --help`.
export const SERVER_BINARY = 'berth';
export const SERVER_ARGS = ['server'];

const INSTALL_HINT =
  'Install it with `cargo install --path .` from a checkout of the berth repository, or set `berth.path`.';
const README_URL = 'https://github.com/berth-lsp/berth#readme';

// Dockerfiles are what berth analyses. The project files are synced only so that the server sees
// unsaved edits to them (it treats open buffers as overlays over the files on disk); the server
// answers requests on them with empty results. uv.lock is left out: it is large, rarely edited by
// hand, and the server watches it on disk.
const DOCUMENT_SELECTOR: DocumentSelector = [
  { language: 'dockerfile', scheme: 'file' },
  { language: 'dockerfile', scheme: 'untitled' },
  { pattern: '**/Containerfile', scheme: 'file' },
  { pattern: '**/Containerfile.*', scheme: 'file' },
  { pattern: '**/*.Dockerfile', scheme: 'file' },
  { pattern: '**/*.dockerfile', scheme: 'file' },
  { pattern: '**/Dockerfile.*', scheme: 'file' },
  { pattern: '**/Dockerfile-*', scheme: 'file' },
  { pattern: '**/Dockerfile_*', scheme: 'file' },
  { pattern: '**/*.containerfile', scheme: 'file' },
  { pattern: '**/pyproject.toml', scheme: 'file' },
  { pattern: '**/.python-version', scheme: 'file' },
  { pattern: '**/.dockerignore', scheme: 'file' },
  { pattern: '**/{compose,docker-compose}{,.override}.{yaml,yml}', scheme: 'file' },
];

let client: LanguageClient | undefined;
let outputChannel: vscode.OutputChannel;
let traceOutputChannel: vscode.OutputChannel;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  outputChannel = vscode.window.createOutputChannel('berth');
  traceOutputChannel = vscode.window.createOutputChannel('berth Trace');
  context.subscriptions.push(
    outputChannel,
    traceOutputChannel,
    vscode.commands.registerCommand('berth.restart', restartServer),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      // Other settings reach the running server through workspace/didChangeConfiguration;
      // a new executable needs a new process.
      if (event.affectsConfiguration('berth.path')) {
        await restartServer();
      }
    }),
  );
  await startServer();
}

export async function deactivate(): Promise<void> {
  await stopServer();
}

async function restartServer(): Promise<void> {
  await stopServer();
  await startServer();
}

async function stopServer(): Promise<void> {
  const running = client;
  client = undefined;
  if (running === undefined) {
    return;
  }
  try {
    await running.stop();
  } catch (error) {
    // A server that already died cannot be stopped politely; there is nothing left to clean up.
    outputChannel.appendLine(`berth: stopping the server failed: ${String(error)}`);
  }
}

async function startServer(): Promise<void> {
  const command = resolveServerCommand();
  if (command.kind === 'missing') {
    outputChannel.appendLine(`berth: ${command.reason} ${INSTALL_HINT}`);
    void showMissingBinaryError(command.reason);
    return;
  }
  outputChannel.appendLine(`berth: starting ${command.path} ${SERVER_ARGS.join(' ')}`);

  const executable: Executable = {
    command: command.path,
    args: SERVER_ARGS,
    options: { cwd: firstWorkspaceFolder() },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    // A function, so that a restart picks up settings changed since activation.
    initializationOptions: () => ({ berth: berthSection() }),
    synchronize: { configurationSection: 'berth' },
    outputChannel,
    traceOutputChannel,
  };
  // The id `berth` makes vscode-languageclient read `berth.trace.server` by itself.
  const created = new LanguageClient('berth', 'berth', { run: executable, debug: executable }, clientOptions);
  client = created;
  try {
    await created.start();
  } catch (error) {
    client = undefined;
    outputChannel.appendLine(`berth: the server did not start: ${String(error)}`);
    const choice = await vscode.window.showErrorMessage(
      `berth: the server did not start (${command.path}). See the "berth" output for details.`,
      'Show output',
      'Open settings',
    );
    await handleChoice(choice);
  }
}

// The `berth` section as the server receives it: dotted names nested, defaults filled in.
function berthSection(): unknown {
  return JSON.parse(JSON.stringify(vscode.workspace.getConfiguration('berth')));
}

type ServerCommand = { kind: 'found'; path: string } | { kind: 'missing'; reason: string };

function resolveServerCommand(): ServerCommand {
  const configured = vscode.workspace.getConfiguration('berth').get<string>('path', '').trim();
  if (configured !== '') {
    const resolved = resolveConfiguredPath(configured);
    if (isExecutableFile(resolved)) {
      return { kind: 'found', path: resolved };
    }
    return { kind: 'missing', reason: `\`berth.path\` is set to ${configured}, but no executable exists there.` };
  }
  const onPath = findOnPath(SERVER_BINARY);
  if (onPath !== undefined) {
    return { kind: 'found', path: onPath };
  }
  return { kind: 'missing', reason: `\`${SERVER_BINARY}\` was not found on PATH.` };
}

function resolveConfiguredPath(configured: string): string {
  let expanded = configured;
  if (expanded === '~' || expanded.startsWith('~/')) {
    expanded = path.join(os.homedir(), expanded.slice(1));
  }
  const folder = firstWorkspaceFolder();
  expanded = expanded.replace('${workspaceFolder}', folder ?? '');
  if (!path.isAbsolute(expanded) && folder !== undefined) {
    expanded = path.join(folder, expanded);
  }
  return expanded;
}

function findOnPath(name: string): string | undefined {
  const directories = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => dir !== '');
  // On Windows the executable carries one of the PATHEXT suffixes.
  const suffixes =
    process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const directory of directories) {
    for (const suffix of suffixes) {
      const candidate = path.join(directory, name + suffix);
      if (isExecutableFile(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

function isExecutableFile(candidate: string): boolean {
  try {
    if (!fs.statSync(candidate).isFile()) {
      return false;
    }
    fs.accessSync(candidate, process.platform === 'win32' ? fs.constants.F_OK : fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function firstWorkspaceFolder(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}

async function showMissingBinaryError(reason: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(
    `berth: ${reason} ${INSTALL_HINT}`,
    'Open settings',
    'Installation guide',
  );
  await handleChoice(choice);
}

async function handleChoice(choice: string | undefined): Promise<void> {
  switch (choice) {
    case 'Open settings':
      await vscode.commands.executeCommand('workbench.action.openSettings', 'berth.path');
      return;
    case 'Installation guide':
      await vscode.env.openExternal(vscode.Uri.parse(README_URL));
      return;
    case 'Show output':
      outputChannel.show();
      return;
    default:
      return;
  }
}
