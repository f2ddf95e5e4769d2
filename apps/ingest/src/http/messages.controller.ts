import { IdentifierPipe, parseOrBadRequest } from '@memory/runtime';
import { ApiKeyIdentity, ApiKeyProtected, Caller, RequireScope, UserAccess } from '@memory/auth';
import { ArchiveVerificationError } from '@memory/lifecycle';
import { ReadRecorder } from '@memory/persistence';
import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Logger,
  NotFoundException,
  Param,
  PayloadTooLargeException,
  Post,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { z } from 'zod';
import { MESSAGES_BODY_LIMIT_TEXT } from './body-limits.constants';
import { HttpIngestService, MAX_MESSAGES_PER_REQUEST } from './http-ingest.service';
import { MessagePage, MessageQueryService } from './message-query.service';

const pageQuery = z.object({
  afterSeq: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  archived: z.enum(['include', 'skip']).default('include'),
});

const CHAT_MESSAGE_EXAMPLE = {
  schema: 'chat.message.v1',
  messageId: 'msg-0001',
  conversationId: 'conv-42',
  userId: 'user-7',
  role: 'user',
  content: 'Can you move my appointment to Friday at 10?',
  createdAt: '2026-05-01T10:00:00Z',
};
@ApiTags('messages')
@ApiKeyProtected('ingest', { perRoute: true })
@Controller('v1')
export class MessagesController {
  private readonly logger = new Logger(MessagesController.name);

  constructor(
    private readonly ingest: HttpIngestService,
    private readonly query: MessageQueryService,
    private readonly reads: ReadRecorder,
    private readonly access: UserAccess,
  ) {}

  @Post('messages')
  @HttpCode(202)
  @RequireScope('ingest')
  @ApiBody({
    description: `One chat.message.v1, or {"messages": [...]} with up to ${MAX_MESSAGES_PER_REQUEST}, in at most ${MESSAGES_BODY_LIMIT_TEXT}. tenantId may be left out: the API key's tenant is used.`,
    schema: { type: 'object' },
    examples: {
      single: { value: CHAT_MESSAGE_EXAMPLE },
      batch: { value: { messages: [CHAT_MESSAGE_EXAMPLE] } },
    },
  })
  @ApiAcceptedResponse({ description: 'Produced to chat.messages.v1 and acknowledged by Kafka' })
  @ApiBadRequestResponse({ description: 'Field-level errors: [{index, field, code, message}]' })
  @ApiPayloadTooLargeResponse({
    description: `A message is over a size limit (errors with CONTENT_TOO_LARGE, ...), more than ${MAX_MESSAGES_PER_REQUEST} messages, or the body is over ${MESSAGES_BODY_LIMIT_TEXT} (code BODY_TOO_LARGE, refused before it is parsed)`,
  })
  async submit(
    @Caller() caller: ApiKeyIdentity,
    @Body() body: unknown,
  ): Promise<{ accepted: number; messageIds: string[] }> {
    const inputs = messagesOf(body);
    const result = await this.ingest.submit(caller.tenantId, inputs, caller.userId);
    if (result.ok) return { accepted: result.accepted, messageIds: result.messageIds };
    const response = { message: 'invalid messages', errors: result.errors };
    throw result.oversize
      ? new PayloadTooLargeException(response)
      : new BadRequestException(response);
  }

  @Get('conversations/:conversationId/messages')
  @RequireScope('ingest')
  @ApiQuery({
    name: 'afterSeq',
    required: false,
    description: 'Return messages with a greater seq (default 0)',
  })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 100' })
  @ApiQuery({
    name: 'archived',
    required: false,
    enum: ['include', 'skip'],
    description:
      'include (default): archived messages are read from the verified archive and marked ' +
      '`archived: true`; skip: only what Postgres holds (the page still says where the ' +
      'archive is and how to restore it)',
  })
  @ApiOkResponse({
    description:
      'A page of messages in seq order, each with `archived`; nextAfterSeq continues; `archive` ' +
      'describes the conversation’s archive (counts, seq range, dates, how to restore) or is null',
  })
  @ApiNotFoundResponse({ description: 'The tenant has no such conversation' })
  @ApiServiceUnavailableResponse({
    description:
      'The archive could not be read or verified (code ARCHIVE_UNAVAILABLE); archived=skip ' +
      'serves what Postgres holds',
  })
  async messages(
    @Caller() caller: ApiKeyIdentity,
    @Param('conversationId', IdentifierPipe) conversationId: string,
    @Query() rawQuery: Record<string, string>,
  ): Promise<MessagePage> {
    const { afterSeq, limit, archived } = parseOrBadRequest(pageQuery, rawQuery, 'invalid query');
    await this.access.assertConversation(caller, conversationId);
    let page;
    try {
      page = await this.query.page(caller.tenantId, conversationId, afterSeq, limit, archived);
    } catch (error) {
      if (!(error instanceof ArchiveVerificationError)) throw error;
      this.logger.error({
        msg: 'archived messages could not be read',
        tenantId: caller.tenantId,
        conversationId,
        error: error.message,
      });
      throw new ServiceUnavailableException({
        code: 'ARCHIVE_UNAVAILABLE',
        message:
          'the archived messages of this conversation could not be read and verified; ' +
          'archived=skip serves what Postgres holds',
      });
    }
    if (!page) throw new NotFoundException(`no conversation "${conversationId}"`);
    this.reads.count(caller.tenantId, conversationId, this.logger);
    return page;
  }
}

function messagesOf(body: unknown): unknown[] {
  if (body !== null && typeof body === 'object' && 'messages' in body) {
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0) {
      throw new BadRequestException({
        message: 'invalid request',
        errors: [
          {
            index: 0,
            field: 'messages',
            code: 'INVALID_FIELDS',
            message: 'must be a non-empty array',
          },
        ],
      });
    }
    if (messages.length > MAX_MESSAGES_PER_REQUEST) {
      throw new PayloadTooLargeException({
        message: `at most ${MAX_MESSAGES_PER_REQUEST} messages per request`,
        errors: [],
      });
    }
    return messages;
  }
  return [body];
}
