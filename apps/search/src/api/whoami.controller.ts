import { ApiKeyIdentity, ApiKeyProtected, Caller } from '@memory/auth';
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';

export interface WhoAmI {
  keyId: string;
  tenantId: string;
  scopes: string[];
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
    summary: 'The tenant and scopes of the presented API key',
    description: 'Any valid key may ask; an unknown or revoked key gets 401.',
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
    return { keyId: caller.keyId, tenantId: caller.tenantId, scopes: [...caller.scopes] };
  }
}
