import { jsonProblem, UNSTORABLE_TEXT_MESSAGE } from '../storable-text';
import { MemoryMessage, memoryMessageSchema } from './memory-message.schema';

/** A `memory.messages.v1` value, decoded: the message, or why it is not one. */
export type DecodedMemoryMessage =
  | { ok: true; message: MemoryMessage }
  | { ok: false; code: 'NOT_JSON' | 'INVALID_FIELDS'; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes the value of a `memory.messages.v1` record (UTF-8 JSON matching `memory.message.v1`).
 * Every consumer of the topic reads it with this, so they agree on what is dead-lettered.
 */
export function decodeMemoryMessage(value: Buffer | null): DecodedMemoryMessage {
  let parsedJson: unknown;
  try {
    if (!value || value.length === 0) throw new Error('empty value');
    parsedJson = JSON.parse(utf8.decode(value));
  } catch (error) {
    return { ok: false, code: 'NOT_JSON', reason: `not UTF-8 JSON: ${String(error)}` };
  }
  const parsed = memoryMessageSchema.safeParse(parsedJson);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .slice(0, 10)
      .map((issue) => `${issue.path.join('.') || '(value)'}: ${issue.message}`)
      .join('; ')
      .slice(0, 1000);
    return { ok: false, code: 'INVALID_FIELDS', reason };
  }
  if (jsonProblem(parsed.data) !== undefined)
    return { ok: false, code: 'INVALID_FIELDS', reason: `a string ${UNSTORABLE_TEXT_MESSAGE}` };
  return { ok: true, message: parsed.data };
}
