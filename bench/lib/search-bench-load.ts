// OpenSearch as the search benchmark talks to it: REST calls and searches with fetch (the
// engine rounds' client: no library between the bench and the engine), and the bulk load of an
// index: refreshes off, chunks written two at a time, then a refresh and a force-merge.
import type { Client } from '@opensearch-project/opensearch';
import type { SearchBenchTools } from './search-bench-tools';

/** A hit as the bench reads it: id, score, and of the source what recall and passages need. */
export interface EngineHit {
  _id: string;
  fields?: Record<string, unknown[] | undefined>;
  _score?: number | null;
  _source?: { conversationId?: string; text?: string; embedding?: number[] };
}

export interface EngineResponse {
  took?: number;
  _shards?: { failed?: number };
  hits: { hits: EngineHit[] };
  aggregations?: unknown;
}

export interface Engine {
  /** One REST call; throws on an error status. */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** A search of `index` with a serialized body; throws on an error status or a shard failure. */
  search(index: string, body: string): Promise<EngineResponse>;
  hits(index: string, body: string): Promise<EngineHit[]>;
  /** Several searches in one `_msearch` (`[index, serialized body]` each), answers in order. */
  msearch(searches: ReadonlyArray<readonly [string, string]>): Promise<EngineResponse[]>;
}

export function engineOf(opensearch: {
  url: string;
  username?: string;
  password?: string;
}): Engine {
  const base = opensearch.url.replace(/\/$/, '');
  const credentials = `${opensearch.username}:${opensearch.password ?? ''}`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...(opensearch.username
      ? { authorization: `Basic ${Buffer.from(credentials).toString('base64')}` }
      : {}),
  };
  const call = async <T = unknown>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const search = async (index: string, body: string): Promise<EngineResponse> => {
    const response = await fetch(`${base}/${index}/_search`, { method: 'POST', headers, body });
    const text = await response.text();
    if (!response.ok) throw new Error(`engine: HTTP ${response.status} ${text.slice(0, 300)}`);
    const result = JSON.parse(text) as EngineResponse;
    if (result._shards?.failed) throw new Error(`engine: shard failure ${text.slice(0, 300)}`);
    return result;
  };
  const msearch = async (
    searches: ReadonlyArray<readonly [string, string]>,
  ): Promise<EngineResponse[]> => {
    const body = searches
      .map(([index, search]) => `${JSON.stringify({ index })}\n${search}\n`)
      .join('');
    const response = await fetch(`${base}/_msearch`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-ndjson' },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`engine: HTTP ${response.status} ${text.slice(0, 300)}`);
    const { responses } = JSON.parse(text) as {
      responses: Array<EngineResponse & { error?: unknown }>;
    };
    const failed = responses.find((item) => item.error !== undefined || item._shards?.failed);
    if (failed) throw new Error(`engine: msearch failure ${JSON.stringify(failed).slice(0, 300)}`);
    return responses;
  };
  return {
    call,
    search,
    hits: async (index, body) => (await search(index, body)).hits.hits,
    msearch,
  };
}

/** What loading an index took and left. */
export interface LoadFigures {
  documents: number;
  seconds: number;
  perSecond: number;
  refreshSeconds: number;
  forceMerge: boolean;
  segmentsAfterLoad: number;
  segments: number;
  mergeSeconds: number | null;
  storeBytes: number;
}

/** Bulk requests in flight while loading: one is parsed while the other builds graphs. */
const WRITES_IN_FLIGHT = 2;

/**
 * Loads `batches` into the physical index `physical` with `write` (which returns how many it
 * indexed), WRITES_IN_FLIGHT requests at a time, refreshes off meanwhile; then restores the
 * refresh interval, refreshes and, with `forceMerge`, merges to one segment: the segments a bulk
 * load leaves depend on timing, one segment is the same on every run.
 */
