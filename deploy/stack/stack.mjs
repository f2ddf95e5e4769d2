#!/usr/bin/env node
// Local engines for development, tests and `npm start`: Kafka (KRaft) and OpenSearch with
// k-NN, provisioned from Maven Central and run on the machine's Java, plus PostgreSQL from the
// machine; `up` also fetches the local embedding model (models.mjs).
// Usage: node deploy/stack/stack.mjs up|down|status
// Engines whose configured address is not on this machine are only probed, never started.
// With STACK_STARTED_FILE set, `up` writes there the JSON list of the engines it started.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  databaseName,
  endpoints,
  ensureDatabase,
  isLocalHost,
  kafkaAnswers,
  opensearchAnswers,
  opensearchPlugins,
  postgresAnswers,
  startSystemPostgres,
} from './lib/engines.mjs';
import { readPid, startDetached, stopProcess, tail } from './lib/processes.mjs';
import { DEFAULT_MODEL, defaultStackDir, provisionModels } from './models.mjs';
import { say, waitFor } from './lib/progress.mjs';
import { redactCredentials } from './lib/redact.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const stackDir = defaultStackDir();

function kafkaEngine(brokers) {
  const first = brokers.split(',')[0];
  const separator = first.lastIndexOf(':');
  const host = first.slice(0, separator);
  const port = first.slice(separator + 1);
  return {
    name: 'kafka',
    address: brokers,
    local: brokers.split(',').length === 1 && isLocalHost(host),
    answers: () => kafkaAnswers(brokers),
    provision: join(here, 'kafka/provision.sh'),
    run: join(here, 'kafka/run.sh'),
    env: {
      KAFKA_PORT: port,
      KAFKA_CONTROLLER_PORT: String(Number(port) + 1),
      KAFKA_STACK_DIR: join(stackDir, 'kafka'),
    },
    timeoutMs: 180_000,
  };
}

function opensearchEngine(url) {
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return {
    name: 'opensearch',
    address: url,
    local: parsed.protocol === 'http:' && isLocalHost(parsed.hostname),
    answers: () => opensearchAnswers(url),
    provision: join(here, 'opensearch/provision.sh'),
    run: join(here, 'opensearch/run.sh'),
    env: { OPENSEARCH_PORT: port, OPENSEARCH_STACK_DIR: join(stackDir, 'opensearch') },
    timeoutMs: 300_000,
  };
}

function files(engine) {
  const dir = join(stackDir, engine.name);
  return { pidFile: join(dir, 'engine.pid'), logFile: join(dir, 'logs', 'console.log') };
}

function provision(engine) {
  say(engine.name, 'provisioning from Maven Central (cached after the first run)');
  const result = spawnSync('bash', [engine.provision], {
    stdio: 'inherit',
    env: { ...process.env, ...engine.env },
  });
  if (result.status !== 0)
    throw new Error(`${engine.name}: provisioning failed (exit ${result.status})`);
}

