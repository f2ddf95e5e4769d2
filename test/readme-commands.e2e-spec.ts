import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SERVICE_NAMES } from '@memory/config';
import { groupsAtTopicEnds } from './support/consumer-groups';
import { eventually } from './support/eventually';
import { testKafka } from './support/kafka';
import { testEnv, testPort } from './support/test-env';

/*
 * The README's commands as a user runs them: `npm start` and `npm run demo` (their package.json
 * command lines) until Ctrl-C (SIGINT to the whole process group, as a terminal sends it), `npm run stack:up`/`stack:down` on an
 * engine of their own. Each must exit 0 and leave nothing running that it started, and nothing
 * stopped that it did not start (the suite's engines go on answering).
 */

const ROOT = resolve(__dirname, '..');
const OPENSEARCH = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
const DEMO_PORTS = [3001, 3002, 3003, 3004, 3005];

/**
 * The command line of a package.json script. The test runs it as npm does (`sh -c`, with
 * node_modules/.bin on the PATH) but `exec`ed, so the exit status is the script's own: npm itself
 * answers Ctrl-C by re-raising the signal (130 in a shell), whatever the script did.
 */
function scriptLine(name: string): string {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  return scripts[name];
}

/** A README command run the way a user runs it, in a process group of its own. */
class Command {
  readonly output: string[] = [];
  private readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(script: string, env: NodeJS.ProcessEnv) {
    this.child = spawn('sh', ['-c', `exec ${scriptLine(script)}`], {
      cwd: ROOT,
      env: { ...env, PATH: `${join(ROOT, 'node_modules/.bin')}:${env.PATH ?? ''}` },
      detached: true,
      stdio: 'pipe',
    });
    for (const stream of [this.child.stdout, this.child.stderr])
      stream?.on('data', (chunk: Buffer) => this.output.push(chunk.toString('utf8')));
    this.exited = new Promise((done) =>
      this.child.once('exit', (code, signal) => done({ code, signal })),
    );
  }

  get group(): number {
    return this.child.pid ?? 0;
  }

  text(): string {
    return this.output.join('');
  }

  /** Waits until the output holds `line`; fails with the output if the command ends first. */
  async waitFor(line: string, timeoutMs: number): Promise<void> {
    let ended = false;
    void this.exited.then(() => (ended = true));
    await eventually(
      () => {
        if (ended) throw new Error(`ended before "${line}":\n${this.tail()}`);
        return Promise.resolve(this.text().includes(line) ? true : undefined);
      },
      timeoutMs,
      500,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; output:\n${this.tail()}`);
    });
  }

  /** Ctrl-C: SIGINT to every process of the group. */
  interrupt(): void {
    process.kill(-this.group, 'SIGINT');
  }

  /** The processes of the group still alive (pgrep exits 1 when there are none). */
  leftOver(): string[] {
    const found = spawnSync('pgrep', ['-a', '-g', String(this.group)], { encoding: 'utf8' });
    return found.stdout.split('\n').filter(Boolean);
  }

  kill(): void {
    try {
      process.kill(-this.group, 'SIGKILL');
    } catch {
      // gone already
    }
  }

  tail(): string {
    return this.text().split('\n').slice(-40).join('\n');
  }
}

const answers = (url: string): Promise<boolean> =>
  fetch(url, { signal: AbortSignal.timeout(2_000) })
    .then(() => true)
    .catch(() => false);

/** The suite's engines, which none of these commands started, must still answer. */
async function enginesStillAnswer(): Promise<void> {
  expect(await answers(OPENSEARCH)).toBe(true);
  const kafka = testKafka().admin();
  await kafka.connect();
  await kafka.listTopics();
  await kafka.disconnect();
}

/** Whether `port` (0: any) can be listened on; resolves the port taken, or 0. */
async function listenable(port: number): Promise<number> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(0));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A free port whose next port is free too (Kafka's controller listens there). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await listenable(0);
    if (port > 0 && port < 65_535 && (await listenable(port + 1)) === port + 1) return port;
  }
}

describe('the README commands', () => {
  const commands: Command[] = [];
  afterAll(() => {
    for (const command of commands) command.kill();
  });

  it('npm start runs the five services and the MCP server; Ctrl-C stops them, exits 0 and leaves the engines it did not start', async () => {
    const prefix = await groupsAtTopicEnds(testKafka(), 'e2e-start');
    const start = new Command(
      'start',
      testEnv({ KAFKA_GROUP_PREFIX: prefix, OPENSEARCH_INDEX_PREFIX: prefix, LOG_FORMAT: 'json' }),
    );
    commands.push(start);
    await start.waitFor('all five services and the MCP server are ready', 600_000);
    for (const service of [...SERVICE_NAMES, 'mcp' as const])
      expect(await answers(`http://127.0.0.1:${testPort(service)}/health/live`)).toBe(true);

    start.interrupt();
    expect(await start.exited).toEqual({ code: 0, signal: null });
    expect(start.text()).toContain('stopped');
    expect(start.leftOver()).toEqual([]);
    for (const service of [...SERVICE_NAMES, 'mcp' as const])
      expect(await answers(`http://127.0.0.1:${testPort(service)}/health/live`)).toBe(false);
    await enginesStillAnswer();
  }, 900_000);

