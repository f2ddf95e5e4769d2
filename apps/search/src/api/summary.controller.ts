import { IdentifierPipe, parseOrBadRequest } from '@memory/runtime';
import { ApiKeyIdentity, ApiKeyProtected, Caller, RequireScope, UserAccess } from '@memory/auth';
import { MEMORY_SUMMARY_SCHEMA, MemorySummary, memorySummarySchema } from '@memory/contracts';
import { ReadRecorder } from '@memory/persistence';
import {
  Controller,
  Get,
  Logger,
  NotFoundException,
  Param,
  Query,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { z } from 'zod';
import { ConversationSummaryService, SUMMARY_VIEWS } from './conversation-summary.service';
import { SummaryHistoryPage, SummaryHistoryService } from './summary-history.service';
import { openApiSchema } from './openapi';
import { SearchUnavailableError } from './search.errors';

const SUMMARY_EXAMPLE: MemorySummary = {
  schema: MEMORY_SUMMARY_SCHEMA,
  tenantId: 'acme',
  conversationId: 'conv-42',
  userId: 'user-7',
  version: 2,
  throughSeq: 8,
  tier: 'full',
  text: 'The user asked to move the dentist appointment to Friday at 10.\nKey points: Appointment moved to Friday 10:00',
  sections: {
    context: 'The user asked to move the dentist appointment to Friday at 10.',
    keyPoints: ['Appointment moved to Friday 10:00'],
    decisions: ['Friday 10:00 instead of Wednesday'],
    actionItems: ['Send a reminder on Thursday'],
    openQuestions: [],
    entities: ['Dr. Patel'],
    dates: ['Friday at 10'],
    numbers: [],
    mood: null,
  },
  stats: {
    messageCount: 8,
    firstMessageAt: '2026-05-01T10:00:00.000Z',
    lastMessageAt: '2026-05-01T10:04:12.000Z',
    backend: 'local',
    llmPending: false,
    fromSeq: 5,
    cost: { inputTokens: 0, outputTokens: 0, inputChars: 412, outputChars: 180, durationMs: 3.1 },
    totalCost: {
      inputTokens: 0,
      outputTokens: 0,
      inputChars: 803,
      outputChars: 341,
      durationMs: 6.4,
    },
    updatedAt: '2026-05-01T10:05:00.000Z',
  },
};
const summaryQuery = z.object({ view: z.enum(SUMMARY_VIEWS).default('tier') }).strict();
const versionsQuery = z
  .object({
    before: z.coerce.number().int().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
  })
  .strict();

@ApiTags('search')
@ApiKeyProtected('search', { perRoute: true })
@Controller('v1')
export class SummaryController {
  private readonly logger = new Logger(SummaryController.name);

  constructor(
    private readonly summaries: ConversationSummaryService,
    private readonly history: SummaryHistoryService,
    private readonly reads: ReadRecorder,
    private readonly access: UserAccess,
  ) {}

  @Get('conversations/:conversationId/summary/versions')
  @RequireScope('search')
  @ApiOperation({
    summary: 'The version history of a conversation’s summary, newest first',
    description:
      'Each version with its trigger (the fold that made it, or `compress`), seq range, ' +
      'backend, tier, cost and time, and, for the newest SUMMARY_HISTORY_VERSIONS versions, ' +
      'the sections it held and what it added and removed in each list section (and the ' +
      'context line, when changed) against the version before it. Older versions keep their ' +
      'counts only (`sections` and `changes` null). `nextBefore` is the `before` of the next, ' +
      'older page. Erasing the conversation erases its history.',
  })
  @ApiParam({ name: 'conversationId', example: 'conv-42' })
  @ApiQuery({ name: 'before', required: false, description: 'a version (exclusive)' })
  @ApiQuery({ name: 'limit', required: false, description: '1-100, default 20' })
  @ApiOkResponse({ description: '{conversationId, items: [version], nextBefore}' })
  @ApiBadRequestResponse({ description: 'Field-level errors: [{field, code, message}]' })
  @ApiNotFoundResponse({ description: 'The tenant has no summary of this conversation' })
  @ApiServiceUnavailableResponse({ description: 'Postgres failed' })
  async versions(
    @Caller() caller: ApiKeyIdentity,
    @Param('conversationId', IdentifierPipe) conversationId: string,
    @Query() rawQuery: Record<string, string>,
  ): Promise<SummaryHistoryPage> {
    const { before, limit } = parseOrBadRequest(versionsQuery, rawQuery, 'invalid query');
    await this.access.assertConversation(caller, conversationId, noSummary(conversationId));
    return this.found(caller.tenantId, conversationId, 'summary history read failed', () =>
      this.history.page(caller.tenantId, conversationId, before, limit),
    );
  }

  @Get('conversations/:conversationId/summary')
  @RequireScope('search')
  @ApiOperation({
    summary: 'The current summary of a conversation',
    description:
      "From the summarizer's store (newer than the search index by at most the indexing delay), " +
      "for the API key's tenant only. `view=full` returns the full sections a compressed " +
      'conversation still keeps (its `sections` and `text`; `tier` still says how far it is ' +
      'compressed); `view=tier`, the default, the summary at its tier, as search shows it.',
  })
  @ApiParam({ name: 'conversationId', example: 'conv-42' })
  @ApiQuery({ name: 'view', required: false, enum: SUMMARY_VIEWS, description: 'default tier' })
  @ApiOkResponse({
    description: 'memory.summary.v1: sections, text, version, throughSeq, tier, stats',
    content: {
      'application/json': {
        schema: openApiSchema(memorySummarySchema, 'output'),
        example: SUMMARY_EXAMPLE,
      },
    },
  })
  @ApiBadRequestResponse({ description: 'Field-level errors: [{field, code, message}]' })
  @ApiNotFoundResponse({
    description: 'The tenant has no such conversation, or no summary of it yet',
    content: {
      'application/json': { example: { message: 'no summary of conversation "conv-42"' } },
    },
  })
  @ApiServiceUnavailableResponse({
    description: 'Postgres failed',
    content: {
      'application/json': { example: { message: 'summaries are unavailable, try again' } },
    },
  })
  async summary(
    @Caller() caller: ApiKeyIdentity,
    @Param('conversationId', IdentifierPipe) conversationId: string,
    @Query() rawQuery: Record<string, string>,
  ): Promise<MemorySummary> {
    const { view } = parseOrBadRequest(summaryQuery, rawQuery, 'invalid query');
    await this.access.assertConversation(caller, conversationId, noSummary(conversationId));
    const summary = await this.found(caller.tenantId, conversationId, 'summary read failed', () =>
      this.summaries.current(caller.tenantId, conversationId, view),
    );
    this.reads.count(caller.tenantId, conversationId, this.logger);
    return summary;
  }

  /** What `read` finds: 503 when Postgres fails (logged as `failure`), 404 when nothing. */
  private async found<T>(
    tenantId: string,
    conversationId: string,
    failure: string,
    read: () => Promise<T | undefined>,
  ): Promise<T> {
    let value: T | undefined;
    try {
      value = await read();
    } catch (error) {
      if (!(error instanceof SearchUnavailableError)) throw error;
      this.logger.error({ msg: failure, tenantId, conversationId, error: error.message });
      throw new ServiceUnavailableException({ message: 'summaries are unavailable, try again' });
    }
    if (value === undefined) throw new NotFoundException(noSummary(conversationId));
    return value;
  }
}

function noSummary(conversationId: string): { message: string } {
  return { message: `no summary of conversation "${conversationId}"` };
}
