import { Client } from '@opensearch-project/opensearch';
import {
  AliasedIndex,
  BulkItem,
  bulk,
  isConflict,
  throwFailures,
  vectorWrites,
} from './aliased-index';
import { indexBody, summariesAlias } from './index-definition';
import { documentId, indexedEmbeddingText, SummaryDocument } from './summary-document';
import { VectorTarget } from './vector-target';

/** A summary document as the indexer compares a new version with it. */
export interface IndexedSummary {
  version: number;
  /** The text its vector was made from (see `embeddingText`). */
  embeddedText: string;
  embedding?: number[];
}

/**
 * How long after it was read a pending summary may still be written with its vector. An erasure
 * deletes the document, and its tombstone refuses a write of the version before for
 * `index.gc_deletes` (60 s by default) only: a write later than that could bring an erased
 * conversation back. A round that took longer (a slow embedding endpoint) drops its writes;
 * the documents are read again.
 */
export const VECTOR_WRITE_WITHIN_MS = 30_000;

/** A summary document owed its vector, as {@link SummaryIndex.needingVectors} finds it. */
export interface PendingSummary {
  id: string;
  /** The physical index it was read from: written only while the alias still points there. */
  index: string;
  /** When it was read (ms since the epoch; see {@link VECTOR_WRITE_WITHIN_MS}). */
  readAt: number;
  /** The text to embed (see `embeddingText`). */
  text: string;
  /** The summary version (external version) of the document read. */
  version: number;
  /** The document as read (without a vector), written again with its vector. */
  source: Omit<SummaryDocument, 'embedding'>;
}

export interface BulkOutcome {
  indexed: number;
  /** Older than what the index holds (external version): left as they were. */
  stale: number;
  deleted: number;
}

/**
 * The summaries index behind its alias (see {@link AliasedIndex}): writes documents with the
 * summary version as external version, so a stale update never overwrites a newer one. A
 * document may be written without its vector (`vectorPending`); the vector filler then writes
 * it again, same version, with the vector ({@link setVectors}).
 */
