import { z } from 'zod';

/**
 * What every string that reaches Postgres or OpenSearch must be: Postgres refuses U+0000 in
 * `text` and `jsonb`, and a lone UTF-16 surrogate has no UTF-8 form (the driver would store
 * U+FFFD instead, silently changing the text, and OpenSearch's JSON parser refuses it).
 */
export const UNSTORABLE_TEXT =
  // eslint-disable-next-line no-control-regex -- U+0000 is exactly what is looked for
  /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const UNSTORABLE_TEXT_MESSAGE =
  'must not contain U+0000 or an unpaired UTF-16 surrogate (no store accepts them)';

/** The field-error code of a string with {@link UNSTORABLE_TEXT}. */
export const INVALID_CHARACTERS = 'INVALID_CHARACTERS';

export function isStorableText(text: string): boolean {
  return !UNSTORABLE_TEXT.test(text);
}

/** A zod string that only holds storable text; its issue carries the code {@link INVALID_CHARACTERS}. */
export function storableString(): z.ZodString {
  return z.string().refine(isStorableText, {
    message: UNSTORABLE_TEXT_MESSAGE,
    params: { code: INVALID_CHARACTERS },
  });
}

/** Deepest nesting of objects and arrays accepted in free-form JSON (metadata). */
export const JSON_MAX_DEPTH = 16;

export type JsonProblem = 'characters' | 'depth';

/**
 * The first problem of a parsed JSON value for the stores, walking it without recursion: a
 * key or string value with {@link UNSTORABLE_TEXT}, or nesting deeper than {@link JSON_MAX_DEPTH}.
 */
export function jsonProblem(value: unknown): JsonProblem | undefined {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (pending.length > 0) {
    const { value: current, depth } = pending.pop() as { value: unknown; depth: number };
    if (typeof current === 'string') {
      if (!isStorableText(current)) return 'characters';
    } else if (current !== null && typeof current === 'object') {
      if (depth >= JSON_MAX_DEPTH) return 'depth';
      const entries = Array.isArray(current)
        ? current.map((item) => ['', item] as const)
        : Object.entries(current);
      for (const [key, item] of entries) {
        if (!isStorableText(key)) return 'characters';
        pending.push({ value: item, depth: depth + 1 });
      }
    }
  }
  return undefined;
}
