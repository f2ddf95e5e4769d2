import { Client } from '@opensearch-project/opensearch';
import { AliasedIndex, bulk, isConflict, throwFailures, vectorWrites } from './aliased-index';
import { passageIndexBody, passagesAlias } from './index-definition';
import { PassageDocument, passageId } from './passage-document';
import { VectorTarget } from './vector-target';

/** A conversation of a tenant. */
export interface ConversationKey {
  tenantId: string;
  conversationId: string;
}

/** What the index holds of a passage that decides whether a rewrite may keep its vector. */
export interface IndexedPassage {
  textHash: string;
  messageIds: string[];
  seqFrom: number;
  seqTo: number;
}

/** A passage whose vector is missing, as {@link PassageIndex.needingVectors} finds it. */
export interface PendingPassage {
  id: string;
  text: string;
  /** Sequence number and primary term of the version whose text this is. */
  seqNo: number;
  primaryTerm: number;
}

/** What a write changed: passages written whole, refreshed in place (vector kept), or left. */
export interface PassageWriteOutcome {
  written: number;
  refreshed: number;
  unchanged: number;
}

/**
 * The passages index behind its alias (see {@link AliasedIndex}). A passage is written without
 * a vector and is searchable by keyword at once; the vector filler sets `embedding` later. A
 * rewrite of the same text keeps the vector: {@link write} leaves a passage alone when the
 * index holds the same text of the same messages, and changes only its other fields when the
 * text is the same but not its messages; a new text is written whole, `embedded` false.
 */
