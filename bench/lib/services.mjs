// What the benchmark and evaluation scripts share to run the real system: build steps, a
// fresh database, consumer groups at the end of the topics, the services from dist/ as child
// processes (killed when the script exits), and polling.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { say } from './console.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const children = new Set();
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

/** Runs a node script of the repository to completion; throws when it fails. */
export function runStep(scope, title, args, env = {}) {
  say(scope, title);
  const result = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`"${title}" failed (exit ${String(result.status)})`);
}

/** Runs the built operator CLI (`npm run memory -- ...`) with `env`; returns its stdout. */
export function cli(args, env = {}) {
  const result = spawnSync(process.execPath, ['dist/libs/cli/src/memory.main.js', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`memory ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** The stack up (idempotent) and a build of the services. */
export function stackAndBuild(scope) {
  runStep(scope, 'starting the stack', ['deploy/stack/stack.mjs', 'up']);
  runStep(scope, 'building', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
  runStep(scope, 'rewriting path aliases', [
    'node_modules/tsc-alias/dist/bin/index.js',
    '-p',
    'tsconfig.build.json',
  ]);
}

/** `serverUrl` with its database replaced by `name`. */
export function databaseUrl(serverUrl, name) {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops and creates database `name` on the server of `serverUrl`, then migrates it. */
export async function freshDatabase(scope, serverUrl, name) {
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
export async function groupsAtEnd(kafka, prefix, topicGroups) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const [topic, group] of topicGroups) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
      if (offsets.length > 0)
        await admin.setOffsets({
          groupId: `${prefix}.${group}`,
          topic,
          partitions: offsets.map(({ partition, high }) => ({ partition, offset: high })),
        });
    }
  } finally {
    await admin.disconnect();
  }
}

export function freePort() {
  return new Promise((done, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

/** A positive integer from the environment, or `fallback` when unset. */
export function intEnv(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name}: expected a positive integer`);
  return value;
}

export const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

/** Polls `probe` until it returns something other than undefined. */
export async function until(probe, what, timeoutMs = 900_000, everyMs = 250) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Starts `dist/apps/<name>` with `env`; its stderr goes to ours. */
export function startService(scope, name, env) {
  const child = spawn(process.execPath, [resolve(ROOT, `dist/apps/${name}/src/main.js`)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  child.once('exit', (code) => {
    children.delete(child);
    if (code) say(scope, `${name} exited with ${code}`);
  });
  return child;
}

/** Stops every service this script started. */
export function stopServices(signal = 'SIGTERM') {
  for (const child of children) child.kill(signal);
}

/** Waits until the service on `port` answers /health/ready. */
export async function waitReady(port) {
  await until(
    () =>
      fetch(`http://127.0.0.1:${port}/health/ready`)
        .then((response) => (response.status === 200 ? true : undefined))
        .catch(() => undefined),
    `the service on port ${port}`,
    180_000,
  );
}
