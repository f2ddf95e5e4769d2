import { ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ServiceName } from '@memory/config';
import { testEnv, testPort } from './test-env';

const root = resolve(__dirname, '../..');

/** One built service running as its own process, the way `npm start` and production run it. */
export class ServiceProcess {
  readonly output: string[] = [];
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  private child: ChildProcess | undefined;
  private stopping = false;

  constructor(
    readonly service: ServiceName | 'mcp',
    private readonly env: Record<string, string> = {},
  ) {}

  /** True once the process has ended, whether stopped or by itself. */
  get exited(): boolean {
    return (
      this.child !== undefined && (this.child.exitCode !== null || this.child.signalCode !== null)
    );
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${testPort(this.service)}`;
  }

  start(): this {
    const child = spawn(
      process.execPath,
      [resolve(root, `dist/apps/${this.service}/src/main.js`)],
      {
        cwd: root,
        env: testEnv(this.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    // E2E_SERVICE_LOGS=<dir> keeps every service's output in a file, for a run to look into.
    const logDir = process.env.E2E_SERVICE_LOGS;
    const logFile = logDir ? join(logDir, `${this.service}-${child.pid ?? 0}.log`) : undefined;
    if (logDir) mkdirSync(logDir, { recursive: true });
    const collect = (chunk: Buffer): void => {
      this.output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (logFile) appendFileSync(logFile, chunk);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exit = new Promise((done) =>
      child.once('exit', (code, signal) => {
        // A service that ends by itself is worth a line in the test's output: nothing else would say so.
        if (!this.stopping)
          process.stdout.write(
            `[${this.service}] exited by itself (code ${String(code)}, signal ${String(signal)}); its last lines:\n` +
              `${this.output.slice(-15).join('\n')}\n`,
          );
        done({ code, signal });
      }),
    );
    this.child = child;
    return this;
  }

  /** Waits for `GET /health/ready` to answer 200; fails with the process output if it exits. */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exit?.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited)
        throw new Error(`${this.service} exited during start-up:\n${this.output.join('\n')}`);
      const status = await fetch(`${this.baseUrl}/health/ready`)
        .then((response) => response.status)
        .catch(() => 0);
      if (status === 200) return;
      await new Promise((resolveDelay) => setTimeout(resolveDelay, 250));
    }
    throw new Error(`${this.service} not ready after ${timeoutMs} ms:\n${this.output.join('\n')}`);
  }

  /**
   * Sends `signal` and resolves with the exit code, the signal that ended the process (null when
   * it exited by itself, or had already gone) and how long it took to go.
   */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const started = Date.now();
    if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null)
      return { code: this.child?.exitCode ?? null, signal: null, ms: 0 };
    this.stopping = true;
    this.child.kill(signal);
    const exit = (await this.exit) ?? { code: null, signal: null };
    return { ...exit, ms: Date.now() - started };
  }

  async waitExit(): Promise<number | null> {
    return (await this.exit)?.code ?? null;
  }
}