export class PassageIndex
  extends AliasedIndex<PassageDocument>
  implements VectorTarget<PendingPassage>
{
  constructor(client: Client, prefix: string, dimensions: number, model?: string) {
    super(client, passagesAlias(prefix), dimensions, model);
  }

  protected body(): Record<string, unknown> {
    return passageIndexBody(this.dimensions);
  }

  protected async writeTo(documents: readonly PassageDocument[], index: string): Promise<number> {
    if (documents.length === 0) return 0;
    const body = documents.flatMap((document) => [
      { index: { _index: index, _id: idOf(document) } },
      document as unknown as Record<string, unknown>,
    ]);
    const items = await bulk(this.client, body, false);
    throwFailures(
      items.filter((item) => item.status >= 300),
      items.length,
    );
    return items.length;
  }

  /** What the index holds of these passages, by id, read in one request. */
  async indexed(ids: readonly string[]): Promise<Map<string, IndexedPassage>> {
    const held = new Map<string, IndexedPassage>();
    if (ids.length === 0) return held;
    const response = await this.client.mget({
      index: this.alias,
      body: { ids: [...ids] },
      _source_includes: ['textHash', 'messageIds', 'seqFrom', 'seqTo'],
    });
    const docs = (response.body.docs ?? []) as Array<{
      _id: string;
      found?: boolean;
      _source?: IndexedPassage;
    }>;
    for (const doc of docs) if (doc.found && doc._source) held.set(doc._id, doc._source);
    return held;
  }

  /**
   * Writes passages (see the class comment), in one bulk request. With `refresh`, returns once
   * they are visible to searches (tests, the lifecycle rebuild before it deletes the rest).
   */
  async write(
    documents: readonly PassageDocument[],
    refresh = false,
  ): Promise<PassageWriteOutcome> {
    const outcome: PassageWriteOutcome = { written: 0, refreshed: 0, unchanged: 0 };
    if (documents.length === 0) return outcome;
    const held = await this.indexed(documents.map(idOf));
    const body: Array<Record<string, unknown>> = [];
    for (const document of documents) {
      const id = idOf(document);
      switch (rewriteOf(document, held.get(id))) {
        case 'unchanged':
          outcome.unchanged++;
          break;
        case 'refresh':
          // Same text: the vector stays; only what describes the messages changes.
          body.push({ update: { _index: this.alias, _id: id } }, { doc: describing(document) });
          outcome.refreshed++;
          break;
        case 'write':
          body.push({ index: { _index: this.alias, _id: id } }, withoutVector(document));
          outcome.written++;
          break;
      }
    }
    if (body.length === 0) return outcome;
    const items = await bulk(this.client, body, true, refresh ? 'wait_for' : undefined);
    throwFailures(
      items.filter((item) => item.status >= 300),
      items.length,
    );
    return outcome;
  }

  /**
   * Deletes the passages of these conversations but for the windows in `keep` (by conversation,
   * `tenantId/conversationId`), and refreshes so that searches no longer see them. Returns how
   * many went.
   */
  async deleteConversations(
    conversations: readonly ConversationKey[],
    keep: ReadonlyMap<string, readonly number[]> = new Map(),
  ): Promise<number> {
    // A passage changed while the delete ran (its vector landed, or it was rewritten) is a
    // version conflict, which delete-by-query skips: run it again while there were conflicts,
    // a few times. What still conflicts then is left to the next rebuild (search rebuilds an
    // erased or archived conversation's passages when the lifecycle event arrives).
    let deleted = 0;
    for (let attempt = 1; attempt <= 5; attempt++) {
      const outcome = await this.deleteOnce(conversations, keep);
      deleted += outcome.deleted;
      if (outcome.conflicts === 0) break;
    }
    return deleted;
  }

  private async deleteOnce(
    conversations: readonly ConversationKey[],
    keep: ReadonlyMap<string, readonly number[]> = new Map(),
  ): Promise<{ deleted: number; conflicts: number }> {
    if (conversations.length === 0) return { deleted: 0, conflicts: 0 };
    const response = await this.client
      .deleteByQuery({
        index: this.alias,
        refresh: true,
        conflicts: 'proceed',
        body: {
          query: {
            bool: {
              minimum_should_match: 1,
              should: conversations.map((conversation) => {
                const windows = keep.get(conversationKeyOf(conversation)) ?? [];
                return {
                  bool: {
                    filter: [
                      { term: { tenantId: conversation.tenantId } },
                      { term: { conversationId: conversation.conversationId } },
                    ],
                    ...(windows.length > 0
                      ? { must_not: [{ terms: { window: [...windows] } }] }
                      : {}),
                  },
                };
              }),
            },
          },
        },
      })
      .catch((error: unknown) => {
        // No passages index yet (the search service never started): nothing to delete.
        if (isIndexNotFound(error)) return { body: { deleted: 0, version_conflicts: 0 } };
        throw error;
      });
    const body = response.body as {
      deleted?: number;
      version_conflicts?: number;
      failures?: unknown[];
    };
    if ((body.failures ?? []).length > 0)
      throw new Error(
        `passages of ${conversations.length} conversations not all deleted: ` +
          JSON.stringify(body.failures?.slice(0, 3)).slice(0, 500),
      );
    return { deleted: body.deleted ?? 0, conflicts: body.version_conflicts ?? 0 };
  }

  /**
   * Up to `size` passages without their vector: the longest waiting first (`oldest`), or the
   * last written first (`newest`).
   */
  async needingVectors(
    size: number,
    order: 'oldest' | 'newest' = 'oldest',
  ): Promise<PendingPassage[]> {
    const response = await this.client.search({
      index: this.alias,
      body: {
        size,
        track_total_hits: false,
        seq_no_primary_term: true,
        _source: ['text'],
        query: { bool: { filter: [{ term: { embedded: false } }] } },
        sort: [{ indexedAt: order === 'oldest' ? 'asc' : 'desc' }],
      },
    });
    const hits = response.body.hits.hits as Array<{
      _id: string;
      _seq_no?: number;
      _primary_term?: number;
      _source?: { text?: string };
    }>;
    return hits.flatMap((hit) =>
      hit._seq_no === undefined || hit._primary_term === undefined
        ? []
        : [
            {
              id: hit._id,
              text: hit._source?.text ?? '',
              seqNo: hit._seq_no,
              primaryTerm: hit._primary_term,
            },
          ],
    );
  }

  /** How many passages wait for their vector. */
  async pendingVectors(): Promise<number> {
    return this.count({ term: { embedded: false } });
  }

  /**
   * Sets the vectors of passages, each only if the passage is still the version it was read
   * as (`if_seq_no`/`if_primary_term`): one rewritten or deleted meanwhile is left as it is now
   * (counted `stale`), so a vector never lands on a text it was not made from.
   */
  async setVectors(
    vectors: ReadonlyArray<{ pending: PendingPassage; embedding: number[] }>,
  ): Promise<{ updated: number; stale: number }> {
    if (vectors.length === 0) return { updated: 0, stale: 0 };
    const body = vectors.flatMap(({ pending: passage, embedding }) => [
      {
        update: {
          _index: this.alias,
          _id: passage.id,
          if_seq_no: passage.seqNo,
          if_primary_term: passage.primaryTerm,
        },
      },
      { doc: { embedding, embedded: true } },
    ]);
    const items = await bulk(this.client, body, true);
    return vectorWrites(items, (item) => isConflict(item) || item.status === 404);
  }

  /**
   * The last message seq each conversation's passages reach (by {@link conversationKeyOf}):
   * conversations without passages are left out.
   */
  async lastSeqs(conversations: readonly ConversationKey[]): Promise<Map<string, number>> {
    const last = new Map<string, number>();
    if (conversations.length === 0) return last;
    const either = conversations.map(({ tenantId, conversationId }) => ({
      bool: { filter: [{ term: { tenantId } }, { term: { conversationId } }] },
    }));
    const body: Record<string, unknown> = {
      size: 0,
      track_total_hits: false,
      query: { bool: { should: either, minimum_should_match: 1 } },
      aggs: {
        conversations: {
          terms: { field: 'conversationId', size: conversations.length },
          aggs: {
            tenants: {
              terms: { field: 'tenantId', size: conversations.length },
              aggs: { lastSeq: { max: { field: 'seqTo' } } },
            },
          },
        },
      },
    };
    const response = await this.client.search({ index: this.alias, body });
    const aggregations = (response.body as { aggregations?: LastSeqAggregations }).aggregations;
    for (const conversation of aggregations?.conversations?.buckets ?? [])
      for (const tenant of conversation.tenants.buckets)
        if (typeof tenant.lastSeq.value === 'number')
          last.set(
            conversationKeyOf({ tenantId: tenant.key, conversationId: conversation.key }),
            tenant.lastSeq.value,
          );
    return last;
  }

  /** How many passages of a conversation the index holds (after a refresh). */
  async countFor(tenantId: string, conversationId: string): Promise<number> {
    await this.client.indices.refresh({ index: this.alias });
    const response = await this.client.count({
      index: this.alias,
      body: {
        query: {
          bool: {
            filter: [{ term: { tenantId } }, { term: { conversationId } }],
          },
        },
      },
    });
    return Number((response.body as { count?: number }).count ?? 0);
  }
}

