import { Client } from '@opensearch-project/opensearch';
import { indexBody, MAPPING_VERSION, newIndexName, summariesAlias } from './index-definition';
import { documentId, SummaryDocument } from './summary-document';

/** The index cannot be used as it is (vector dimension, mapping version): the fix is named. */
export class IndexMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexMismatchError';
  }
}

/**
 * A bulk request had items that failed for another reason than a stale version. Items refused
 * for what they hold (4xx other than 429: `mapper_parsing_exception`, `illegal_argument_exception`)
 * are `refused`; the others (429, 5xx) will pass later, and when only those failed the error
 * carries `status` 429 so that callers treat it as "try again".
 */
export class BulkIndexError extends Error {
  /** 429 when every failure is one that passes later; undefined otherwise. */
  readonly status: number | undefined;

  constructor(
    readonly failures: Array<{ id: string; status: number; reason: string }>,
    total: number,
  ) {
    super(
      `${failures.length} of ${total} documents were not indexed: ` +
        failures
          .slice(0, 3)
          .map((failure) => `${failure.id} (${failure.status} ${failure.reason})`)
          .join('; '),
    );
    this.name = 'BulkIndexError';
    this.status = this.refused.length === 0 ? 429 : undefined;
  }

  /** Ids of the documents the index refused for what they hold: retrying cannot help them. */
  get refused(): string[] {
    return this.failures
      .filter((failure) => failure.status >= 400 && failure.status < 500 && failure.status !== 429)
      .map((failure) => failure.id);
  }
}

export interface BulkOutcome {
  indexed: number;
  /** Older than what the index holds (external version): left as they were. */
  stale: number;
  deleted: number;
}

interface BulkItem {
  status: number;
  _id?: string | null;
  error?: { type?: string; reason?: string | null } | null;
}

/**
 * The summaries index behind its alias: creates it when missing, refuses one whose vectors do
 * not have the embedding model's dimension, writes documents with the summary version as
 * external version (a stale update never overwrites a newer one), and rebuilds into a new
 * physical index whose alias swap is atomic.
 */
export class SummaryIndex {
  readonly alias: string;

  constructor(
    private readonly client: Client,
    private readonly prefix: string,
    readonly dimensions: number,
  ) {
    this.alias = summariesAlias(prefix);
  }

  /** Makes sure the alias points at a usable index; returns the physical index name. */
  async ensure(): Promise<string> {
    const current = await this.currentIndex();
    if (current) {
      await this.check(current);
      return current;
    }
    const name = newIndexName(this.prefix);
    await this.client.indices.create({ index: name, body: indexBody(this.dimensions) });
    try {
      await this.client.indices.updateAliases({
        body: { actions: [{ add: { index: name, alias: this.alias } }] },
      });
    } catch (error) {
      // Another instance created the alias first: use theirs, drop ours.
      await this.client.indices.delete({ index: name }).catch(() => undefined);
      const winner = await this.currentIndex();
      if (!winner) throw error;
      await this.check(winner);
      return winner;
    }
    return name;
  }

  /**
   * Physical indices named for this alias that the alias does not point at: what a rebuild
   * left when it was killed before it could drop its half-built index.
   */
  async strayIndices(): Promise<string[]> {
    const current = await this.currentIndex();
    const response = await this.client.cat.indices({
      index: `${this.alias}-v*`,
      format: 'json',
      expand_wildcards: 'all',
    });
    const rows = response.body as unknown as Array<{ index?: string }>;
    return rows
      .map((row) => row.index ?? '')
      .filter((name) => name !== '' && name !== current)
      .sort();
  }

