#!/usr/bin/env node
// `npm start`: brings up the stack if it is not running, builds, migrates, and runs the five
// services in one supervised process tree with prefixed logs. A service that crashes is
// restarted with backoff. Ctrl-C (at any point, the set-up included) stops the services, then
// the engines this run started (never those that were already running), and exits 0.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { say, sleep } from '../stack/lib/progress.mjs';
import { redactCredentials } from '../stack/lib/redact.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SERVICES = [
  { name: 'ingest', port: 3001, color: 36 },
  { name: 'summarizer', port: 3002, color: 35 },
  { name: 'compressor', port: 3003, color: 33 },
  { name: 'retention', port: 3004, color: 32 },
  { name: 'search', port: 3005, color: 34 },
  // The MCP server for agents (apps/mcp): no data of its own, it calls the services above.
  { name: 'mcp', port: 3006, color: 37 },
];
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
const width = Math.max(...SERVICES.map((s) => s.name.length));
const colored = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

function prefix(service) {
  const label = service.name.padEnd(width);
  return colored ? `\x1b[${service.color}m${label} |\x1b[0m ` : `${label} | `;
}

let stopping = false;
const children = new Map();
const crashes = new Map(SERVICES.map((s) => [s.name, []]));

// `stack.mjs up` lists here the engines it started, as soon as it started them.
const startedFile = join(tmpdir(), `memory-start-${process.pid}.json`);
let startedEngines = [];

function readStartedEngines() {
  if (!existsSync(startedFile)) return;
  try {
    startedEngines = JSON.parse(readFileSync(startedFile, 'utf8'));
  } catch {
    // written as we read it: the next read (at the latest on shutdown) sees it whole
  }
}

// Before any step: Ctrl-C during the set-up also stops the engines started so far.
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

/**
 * Runs a set-up step; false when a signal interrupted it (the shutdown is then under way). A
 * step that fails ends the process (the engines stay up for the next try).
 */
function run(title, args, extraEnv = {}) {
  say('start', title);
  const result = spawnSync(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...extraEnv },
  });
  if (result.signal === 'SIGINT' || result.signal === 'SIGTERM') {
    void shutdown(0);
    return false;
  }
  if (result.status !== 0) {
    say('start', `${title} failed (exit ${result.status})`);
    rmSync(startedFile, { force: true });
    process.exit(1);
  }
  return true;
}

const env = {
  ...process.env,
  LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
};
// The MCP server finds the services where this script starts them.
for (const name of ['ingest', 'search', 'retention']) {
  const variable = `MEMORY_${name.toUpperCase()}_URL`;
  env[variable] ??= `http://127.0.0.1:${portOf(SERVICES.find((s) => s.name === name))}`;
}
const ready =
  run('starting the stack', ['deploy/stack/stack.mjs', 'up'], {
    STACK_STARTED_FILE: startedFile,
  }) &&
  run('building the services', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']) &&
  run('rewriting path aliases', [
    'node_modules/tsc-alias/dist/bin/index.js',
    '-p',
    'tsconfig.build.json',
  ]) &&
  run('migrating the database', ['dist/libs/persistence/src/migrate.main.js']);

function portOf(service) {
  return Number(env[`${service.name.toUpperCase()}_PORT`] ?? service.port);
}

function launch(service) {
  const child = spawn(process.execPath, [join(root, `dist/apps/${service.name}/src/main.js`)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    // The services mask their own secrets; this catches any line printed before they could.
    createInterface({ input: stream }).on('line', (line) =>
      process.stdout.write(prefix(service) + redactCredentials(line) + '\n'),
    );
  }
  child.once('exit', (code, signal) => {
    children.delete(service.name);
    if (stopping) return;
    const now = Date.now();
    const recent = crashes.get(service.name).filter((t) => now - t < RESTART_WINDOW_MS);
    recent.push(now);
    crashes.set(service.name, recent);
    if (code === 78 || recent.length > MAX_RESTARTS) {
      say(
        'start',
        `${service.name} exited (${signal ?? code}) ${code === 78 ? 'with a configuration error' : `${recent.length} times in a minute`}; stopping everything`,
      );
      void shutdown(1);
      return;
    }
    const delay = 1000 * 2 ** (recent.length - 1);
    say('start', `${service.name} exited (${signal ?? code}); restarting in ${delay / 1000}s`);
    setTimeout(() => !stopping && launch(service), delay);
  });
  children.set(service.name, child);
}

async function health(service) {
  try {
    const response = await fetch(`http://127.0.0.1:${portOf(service)}/health/ready`, {
      signal: AbortSignal.timeout(3000),
    });
    return response.status === 200 ? 'ready' : `not ready (${response.status})`;
  } catch {
    return 'not answering';
  }
}

async function shutdown(exitCode) {
  if (stopping) return;
  stopping = true;
  say('start', 'stopping the services');
  const exits = [...children.values()].map(
    (child) => new Promise((done) => child.once('exit', done)),
  );
  for (const child of children.values()) child.kill('SIGTERM');
  const timeout = sleep(15_000).then(() => {
    for (const child of children.values()) child.kill('SIGKILL');
  });
  await Promise.race([Promise.all(exits), timeout]);
  readStartedEngines();
  rmSync(startedFile, { force: true });
  const started = startedEngines.filter((name) => name !== 'postgres');
  if (started.length > 0 && process.env.STACK_KEEP !== 'true') {
    spawnSync(process.execPath, ['deploy/stack/stack.mjs', 'down', ...started], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  say('start', 'stopped');
  process.exit(exitCode);
}

if (ready) for (const service of SERVICES) launch(service);

const deadline = Date.now() + 120_000;
let states = [];
while (!stopping && Date.now() < deadline) {
  states = await Promise.all(SERVICES.map(health));
  if (states.every((state) => state === 'ready')) break;
  await sleep(1000);
}
if (!stopping) {
  say('start', 'services:');
  SERVICES.forEach((service, index) => {
    say(
      'start',
      `  ${service.name.padEnd(width)}  http://127.0.0.1:${portOf(service)}  health: ${states[index]}`,
    );
  });
  say(
    'start',
    states.every((s) => s === 'ready')
      ? 'all five services and the MCP server are ready; Ctrl-C stops them'
      : 'some services are not ready yet; see their logs above',
  );
}
