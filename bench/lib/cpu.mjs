// CPU time of the processes that take part in ingest, read from /proc (Linux only; elsewhere
// the split is simply not reported).
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node runs on

function processTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function machineTicks() {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1);
  const values = cpu.map(Number);
  const idle = values[3] + (values[4] ?? 0);
  const total = values.slice(0, 8).reduce((sum, v) => sum + v, 0);
  return { busy: total - idle, total };
}

export const cpuSupported = (() => {
  try {
    readFileSync('/proc/stat');
    return true;
  } catch {
    return false;
  }
})();

/**
 * A sampler of CPU seconds: `groups` maps a name to a function returning pids. The postgres
 * group is the server processes `postgresPids()` returns (refreshed by the caller, e.g. the
 * backends of the bench database plus the background workers), or every process named
 * postgres when it returns nothing.
 */
export function cpuSampler(groups, postgresPids = () => []) {
  let allPostgres = [];
  let listedAt = 0;
  return () => {
    if (!cpuSupported) return undefined;
    const sample = { at: Date.now(), groups: {} };
    for (const [name, pids] of Object.entries(groups)) {
      sample.groups[name] =
        pids().reduce((sum, pid) => sum + processTicks(pid), 0) / TICKS_PER_SECOND;
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
    sample.groups.postgres =
      postgres.reduce((sum, pid) => sum + processTicks(pid), 0) / TICKS_PER_SECOND;
    const machine = machineTicks();
    sample.machineBusy = machine.busy / TICKS_PER_SECOND;
    sample.machineTotal = machine.total / TICKS_PER_SECOND;
    return sample;
  };
}

/** CPU seconds per group between two samples, plus the rest of the machine. */
export function cpuBetween(from, to) {
  if (!from || !to) return undefined;
  const wall = (to.at - from.at) / 1000;
  const groups = {};
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