  /** Deletes indices found by {@link strayIndices}; never the one behind the alias. */
  async deleteIndices(names: readonly string[]): Promise<void> {
    const current = await this.currentIndex();
    for (const name of names) {
      if (name === current || !name.startsWith(`${this.alias}-v`))
        throw new Error(`refusing to delete ${name}: it is not a stray index of ${this.alias}`);
      await this.client.indices.delete({ index: name });
    }
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

  /** The physical index behind the alias, if the alias exists. */
  async currentIndex(): Promise<string | undefined> {
    const exists = await this.client.indices.existsAlias({ name: this.alias });
    if (!exists.body) return undefined;
    const response = await this.client.indices.getAlias({ name: this.alias });
    return Object.keys(response.body)[0];
  }

  private async check(index: string): Promise<void> {
    const response = await this.client.indices.getMapping({ index });
    const mapping = (
      response.body as Record<string, { mappings?: { _meta?: Record<string, unknown> } }>
    )[index];
    const meta = mapping?.mappings?._meta ?? {};
    const dimensions = Number(meta.dimensions);
    if (dimensions !== this.dimensions)
      throw new IndexMismatchError(
        `index ${index} (alias ${this.alias}) holds vectors of ${dimensions} dimensions, but the ` +
          `embedding model makes ${this.dimensions}: rebuild it with ` +
          '`npm run memory -- search reindex`, or configure the model the index was built with',
      );
    if (Number(meta.mappingVersion) !== MAPPING_VERSION)
      throw new IndexMismatchError(
        `index ${index} has mapping version ${String(meta.mappingVersion)}, this release ` +
          `writes version ${MAPPING_VERSION}: rebuild it with \`npm run memory -- search reindex\``,
      );
  }

  /**
   * The summary version each conversation's document has in the index (absent: none), read in
   * one request.
   */
  async indexedVersions(
    conversations: ReadonlyArray<{ tenantId: string; conversationId: string }>,
  ): Promise<Map<string, number>> {
    const versions = new Map<string, number>();
    if (conversations.length === 0) return versions;
    const ids = conversations.map((c) => documentId(c.tenantId, c.conversationId));
    const response = await this.client.mget({
      index: this.alias,
      body: { ids },
      _source: false,
    });
    const docs = (response.body.docs ?? []) as Array<{
      _id: string;
      found?: boolean;
      _version?: number;
    }>;
    for (const doc of docs)
      if (doc.found && doc._version !== undefined) versions.set(doc._id, doc._version);
    return versions;
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
    // Through the alias, require it: without it a write would create a dynamically mapped
    // index under the alias's name.
    const response = await this.client.bulk({ body, require_alias: index === this.alias });
    const items = (response.body.items ?? []) as Array<Record<string, BulkItem>>;
    const outcome: BulkOutcome = { indexed: 0, stale: 0, deleted: 0 };
    const failures: Array<{ id: string; status: number; reason: string }> = [];
    for (const item of items) {
      const [action, result] = Object.entries(item)[0] ?? [];
      if (!result) continue;
      if (action === 'delete') {
        if (result.status < 300 || result.status === 404) outcome.deleted++;
        else failures.push(failure(result));
      } else if (result.status < 300) outcome.indexed++;
      else if (result.status === 409 && result.error?.type === 'version_conflict_engine_exception')
        outcome.stale++;
      else failures.push(failure(result));
    }
    if (failures.length > 0) throw new BulkIndexError(failures, items.length);
    return outcome;
  }

  /**
   * Builds a new index from `source` (pages of documents), then moves the alias to it in one
   * step and drops the old index: searches see the old index until the new one is complete.
   * Updates written meanwhile to the old index are not lost: their summaries are in Postgres,
   * and `source` reads them; the new index takes versions written after the swap. An abort
   * (`signal`, checked between pages) or any failure drops the new index and leaves the alias
   * where it was.
   */
  async rebuild(
    source: AsyncIterable<SummaryDocument[]>,
    onProgress: (indexed: number) => void = () => undefined,
    signal?: AbortSignal,
  ): Promise<{ index: string; previous: string | undefined; documents: number }> {
    const previous = await this.currentIndex();
    const index = newIndexName(this.prefix);
    await this.client.indices.create({ index, body: indexBody(this.dimensions) });
    let documents = 0;
    try {
      for await (const page of source) {
        signal?.throwIfAborted();
        const outcome = await this.write(page, [], index);
        documents += outcome.indexed + outcome.stale;
        onProgress(documents);
      }
      signal?.throwIfAborted();
      await this.client.indices.refresh({ index });
      const actions: Array<Record<string, unknown>> = [{ add: { index, alias: this.alias } }];
      if (previous) actions.unshift({ remove: { index: previous, alias: this.alias } });
      await this.client.indices.updateAliases({ body: { actions } });
    } catch (error) {
      await this.client.indices.delete({ index }).catch(() => undefined);
      throw error;
    }
    if (previous) await this.client.indices.delete({ index: previous }).catch(() => undefined);
    return { index, previous, documents };
  }
}

function failure(result: BulkItem): { id: string; status: number; reason: string } {
  return {
    id: result._id ?? '?',
    status: result.status,
    reason: `${result.error?.type ?? 'error'}: ${result.error?.reason ?? ''}`,
  };
}
