import { isSecretVariable, redactUrl } from './redaction';

/** One environment variable that failed validation. */
export interface ConfigProblem {
  variable: string;
  expected: string;
  /** The value as found, with any password masked; undefined when unset or a secret. */
  received: string | undefined;
  /** The variable is set but holds a secret, so its value is not shown. */
  hidden?: boolean;
}

/**
 * A problem with the value made safe to print: a secret variable's value is left out, and a
 * password in a URL (or anything before the last `@` of a value that is not even a URL) masked.
 */
export function configProblem(
  variable: string,
  expected: string,
  raw: string | undefined,
): ConfigProblem {
  if (raw !== undefined && isSecretVariable(variable))
    return { variable, expected, received: undefined, hidden: true };
  return { variable, expected, received: raw === undefined ? undefined : redactUrl(raw) };
}

/** Thrown when the environment does not describe a valid configuration; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(
      [
        `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map((p) => `  ${p.variable}: expected ${p.expected}, got ${shown(p)}`),
      ].join('\n'),
    );
    this.name = 'ConfigError';
  }
}

function shown(problem: ConfigProblem): string {
  if (problem.hidden) return '(a secret, not shown)';
  return problem.received === undefined ? '(unset)' : JSON.stringify(problem.received);
}
