import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { STARTED_ENGINES_FILE } from './stack-files';

/**
 * Stops the engines the setup started (an already running stack is left alone), so a test run
 * leaves the machine as it found it. STACK_KEEP=true keeps them for faster re-runs.
 */
export default function globalTeardown(): void {
  if (!existsSync(STARTED_ENGINES_FILE)) return;
  const started = JSON.parse(readFileSync(STARTED_ENGINES_FILE, 'utf8')) as string[];
  rmSync(STARTED_ENGINES_FILE, { force: true });
  if (started.length === 0 || process.env.STACK_KEEP === 'true') return;
  process.stdout.write(
    `\n[e2e teardown] stopping ${started.join(', ')} (STACK_KEEP=true keeps them)\n`,
  );
  spawnSync(process.execPath, ['deploy/stack/stack.mjs', 'down', ...started], {
    cwd: resolve(__dirname, '../..'),
    stdio: 'inherit',
  });
}
