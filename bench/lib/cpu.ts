// CPU time of the processes that take part in a benchmark, read from /proc (Linux only;
// elsewhere the split is simply not reported).
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node runs on

/** CPU seconds per group at one instant, and the machine's busy and total seconds. */
export interface CpuSample {
  at: number;
  groups: Record<string, number>;
  machineBusy: number;
  machineTotal: number;
}

/** CPU seconds per group between two samples (`other`: the rest of the machine). */
export interface CpuDelta {
  wall: number;
  groups: Record<string, number>;
  busy: number;
  capacity: number;
}

type Pid = number | string;

function processTicks(pid: Pid): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function commandOf(pid: Pid): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
  const values = cpu.map(Number);
  const idle = values[3] + (values[4] ?? 0);
  const total = values.slice(0, 8).reduce((sum, v) => sum + v, 0);
  return { busy: total - idle, total };
}

export const cpuSupported = ((): boolean => {
  try {
    readFileSync('/proc/stat');
    return true;
  } catch {
    return false;
  }
})();

const secondsOf = (pids: readonly Pid[]): number =>
  pids.reduce((sum: number, pid) => sum + processTicks(pid), 0) / TICKS_PER_SECOND;

/**
 * A sampler of CPU seconds: `groups` maps a name to a function returning pids. The postgres
 * group is the server processes `postgresPids()` returns (refreshed by the caller, e.g. the
 * backends of the bench database plus the background workers), or every process named
 * postgres when it returns nothing.
 */
export function cpuSampler(
  groups: Record<string, () => ReadonlyArray<number | undefined>>,
  postgresPids: () => readonly Pid[] = () => [],
): () => CpuSample | undefined {
  let allPostgres: string[] = [];
  let listedAt = 0;
  return () => {
    if (!cpuSupported) return undefined;
    const sample: CpuSample = { at: Date.now(), groups: {}, machineBusy: 0, machineTotal: 0 };
    for (const [name, pids] of Object.entries(groups)) {
      sample.groups[name] = secondsOf(pids().filter((pid): pid is number => pid !== undefined));
    }
    let postgres = postgresPids();
    if (postgres.length === 0) {
      if (Date.now() - listedAt > 1_000) {
        allPostgres = readdirSync('/proc').filter(
          (entry) => /^\d+$/.test(entry) && commandOf(entry) === 'postgres',
        );
        listedAt = Date.now();
      }
      postgres = allPostgres;
    }
    sample.groups.postgres = secondsOf(postgres);
    const machine = machineTicks();
    sample.machineBusy = machine.busy / TICKS_PER_SECOND;
    sample.machineTotal = machine.total / TICKS_PER_SECOND;
    return sample;
  };
}

/** CPU seconds per group between two samples, plus the rest of the machine. */
export function cpuBetween(from?: CpuSample, to?: CpuSample): CpuDelta | undefined {
  if (!from || !to) return undefined;
  const wall = (to.at - from.at) / 1000;
  const groups: Record<string, number> = {};
  let named = 0;
  for (const name of Object.keys(to.groups)) {
    groups[name] = Math.max(0, to.groups[name] - (from.groups[name] ?? 0));
    named += groups[name];
  }
  const busy = to.machineBusy - from.machineBusy;
  groups.other = Math.max(0, busy - named);
  const capacity = to.machineTotal - from.machineTotal;
  return { wall, groups, busy, capacity };
}
