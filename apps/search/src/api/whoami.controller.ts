import { ApiKeyIdentity, ApiKeyProtected, Caller } from '@memory/auth';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

export interface WhoAmI {
  keyId: string;
  tenantId: string;
  scopes: string[];
  /** Set when the credential is bound to one end user (a user's key or token). */
  userId?: string;
}

/**
 * Who the presented API key is: its tenant and scopes. Any valid key may ask. Clients check a
 * key with it before they start (the MCP server does, and offers only the tools the key's
 * scopes allow).
 */
@ApiTags('auth')
@ApiKeyProtected('search', { perRoute: true })
@Controller('v1')
export class WhoAmIController {
  @Get('whoami')
  @ApiOperation({
    summary: 'The tenant, scopes and user of the presented API key or token',
    description:
      'Any valid credential may ask; an unknown or revoked key, or an expired or wrongly ' +
      'signed token, gets 401. `userId` is set for a credential bound to one end user.',
  })
  @ApiOkResponse({
    description: '{keyId, tenantId, scopes}',
    content: {
      'application/json': {
        example: { keyId: '6f1c…', tenantId: 'acme', scopes: ['search', 'ingest'] },
      },
    },
  })
  whoami(@Caller() caller: ApiKeyIdentity): WhoAmI {
    return {
      keyId: caller.keyId,
      tenantId: caller.tenantId,
      scopes: [...caller.scopes],
      ...(caller.userId !== undefined ? { userId: caller.userId } : {}),
    };
  }
}
