/** A progress line: update(done, extra) as often as wanted, end() once. */
export interface Progress {
  update(done: number, extra?: string): void;
  end(done: number, extra?: string): void;
}

/**
 * What the LoCoMo evaluation's modules use of the run scripts (deploy/run: console lines, the
 * built CLI, polling), handed in by the entry script, so code under bench/lib does not reach
 * out of bench/.
 */
export interface EvalTools {
  say(message: string): void;
  progress(total: number, unit: string): Progress;
  /** Runs the built operator CLI with `env`; returns its stdout, throws when it fails. */
  cli(args: string[], env: Record<string, string>): string;
  /** Polls `probe` until it returns something other than undefined; throws on timeout. */
  until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T>;
  sleep(ms: number): Promise<void>;
}
