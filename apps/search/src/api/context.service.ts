import { performance } from 'node:perf_hooks';
import { MemorySummary } from '@memory/contracts';
import {
  ContextAssembler,
  contextSummaryOf,
  ContextSummary,
  SearchSettings,
} from '@memory/search-index';
import { profileLines, UserProfileReader } from '@memory/summarization';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { SEARCH_SETTINGS } from '../core/tokens';
import { ArchiveStatus } from './archive-status.service';
import { parseContextRequest } from './context-request.dto';
import { QueryVectors } from './query-embedding';
import { ContextResponse } from './context-response.dto';
import { ConversationSummaryService } from './conversation-summary.service';
import { RequestFieldError } from './search-request.dto';
import { QUERY_TOO_COMPLEX_FIELD_ERROR, QueryTooComplexError } from './search.errors';
import { SummarySearcher } from './summary.searcher';

export type ContextOutcome =
  { ok: true; response: ContextResponse } | { ok: false; errors: RequestFieldError[] };

/**
 * The context answer of `POST /v1/context`: the {@link ContextAssembler} over this service's
 * index searcher, embedding model, summaries, archive records and user profiles (Postgres).
 */
@Injectable()
export class ContextService {
  private readonly logger = new Logger(ContextService.name);
  private readonly assembler: ContextAssembler;

  constructor(
    searcher: SummarySearcher,
    queryVectors: QueryVectors,
    summaries: ConversationSummaryService,
    archives: ArchiveStatus,
    profiles: UserProfileReader,
    @Inject(SEARCH_SETTINGS) settings: Pick<SearchSettings, 'knnEfSearch'>,
  ) {
    this.assembler = new ContextAssembler(
      {
        search: (query) => searcher.list(query),
        searchAll: async (queries) => (await searcher.many(queries)).map((answer) => answer.hits),
        embed: (query, tenantId) => queryVectors.of(tenantId, query),
        currentSummary: async (tenantId, conversationId) =>
          optional(await summaries.current(tenantId, conversationId)),
        archived: (tenantId, ids) => archives.archivedAmong(tenantId, ids),
        profile: async (tenantId, userId) => {
          const profile = await profiles.load(tenantId, userId);
          return (
            profile && {
              userId,
              builtAt: profile.builtAt,
              lines: profileLines(profile.sections),
            }
          );
        },
      },
      settings.knnEfSearch,
    );
  }

  /** Validates a body and answers it; throws {@link SearchUnavailableError}. */
  async context(tenantId: string, body: unknown): Promise<ContextOutcome> {
    const parsed = parseContextRequest(body);
    if (!parsed.ok) return parsed;
    const started = performance.now();
    try {
      const response = await this.assembler.assemble({ tenantId, ...parsed.request });
      this.logger.debug({
        msg: 'context',
        tenantId,
        items: response.items.length,
        tokens: response.tokens,
        ms: Math.round(performance.now() - started),
      });
      return { ok: true, response };
    } catch (error) {
      if (error instanceof QueryTooComplexError)
        return {
          ok: false,
          errors: [{ ...QUERY_TOO_COMPLEX_FIELD_ERROR }],
        };
      this.logger.error({
        msg: 'context failed',
        tenantId,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      throw error;
    }
  }
}

function optional(summary: MemorySummary | undefined): ContextSummary | undefined {
  return summary && contextSummaryOf(summary);
}
