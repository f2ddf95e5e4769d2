import { ApiKeyScope } from '@memory/persistence';
import { ERROR_BODY_SCHEMA } from '@memory/runtime';
import { applyDecorators, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiKeyGuard, RequireScope } from './api-key.guard';

const errorContent = (example: Record<string, unknown>) => ({
  'application/json': { schema: ERROR_BODY_SCHEMA, example: { errors: [], ...example } },
});

/**
 * Every route of a controller behind tenant API keys: the guard, the scope when the whole
 * controller needs one (`RequireScope` on a method otherwise), and the OpenAPI description of
 * the 401, 403 and 429 answers the guard gives. `scope` names the scope in those descriptions.
 */
export function ApiKeyProtected(
  scope: ApiKeyScope,
  { perRoute = false }: { perRoute?: boolean } = {},
): ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(),
    ApiUnauthorizedResponse({
      description:
        'Missing, unknown or revoked API key (API_KEY_MISSING, API_KEY_INVALID), or a user ' +
        'token that is expired (TOKEN_EXPIRED) or does not verify against its tenant’s keys ' +
        '(TOKEN_INVALID)',
      content: errorContent({
        statusCode: 401,
        code: 'API_KEY_INVALID',
        message: 'unknown or revoked API key',
      }),
    }),
    ApiForbiddenResponse({
      description:
        `The API key lacks the "${scope}" scope (API_KEY_SCOPE_MISSING), or a credential bound ` +
        'to one user names another user (USER_MISMATCH)',
      content: errorContent({
        statusCode: 403,
        code: 'API_KEY_SCOPE_MISSING',
        message: `this API key lacks the "${scope}" scope`,
      }),
    }),
    ApiTooManyRequestsResponse({
      description:
        "Over the API key's rate (RATE_LIMITED) or too many unknown keys at once " +
        '(KEY_LOOKUPS_THROTTLED); Retry-After says in how many seconds to retry',
      headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'integer' } } },
      content: errorContent({
        statusCode: 429,
        code: 'RATE_LIMITED',
        message: 'too many requests for this API key; retry in 1 s',
        retryAfterSeconds: 1,
      }),
    }),
    UseGuards(ApiKeyGuard),
    ...(perRoute ? [] : [RequireScope(scope)]),
  );
}
