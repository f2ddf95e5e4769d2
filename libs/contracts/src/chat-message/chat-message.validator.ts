import { conversationKey } from '../topics.constants';
import {
  CHAT_MESSAGE_SCHEMA,
  CONTENT_MAX_BYTES,
  ChatMessage,
  chatMessageSchema,
  METADATA_MAX_BYTES,
} from './chat-message.schema';

/** Why a record was refused; the dead-letter topic and HTTP errors carry it. */
export const CHAT_MESSAGE_ERROR_CODES = [
  'EMPTY_VALUE',
  'NOT_UTF8',
  'NOT_JSON',
  'NOT_AN_OBJECT',
  'UNKNOWN_SCHEMA',
  'INVALID_FIELDS',
  'INVALID_CHARACTERS',
  'RECORD_TOO_LARGE',
  'CONTENT_TOO_LARGE',
  'METADATA_TOO_LARGE',
  'METADATA_TOO_DEEP',
  'CREATED_AT_IN_FUTURE',
  'CREATED_AT_OUT_OF_RANGE',
  'KEY_MISMATCH',
] as const;
export type ChatMessageErrorCode = (typeof CHAT_MESSAGE_ERROR_CODES)[number];

/** Codes that mean "too big" rather than "wrong": HTTP answers them with 413. */
export const OVERSIZE_CODES: ReadonlySet<ChatMessageErrorCode> = new Set([
  'RECORD_TOO_LARGE',
  'CONTENT_TOO_LARGE',
  'METADATA_TOO_LARGE',
]);

/**
 * The largest record value read at all: a message at its content and metadata limits, with
 * every character JSON-escaped (`\u0001` is six bytes for one), still fits.
 */
export const RECORD_MAX_BYTES = 6 * (CONTENT_MAX_BYTES + METADATA_MAX_BYTES) + 4 * 1024;

export interface FieldError {
  field: string;
  /** What is wrong, as a code from {@link CHAT_MESSAGE_ERROR_CODES}. */
  code: ChatMessageErrorCode;
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
 * partition, in order). Two framings common in Kafka shops are recognized and taken off first
 * (see {@link unframe}): a schema registry's wire format, and Kafka Connect's JSON envelope.
 */
export function decodeChatMessage(value: Buffer | null, key?: Buffer | null): DecodeResult {
  if (value === null || value.length === 0) return reject('EMPTY_VALUE', 'record has no value');
  value = unframe(value);
  if (value.length > RECORD_MAX_BYTES)
    return reject(
      'RECORD_TOO_LARGE',
      `record value is ${value.length} bytes; a chat message is at most ${RECORD_MAX_BYTES}`,
    );
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
  const result = validateChatMessage(unwrapConnectEnvelope(json));
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

/**
 * A value without a schema registry's wire-format frame: magic byte 0, then the 4-byte schema
 * id, then the JSON (Confluent's JSON Schema serializer, and registries that speak its
 * protocol). JSON text never starts with a zero byte, so a framed value cannot be mistaken for
 * a plain one; the schema id is not looked up (the contract is validated as for any value).
 */
export function unframe(value: Buffer): Buffer {
  return value.length > 5 && value[0] === 0 ? value.subarray(5) : value;
}

/**
 * The payload of Kafka Connect's JSON envelope (`JsonConverter` with `schemas.enable=true`):
 * `{"schema": {...} | null, "payload": {...}}` and nothing else; any other value as it is. A
 * chat message has a string `schema` and many other fields, so the two cannot be confused.
 */
export function unwrapConnectEnvelope(json: unknown): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json;
  const keys = Object.keys(json);
  const { schema, payload } = json as { schema?: unknown; payload?: unknown };
  const isEnvelope =
    keys.length === 2 &&
    keys.includes('schema') &&
    keys.includes('payload') &&
    (schema === null || (typeof schema === 'object' && !Array.isArray(schema))) &&
    payload !== null &&
    typeof payload === 'object';
  return isEnvelope ? payload : json;
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
      `schema must be "${CHAT_MESSAGE_SCHEMA}", got ${cutJson(schema)}`,
      [{ field: 'schema', code: 'UNKNOWN_SCHEMA', message: `must be "${CHAT_MESSAGE_SCHEMA}"` }],
    );
  }
  const parsed = chatMessageSchema.safeParse(json);
  if (parsed.success) return { ok: true, message: parsed.data };
  const fieldErrors: FieldError[] = parsed.error.issues.slice(0, MAX_FIELD_ERRORS).map((issue) => ({
    field: issue.path.length > 0 ? issue.path.map(String).join('.').slice(0, 200) : '(root)',
    code: issueCode(issue),
    message: issue.message,
  }));
  const codes = new Set(fieldErrors.map((error) => error.code));
  return reject(
    codes.size === 1 ? [...codes][0] : 'INVALID_FIELDS',
    fieldErrors.map((e) => `${e.field}: ${e.message}`).join('; '),
    fieldErrors,
  );
}

/** Field errors reported per message: an object with a thousand unknown keys gets the first ones. */
const MAX_FIELD_ERRORS = 20;

const KNOWN_CODES: ReadonlySet<string> = new Set(CHAT_MESSAGE_ERROR_CODES);

function issueCode(issue: {
  code: string;
  params?: Record<string, unknown>;
}): ChatMessageErrorCode {
  const code = issue.code === 'custom' ? issue.params?.code : undefined;
  return typeof code === 'string' && KNOWN_CODES.has(code)
    ? (code as ChatMessageErrorCode)
    : 'INVALID_FIELDS';
}

function cutJson(value: unknown): string {
  const text = JSON.stringify(value) ?? 'nothing';
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

function reject(
  code: ChatMessageErrorCode,
  reason: string,
  fieldErrors: FieldError[] = [],
): Rejection {
  return { ok: false, code, reason, fieldErrors };
}
