import { ConfigError, ConfigProblem, configProblem } from './config.error';

type Env = Readonly<Record<string, string | undefined>>;

const HOSTNAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;

/**
 * Reads typed values out of an environment, collecting every problem instead of stopping at
 * the first, so one start-up attempt reports all bad variables at once.
 */
export class EnvReader {
  private readonly problems: ConfigProblem[] = [];

  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const raw = this.raw(name);
    return raw ?? fallback;
  }

  requiredString(name: string, expected: string): string {
    const raw = this.raw(name);
    return raw ?? this.fail(name, expected, undefined, '');
  }

  optionalString(name: string): string | undefined {
    return this.raw(name);
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      return this.fail(name, `an integer from ${min} to ${max}`, raw, fallback);
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.raw(name)?.toLowerCase();
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    return this.fail(name, 'true or false', raw, fallback);
  }

  oneOf<T extends string>(name: string, values: readonly T[], fallback: T): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    return this.fail(name, `one of ${values.join(', ')}`, raw, fallback);
  }

  url(name: string, fallback: string, protocols: readonly string[]): string {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    try {
      const parsed = new URL(raw);
      if (protocols.includes(parsed.protocol.replace(/:$/, '')) && parsed.hostname) return raw;
    } catch {
      // reported below
    }
    return this.fail(
      name,
      `a URL (${protocols.map((p) => `${p}://`).join(' or ')}host...)`,
      raw,
      fallback,
    );
  }

  /** A comma-separated list of `host:port` pairs, as Kafka clients take their bootstrap servers. */
  hostPorts(name: string, fallback: string[]): string[] {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const entries = raw.split(',').map((entry) => entry.trim());
    const valid = entries.length > 0 && entries.every((entry) => isHostPort(entry));
    if (!valid)
      return this.fail(
        name,
        'a comma-separated list of host:port (e.g. 127.0.0.1:9092)',
        raw,
        fallback,
      );
    return entries;
  }

  /** A comma-separated list of integers, each from `min` to `max`. */
  intList(name: string, fallback: number[], min: number, max: number): number[] {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const entries = raw.split(',').map((entry) => entry.trim());
    const values = entries.map(Number);
    const valid = entries.every(
      (entry, i) => /^-?\d+$/.test(entry) && values[i] >= min && values[i] <= max,
    );
    if (!valid)
      return this.fail(
        name,
        `a comma-separated list of integers from ${min} to ${max}`,
        raw,
        fallback,
      );
    return values;
  }

  /**
   * A value `parse` understands: it returns the value, or undefined when `raw` is not valid,
   * which is reported as "expected `expected`".
   */
  custom<T>(name: string, fallback: T, expected: string, parse: (raw: string) => T | undefined): T {
    const raw = this.raw(name);
    if (raw === undefined) return fallback;
    const value = parse(raw);
    return value === undefined ? this.fail(name, expected, raw, fallback) : value;
  }

  /**
   * Records a problem found by a check across variables (thresholds out of order, say): the
   * variable is named with its raw value, like any other bad value.
   */
  reject(name: string, expected: string): void {
    this.problems.push(configProblem(name, expected, this.raw(name)));
  }

  /** Throws a {@link ConfigError} naming every variable that failed. */
  assertValid(): void {
    if (this.problems.length > 0) throw new ConfigError([...this.problems]);
  }

  private raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  private fail<T>(
    variable: string,
    expected: string,
    received: string | undefined,
    fallback: T,
  ): T {
    this.problems.push(configProblem(variable, expected, received));
    return fallback;
  }
}

function isHostPort(entry: string): boolean {
  const colon = entry.lastIndexOf(':');
  if (colon <= 0) return false;
  const host = entry.slice(0, colon);
  const port = entry.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return false;
  return HOSTNAME.test(host) || IPV6.test(host);
}