export class SummaryIndex
  extends AliasedIndex<SummaryDocument>
  implements VectorTarget<PendingSummary>
{
  constructor(client: Client, prefix: string, dimensions: number, model?: string) {
    super(client, summariesAlias(prefix), dimensions, model);
  }

  protected body(): Record<string, unknown> {
    return indexBody(this.dimensions);
  }

  protected async writeTo(documents: readonly SummaryDocument[], index: string): Promise<number> {
    const outcome = await this.write(documents, [], index);
    return outcome.indexed + outcome.stale;
  }

  /**
   * The conversations the alias's index holds, `size` at a time in (tenant, conversation)
   * order, read with search_after so that writes in between do not shift the pages.
   */
  async *conversationKeys(
    size = 1_000,
  ): AsyncIterable<Array<{ tenantId: string; conversationId: string }>> {
    let after: string[] | undefined;
    for (;;) {
      const response = await this.client.search({
        index: this.alias,
        body: {
          size,
          track_total_hits: false,
          _source: ['tenantId', 'conversationId'],
          query: { match_all: {} },
          sort: [{ tenantId: 'asc' }, { conversationId: 'asc' }],
          ...(after ? { search_after: after } : {}),
        },
      });
      const hits = response.body.hits.hits as Array<{
        _source?: { tenantId: string; conversationId: string };
        sort?: string[];
      }>;
      const keys = hits.flatMap((hit) =>
        hit._source
          ? [{ tenantId: hit._source.tenantId, conversationId: hit._source.conversationId }]
          : [],
      );
      if (keys.length > 0) yield keys;
      if (hits.length < size) return;
      after = hits[hits.length - 1]?.sort;
      if (!after) return;
    }
  }

  /**
   * What the index holds for each conversation (absent: no document), read in one request: the
   * summary version, and the text its vector was made from with the vector, so a new version
   * whose text did not change keeps that vector instead of being embedded again.
   */
  async indexedSummaries(
    conversations: ReadonlyArray<{ tenantId: string; conversationId: string }>,
  ): Promise<Map<string, IndexedSummary>> {
    const indexed = new Map<string, IndexedSummary>();
    if (conversations.length === 0) return indexed;
    const ids = conversations.map((c) => documentId(c.tenantId, c.conversationId));
    const response = await this.client.mget({
      index: this.alias,
      body: { ids },
      _source_includes: ['text', 'fullText', 'context', 'embedding'],
    });
    const docs = (response.body.docs ?? []) as Array<{
      _id: string;
      found?: boolean;
      _version?: number;
      _source?: { text?: string; fullText?: string; context?: string; embedding?: number[] };
    }>;
    for (const doc of docs) {
      if (!doc.found || doc._version === undefined) continue;
      const source = doc._source ?? {};
      indexed.set(doc._id, {
        version: doc._version,
        embeddedText: indexedEmbeddingText(source),
        embedding: source.embedding,
      });
    }
    return indexed;
  }

  /**
   * Writes documents (external version = summary version) and deletes conversations
   * (tombstones), in one bulk request to `index` (the alias by default).
   */
  async write(
    documents: readonly SummaryDocument[],
    deletions: ReadonlyArray<{ tenantId: string; conversationId: string }> = [],
    index: string = this.alias,
  ): Promise<BulkOutcome> {
    if (documents.length === 0 && deletions.length === 0)
      return { indexed: 0, stale: 0, deleted: 0 };
    const body: Array<Record<string, unknown>> = [];
    for (const document of documents) {
      body.push({
        index: {
          _index: index,
          _id: documentId(document.tenantId, document.conversationId),
          version: document.version,
          version_type: 'external',
        },
      });
      body.push(document as unknown as Record<string, unknown>);
    }
    for (const deletion of deletions)
      body.push({
        delete: { _index: index, _id: documentId(deletion.tenantId, deletion.conversationId) },
      });
    const items = await bulk(this.client, body, index === this.alias);
    const outcome: BulkOutcome = { indexed: 0, stale: 0, deleted: 0 };
    const failures: BulkItem[] = [];
    for (const item of items) {
      if (item.action === 'delete') {
        if (item.status < 300 || item.status === 404) outcome.deleted++;
        else failures.push(item);
      } else if (item.status < 300) outcome.indexed++;
      else if (isConflict(item)) outcome.stale++;
      else failures.push(item);
    }
    throwFailures(failures, items.length);
    return outcome;
  }

  /**
   * Up to `size` documents owed a vector: the longest waiting first (`oldest`), or the last
   * written first (`newest`).
   */
  async needingVectors(
    size: number,
    order: 'oldest' | 'newest' = 'oldest',
  ): Promise<PendingSummary[]> {
    const response = await this.client.search({
      index: this.alias,
      body: {
        size,
        track_total_hits: false,
        version: true,
        _source: { excludes: ['embedding'] },
        query: { bool: { filter: [{ term: { vectorPending: true } }] } },
        sort: [{ indexedAt: order === 'oldest' ? 'asc' : 'desc' }],
      },
    });
    const hits = response.body.hits.hits as Array<{
      _id: string;
      _index: string;
      _version?: number;
      _source?: Omit<SummaryDocument, 'embedding'>;
    }>;
    const readAt = Date.now();
    return hits.flatMap((hit) =>
      hit._version === undefined || !hit._source
        ? []
        : [
            {
              id: hit._id,
              index: hit._index,
              readAt,
              text: indexedEmbeddingText(hit._source),
              version: hit._version,
              source: hit._source,
            },
          ],
    );
  }

  /** How many documents are owed a vector. */
  async pendingVectors(): Promise<number> {
    return this.count({ term: { vectorPending: true } });
  }

  /**
   * Writes documents again with their vectors, each at the version it was read as
   * (`external_gte`): a newer version written meanwhile refuses it (counted `stale`; that
   * version owes its own vector), and so does a document deleted meanwhile (an erasure's
   * tombstone is of a newer internal version, for `index.gc_deletes`: hence
   * {@link VECTOR_WRITE_WITHIN_MS}, past which a document is not written but counted stale).
   * Documents read from an index the alias no longer points to (a rebuild moved it) are not
   * written either (stale: they are read again from the new one, whose fields may differ). An
   * update would not do: it would raise the document's version, and the next summary version
   * would be refused as stale.
   */
  async setVectors(
    vectors: ReadonlyArray<{ pending: PendingSummary; embedding: number[] }>,
    now: number = Date.now(),
  ): Promise<{ updated: number; stale: number }> {
    let timely = vectors.filter(({ pending }) => now - pending.readAt <= VECTOR_WRITE_WITHIN_MS);
    if (timely.length > 0) {
      const current = await this.currentIndex();
      timely = timely.filter(({ pending }) => pending.index === current);
    }
    const left = vectors.length - timely.length;
    if (timely.length === 0) return { updated: 0, stale: left };
    const body = timely.flatMap(({ pending, embedding }) => [
      {
        index: {
          _index: this.alias,
          _id: pending.id,
          version: pending.version,
          version_type: 'external_gte',
        },
      },
      { ...pending.source, embedding, vectorPending: false },
    ]);
    const items = await bulk(this.client, body, true);
    return vectorWrites(items, isConflict, left);
  }

  /**
   * Sets the importance of conversations' documents: each is read and, when its importance
   * differs, written again whole at the version it was read as (`external_gte`), like the
   * vector filler does: an update would raise its version and make the next summary version
   * stale. A newer version written meanwhile refuses the write (`stale`: it took its importance
   * from Postgres when it was built); a conversation without a document is `missing` (its first
   * summary will carry the score). Documents read from an index the alias no longer points to
   * are left (`stale`).
   */
  async setImportance(
    scores: ReadonlyArray<{ tenantId: string; conversationId: string; importance: number }>,
  ): Promise<{ updated: number; unchanged: number; missing: number; stale: number }> {
    const outcome = { updated: 0, unchanged: 0, missing: 0, stale: 0 };
    if (scores.length === 0) return outcome;
    const wanted = new Map(
      scores.map((score) => [documentId(score.tenantId, score.conversationId), score.importance]),
    );
    const response = await this.client.mget({
      index: this.alias,
      body: { ids: [...wanted.keys()] },
    });
    const docs = (response.body.docs ?? []) as Array<{
      _id: string;
      _index: string;
      found?: boolean;
      _version?: number;
      _source?: SummaryDocument;
    }>;
    const current = await this.currentIndex();
    const body: Array<Record<string, unknown>> = [];
    for (const doc of docs) {
      const importance = wanted.get(doc._id);
      if (importance === undefined) continue;
      if (!doc.found || doc._version === undefined || !doc._source) outcome.missing++;
      else if (doc._index !== current) outcome.stale++;
      else if (Math.abs((doc._source.importance ?? 0) - importance) < 1e-6) outcome.unchanged++;
      else
        body.push(
          {
            index: {
              _index: this.alias,
              _id: doc._id,
              version: doc._version,
              version_type: 'external_gte',
            },
          },
          { ...doc._source, importance },
        );
    }
    if (body.length === 0) return outcome;
    const items = await bulk(this.client, body, true);
    const failures: BulkItem[] = [];
    for (const item of items) {
      if (item.status < 300) outcome.updated++;
      else if (isConflict(item)) outcome.stale++;
      else failures.push(item);
    }
    throwFailures(failures, items.length);
    return outcome;
  }
}
