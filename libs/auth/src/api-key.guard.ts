import { ApiKeyScope } from '@memory/persistence';
import {
  CanActivate,
  createParamDecorator,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request } from 'express';
import { ApiKeyIdentity, ApiKeyStore } from './api-key.store';

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
 * Authenticates `Authorization: Bearer <key>` (or `X-API-Key: <key>`) and checks the route's
 * scope. Every query then runs for the key's tenant only.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeyStore,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const presented = presentedKey(request);
    if (!presented)
      throw new UnauthorizedException('an API key is required: Authorization: Bearer <key>');
    const identity = await this.keys.verify(presented);
    if (!identity) throw new UnauthorizedException('unknown or revoked API key');
    const scope = this.reflector.getAllAndOverride<ApiKeyScope | undefined>(SCOPE_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (scope && !identity.scopes.includes(scope) && !identity.scopes.includes('admin')) {
      throw new ForbiddenException(`this API key lacks the "${scope}" scope`);
    }
    request.apiKey = identity;
    return true;
  }
}

function presentedKey(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (header?.toLowerCase().startsWith('bearer ')) return header.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}
