import { conversationKey } from '../topics.constants';
import { CHAT_MESSAGE_SCHEMA, ChatMessage, chatMessageSchema } from './chat-message.schema';

/** Why a record was refused; the dead-letter topic and HTTP errors carry it. */
export const CHAT_MESSAGE_ERROR_CODES = [
  'EMPTY_VALUE',
  'NOT_UTF8',
  'NOT_JSON',
  'NOT_AN_OBJECT',
  'UNKNOWN_SCHEMA',
  'INVALID_FIELDS',
  'CONTENT_TOO_LARGE',
  'METADATA_TOO_LARGE',
  'CREATED_AT_IN_FUTURE',
  'KEY_MISMATCH',
] as const;
export type ChatMessageErrorCode = (typeof CHAT_MESSAGE_ERROR_CODES)[number];

/** Codes that mean "too big" rather than "wrong": HTTP answers them with 413. */
export const OVERSIZE_CODES: ReadonlySet<ChatMessageErrorCode> = new Set([
  'CONTENT_TOO_LARGE',
  'METADATA_TOO_LARGE',
]);

export interface FieldError {
  field: string;
  message: string;
}

export interface Rejection {
  ok: false;
  code: ChatMessageErrorCode;
  reason: string;
  fieldErrors: FieldError[];
}

export type DecodeResult = { ok: true; message: ChatMessage } | Rejection;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates one `chat.messages.v1` record: UTF-8, JSON, the `chat.message.v1`
 * schema, and a key equal to `tenantId:conversationId` (which keeps a conversation on one
 * partition, in order).
 */
export function decodeChatMessage(value: Buffer | null, key?: Buffer | null): DecodeResult {
  if (value === null || value.length === 0) return reject('EMPTY_VALUE', 'record has no value');
  let text: string;
  try {
    text = utf8.decode(value);
  } catch {
    return reject('NOT_UTF8', 'record value is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return reject('NOT_JSON', `record value is not JSON: ${(error as Error).message}`);
  }
  const result = validateChatMessage(json);
  if (!result.ok || key === undefined) return result;
  const expected = conversationKey(result.message.tenantId, result.message.conversationId);
  const actual = key?.toString('utf8');
  if (actual !== expected) {
    return reject(
      'KEY_MISMATCH',
      `record key must be "${expected}" (tenantId:conversationId), got ${actual === undefined ? 'no key' : JSON.stringify(actual)}`,
    );
  }
  return result;
}

/** Validates an already parsed value against the `chat.message.v1` contract. */
export function validateChatMessage(json: unknown): DecodeResult {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return reject(
      'NOT_AN_OBJECT',
      `a chat message is a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`,
    );
  }
  const schema = (json as { schema?: unknown }).schema;
  if (schema !== CHAT_MESSAGE_SCHEMA) {
    return reject(
      'UNKNOWN_SCHEMA',
      `schema must be "${CHAT_MESSAGE_SCHEMA}", got ${JSON.stringify(schema) ?? 'nothing'}`,
      [{ field: 'schema', message: `must be "${CHAT_MESSAGE_SCHEMA}"` }],
    );
  }
  const parsed = chatMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const fieldErrors = parsed.error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : '(root)',
    message: issue.message,
  }));
  return reject(
    codeFor(parsed.error.issues),
    fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; '),
    fieldErrors,
  );
}

function codeFor(
  issues: ReadonlyArray<{ code: string; path: PropertyKey[] }>,
): ChatMessageErrorCode {
  const custom = (field: string): boolean =>
    issues.some((i) => i.code === 'custom' && i.path[0] === field);
  if (issues.length === 1 && custom('content')) return 'CONTENT_TOO_LARGE';
  if (issues.length === 1 && custom('metadata')) return 'METADATA_TOO_LARGE';
  if (issues.length === 1 && custom('createdAt')) return 'CREATED_AT_IN_FUTURE';
  return 'INVALID_FIELDS';
}

function reject(
  code: ChatMessageErrorCode,
  reason: string,
  fieldErrors: FieldError[] = [],
): Rejection {
  return { ok: false, code, reason, fieldErrors };
}