  it('npm run demo shows its searches; Ctrl-C stops it, exits 0 and leaves the engines it did not start', async () => {
    const demo = new Command('demo', { ...process.env, LOG_LEVEL: 'warn' });
    commands.push(demo);
    await demo.waitFor('The system is running', 900_000);
    expect(demo.text()).toContain('search: "');
    // The question the README suggests is asked, each result shows its evidence lines, and the
    // demo shows what a chat product would put in its prompt. Where family-car ranks is printed
    // (a ✓ or what came instead), not asserted: it is archived, its local summary never says
    // "car", and it came second or fourth in runs of the same code (docs/architecture.md).
    const car = demo.text().split('search: "What did we decide about the car?" (hybrid)')[1] ?? '';
    const carResults = car.split('search: "')[0] ?? '';
    expect(carResults).toMatch(/\| 1 \| [a-z0-9-]+ +\|/);
    expect(carResults).toMatch(/\[[a-z0-9-]+#\d+-\d+\] \d{4}-\d{2}-\d{2} /);
    expect(demo.text()).toContain('context for a prompt');
    // How to point an MCP client at it: the HTTP endpoint with the agent key, and stdio.
    expect(demo.text()).toMatch(
      /"url": "http:\/\/localhost:3006\/mcp",\s+"headers": \{"Authorization": "Bearer mk_/,
    );
    expect(demo.text()).toContain('"MCP_TRANSPORT": "stdio", "MEMORY_API_KEY": "mk_');

    demo.interrupt();
    expect(await demo.exited).toEqual({ code: 0, signal: null });
    expect(demo.leftOver()).toEqual([]);
    for (const port of DEMO_PORTS)
      expect(await answers(`http://127.0.0.1:${port}/health/live`)).toBe(false);
    await enginesStillAnswer();
  }, 1_200_000);

  it('npm run stack:up starts an engine once, stack:down stops it, and neither touches the others', async () => {
    // A Kafka of its own (its own directory and ports); the suite's OpenSearch answers, so it is
    // left alone, and Postgres is the machine's.
    const stackDir = mkdtempSync(join(tmpdir(), 'memory-stack-'));
    const port = await freePortPair();
    const env = {
      ...process.env,
      STACK_DIR: stackDir,
      KAFKA_BROKERS: `127.0.0.1:${port}`,
      OPENSEARCH_URL: OPENSEARCH,
    };
    const npm = (...args: string[]) =>
      spawnSync('npm', ['run', ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 600_000 });
    try {
      const up = npm('stack:up');
      expect({ code: up.status, out: up.status === 0 ? '' : up.stdout + up.stderr }).toEqual({
        code: 0,
        out: '',
      });
      expect(up.stdout).toMatch(/\[kafka\] started/);
      expect(up.stdout).toMatch(/\[opensearch\] already running/);
      expect(npm('stack:status').status).toBe(0);

      const again = npm('stack:up');
      expect(again.status).toBe(0);
      expect(again.stdout).toMatch(/\[kafka\] already running/);

      const down = npm('stack:down');
      expect(down.status).toBe(0);
      expect(down.stdout).toMatch(/\[kafka\] stopped/);
      expect(down.stdout).toMatch(/\[opensearch\] was not running \(from this stack\)/);
      expect(npm('stack:status').status).not.toBe(0);
      await enginesStillAnswer();
    } finally {
      npm('stack:down');
      rmSync(stackDir, { recursive: true, force: true });
    }
  }, 900_000);
});
