import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { STARTED_ENGINES_FILE } from './stack-files';
import { TEST_DATABASE_URL } from './test-database';

// Runs outside Jest's module system, so it uses no @memory/* alias: only scripts and dist/.
const root = resolve(__dirname, '../..');

function step(title: string, args: string[], extraEnv: Record<string, string> = {}): void {
  process.stdout.write(`\n[e2e setup] ${title}\n`);
  const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, ...extraEnv };
  const result = spawnSync(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error(`e2e setup: "${title}" failed (exit ${String(result.status)})`);
}

/**
 * Starts the real engines (idempotent), builds the services, migrates the test database and
 * creates the topics, so tests may read topic offsets before any service has started.
 */
export default function globalSetup(): void {
  step('starting the stack (Kafka, OpenSearch, PostgreSQL)', ['deploy/stack/stack.mjs', 'up'], {
    STACK_STARTED_FILE: STARTED_ENGINES_FILE,
  });
  step('building the services', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json']);
  step('rewriting path aliases', [
    'node_modules/tsc-alias/dist/bin/index.js',
    '-p',
    'tsconfig.build.json',
  ]);
  step('migrating the test database', ['dist/libs/persistence/src/migrate.main.js']);
  step('creating the topics', ['dist/libs/cli/src/memory.main.js', 'topics', 'ensure']);
}
