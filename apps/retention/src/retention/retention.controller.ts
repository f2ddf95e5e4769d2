import { ApiKeyProtected, ApiKeyIdentity, Caller } from '@memory/auth';
import {
  ArchiveRecord,
  ArchiveVerificationError,
  ConversationBusyError,
  ErasureResult,
  NoArchiveError,
  PassQueueFullError,
  RetentionReport,
  UserErasureResult,
} from '@memory/lifecycle';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  formatBytes,
  parseOrBadRequest,
  IdentifierPipe,
} from '@memory/runtime';
import {
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpException,
  HttpStatus,
  NotFoundException,
  Param,
  Post,
  Query,
  ServiceUnavailableException,
  UnprocessableEntityException,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { RestoreResult, RetentionService } from './retention.service';

const runRequestSchema = z.object({ dryRun: z.boolean().optional() }).strict();

const archivesQuery = z
  .object({
    userId: z.string().min(1).max(256).optional(),
    after: z.string().max(256).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

/**
 * Retention for operators and data-protection requests: run a pass (or see what it would do),
 * look at a conversation's archive, restore it, erase a conversation or a user. All of it is
 * limited to the API key's tenant and needs the "admin" scope.
 */
@ApiTags('retention')
@ApiServiceUnavailableResponse({ description: 'Postgres, Kafka or OpenSearch failed; retry' })
@ApiKeyProtected('admin')
@Controller('v1')
export class RetentionController {
  constructor(private readonly retention: RetentionService) {}

  @Post('retention/run')
  @HttpCode(200)
  @ApiOperation({
    summary: "Run a retention pass for the API key's tenant now",
    description:
      'Refreshes importance, erases conversations past the tenant’s maximum age (if it has ' +
      'one), and archives the raw messages of summarized conversations past the archive age. ' +
      'Pinned conversations and those at or above the keep importance (KEEP_IMPORTANCE) are ' +
      'neither erased nor archived by age; the report counts them under `kept`. With dryRun, ' +
      'changes nothing and reports what would be archived, erased and kept. Requests for ' +
      'the tenant made while its pass waits share that pass and its report.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: { dryRun: { type: 'boolean', default: false } },
    },
  })
  @ApiOkResponse({ description: 'The pass report, with per-tenant counts and sample ids' })
  @ApiBadRequestResponse({ description: 'Field-level errors: [{field, code, message}]' })
  @ApiPayloadTooLargeResponse({
    description: `The body is over ${formatBytes(DEFAULT_BODY_LIMIT_BYTES)} (code BODY_TOO_LARGE)`,
  })
  @ApiTooManyRequestsResponse({
    description: 'Too many passes are waiting already: {code: "PASS_QUEUE_FULL"}; retry later',
  })
  async run(@Caller() caller: ApiKeyIdentity, @Body() body: unknown): Promise<RetentionReport> {
    const { dryRun } = parseOrBadRequest(
      runRequestSchema,
      body ?? {},
      'invalid retention run request',
    );
    return this.guard(() => this.retention.run({ tenantId: caller.tenantId, dryRun }));
  }

  @Get('retention/passes')
  @ApiOperation({
    summary: 'Retention passes waiting in this process',
    description:
      'How many distinct passes wait behind the one in progress, and how many run requests ' +
      'wait for them (requests for the same tenant share one pass). Counts only.',
  })
  @ApiOkResponse({ description: '{queued, waitingRequests}' })
  passes(): { queued: number; waitingRequests: number } {
    return this.retention.passQueue();
  }

  @Get('archives')
  @ApiOperation({
    summary: "The tenant's archived conversations, or one user's",
    description:
      'A page of archive records in conversation order: counts, seq range, when archived and ' +
      'restored (a conversation whose `restoredAt` is after its `archivedAt` has its messages ' +
      'back in Postgres). With userId, the conversations holding messages of that user. ' +
      '`next` is the `after` of the next page, null on the last.',
  })
  @ApiQuery({ name: 'userId', required: false })
  @ApiQuery({ name: 'after', required: false, description: 'a conversation id (exclusive)' })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 100' })
  @ApiOkResponse({ description: '{items: [archive record], next}' })
  @ApiBadRequestResponse({ description: 'Field-level errors: [{field, code, message}]' })
  async archives(
    @Caller() caller: ApiKeyIdentity,
    @Query() rawQuery: Record<string, string>,
  ): Promise<{ items: ArchiveRecord[]; next: string | null }> {
    const query = parseOrBadRequest(archivesQuery, rawQuery, 'invalid query');
    return this.guard(() => this.retention.archiver.list(caller.tenantId, query));
  }

  @Get('conversations/:conversationId/archive')
  @ApiOperation({ summary: "A conversation's archive: path, revision, sha256, counts, seq range" })
  @ApiParam({ name: 'conversationId', example: 'conv-42' })
  @ApiOkResponse({ description: 'The archive record' })
  @ApiNotFoundResponse({ description: 'The conversation has no archive' })
  async archive(
    @Caller() caller: ApiKeyIdentity,
    @Param('conversationId', IdentifierPipe) conversationId: string,
  ): Promise<ArchiveRecord> {
    const record = await this.guard(() =>
      this.retention.archiver.find(caller.tenantId, conversationId),
    );
    if (!record)
      throw new NotFoundException({ message: `conversation "${conversationId}" has no archive` });
    return record;
  }

  @Post('conversations/:conversationId/restore')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Restore a conversation’s messages from its archive',
    description:
      'Verifies the archive against its manifest and checksum, puts its messages back into ' +
      'Postgres with their ids, seqs, contents and times, checks them, re-summarizes the ' +
      'conversation and publishes the summary (search re-indexes it). The conversation stays ' +
      'in Postgres, at full, for RETENTION_RESTORE_HOLD_DAYS.',
  })
  @ApiParam({ name: 'conversationId', example: 'conv-42' })
  @ApiOkResponse({ description: 'What was restored, and the new summary version' })
  @ApiNotFoundResponse({ description: 'The conversation has no archive' })
  @ApiConflictResponse({ description: 'Another process is archiving or erasing it; retry' })
  @ApiUnprocessableEntityResponse({
    description: 'The archive failed verification; nothing was restored. The problems are listed.',
  })
  restore(
    @Caller() caller: ApiKeyIdentity,
    @Param('conversationId', IdentifierPipe) conversationId: string,
  ): Promise<RestoreResult> {
    return this.guard(() => this.retention.restore(caller.tenantId, conversationId));
  }

  @Delete('conversations/:conversationId')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Erase a conversation everywhere',
    description:
      'Removes its messages, summaries and their history, archive, reads and search document, ' +
      'puts a tombstone on memory.summaries.v1 and sends an "erased" audit event (ids and ' +
      'counts, no content) to memory.lifecycle.v1. A replayed message of it from before the ' +
      'erasure is dropped by ingest. Repeating the request is harmless.',
  })
  @ApiParam({ name: 'conversationId', example: 'conv-42' })
  @ApiOkResponse({ description: '{erasureId, conversationId, counts}' })
  @ApiConflictResponse({ description: 'Another process held the conversation for 30 s; retry' })
  eraseConversation(
    @Caller() caller: ApiKeyIdentity,
    @Param('conversationId', IdentifierPipe) conversationId: string,
  ): Promise<ErasureResult> {
    return this.guard(() => this.retention.eraseConversation(caller.tenantId, conversationId));
  }

  @Delete('users/:userId')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Erase a user: every conversation they own or wrote in, everywhere',
    description:
      'Erases each such conversation as DELETE /v1/conversations/{id} does, then records the ' +
      'user’s erasure, so that a replayed message of theirs from before now is dropped.',
  })
  @ApiParam({ name: 'userId', example: 'user-7' })
  @ApiOkResponse({
    description: '{userId, conversations: [{erasureId, conversationId, counts}], counts}',
  })
  @ApiConflictResponse({ description: 'Another process held a conversation for 30 s; retry' })
  eraseUser(
    @Caller() caller: ApiKeyIdentity,
    @Param('userId', IdentifierPipe) userId: string,
  ): Promise<UserErasureResult> {
    return this.guard(() => this.retention.eraseUser(caller.tenantId, userId));
  }

  /** Maps failures to answers: the known ones to 4xx, the rest (engines down) to 503. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof HttpException) throw error;
      if (error instanceof PassQueueFullError)
        throw new HttpException(
          { code: error.code, message: error.message },
          HttpStatus.TOO_MANY_REQUESTS,
        );
      if (error instanceof NoArchiveError) throw new NotFoundException({ message: error.message });
      if (error instanceof ConversationBusyError)
        throw new ConflictException({ message: error.message });
      if (error instanceof ArchiveVerificationError)
        throw new UnprocessableEntityException({
          message: `the archive ${error.path} failed verification; nothing was restored`,
          problems: error.problems,
        });
      throw new ServiceUnavailableException({ message: 'retention is unavailable, try again' });
    }
  }
}
