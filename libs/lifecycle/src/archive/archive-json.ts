import { createHash } from 'node:crypto';

// JSON values as an archive may hold them, and their canonical (deterministic) text.

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * The first part of `value` that JSON cannot carry as it is (undefined, NaN, a Date, a class
 * instance…), or null. Such a value would change on its way through the file, and the content
 * hash would no longer match, so it is refused up front with a path to the culprit.
 */
export function jsonValueProblem(value: unknown, path: string): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    return null;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? null : `holds a non-finite number at '${path}'`;
  }
  if (Array.isArray(value)) {
    return firstProblem(value.map((item, index) => jsonValueProblem(item, `${path}[${index}]`)));
  }
  if (isPlainObject(value)) {
    return firstProblem(
      Object.entries(value).map(([key, item]) => jsonValueProblem(item, `${path}.${key}`)),
    );
  }
  return `holds a value JSON cannot carry (${typeof value}) at '${path}'`;
}

function firstProblem(problems: (string | null)[]): string | null {
  return problems.find((problem) => problem !== null) ?? null;
}

/**
 * Deterministic JSON of a JSON value: object keys sorted by code unit at every level, no
 * whitespace. Written by hand rather than with `JSON.stringify`, which puts integer-like keys
 * first whatever order they were added in.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map(canonicalJson).join(',')}]`;
  }
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  const problem = jsonValueProblem(value, '');
  if (problem !== null) {
    throw new TypeError(`cannot write canonical JSON: the value ${problem}`);
  }
  return JSON.stringify(value);
}

export function sha256Of(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