/** How a passage is written given what the index holds of it (see {@link PassageIndex}). */
export function rewriteOf(
  document: PassageDocument,
  held: IndexedPassage | undefined,
): 'unchanged' | 'refresh' | 'write' {
  if (!held || held.textHash !== document.textHash) return 'write';
  const same =
    held.seqFrom === document.seqFrom &&
    held.seqTo === document.seqTo &&
    held.messageIds.length === document.messageIds.length &&
    held.messageIds.every((id, i) => id === document.messageIds[i]);
  return same ? 'unchanged' : 'refresh';
}

/** The aggregations of {@link PassageIndex.lastSeqs}. */
interface LastSeqAggregations {
  conversations?: {
    buckets: Array<{
      key: string;
      tenants: { buckets: Array<{ key: string; lastSeq: { value: number | null } }> };
    }>;
  };
}

/** `tenantId/conversationId`, the key of {@link PassageIndex.deleteConversations}'s `keep`. */
export function conversationKeyOf(conversation: ConversationKey): string {
  return `${conversation.tenantId}/${conversation.conversationId}`;
}

function idOf(document: PassageDocument): string {
  return passageId(document.tenantId, document.conversationId, document.window);
}

function withoutVector(document: PassageDocument): Record<string, unknown> {
  return {
    ...describing(document),
    text: document.text,
    textHash: document.textHash,
    embedded: false,
  };
}

/** The fields of a passage but its text and vector. */
function describing(document: PassageDocument): Record<string, unknown> {
  return {
    tenantId: document.tenantId,
    conversationId: document.conversationId,
    userIds: document.userIds,
    window: document.window,
    seqFrom: document.seqFrom,
    seqTo: document.seqTo,
    messageIds: document.messageIds,
    speakers: document.speakers,
    firstAt: document.firstAt,
    lastAt: document.lastAt,
    indexedAt: document.indexedAt,
  };
}

function isIndexNotFound(error: unknown): boolean {
  const meta = (error as { meta?: { statusCode?: number; body?: { error?: { type?: string } } } })
    .meta;
  return meta?.statusCode === 404 && meta.body?.error?.type === 'index_not_found_exception';
}
