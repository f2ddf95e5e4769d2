/** One environment variable that failed validation. */
export interface ConfigProblem {
  variable: string;
  expected: string;
  received: string | undefined;
}

/** Thrown when the environment does not describe a valid configuration; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      [
        `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map(
          (p) =>
            `  ${p.variable}: expected ${p.expected}, got ${
              p.received === undefined ? '(unset)' : JSON.stringify(p.received)
            }`,
        ),
      ].join('\n'),
    );
    this.name = 'ConfigError';
  }
}
