import type { FieldError } from './types';

/**
 * A refusal or failure answered by a service: the HTTP status, the code to switch on
 * (`INVALID_REQUEST`, `TOO_BIG`, `API_KEY_INVALID`, `RATE_LIMITED`, `NOT_FOUND`, ...), the
 * service's sentence and its field errors (empty when no one field is at fault).
 */
export class MemoryApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: readonly FieldError[],
    /** From `Retry-After` (429, 503), in seconds. */
    readonly retryAfterSeconds: number | undefined,
    /** The whole error body, with anything the service added (`limitBytes`, ...). */
    readonly body: Record<string, unknown>,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = 'MemoryApiError';
  }

  /** The field errors of one field (a dotted path, `messages.0.content` style fields too). */
  fieldErrors(field: string): FieldError[] {
    return this.errors.filter((error) => error.field === field);
  }
}

/** The service could not be reached, or did not answer within the timeout. */
export class MemoryNetworkError extends Error {
  constructor(
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
    this.name = 'MemoryNetworkError';
  }
}

/** Reads a service's error body (`{statusCode, code, message, errors}`) into an error. */
export async function apiError(response: Response): Promise<MemoryApiError> {
  const text = await response.text().catch(() => '');
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>;
  } catch {
    body = { message: text.slice(0, 500) };
  }
  const code = typeof body.code === 'string' ? body.code : `HTTP_${response.status}`;
  const message =
    typeof body.message === 'string' && body.message.length > 0
      ? body.message
      : response.statusText || 'request failed';
  const errors = Array.isArray(body.errors) ? (body.errors as FieldError[]) : [];
  return new MemoryApiError(
    response.status,
    code,
    message,
    errors,
    retryAfterSeconds(response.headers.get('retry-after')),
    body,
  );
}

/** `Retry-After` as seconds: a number of seconds or an HTTP date. */
export function retryAfterSeconds(
  header: string | null,
  now: number = Date.now(),
): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}
