import { MemorySummary } from '@memory/contracts';
import { EmbeddingBackend } from '@memory/embeddings';
import { inSpan } from '@memory/telemetry';
import { BulkIndexError, BulkOutcome, SummaryDocument, SummaryIndex } from '@memory/search-index';
import { Inject, Injectable } from '@nestjs/common';
import { EMBEDDER } from '../core/tokens';
import { IndexingMetrics } from './indexing.metrics';
import { ConversationRef } from './summary-record';
import { summaryDocuments } from '@memory/search-index';

/**
 * Writes summaries to the index (embedded, with the summary version as external version, so
 * a stale one is refused and counted) and removes erased conversations. Every failure other
 * than a stale version throws, for the caller to retry.
 */
@Injectable()
export class SummaryIndexer {
  constructor(
    @Inject(EMBEDDER) private readonly embedder: EmbeddingBackend,
    private readonly index: SummaryIndex,
    private readonly metrics: IndexingMetrics,
  ) {}

  async remove(conversations: readonly ConversationRef[]): Promise<BulkOutcome> {
    return this.write([], conversations);
  }

  async put(summaries: readonly MemorySummary[]): Promise<BulkOutcome> {
    const started = performance.now();
    const { documents, embedded } = await inSpan(
      'search embed',
      { 'memory.summaries': summaries.length },
      async (span) => {
        const made = await summaryDocuments(this.embedder, summaries);
        span.setAttribute('memory.texts_embedded', made.embedded);
        return made;
      },
    );
    this.metrics.embedded(embedded, (performance.now() - started) / 1000);
    const outcome = await inSpan(
      'search bulk write',
      { 'memory.documents': documents.length },
      () => this.write(documents, []),
    );
    const now = Date.now();
    for (const summary of summaries)
      this.metrics.indexedAfter((now - Date.parse(summary.stats.updatedAt)) / 1000);
    return outcome;
  }

  private async write(
    documents: readonly SummaryDocument[],
    deletions: readonly ConversationRef[],
  ): Promise<BulkOutcome> {
    try {
      const outcome = await this.index.write(documents, deletions);
      this.metrics.written(outcome);
      return outcome;
    } catch (error) {
      this.metrics.bulkFailed(error instanceof BulkIndexError ? 'items' : 'request');
      throw error;
    }
  }
}