async function up() {
  const { kafkaBrokers, opensearchUrl, databaseUrl } = endpoints();
  const engines = [kafkaEngine(kafkaBrokers), opensearchEngine(opensearchUrl)];
  const toStart = [];
  for (const engine of engines) {
    if (await engine.answers()) {
      say(engine.name, `already running at ${engine.address}`);
    } else if (!engine.local) {
      throw new Error(
        `${engine.name}: ${engine.address} does not answer and is not local, so it is not started here`,
      );
    } else {
      provision(engine);
      toStart.push(engine);
    }
  }
  // Only what this run starts itself: an engine whose process runs already is someone else's.
  const started = [];
  for (const engine of toStart) {
    const { pidFile, logFile } = files(engine);
    const running = readPid(pidFile);
    if (running) {
      say(engine.name, `process ${running} is running but does not answer yet`);
      continue;
    }
    const pid = startDetached({
      command: 'bash',
      args: [engine.run],
      env: engine.env,
      logFile,
      pidFile,
    });
    say(engine.name, `started (pid ${pid}), log: ${logFile}`);
    started.push(engine);
  }
  // Written now, not once everything answers: an `up` interrupted while it waits still tells
  // the caller what it started.
  recordStarted(started);
  // The local embedding model (libs/embeddings), while the engines start.
  say('models', 'provisioning the embedding model from Maven Central (cached after the first run)');
  // EMBEDDING_MODEL, when set, is the model the services will load (libs/embeddings).
  await provisionModels({
    stackDir,
    models: [process.env.EMBEDDING_MODEL || DEFAULT_MODEL],
    log: (message) => say('models', message),
  });
  await upPostgres(databaseUrl);
  const results = await Promise.all(
    toStart.map((engine) =>
      waitFor(engine.name, engine.address, engine.answers, { timeoutMs: engine.timeoutMs }),
    ),
  );
  const failed = toStart.filter((_, index) => !results[index]);
  for (const engine of failed) {
    say(
      engine.name,
      `did not become ready; last lines of ${files(engine).logFile}:\n${tail(files(engine).logFile)}`,
    );
  }
  if (failed.length > 0) throw new Error(`not ready: ${failed.map((e) => e.name).join(', ')}`);
  // Which JDK the node runs on, and why (run.sh prefers one whose vector module Lucene uses).
  for (const engine of toStart.filter((e) => e.name === 'opensearch')) {
    const logFile = files(engine).logFile;
    const line = (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '')
      .split('\n')
      .filter((l) => l.startsWith('[opensearch:run] OpenSearch'))
      .pop();
    const java = line?.match(/java (\d+ at .*)$/)?.[1];
    if (java) say('opensearch', `java ${java}`);
  }
  const plugins = await opensearchPlugins(opensearchUrl).catch(() => []);
  if (!plugins.includes('opensearch-knn')) {
    say(
      'opensearch',
      `warning: the k-NN plugin is not loaded at ${opensearchUrl} (plugins: ${plugins.join(', ') || 'none'})`,
    );
  }
  say('stack', 'up: kafka, opensearch and postgres answer');
}

/** Lets the caller (npm start, the test setup) stop afterwards only what this run started. */
function recordStarted(engines) {
  const file = process.env.STACK_STARTED_FILE;
  if (!file) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(engines.map((engine) => engine.name)));
}

async function upPostgres(url) {
  const host = new URL(url).hostname;
  if (!(await postgresAnswers(url))) {
    if (!isLocalHost(host)) throw new Error(`postgres: ${host} does not answer and is not local`);
    say(
      'postgres',
      `nothing answers at ${host}; starting a local PostgreSQL (installing Debian's package if needed)`,
    );
    if (!startSystemPostgres()) {
      throw new Error(
        'postgres: nothing answers at DATABASE_URL and no local cluster could be started; set DATABASE_URL to a running server',
      );
    }
    const ok = await waitFor('postgres', host, () => postgresAnswers(url), { timeoutMs: 60_000 });
    if (!ok) throw new Error('postgres: did not become ready');
  }
  const created = await ensureDatabase(url);
  say('postgres', `${created ? 'created' : 'using'} database "${databaseName(url)}" at ${host}`);
}

async function down(names) {
  const selected = names.length > 0 ? names : ['opensearch', 'kafka'];
  for (const name of selected) {
    const { pidFile } = files({ name });
    const stopped = await stopProcess(pidFile);
    say(name, stopped ? 'stopped' : 'was not running (from this stack)');
  }
}

async function status() {
  const { kafkaBrokers, opensearchUrl, databaseUrl } = endpoints();
  let allUp = true;
  for (const engine of [kafkaEngine(kafkaBrokers), opensearchEngine(opensearchUrl)]) {
    const pid = readPid(files(engine).pidFile);
    const answers = await engine.answers();
    allUp &&= answers;
    say(
      engine.name,
      `${answers ? 'up' : 'down'} at ${engine.address}${pid ? ` (pid ${pid})` : ''}`,
    );
  }
  const pg = await postgresAnswers(databaseUrl);
  allUp &&= pg;
  say('postgres', `${pg ? 'up' : 'down'} at ${new URL(databaseUrl).host}`);
  return allUp;
}

const [command, ...names] = process.argv.slice(2);
const commands = { up, down, status };
if (!(command in commands) || names.some((name) => !['kafka', 'opensearch'].includes(name))) {
  process.stderr.write('usage: stack.mjs up | down [kafka] [opensearch] | status\n');
  process.exit(2);
}
commands[command](names)
  .then((result) => process.exit(result === false ? 1 : 0))
  .catch((error) => {
    process.stderr.write(`stack ${command} failed: ${redactCredentials(error.message)}\n`);
    process.exit(1);
  });
