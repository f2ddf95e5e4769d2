import { ApiKeyIdentity } from '@memory/auth';
import {
  CanActivate,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Request, Response } from 'express';
import { SearchMetrics } from './search.metrics';
import { TokenBuckets } from './token-buckets';

/**
 * Limits each API key to `SEARCH_RATE_LIMIT_PER_SECOND` (bursts of `SEARCH_RATE_LIMIT_BURST`).
 * Goes after `ApiKeyGuard` in `@UseGuards`, which puts the verified key on the request; a
 * refused request gets 429 with `Retry-After` in seconds.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly buckets: TokenBuckets,
    private readonly metrics: SearchMetrics,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    // `apiKey` is where ApiKeyGuard (libs/auth) leaves the identity it verified.
    const request = http.getRequest<Request & { apiKey?: ApiKeyIdentity }>();
    const identity = request.apiKey;
    if (!identity)
      throw new UnauthorizedException('an API key is required: Authorization: Bearer <key>');
    const decision = this.buckets.take(identity.keyId);
    if (decision.allowed) return true;
    this.metrics.rateLimited(`${request.method} ${routeOf(request)}`);
    http.getResponse<Response>().setHeader('Retry-After', String(decision.retryAfterSeconds));
    throw new HttpException(
      {
        message:
          `too many requests for this API key: at most ${this.buckets.ratePerSecond} per second ` +
          `(bursts of ${this.buckets.burst}); retry in ${decision.retryAfterSeconds} s`,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

function routeOf(request: Request): string {
  const route = (request as { route?: { path?: unknown } }).route;
  return typeof route?.path === 'string' ? route.path : 'unknown';
}