export async function bulkLoad<D>({
  engine,
  client,
  physical,
  what,
  total,
  batches,
  write,
  forceMerge,
  tools,
}: {
  engine: Engine;
  client: Client;
  physical: string;
  what: string;
  total: number;
  batches: AsyncIterable<D[]>;
  write: (documents: D[]) => Promise<number>;
  forceMerge: boolean;
  tools: SearchBenchTools;
}): Promise<LoadFigures> {
  const { say, fmt } = tools;
  const settingsPath = `/${physical}/_settings/index.refresh_interval`;
  const refreshInterval =
    (
      await engine.call<Record<string, { settings?: { index?: { refresh_interval?: string } } }>>(
        'GET',
        settingsPath,
      )
    )[physical]?.settings?.index?.refresh_interval ?? null;
  await engine.call('PUT', `/${physical}/_settings`, { index: { refresh_interval: '-1' } });
  say('load', `index ${physical}: ${what}, refreshes off while loading`);

  const bar = tools.progress('load', total, what);
  let written = 0;
  let failure: Error | undefined;
  const pending: Array<Promise<void>> = [];
  const loadStarted = performance.now();
  for await (const documents of batches) {
    pending.push(
      write(documents).then(
        (indexed) => {
          if (indexed !== documents.length)
            failure ??= new Error(`${indexed} of ${documents.length} ${what} indexed`);
          written += indexed;
          bar.update(written);
        },
        (error: unknown) => {
          failure ??= error instanceof Error ? error : new Error(String(error));
        },
      ),
    );
    if (pending.length >= WRITES_IN_FLIGHT) await pending.shift();
    if (failure) throw failure;
  }
  await Promise.all(pending);
  if (failure) throw failure;
  const seconds = (performance.now() - loadStarted) / 1000;
  bar.end(written);
  say(
    'load',
    `${fmt(written)} ${what} in ${seconds.toFixed(1)} s: ` +
      `${fmt(written / seconds)} ${what}/s (documents made by the library, bulk writes)`,
  );

  await engine.call('PUT', `/${physical}/_settings`, {
    index: { refresh_interval: refreshInterval },
  });
  let started = performance.now();
  await engine.call('POST', `/${physical}/_refresh`);
  const refreshSeconds = (performance.now() - started) / 1000;
  const segmentsOf = async (): Promise<number> =>
    (await engine.call<unknown[]>('GET', `/_cat/segments/${physical}?format=json`)).length;
  const segmentsAfterLoad = await segmentsOf();
  let mergeSeconds: number | null = null;
  if (forceMerge) {
    say('load', `${segmentsAfterLoad} segments after the load; force-merging to one`);
    started = performance.now();
    // One request that returns when the merge is done (no task left behind in .tasks); the
    // client's timeout is lifted, merging hundreds of thousands of vectors' graphs takes minutes.
    await client.indices.forcemerge(
      { index: physical, max_num_segments: 1 },
      { requestTimeout: 3_600_000, maxRetries: 0 },
    );
    await engine.call('POST', `/${physical}/_refresh`);
    mergeSeconds = (performance.now() - started) / 1000;
  }
  const segments = await segmentsOf();
  const [stats] = await engine.call<Array<Record<string, string>>>(
    'GET',
    `/_cat/indices/${physical}?format=json&bytes=b`,
  );
  const storeBytes = Number(stats['store.size']);
  say(
    'load',
    `refresh ${refreshSeconds.toFixed(1)} s` +
      (mergeSeconds !== null ? `, force-merge ${mergeSeconds.toFixed(1)} s` : '') +
      `; ${segments} segment(s), ${fmt(Number(stats['docs.count']))} documents, ` +
      `${fmt(storeBytes / 1024 / 1024, 1)} MiB`,
  );
  const tenth = (value: number): number => Math.round(value * 10) / 10;
  return {
    documents: written,
    seconds: tenth(seconds),
    perSecond: Math.round(written / seconds),
    refreshSeconds: tenth(refreshSeconds),
    forceMerge,
    segmentsAfterLoad,
    segments,
    mergeSeconds: mergeSeconds === null ? null : tenth(mergeSeconds),
    storeBytes,
  };
}
