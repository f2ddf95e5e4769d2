import { MemorySummary, SummarySections } from '@memory/contracts';
import { inSpan } from '@memory/telemetry';
import {
  BulkIndexError,
  BulkOutcome,
  IndexedSummary,
  SummaryDocument,
  SummaryIndex,
} from '@memory/search-index';
import { Injectable } from '@nestjs/common';
import { IndexingMetrics } from './indexing.metrics';
import { ConversationRef } from './summary-record';
import { documentId, heldSectionsOf, summaryDocuments } from '@memory/search-index';
import { SummaryStore, summaryKey, toSummaryEvent } from '@memory/summarization';

/**
 * Writes summaries to the index (with the summary version as external version, so a stale one
 * is refused and counted) and removes erased conversations. Two-phase: a summary is written
 * at once without its vector (`vectorPending`), searchable by keyword and filters, and
 * `SummaryVectorFiller` gives it its vector when the model gets to it. Every failure other
 * than a stale version throws, for the caller to retry. A summary whose conversation has no
 * summary row in Postgres is not indexed (counted as stale): Postgres is the source of truth,
 * and the row of an erased conversation is gone while its old versions may still be on the
 * topic (compaction keeps them until the tombstone catches up; a replay reads them again).
 *
 * A backlog (the indexer behind, a replay, a restart) does not write versions that are already
 * old: a summary whose conversation has a newer version in Postgres is replaced by that newer
 * version (its record, when it comes, is then already indexed), and one whose version the
 * index already holds is left. A new version whose text to embed is the indexed one's
 * (compression to a tier keeps embedding the held full text; a version that changed only
 * counts or times) keeps the indexed vector and owes none. Each document carries its
 * conversation's importance as Postgres holds it (see {@link settleImportance}).
 */
@Injectable()
export class SummaryIndexer {
  constructor(
    private readonly index: SummaryIndex,
    private readonly metrics: IndexingMetrics,
    private readonly store: SummaryStore,
  ) {}

  async remove(conversations: readonly ConversationRef[]): Promise<BulkOutcome> {
    return this.write([], conversations);
  }

  async put(records: readonly MemorySummary[]): Promise<BulkOutcome> {
    const { summaries, held, indexed, skipped } = await this.newestNotIndexed(records);
    if (summaries.length === 0) return { indexed: 0, stale: skipped, deleted: 0 };
    const importance = await this.importanceOf(summaries);
    const { documents, reused, deferred } = await summaryDocuments(
      undefined,
      summaries,
      new Date(),
      held,
      indexed,
      importance,
    );
    this.metrics.kept(reused);
    const outcome = await inSpan(
      'search bulk write',
      {
        'memory.documents': documents.length,
        'memory.vectors_kept': reused,
        'memory.vectors_pending': deferred,
      },
      () => this.write(documents, []),
    );
    await this.settleImportance(summaries, importance);
    const now = Date.now();
    for (const summary of summaries)
      this.metrics.indexedAfter((now - Date.parse(summary.stats.updatedAt)) / 1000);
    return { ...outcome, stale: outcome.stale + skipped };
  }

  /**
   * The summaries worth embedding: each replaced by its conversation's newer version in
   * Postgres if there is one, then those without a row in Postgres (erased) and those whose
   * version the index already holds left out. With them, the full sections of those that
   * are compressed (when the row is of the version indexed).
   */
  private async newestNotIndexed(records: readonly MemorySummary[]): Promise<{
    summaries: MemorySummary[];
    held: Map<string, SummarySections>;
    indexed: Map<string, IndexedSummary>;
    skipped: number;
  }> {
    const rows = await this.store.loadMany(records);
    const current = new Map(rows.map((row) => [documentId(row.tenantId, row.conversationId), row]));
    const newest: MemorySummary[] = [];
    let jumped = 0;
    for (const summary of records) {
      const row = current.get(documentId(summary.tenantId, summary.conversationId));
      if (!row) continue;
      if (row.version > summary.version) jumped++;
      newest.push(row.version > summary.version ? toSummaryEvent(row) : summary);
    }
    const indexed = await this.index.indexedSummaries(newest);
    const summaries = newest.filter(
      (summary) =>
        (indexed.get(documentId(summary.tenantId, summary.conversationId))?.version ?? 0) <
        summary.version,
    );
    if (jumped > 0) this.metrics.caughtUp(jumped);
    const held = new Map<string, SummarySections>();
    for (const summary of summaries) {
      const id = documentId(summary.tenantId, summary.conversationId);
      const row = current.get(id);
      const full = row?.version === summary.version ? heldSectionsOf(row) : undefined;
      if (full) held.set(id, full);
    }
    return { summaries, held, indexed, skipped: records.length - summaries.length };
  }

  /** The stored importance of each summary's conversation, by document id. */
  private async importanceOf(summaries: readonly MemorySummary[]): Promise<Map<string, number>> {
    const scores = await this.store.importanceOf(summaries);
    return new Map(
      summaries.map((summary) => {
        const id = documentId(summary.tenantId, summary.conversationId);
        return [id, scores.get(summaryKey(summary.tenantId, summary.conversationId)) ?? 0];
      }),
    );
  }

  /**
   * Reads the importance again once the documents are written: a score retention stored after
   * the first read has had its `importance_changed` event, which may have been applied before
   * this write and then overwritten by it. Any such document gets the score now.
   */
  private async settleImportance(
    summaries: readonly MemorySummary[],
    written: ReadonlyMap<string, number>,
  ): Promise<void> {
    const now = await this.importanceOf(summaries);
    const changed = summaries.filter((summary) => {
      const id = documentId(summary.tenantId, summary.conversationId);
      return now.get(id) !== written.get(id);
    });
    if (changed.length === 0) return;
    await this.index.setImportance(
      changed.map((summary) => ({
        tenantId: summary.tenantId,
        conversationId: summary.conversationId,
        importance: now.get(documentId(summary.tenantId, summary.conversationId)) ?? 0,
      })),
    );
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
