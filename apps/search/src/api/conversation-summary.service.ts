import { MemorySummary } from '@memory/contracts';
import { SummaryStore, toSummaryEvent } from '@memory/summarization';
import { Injectable } from '@nestjs/common';
import { SearchUnavailableError } from './search.errors';

/** The current summary of a conversation, from the summarizer's table (the source of truth). */
@Injectable()
export class ConversationSummaryService {
  constructor(private readonly store: SummaryStore) {}

  /**
   * The summary as `memory.summary.v1`; undefined when the tenant has no such conversation, or
   * its messages were seen but not yet summarized (version 0). Throws
   * {@link SearchUnavailableError} when Postgres fails.
   */
  async current(tenantId: string, conversationId: string): Promise<MemorySummary | undefined> {
    let row;
    try {
      row = await this.store.load(tenantId, conversationId);
    } catch (error) {
      throw new SearchUnavailableError('database', error);
    }
    if (!row || row.version === 0) return undefined;
    return toSummaryEvent(row);
  }
}
