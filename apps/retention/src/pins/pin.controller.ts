import { IdentifierPipe } from '@memory/runtime';
import { ApiKeyIdentity, ApiKeyProtected, Caller, UserAccess } from '@memory/auth';
import { PinStore } from '@memory/lifecycle';
import {
  Controller,
  Delete,
  HttpCode,
  Logger,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';

export interface PinResponse {
  conversationId: string;
  pinned: boolean;
}

/**
 * Pins: a user marks a conversation as one to keep. A pinned conversation counts as the most
 * important and is kept (libs/lifecycle keep-policy): compressed no further than `KEEP_TIER`,
 * never archived or erased by age. An erase request still erases it.
 */
@ApiTags('pins')
@ApiParam({ name: 'conversationId', example: 'conv-42' })
@ApiNotFoundResponse({ description: 'The tenant has no summary of this conversation' })
@ApiKeyProtected('search')
@Controller('v1/conversations/:conversationId/pin')
export class PinController {
  private readonly logger = new Logger(PinController.name);

  constructor(
    private readonly pins: PinStore,
    private readonly access: UserAccess,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: "Pin a conversation of the API key's tenant",
    description:
      'A pinned conversation keeps its detail: compressed no further than KEEP_TIER (full by ' +
      'default) and never archived or erased by age; an erase request still erases it.',
  })
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
    const notFound = { message: `no summary of conversation "${conversationId}"` };
    await this.access.assertConversation(caller, conversationId, notFound);
    if (!(await this.pins.setPinned(caller.tenantId, conversationId, pinned)))
      throw new NotFoundException(notFound);
    this.logger.log({
      msg: pinned ? 'pinned' : 'unpinned',
      tenantId: caller.tenantId,
      conversationId,
    });
    return { conversationId, pinned };
  }
}
