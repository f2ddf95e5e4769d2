import type { Progress } from './eval-tools';

/** A table cell of the run scripts' console. */
export type Cell = string | number;

/**
 * What the search benchmark's modules use of the run scripts' console (deploy/run), handed in by
 * the entry script, so code under bench/lib does not reach out of bench/.
 */
export interface SearchBenchTools {
  say: (scope: string, message: string) => void;
  progress: (scope: string, total: number, unit?: string) => Progress;
  fmt: (n: number, digits?: number) => string;
  table: (rows: Cell[][], alignRight?: number[]) => string;
}
