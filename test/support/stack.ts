import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../..');

/** `node deploy/stack/stack.mjs <args>` (e.g. `down kafka`, `up`), failing the test if it fails. */
export function stack(...args: string[]): void {
  const result = spawnSync(process.execPath, [resolve(root, 'deploy/stack/stack.mjs'), ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`stack ${args.join(' ')}: ${result.stderr}`);
}
