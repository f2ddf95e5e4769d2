import { HttpException, HttpStatus } from '@nestjs/common';
import { Request, Response } from 'express';
import { AuthMetrics } from './auth.metrics';
import { TokenBuckets } from './token-buckets';

/** Machine-readable codes of the answers API-key authentication gives. */
export const AUTH_ERROR_CODES = {
  missingKey: 'API_KEY_MISSING',
  unknownKey: 'API_KEY_INVALID',
  missingScope: 'API_KEY_SCOPE_MISSING',
  rateLimited: 'RATE_LIMITED',
  lookupsThrottled: 'KEY_LOOKUPS_THROTTLED',
  unavailable: 'AUTH_UNAVAILABLE',
} as const;

/** A 429 with `Retry-After` (seconds) and `{message, code, retryAfterSeconds}`. */
export function tooManyRequests(
  response: Response,
  code: string,
  message: string,
  retryAfterSeconds: number,
): HttpException {
  response.setHeader('Retry-After', String(retryAfterSeconds));
  return new HttpException({ message, code, retryAfterSeconds }, HttpStatus.TOO_MANY_REQUESTS);
}

/**
 * Limits each API key to the service's `<SERVICE>_RATE_LIMIT_PER_SECOND`, in bursts of
 * `<SERVICE>_RATE_LIMIT_BURST`, with one token bucket per key (in memory, per process).
 */
export class ApiKeyRateLimiter {
  constructor(
    private readonly buckets: TokenBuckets,
    private readonly metrics: AuthMetrics,
  ) {}

  /** Takes a token of `keyId`, or throws the 429 to answer. */
  take(keyId: string, request: Request, response: Response): void {
    const decision = this.buckets.take(keyId);
    if (decision.allowed) return;
    this.metrics.refused('rate_limited');
    this.metrics.rateLimited(`${request.method} ${routeOf(request)}`);
    throw tooManyRequests(
      response,
      AUTH_ERROR_CODES.rateLimited,
      `too many requests for this API key: at most ${this.buckets.ratePerSecond} per second ` +
        `(bursts of ${this.buckets.burst}); retry in ${decision.retryAfterSeconds} s`,
      decision.retryAfterSeconds,
    );
  }
}

function routeOf(request: Request): string {
  const route = (request as { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string' ? route.path : 'unknown';
}
