import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** The machine a benchmark ran on: its figures compare only with runs on the same CPU. */
export interface Machine {
  cores: number;
  cpu: string;
  /**
   * The vector instructions the model and OpenSearch's vector code use when present (from
   * /proc/cpuinfo; empty elsewhere). int8 inference is several times faster with AVX-512 VNNI
   * than with AVX2 alone, so a run's figures say which it had.
   */
  simd: string[];
  memoryGiB: number;
  node: string;
}

const SIMD_FLAGS = ['avx2', 'fma', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8'];

export function machine(): Machine {
  let flags: string[] = [];
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith('flags'));
    flags = (line?.split(':')[1] ?? '').trim().split(/\s+/);
  } catch {
    // Not Linux: no flags to report.
  }
  return {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
    simd: SIMD_FLAGS.filter((flag) => flags.includes(flag)),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.versions.node,
  };
}

/** One line for a benchmark's header. */
export function machineLine(of: Machine = machine()): string {
  const simd = of.simd.length > 0 ? of.simd.join(' ') : 'no AVX2';
  return `${of.cores} cores (${of.cpu}; ${simd}), ${of.memoryGiB} GiB, Node ${of.node}`;
}
