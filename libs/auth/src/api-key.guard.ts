import { ApiKeyScope } from '@memory/persistence';
import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  Logger,
  ServiceUnavailableException,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request, Response } from 'express';
import { AUTH_ERROR_CODES, ApiKeyRateLimiter, tooManyRequests } from './api-key-rate-limiter';
import { ApiKeyIdentity, ApiKeyStore, KeyLookupsThrottledError } from './api-key.store';
import { AuthMetrics } from './auth.metrics';
import { claimedTenant, JwtRejected, looksLikeJwt, verifyUserToken } from './jwt';
import { JwtKeyStore } from './jwt-key.store';

const SCOPE_KEY = 'memory:api-key-scope';

/** The scope a route needs; `admin` keys may do everything. */
export const RequireScope = (scope: ApiKeyScope): MethodDecorator & ClassDecorator =>
  SetMetadata(SCOPE_KEY, scope);

type AuthenticatedRequest = Request & { apiKey?: ApiKeyIdentity };

/** The identity of the calling key (its tenant and scopes), set by {@link ApiKeyGuard}. */
export const Caller = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ApiKeyIdentity => {
    const identity = context.switchToHttp().getRequest<AuthenticatedRequest>().apiKey;
    if (!identity) throw new UnauthorizedException('missing API key');
    return identity;
  },
);

/**
 * Authenticates `Authorization: Bearer <key>` (or `X-API-Key: <key>`) — an API key, or a
 * tenant's user token (JWT, verified against the keys the tenant registered) — applies the
 * credential's rate limit and checks the route's scope. Every query then runs for the key's tenant only. Every
 * refusal answers `{message, code}` (see {@link AUTH_ERROR_CODES}); 429s carry `Retry-After`.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly logger = new Logger(ApiKeyGuard.name);

  constructor(
    private readonly keys: ApiKeyStore,
    private readonly reflector: Reflector,
    private readonly limiter: ApiKeyRateLimiter,
    private readonly metrics: AuthMetrics,
    private readonly jwtKeys: JwtKeyStore,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const presented = presentedKey(request);
    if (!presented) {
      this.metrics.refused('missing_key');
      throw new UnauthorizedException({
        message: 'an API key is required: Authorization: Bearer <key>',
        code: AUTH_ERROR_CODES.missingKey,
      });
    }
    const identity = looksLikeJwt(presented)
      ? await this.verifyToken(presented)
      : await this.verify(presented, http.getResponse<Response>());
    if (!identity) {
      this.metrics.refused('unknown_key');
      throw new UnauthorizedException({
        message: 'unknown or revoked API key',
        code: AUTH_ERROR_CODES.unknownKey,
      });
    }
    this.limiter.take(identity.keyId, request, http.getResponse<Response>());
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(SCOPE_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (scope && !identity.scopes.includes(scope) && !identity.scopes.includes('admin')) {
      this.metrics.refused('missing_scope');
      throw new ForbiddenException({
        message: `this API key lacks the "${scope}" scope`,
        code: AUTH_ERROR_CODES.missingScope,
      });
    }
    request.apiKey = identity;
    return true;
  }

  /**
   * A tenant's user token (JWT): verified against the keys of the tenant it claims; a token
   * signed with another tenant's key, expired or malformed gets 401 with its code.
   */
  private async verifyToken(token: string): Promise<ApiKeyIdentity> {
    try {
      return verifyUserToken(token, await this.jwtKeys.keysOf(claimedTenant(token)));
    } catch (error) {
      if (error instanceof JwtRejected) {
        this.metrics.refused(error.code === 'TOKEN_EXPIRED' ? 'token_expired' : 'token_invalid');
        throw new UnauthorizedException({ message: error.message, code: error.code });
      }
      this.metrics.refused('unavailable');
      this.logger.error({
        msg: 'token key look-up failed',
        error: error instanceof Error ? error.message : String(error),
      });
      throw new ServiceUnavailableException({
        message: 'authentication is unavailable, try again',
        code: AUTH_ERROR_CODES.unavailable,
      });
    }
  }

  private async verify(key: string, response: Response): Promise<ApiKeyIdentity | null> {
    try {
      return await this.keys.verify(key);
    } catch (error) {
      if (error instanceof KeyLookupsThrottledError) {
        this.metrics.refused('lookups_throttled');
        throw tooManyRequests(
          response,
          AUTH_ERROR_CODES.lookupsThrottled,
          `too many unknown API keys presented to this server; retry in ${error.retryAfterSeconds} s`,
          error.retryAfterSeconds,
        );
      }
      this.metrics.refused('unavailable');
      this.logger.error({
        msg: 'API key look-up failed',
        error: error instanceof Error ? error.message : String(error),
      });
      throw new ServiceUnavailableException({
        message: 'authentication is unavailable, try again',
        code: AUTH_ERROR_CODES.unavailable,
      });
    }
  }
}

function presentedKey(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}
