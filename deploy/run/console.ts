// Console output of the demo, benchmark and evaluation scripts: one line per step, a live
// progress line on a terminal and a periodic line when the output is a log.

const interactive = Boolean(process.stdout.isTTY);
const LOG_EVERY_MS = 2_000;

export function say(scope: string, message: string): void {
  process.stdout.write(`[${scope}] ${message}\n`);
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export interface Progress {
  update(done: number, extra?: string): void;
  end(done: number, extra?: string): void;
}

/** A progress reporter for `total` units: update(done, extra) as often as you like; end(). */
export function progress(scope: string, total: number, unit = 'msgs'): Progress {
  const started = Date.now();
  let lastLogged = 0;
  const line = (done: number, extra?: string): string => {
    const seconds = (Date.now() - started) / 1000;
    const share = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(share * width);
    const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
    const rate = seconds > 0 ? done / seconds : 0;
    return (
      `[${scope}] [${bar}] ${(share * 100).toFixed(1).padStart(5)}% ` +
      `${fmt(done)}/${fmt(total)} ${unit}, ${fmt(rate)}/s, ${seconds.toFixed(1)}s` +
      (extra ? ` ${extra}` : '')
    );
  };
  return {
    update(done, extra) {
      if (interactive) {
        process.stdout.write(`\r\x1b[K${line(done, extra)}`);
      } else if (Date.now() - lastLogged >= LOG_EVERY_MS) {
        lastLogged = Date.now();
        process.stdout.write(`${line(done, extra)}\n`);
      }
    },
    end(done, extra) {
      if (interactive) process.stdout.write('\r\x1b[K');
      process.stdout.write(`${line(done, extra)}\n`);
    },
  };
}

export type Cell = string | number;

/** Renders rows (arrays of cells) as an aligned table; the first row is the header. */
export function table(rows: Cell[][], alignRight: number[] = []): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => String(row[col]).length)));
  const render = (row: Cell[]): string =>
    '| ' +
    row
      .map((cell, col) =>
        alignRight.includes(col)
          ? String(cell).padStart(widths[col])
          : String(cell).padEnd(widths[col]),
      )
      .join(' | ') +
    ' |';
  const rule = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [render(rows[0]), rule, ...rows.slice(1).map(render)].join('\n');
}

/** The value of `--name value` or `--name=value` on the command line, or `fallback`. */
export function option(name: string): string | undefined;
export function option(name: string, fallback: string): string;
export function option(name: string, fallback?: string): string | undefined {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`--${name}`);
  if (i >= 0) {
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
    return value;
  }
  const inline = argv.find((arg) => arg.startsWith(`--${name}=`));
  return inline ? inline.slice(name.length + 3) : fallback;
}
