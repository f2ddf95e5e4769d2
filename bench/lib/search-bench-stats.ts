// Latency rounds of the search benchmark: concurrent clients over a list of queries, what they
// add up (latencies, failures, CPU seconds per process group) and the figures of it.
import type { CpuDelta } from './cpu';

export interface LatencyStats {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  meanMs: number;
  maxMs: number;
  qps: number;
  requests: number;
}

/** What a round of requests adds up: latencies of the answered ones, failures, CPU seconds. */
export interface Tally {
  latencies: number[];
  seconds: number;
  errors: number;
  firstError: unknown;
  cpu: Record<string, number>;
}

export interface Figures extends LatencyStats {
  errors: number;
  cpuMsPerQuery: { bench: number; service: number; opensearch: number; other: number } | null;
  machineBusy: number | null;
}

/** Latency figures of one round: nearest-rank percentiles of the successful requests. */
export function latencyStats(latencies: readonly number[], seconds: number): LatencyStats {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  const round = (ms: number): number => Math.round(ms * 100) / 100;
  return {
    p50Ms: round(at(0.5)),
    p95Ms: round(at(0.95)),
    p99Ms: round(at(0.99)),
    meanMs: round(sorted.reduce((sum, ms) => sum + ms, 0) / sorted.length),
    maxMs: round(sorted[sorted.length - 1] ?? NaN),
    qps: seconds > 0 ? Math.round((sorted.length / seconds) * 10) / 10 : 0,
    requests: sorted.length,
  };
}

/**
 * Sends every item with `concurrency` clients, each taking the next item when its previous
 * request is answered; latency is the client's wall time per request. Adds to `into`
 * (`latencies`, `seconds`, `errors`, `firstError`); `onDone` after each request.
 */
export async function runRound<T>(
  items: readonly T[],
  concurrency: number,
  send: (item: T) => Promise<unknown>,
  into: Tally,
  onDone: () => void = () => undefined,
): Promise<Tally> {
  let next = 0;
  const started = performance.now();
  const client = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const sent = performance.now();
      try {
        await send(items[i]);
        into.latencies.push(performance.now() - sent);
      } catch (error) {
        into.errors++;
        into.firstError ??= error;
      }
      onDone();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, client));
  into.seconds += (performance.now() - started) / 1000;
  return into;
}

export const tally = (): Tally => ({
  latencies: [],
  seconds: 0,
  errors: 0,
  firstError: undefined,
  cpu: {},
});

/** Adds the CPU seconds per process group of `delta` (cpuBetween) to `cpu`. */
export function addCpu(cpu: Record<string, number>, delta: CpuDelta | undefined): void {
  if (!delta) return;
  for (const [name, seconds] of Object.entries(delta.groups))
    cpu[name] = (cpu[name] ?? 0) + seconds;
  cpu.machineBusy = (cpu.machineBusy ?? 0) + delta.busy;
  cpu.machineCapacity = (cpu.machineCapacity ?? 0) + delta.capacity;
}

/** The figures of a tally; throws when no request succeeded; `warn` hears of failures. */
export function figures(
  scope: string,
  { latencies, seconds, errors, firstError, cpu }: Tally,
  warn: (scope: string, message: string) => void,
): Figures {
  if (latencies.length === 0)
    throw firstError instanceof Error ? firstError : new Error(`${scope}: no request succeeded`);
  if (errors > 0)
    warn(
      scope,
      `${errors} requests failed, first: ${firstError instanceof Error ? firstError.message : String(firstError)}`,
    );
  const perQuery = (...names: string[]): number =>
    Math.round(
      (names.reduce((sum, name) => sum + (cpu[name] ?? 0), 0) * 10_000) / latencies.length,
    ) / 10;
  return {
    ...latencyStats(latencies, seconds),
    errors,
    // CPU per answered query of the bench (the clients), the service, OpenSearch, and the rest
    // of the machine (others' work included), and how busy the machine was meanwhile.
    cpuMsPerQuery:
      cpu.machineCapacity > 0
        ? {
            bench: perQuery('bench'),
            service: perQuery('service'),
            opensearch: perQuery('opensearch'),
            other: perQuery('other', 'postgres'),
          }
        : null,
    machineBusy:
      cpu.machineCapacity > 0
        ? Math.round((cpu.machineBusy / cpu.machineCapacity) * 100) / 100
        : null,
  };
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let d = 0; d < a.length; d++) {
    dot += a[d] * b[d];
    na += a[d] * a[d];
    nb += b[d] * b[d];
  }
  return dot / Math.sqrt(na * nb);
}

/** `a / b` to two decimals. */
export const ratio = (a: number, b: number): number => Math.round((a / b) * 100) / 100;
