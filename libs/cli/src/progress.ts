/**
 * A progress line for long operations: redrawn in place on a terminal, one line every few
 * seconds otherwise (CI logs). Writes to stderr so stdout stays for results.
 */
export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private lastPrinted = 0;
  private readonly interactive = Boolean(process.stderr.isTTY);

  constructor(
    private readonly label: string,
    private total: number,
  ) {}

  setTotal(total: number): void {
    this.total = total;
  }

  advance(count = 1): void {
    this.done += count;
    const now = Date.now();
    if (now - this.lastPrinted >= (this.interactive ? 100 : 5_000) || this.done >= this.total) {
      this.lastPrinted = now;
      this.render();
    }
  }

  finish(summary?: string): void {
    this.render();
    if (this.interactive) process.stderr.write('\n');
    if (summary) process.stderr.write(`${this.label}: ${summary}\n`);
  }

  private render(): void {
    const seconds = (Date.now() - this.started) / 1000;
    const share = this.total > 0 ? Math.min(1, this.done / this.total) : 1;
    const width = 30;
    const filled = Math.round(share * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const rate = seconds > 0 ? Math.round(this.done / seconds) : 0;
    const line = `${this.label} ${bar} ${this.done}/${this.total} (${Math.round(share * 100)}%) ${rate}/s ${seconds.toFixed(0)}s`;
    process.stderr.write(this.interactive ? `\r\x1b[K${line}` : `${line}\n`);
  }
}
