import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { STARTED_ENGINES_FILE } from './stack-files';
import { Client } from 'pg';
import { FILE_DATABASE_PREFIX, TEMPLATE_DATABASE_URL } from './test-database';

// Runs outside Jest's module system, so it uses no @memory/* alias: only scripts and dist/.
const root = resolve(__dirname, '../..');

function step(title: string, args: string[], extraEnv: Record<string, string> = {}): void {
  process.stdout.write(`\n[e2e setup] ${title}\n`);
  const env = { ...process.env, DATABASE_URL: TEMPLATE_DATABASE_URL, ...extraEnv };
  const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`e2e setup: "${title}" failed (exit ${String(result.status)})`);
}

/**
 * Starts the real engines (idempotent), builds the services, migrates the template test database
 * (each file copies it: test/support/file-database.ts) and creates the topics, so tests may read
 * topic offsets before any service has started.
 */
export default async function globalSetup(): Promise<void> {
  step('starting the stack (Kafka, OpenSearch, PostgreSQL)', ['deploy/stack/stack.mjs', 'up'], {
    STACK_STARTED_FILE: STARTED_ENGINES_FILE,
  });
  step('building the services', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
  step('rewriting path aliases', [
    'node_modules/tsc-alias/dist/bin/index.js',
    '-p',
    'tsconfig.build.json',
  ]);
  step('migrating the template test database', ['dist/libs/persistence/src/migrate.main.js']);
  await dropLeftFileDatabases();
  step('creating the topics', ['dist/libs/cli/src/memory.main.js', 'topics', 'ensure']);
}

/** Drops the per-file databases an interrupted run left behind. */
async function dropLeftFileDatabases(): Promise<void> {
  const url = new URL(TEMPLATE_DATABASE_URL);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
      [FILE_DATABASE_PREFIX],
    );
    for (const { datname } of rows) await client.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
    if (rows.length)
      process.stdout.write(`[e2e setup] dropped ${rows.length} left-over test databases\n`);
  } finally {
    await client.end();
  }
}
