import { IdentifierPipe } from '@memory/runtime';
import { ApiKeyGuard, ApiKeyIdentity, Caller, RequireScope } from '@memory/auth';
import { PinStore } from '@memory/lifecycle';
import {
  Controller,
  Delete,
  HttpCode,
  Logger,
  NotFoundException,
  Param,
  Post,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';

export interface PinResponse {
  conversationId: string;
  pinned: boolean;
}

/**
 * Pins: a user marks a conversation as one to keep. A pinned conversation counts as the most
 * important, so every tier threshold is stretched for it (doubled by default).
 */
@ApiTags('pins')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing, unknown or revoked API key' })
@ApiForbiddenResponse({ description: 'The API key lacks the "search" scope' })
@ApiParam({ name: 'conversationId', example: 'conv-42' })
@ApiNotFoundResponse({ description: 'The tenant has no summary of this conversation' })
@ApiTooManyRequestsResponse({
  description:
    "Over the API key's rate (429 RATE_LIMITED) or too many unknown keys at once (KEY_LOOKUPS_THROTTLED); Retry-After says in how many seconds to retry",
  headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'integer' } } },
})
@Controller('v1/conversations/:conversationId/pin')
@UseGuards(ApiKeyGuard)
@RequireScope('search')
export class PinController {
  private readonly logger = new Logger(PinController.name);

  constructor(private readonly pins: PinStore) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: "Pin a conversation of the API key's tenant" })
  @ApiOkResponse({ description: '{conversationId, pinned: true}' })
  pin(
    @Caller() caller: ApiKeyIdentity,
    @Param('conversationId', IdentifierPipe) conversationId: string,
  ): Promise<PinResponse> {
    return this.set(caller, conversationId, true);
  }

  @Delete()
  @HttpCode(200)
  @ApiOperation({ summary: 'Unpin a conversation' })
  @ApiOkResponse({ description: '{conversationId, pinned: false}' })
  unpin(
    @Caller() caller: ApiKeyIdentity,
    @Param('conversationId', IdentifierPipe) conversationId: string,
  ): Promise<PinResponse> {
    return this.set(caller, conversationId, false);
  }

  private async set(
    caller: ApiKeyIdentity,
    conversationId: string,
    pinned: boolean,
  ): Promise<PinResponse> {
    if (!(await this.pins.setPinned(caller.tenantId, conversationId, pinned)))
      throw new NotFoundException({ message: `no summary of conversation "${conversationId}"` });
    this.logger.log({
      msg: pinned ? 'pinned' : 'unpinned',
      tenantId: caller.tenantId,
      conversationId,
    });
    return { conversationId, pinned };
  }
}
