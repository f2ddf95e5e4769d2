import { STATUS_CODES as STATUS_TEXT } from 'node:http';
import { HttpStatus } from '@nestjs/common';
import type { SchemaObject } from '@nestjs/swagger';
import { FieldError } from './field-errors';

/**
 * The one shape of every 4xx and 5xx body the services answer: a code a client can switch on,
 * a sentence for people, and the field errors (empty when the problem is not one field's).
 * Anything else the thrower added (`limitBytes`, `retryAfterSeconds`, ...) is kept beside them.
 */
export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  errors: Array<FieldError & { index?: number }>;
  [extra: string]: unknown;
}

/** The code of an error that names none, by status. */
const STATUS_CODES: Record<number, string> = {
  [HttpStatus.BAD_REQUEST]: 'INVALID_REQUEST',
  [HttpStatus.UNAUTHORIZED]: 'UNAUTHORIZED',
  [HttpStatus.FORBIDDEN]: 'FORBIDDEN',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'METHOD_NOT_ALLOWED',
  [HttpStatus.CONFLICT]: 'CONFLICT',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'BODY_TOO_LARGE',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'UNSUPPORTED_MEDIA_TYPE',
  [HttpStatus.UNPROCESSABLE_ENTITY]: 'UNPROCESSABLE',
  [HttpStatus.TOO_MANY_REQUESTS]: 'RATE_LIMITED',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'UNAVAILABLE',
};

function statusCode(status: number): string {
  return STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'REQUEST_FAILED');
}

/**
 * Builds the {@link ErrorBody} for `status` from what was thrown or refused: a string, Nest's
 * own `{statusCode, message, error}`, or a body with any of `code`, `message`, `errors`.
 * Without a code of its own, a body with field errors takes its first error's code.
 */
export function errorBody(status: number, raw: unknown): ErrorBody {
  const given: Record<string, unknown> =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? { ...(raw as Record<string, unknown>) }
      : { message: raw };
  const errors = Array.isArray(given.errors) ? (given.errors as ErrorBody['errors']) : [];
  const rawMessage = given.message;
  const message = Array.isArray(rawMessage)
    ? rawMessage.map(String).join('; ')
    : typeof rawMessage === 'string' && rawMessage.length > 0
      ? rawMessage
      : typeof given.error === 'string'
        ? given.error
        : (STATUS_TEXT[status] ?? 'request failed');
  const code =
    typeof given.code === 'string' && given.code.length > 0
      ? given.code
      : typeof errors[0]?.code === 'string'
        ? errors[0].code
        : statusCode(status);
  // Nest's own `error` is the status text; a health check's is the failing indicators: kept.
  if (typeof given.error === 'string') delete given.error;
  return { ...given, statusCode: status, code, message, errors };
}

/** {@link ErrorBody} as an OpenAPI schema, for the error answers each route documents. */
export const ERROR_BODY_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['statusCode', 'code', 'message', 'errors'],
  properties: {
    statusCode: { type: 'integer', example: 400 },
    code: {
      type: 'string',
      description:
        'What a client switches on: the first field error’s code when there are field errors, ' +
        'else the refusal’s own (API_KEY_INVALID, RATE_LIMITED, BODY_TOO_LARGE, ...) or the ' +
        'status’s (NOT_FOUND, UNAVAILABLE, ...)',
    },
    message: { type: 'string' },
    errors: {
      type: 'array',
      description: 'One entry per field at fault; empty when no one field is',
      items: {
        type: 'object',
        required: ['field', 'code', 'message'],
        properties: {
          index: { type: 'integer', description: 'The message of a batch it is about' },
          field: { type: 'string' },
          code: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
  additionalProperties: true,
};
