import { Client } from '@opensearch-project/opensearch';
import { MAPPING_VERSION, newIndexName } from './index-definition';

/**
 * The index cannot be used as it is (vector dimension, embedding model, mapping version): the
 * fix is named.
 */
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

/** One item of a bulk response: its action (`index`, `update`, `delete`) and its result. */
export interface BulkItem {
  action: string;
  status: number;
  id: string;
  errorType: string | undefined;
  reason: string;
}

/**
 * Sends a bulk request and returns its items. Through an alias the alias is required: without
 * it a write would create a dynamically mapped index under the alias's name.
 */
export async function bulk(
  client: Client,
  body: Array<Record<string, unknown>>,
  requireAlias: boolean,
  refresh?: 'wait_for',
): Promise<BulkItem[]> {
  const response = await client.bulk({
    body,
    require_alias: requireAlias,
    ...(refresh ? { refresh } : {}),
  });
  const items = (response.body.items ?? []) as Array<
    Record<
      string,
      {
        status: number;
        _id?: string | null;
        error?: { type?: string; reason?: string | null } | null;
      }
    >
  >;
  return items.flatMap((item) => {
    const [action, result] = Object.entries(item)[0] ?? [];
    if (!action || !result) return [];
    return [
      {
        action,
        status: result.status,
        id: result._id ?? '?',
        errorType: result.error?.type,
        reason: `${result.error?.type ?? 'error'}: ${result.error?.reason ?? ''}`,
      },
    ];
  });
}

/** A version conflict: the document changed (or was written by a newer version) meanwhile. */
export function isConflict(item: BulkItem): boolean {
  return item.status === 409 && item.errorType === 'version_conflict_engine_exception';
}

/**
 * What a bulk of vector writes did: items written (`updated`), items refused for having
 * changed meanwhile (`stale`, as `isStale` tells; `staleBefore` more left out before the
 * request); any other failure throws a {@link BulkIndexError}.
 */
export function vectorWrites(
  items: readonly BulkItem[],
  isStale: (item: BulkItem) => boolean,
  staleBefore = 0,
): { updated: number; stale: number } {
  const outcome = { updated: 0, stale: staleBefore };
  const failures: BulkItem[] = [];
  for (const item of items) {
    if (item.status < 300) outcome.updated++;
    else if (isStale(item)) outcome.stale++;
    else failures.push(item);
  }
  throwFailures(failures, items.length);
  return outcome;
}

/** Throws a {@link BulkIndexError} for `failures` among `total` items, if there are any. */
export function throwFailures(failures: readonly BulkItem[], total: number): void {
  if (failures.length > 0)
    throw new BulkIndexError(
      failures.map(({ id, status, reason }) => ({ id, status, reason })),
      total,
    );
}

/**
 * An index behind an alias, as the search service uses both of its indices: created with the
 * alias when missing, refused when its vectors do not have the embedding model's dimension, were
 * made by another model, or its mapping is of another version, and rebuilt into a new physical
 * index whose alias swap is atomic. Subclasses give the mapping and how a page of documents is
 * written. The model that makes the vectors (`model`, when given) is recorded in the mapping's
 * `_meta.embeddingModel`: two models of one dimension (bge-small fp32 and int8) make vectors
 * that look alike to the index but do not compare with each other.
 */
export abstract class AliasedIndex<Document> {
  /**
   * Set by {@link ensure} when the index found had no model recorded (made before the record
   * was kept) and `model` was recorded on it: its vectors may be another model's.
   */
  adoptedModel = false;

  constructor(
    protected readonly client: Client,
    readonly alias: string,
    readonly dimensions: number,
    readonly model?: string,
  ) {}

  /** Index body for `indices.create`: settings and mapping, with vectors of `dimensions`. */
  protected abstract body(): Record<string, unknown>;

  /** Writes a page of documents to a physical `index` during a rebuild; returns how many. */
  protected abstract writeTo(documents: readonly Document[], index: string): Promise<number>;

  /** Makes sure the alias points at a usable index; returns the physical index name. */
  async ensure(): Promise<string> {
    const current = await this.currentIndex();
    if (current) {
      await this.check(current);
      return current;
    }
    const name = newIndexName(this.alias);
    await this.client.indices.create({ index: name, body: this.createBody() });
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

  /** How many documents behind the alias match `query`. */
  protected async count(query: Record<string, unknown>): Promise<number> {
    const response = await this.client.count({ index: this.alias, body: { query } });
    return Number((response.body as { count?: number }).count ?? 0);
  }

  /** The physical index behind the alias, if the alias exists. */
  async currentIndex(): Promise<string | undefined> {
    const exists = await this.client.indices.existsAlias({ name: this.alias });
    if (!exists.body) return undefined;
    const response = await this.client.indices.getAlias({ name: this.alias });
    return Object.keys(response.body)[0];
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
   * Builds a new index from `source` (pages of documents), then moves the alias to it in one
   * step and drops the old index: searches see the old index until the new one is complete.
   * An abort (`signal`, checked between pages) or any failure drops the new index and leaves
   * the alias where it was.
   */
  async rebuild(
    source: AsyncIterable<Document[]>,
    onProgress: (indexed: number) => void = () => undefined,
    signal?: AbortSignal,
  ): Promise<{ index: string; previous: string | undefined; documents: number }> {
    const previous = await this.currentIndex();
    const index = newIndexName(this.alias);
    await this.client.indices.create({ index, body: this.createBody() });
    let documents = 0;
    try {
      for await (const page of source) {
        signal?.throwIfAborted();
        documents += await this.writeTo(page, index);
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

  /** {@link body} with the model recorded in the mapping's `_meta`, when there is one. */
  private createBody(): Record<string, unknown> {
    const body = this.body();
    if (this.model === undefined) return body;
    const mappings = (body.mappings ?? {}) as { _meta?: Record<string, unknown> };
    return {
      ...body,
      mappings: { ...mappings, _meta: { ...mappings._meta, embeddingModel: this.model } },
    };
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
    if (this.model === undefined) return;
    const recorded =
      meta.embeddingModel === undefined || typeof meta.embeddingModel === 'string'
        ? meta.embeddingModel
        : JSON.stringify(meta.embeddingModel);
    if (recorded === undefined) {
      await this.client.indices.putMapping({
        index,
        body: { _meta: { ...meta, embeddingModel: this.model } },
      });
      this.adoptedModel = true;
      return;
    }
    if (meta.embeddingModel !== this.model)
      throw new IndexMismatchError(
        `index ${index} (alias ${this.alias}) holds vectors of the embedding model ` +
          `${recorded}, but the model configured is ${this.model}: their vectors do not ` +
          'compare. Rebuild it with `npm run memory -- search reindex`, or configure the model ' +
          `the index was built with (EMBEDDING_MODEL=${recorded})`,
      );
  }
}
