import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { testEnv } from './test-env';

/** Runs the built operator CLI (`npm run memory -- ...`) and returns its exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [resolve(__dirname, '../../dist/libs/cli/src/memory.main.js'), ...args],
    {
      env: testEnv(env),
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs the CLI without blocking this process: for commands that call a server the test itself
 * runs (an in-test HTTP server cannot answer while `spawnSync` waits).
 */
export function runCliAsync(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [resolve(__dirname, '../../dist/libs/cli/src/memory.main.js'), ...args],
      { env: testEnv(env), stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Creates an API key of `tenantId` with `scopes` (comma-separated) through the CLI; returns it. */
export function createApiKey(tenantId: string, scopes: string): string {
  const created = runCli([
    'api-keys',
    'create',
    '--tenant',
    tenantId,
    '--name',
    'e2e',
    '--scopes',
    scopes,
  ]);
  const key = /key: (\S+)/.exec(created.stdout)?.[1];
  if (created.code !== 0 || !key) throw new Error(`api-keys create failed: ${created.stderr}`);
  return key;
}
