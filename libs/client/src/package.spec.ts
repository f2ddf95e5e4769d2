import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const PACKAGE = resolve(__dirname, '..');
const ROOT = resolve(PACKAGE, '../..');

describe('the client as an npm package of its own', () => {
  it('imports nothing but its own files and Node built-ins (no NestJS, no service code, no dependencies)', () => {
    const sources = readdirSync(__dirname).filter(
      (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'),
    );
    const imports = sources.flatMap((name) =>
      [...readFileSync(join(__dirname, name), 'utf8').matchAll(/from '([^']+)'/g)].map(
        (match) => match[1],
      ),
    );
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.filter((path) => !path.startsWith('./') && !path.startsWith('node:'))).toEqual(
      [],
    );
    const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest).toMatchObject({ license: 'Apache-2.0', types: 'dist/index.d.ts' });
  });

  it('builds with its own tsconfig into JavaScript and type declarations', async () => {
    const out = mkdtempSync(join(tmpdir(), 'memory-client-'));
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', PACKAGE, '--outDir', out],
        { cwd: PACKAGE, stdio: 'pipe' },
      );
      for (const file of ['index.js', 'index.d.ts', 'memory-client.d.ts', 'types.d.ts'])
        expect(existsSync(join(out, file))).toBe(true);
      expect(readdirSync(out).some((name) => name.includes('.spec.'))).toBe(false);
      const built = (await import(join(out, 'index.js'))) as Record<string, unknown>;
      expect(Object.keys(built)).toEqual(
        expect.arrayContaining(['MemoryClient', 'MemoryApiError', 'chatMessageRecord']),
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it("typechecks the README's example against this package", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const example = /### TypeScript client[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(example).toContain("from '@conversation-memory/client'");
    const dir = mkdtempSync(join(__dirname, '.readme-example-'));
    try {
      const file = join(dir, 'example.ts');
      // Top-level await is the example's; a CommonJS check needs it in a function.
      const lines = (example ?? '')
        .replace("'@conversation-memory/client'", "'../index'")
        .split('\n');
      const imports = lines.filter((line) => line.startsWith('import '));
      const body = lines.filter((line) => !line.startsWith('import '));
      writeFileSync(
        file,
        [...imports, 'export async function example() {', ...body, '}'].join('\n'),
      );
      const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
      const options = ['--noEmit', '--strict', '--target', 'ES2022', '--module', 'commonjs'];
      const result = spawnSync(
        process.execPath,
        [tsc, '--ignoreConfig', ...options, '--lib', 'ES2023,DOM', '--types', 'node', file],
        { cwd: ROOT, encoding: 'utf8' },
      );
      expect(result.stdout).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
