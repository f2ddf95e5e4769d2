import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');

function node(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('stack scripts', () => {
  it('mask the passwords of the URLs they print', () => {
    const stackDir = mkdtempSync(join(tmpdir(), 'stack-redaction-'));
    try {
      // Nothing listens on port 1: every engine is reported down, with its address.
      const status = node(['deploy/stack/stack.mjs', 'status'], {
        STACK_DIR: stackDir,
        KAFKA_BROKERS: '127.0.0.1:1',
        OPENSEARCH_URL: 'http://admin:os-s3cret@127.0.0.1:1',
        DATABASE_URL: 'postgres://memory:pg-s3cret@127.0.0.1:1/memory',
      });
      expect(status.code).toBe(1);
      expect(status.output).toContain('[opensearch] down at http://admin:***@127.0.0.1:1');
      expect(status.output).not.toMatch(/s3cret/);
    } finally {
      rmSync(stackDir, { recursive: true, force: true });
    }
  });

  it('share one masking rule with libs/config', () => {
    const script = `import('./deploy/stack/lib/redact.mjs').then((m) => process.stdout.write(
      m.redactCredentials('at postgres://u:p@ss@db:5432/x and http://plain@host and https://a:b@c')))`;
    expect(node(['-e', script]).output).toBe(
      'at postgres://u:***@db:5432/x and http://plain@host and https://a:***@c',
    );
  });
});
