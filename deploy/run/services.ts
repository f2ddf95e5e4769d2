// What the demo, benchmark and evaluation scripts share to run the real system: build steps,
// a fresh database, consumer groups at the end of the topics, the services from dist/ as child
// processes (killed when the script exits), and polling.
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { commitGroupOffsets } from '@memory/kafka';
import type { Kafka } from 'kafkajs';
import pg from 'pg';
import { say } from './console';

export const ROOT = resolve(__dirname, '../..');

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** A step's process was stopped by Ctrl-C (or SIGTERM): the script is being interrupted. */
export class InterruptedError extends Error {
  constructor(what: string, signal: string) {
    super(`${what}: interrupted (${signal})`);
    this.name = 'InterruptedError';
  }
}

/**
 * Runs a node script of the repository to completion; throws when it fails, an
 * InterruptedError when a signal stopped it.
 */
export function runStep(
  scope: string,
  title: string,
  args: string[],
  env: Record<string, string> = {},
): void {
  say(scope, title);
  const result = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.signal === 'SIGINT' || result.signal === 'SIGTERM')
    throw new InterruptedError(title, result.signal);
  if (result.status !== 0) throw new Error(`"${title}" failed (exit ${String(result.status)})`);
}

/** Runs the built operator CLI (`npm run memory -- ...`) with `env`; returns its stdout. */
export function cli(args: string[], env: Record<string, string> = {}): string {
  const result = spawnSync(process.execPath, ['dist/libs/cli/src/memory.main.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`memory ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** An API key of `tenant` with `scopes`, made with the CLI. */
export function apiKey(
  tenant: string,
  name: string,
  scopes: string,
  env: Record<string, string>,
): string {
  const key = /key: (\S+)/.exec(
    cli(['api-keys', 'create', '--tenant', tenant, '--name', name, '--scopes', scopes], env),
  )?.[1];
  if (!key) throw new Error('no API key in the CLI output');
  return key;
}

/** Where `stack.mjs up` lists the engines this script started (never those already running). */
const startedFile = join(tmpdir(), `memory-script-${process.pid}-engines.json`);

/** The engines this script's `stack.mjs up` started, as far as it got. */
function startedEngines(): string[] {
  if (!existsSync(startedFile)) return [];
  try {
    return (JSON.parse(readFileSync(startedFile, 'utf8')) as string[]).filter(
      (name) => name !== 'postgres',
    );
  } catch {
    return [];
  }
}

/**
 * Stops the engines this script started (Kafka, OpenSearch; PostgreSQL is the machine's), unless
 * STACK_KEEP=true: a script that started the stack leaves the machine as it found it.
 */
export function stopStartedEngines(scope: string): void {
  const started = startedEngines();
  rmSync(startedFile, { force: true });
  if (started.length === 0) return;
  if (process.env.STACK_KEEP === 'true') {
    say(scope, `STACK_KEEP=true: leaving ${started.join(', ')} running`);
    return;
  }
  say(scope, `stopping the engines it started: ${started.join(', ')}`);
  spawnSync(process.execPath, ['deploy/stack/stack.mjs', 'down', ...started], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

/**
 * The stack up (idempotent; what it started is remembered for {@link stopStartedEngines}) and a
 * build of the services; with `skipBuild`, the dist/ of an earlier build is used as it is.
 */
export function stackAndBuild(scope: string, { skipBuild = false } = {}): void {
  runStep(scope, 'starting the stack', ['deploy/stack/stack.mjs', 'up'], {
    STACK_STARTED_FILE: startedFile,
  });
  if (skipBuild) {
    say(scope, 'BENCH_SKIP_BUILD=true: using the existing dist/');
    return;
  }
  runStep(scope, 'building', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
  runStep(scope, 'rewriting path aliases', [
    'node_modules/tsc-alias/dist/bin/index.js',
    '-p',
    'tsconfig.build.json',
  ]);
}

/** `serverUrl` with its database replaced by `name`. */
export function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops and creates database `name` on the server of `serverUrl`, then migrates it. */
export async function freshDatabase(scope: string, serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  runStep(scope, `migrating ${name}`, ['dist/libs/persistence/src/migrate.main.js'], {
    DATABASE_URL: databaseUrl(serverUrl, name),
  });
}

/** Points new consumer groups `<prefix>.<group>` at the current end of their topics. */
export async function groupsAtEnd(
  kafka: Kafka,
  prefix: string,
  topicGroups: Array<[topic: string, group: string]>,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const [topic, group] of topicGroups) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
      if (offsets.length > 0)
        await commitGroupOffsets(
          kafka,
          `${prefix}.${group}`,
          topic,
          offsets.map(({ partition, high }) => ({ partition, offset: high })),
        );
    }
  } finally {
    await admin.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

/** A positive integer from the environment, or `fallback` when unset. */
export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name}: expected a positive integer`);
  return value;
}

/** The server of DATABASE_URL (the scripts use databases of their own on it). */
export const serverUrl = (): string =>
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/memory';

/** The brokers of KAFKA_BROKERS. */
export const brokers = (): string[] => (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Polls `probe` until it returns something other than undefined. */
export async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 900_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/**
 * Starts `dist/apps/<name>` with `env`; its stderr goes to ours. `SERVICE_NODE_ARGS` (space
 * separated) go to node before the script, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile
 * the services of a benchmark (Node refuses `--cpu-prof` in NODE_OPTIONS). `SERVICE_LOG_DIR`
 * keeps each service's log lines (stdout) in `<dir>/<name>-<pid>.log`; without it they go.
 */
export function startService(
  scope: string,
  name: string,
  env: Record<string, string>,
): ChildProcess {
  const nodeArgs = (process.env.SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const script = resolve(ROOT, `dist/apps/${name}/src/main.js`);
  const logDir = process.env.SERVICE_LOG_DIR;
  const child = spawn(process.execPath, [...nodeArgs, script], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', logDir ? 'pipe' : 'ignore', 'inherit'],
  });
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    child.stdout?.pipe(createWriteStream(join(logDir, `${name}-${child.pid ?? 0}.log`)));
  }
  children.add(child);
  child.once('exit', (code) => {
    children.delete(child);
    if (code) say(scope, `${name} exited with ${code}`);
  });
  return child;
}

/** Stops every service this script started. */
export function stopServices(signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const child of children) child.kill(signal);
}

/** SIGTERM to every service this script started; resolves once they exited (SIGKILL after `graceMs`). */
export async function stopServicesAndWait(graceMs = 15_000): Promise<void> {
  const alive = (child: ChildProcess): boolean =>
    child.exitCode === null && child.signalCode === null;
  const running = [...children].filter(alive);
  const exits = running.map((child) => new Promise((done) => child.once('exit', done)));
  for (const child of running) child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((done) => (timer = setTimeout(done, graceMs)));
  await Promise.race([Promise.all(exits), late]);
  clearTimeout(timer);
  for (const child of running) if (alive(child)) child.kill('SIGKILL');
}

/** Waits until the service on `port` answers /health/ready. */
export async function waitReady(port: number): Promise<void> {
  await until(
    () =>
      fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((response) => (response.status === 200 ? true : undefined))
        .catch(() => undefined),
    `the service on port ${port}`,
    180_000,
  );
}
