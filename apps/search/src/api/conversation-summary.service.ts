import { MemorySummary, renderSummaryText } from '@memory/contracts';
import { SummaryStore, toSummaryEvent } from '@memory/summarization';
import { Injectable } from '@nestjs/common';
import { SearchUnavailableError } from './search.errors';

/**
 * What a summary read returns: `tier`, the summary at the conversation's tier (what search
 * shows); `full`, the full sections a compressed conversation still keeps (the same as `tier`
 * for one at `full`).
 */
export const SUMMARY_VIEWS = ['tier', 'full'] as const;
export type SummaryView = (typeof SUMMARY_VIEWS)[number];

/** The current summary of a conversation, from the summarizer's table (the source of truth). */
@Injectable()
export class ConversationSummaryService {
  constructor(private readonly store: SummaryStore) {}

  /**
   * The summary as `memory.summary.v1`; undefined when the tenant has no such conversation, or
   * its messages were seen but not yet summarized (version 0). Throws
   * {@link SearchUnavailableError} when Postgres fails. In the `full` view, `sections` and
   * `text` are the full ones and `tier` still says how far the conversation is compressed.
   */
  async current(
    tenantId: string,
    conversationId: string,
    view: SummaryView = 'tier',
  ): Promise<MemorySummary | undefined> {
    let row;
    try {
      row = await this.store.load(tenantId, conversationId);
    } catch (error) {
      throw new SearchUnavailableError('database', error);
    }
    if (!row || row.version === 0) return undefined;
    const summary = toSummaryEvent(row);
    if (view === 'tier' || !row.fullSections) return summary;
    return { ...summary, sections: row.fullSections, text: renderSummaryText(row.fullSections) };
  }
}
