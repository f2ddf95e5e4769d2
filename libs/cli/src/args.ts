/** Minimal `--name value` / `--flag` parsing for the operator CLI. */
export interface ParsedArgs {
  positional: string[];
  options: Map<string, string | true>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    const next = argv[i + 1];
    if (inline !== undefined) options.set(name, inline);
    else if (next !== undefined && !next.startsWith('--')) {
      options.set(name, next);
      i++;
    } else options.set(name, true);
  }
  return { positional, options };
}

export class UsageError extends Error {}

export function requireOption(args: ParsedArgs, name: string): string {
  const value = args.options.get(name);
  if (typeof value !== 'string' || value === '')
    throw new UsageError(`--${name} <value> is required`);
  return value;
}

export function optionalOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** `--name <integer>` from `min` to `max`, or `fallback` when absent. */
export function intOption(
  args: ParsedArgs,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (!args.options.has(name)) return fallback;
  const raw = args.options.get(name);
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`);
  return value;
}

/** The options every pass command takes: `--tenant`, `--as-of` and `--dry-run`. */
export function passOptions(args: ParsedArgs): { tenantId?: string; now: Date; dryRun: boolean } {
  const tenantId = optionalOption(args, 'tenant');
  if (args.options.has('tenant') && !tenantId) throw new UsageError('--tenant needs an id');
  const asOf = optionalOption(args, 'as-of');
  const now = asOf === undefined ? new Date() : new Date(asOf);
  if (Number.isNaN(now.getTime()))
    throw new UsageError(`--as-of must be an ISO 8601 date, not ${asOf ?? '(nothing)'}`);
  return { tenantId, now, dryRun: args.options.has('dry-run') };
}
