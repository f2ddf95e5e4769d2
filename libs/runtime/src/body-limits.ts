import { isUtf8 } from 'node:buffer';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { json } from 'express';
import { errorBody } from './error-body';

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** The largest body one route takes. */
export interface RouteBodyLimit {
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The path as requested, without parameters (`/v1/messages`). */
  path: string;
  limitBytes: number;
}

/** Request body limits of a service: per route, and one for every other route. */
export interface BodyLimits {
  defaultBytes: number;
  routes?: readonly RouteBodyLimit[];
}

/** Every route without a limit of its own takes at most this: their bodies are a few flags. */
export const DEFAULT_BODY_LIMIT_BYTES = 4 * KiB;

/** Codes of the answers to a body refused before it reaches a route. */
export const BODY_ERROR_CODES = {
  tooLarge: 'BODY_TOO_LARGE',
  malformed: 'MALFORMED_JSON',
  unsupported: 'UNSUPPORTED_ENCODING',
  invalid: 'INVALID_BODY',
  notUtf8: 'NOT_UTF8',
} as const;

/** The parser's error type for a body that is not UTF-8 (see {@link jsonBodyParser}). */
const NOT_UTF8_TYPE = 'body.not.utf8';

/**
 * Refuses a body that is not valid UTF-8 before it is decoded: the decoder would otherwise put
 * U+FFFD in place of the bad bytes and the message would be stored changed, where the same
 * bytes on `chat.messages.v1` are dead-lettered as NOT_UTF8.
 */
function verifyUtf8(_request: unknown, _response: unknown, body: Buffer): void {
  if (!isUtf8(body))
    throw Object.assign(new Error('the request body is not valid UTF-8'), { type: NOT_UTF8_TYPE });
}

/** The limit that applies to `method path`. */
export function bodyLimitFor(limits: BodyLimits, method: string, path: string): number {
  const normalized = normalize(path);
  const route = limits.routes?.find(
    (candidate) =>
      candidate.method === method.toUpperCase() && normalize(candidate.path) === normalized,
  );
  return route?.limitBytes ?? limits.defaultBytes;
}

/** `16 KiB`, `1 MiB`, `300 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return `${bytes} bytes`;
}

/**
 * Parses JSON bodies with the limit of the route asked for, before any route or guard runs: a
 * declared Content-Length over it is refused without reading the body, a body that grows past
 * it is refused at that point (never buffered whole). Every refusal is a JSON 4xx with a `code`
 * (413 BODY_TOO_LARGE, 400 MALFORMED_JSON, ...), never a 5xx.
 */
export function jsonBodyParser(limits: BodyLimits): RequestHandler {
  const parsers = new Map<number, RequestHandler>();
  const parserFor = (limit: number): RequestHandler => {
    let parser = parsers.get(limit);
    if (!parser) {
      parser = json({ limit, verify: verifyUtf8 });
      parsers.set(limit, parser);
    }
    return parser;
  };
  return (request: Request, response: Response, next: NextFunction): void => {
    const limit = bodyLimitFor(limits, request.method, request.path);
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      tooLarge(request, response, limit);
      return;
    }
    parserFor(limit)(request, response, (error?: unknown) => {
      if (error === undefined || error === null) next();
      else refuse(request, response, error, limit);
    });
  };
}

function refuse(request: Request, response: Response, error: unknown, limit: number): void {
  const type = (error as { type?: unknown }).type;
  switch (type) {
    case 'entity.too.large':
      tooLarge(request, response, limit);
      return;
    case 'entity.parse.failed':
      reply(response, 400, {
        message: 'the request body is not valid JSON',
        code: BODY_ERROR_CODES.malformed,
      });
      return;
    case NOT_UTF8_TYPE:
      reply(response, 400, {
        message: 'the request body is not valid UTF-8',
        code: BODY_ERROR_CODES.notUtf8,
      });
      return;
    case 'encoding.unsupported':
    case 'charset.unsupported':
      reply(response, 415, {
        message: 'the request body has an encoding or charset this server does not take',
        code: BODY_ERROR_CODES.unsupported,
      });
      return;
    default:
      // An aborted upload or a length that does not match the body: the client's to fix.
      reply(response, 400, {
        message: 'the request body could not be read',
        code: BODY_ERROR_CODES.invalid,
      });
  }
}

function tooLarge(request: Request, response: Response, limit: number): void {
  reply(response, 413, {
    message: `the request body is over the ${formatBytes(limit)} that ${request.method} ${request.path} takes`,
    code: BODY_ERROR_CODES.tooLarge,
    limitBytes: limit,
  });
}

function normalize(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/** Answers with the one error shape every route answers with (see {@link errorBody}). */
function reply(response: Response, status: number, body: Record<string, unknown>): void {
  response.status(status).json(errorBody(status, body));
}
