import { IdentifierPipe } from '@memory/runtime';
import { ApiKeyProtected, ApiKeyIdentity, Caller, RequireScope } from '@memory/auth';
import { MEMORY_SUMMARY_SCHEMA, MemorySummary, memorySummarySchema } from '@memory/contracts';
import { ReadRecorder } from '@memory/persistence';
import {
  Controller,
  Get,
  Logger,
  NotFoundException,
  Param,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ConversationSummaryService } from './conversation-summary.service';
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
@ApiTags('search')
@ApiKeyProtected('search', { perRoute: true })
@Controller('v1')
export class SummaryController {
  private readonly logger = new Logger(SummaryController.name);

  constructor(
    private readonly summaries: ConversationSummaryService,
    private readonly reads: ReadRecorder,
  ) {}

  @Get('conversations/:conversationId/summary')
  @RequireScope('search')
  @ApiOperation({
    summary: 'The current summary of a conversation',
    description:
      "From the summarizer's store (newer than the search index by at most the indexing delay), " +
      "for the API key's tenant only.",
  })
  @ApiParam({ name: 'conversationId', example: 'conv-42' })
  @ApiOkResponse({
    description: 'memory.summary.v1: sections, text, version, throughSeq, tier, stats',
    content: {
      'application/json': {
        schema: openApiSchema(memorySummarySchema, 'output'),
        example: SUMMARY_EXAMPLE,
      },
    },
  })
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
  ): Promise<MemorySummary> {
    let summary;
    try {
      summary = await this.summaries.current(caller.tenantId, conversationId);
    } catch (error) {
      if (!(error instanceof SearchUnavailableError)) throw error;
      this.logger.error({
        msg: 'summary read failed',
        tenantId: caller.tenantId,
        conversationId,
        error: error.message,
      });
      throw new ServiceUnavailableException({ message: 'summaries are unavailable, try again' });
    }
    if (!summary)
      throw new NotFoundException({ message: `no summary of conversation "${conversationId}"` });
    this.reads.count(caller.tenantId, conversationId, this.logger);
    return summary;
  }
}
