import { OpenSearchConfig } from '@memory/config';
import { MemorySummary, SummarySections } from '@memory/contracts';
import { createEmbeddingBackend, EmbeddingBackend } from '@memory/embeddings';
import { createOpenSearchClient } from '@memory/opensearch';
import { MessageRepository, SummaryRepository } from '@memory/persistence';
import {
  documentId,
  heldSectionsOf,
  PassageDocument,
  PassageIndex,
  passagesOfWindows,
  PassageStream,
  SearchSettings,
  SummaryDocument,
  SummaryIndex,
  summaryDocuments,
  windowRange,
  windowStartsOf,
  windowStartsOfAll,
} from '@memory/search-index';
import { SummaryStore, summaryKey, toSummaryEvent } from '@memory/summarization';
import { Client } from '@opensearch-project/opensearch';
import { DataSource } from 'typeorm';
import { optionalOption, ParsedArgs, UsageError } from '../args';
import { Progress } from '../progress';

export const SEARCH_USAGE = `search reindex [--batch <n>]
      builds a new summaries index from Postgres (every summary embedded again, n at a time,
      default 200), moves the search alias to it and drops the old one; updates made meanwhile
      are written again and conversations erased meanwhile removed afterwards. Then the same
      for the passages index, from the stored messages (their vectors are left to the search
      service, which fills them in the background). Ctrl-C drops the half-built index; one
      left by a killed run is dropped by the next. Run one at a time. Needed after a change of
      mapping or embedding model`;

/** Stored messages read per page when the passages are rebuilt. */
const MESSAGE_PAGE = 2_000;

const DEFAULT_BATCH = 200;
const MAX_BATCH = 5_000;

/**
 * How far before the rebuild's start the catch-up pass looks. A summary's `updated_at` is the
 * start of the transaction that saved it, which can come before our start and yet commit after
 * the rebuild read that row's page; the summarizer's transactions last milliseconds.
 */
const CATCH_UP_MARGIN_MS = 60_000;

export async function searchCommand(
  dataSource: DataSource,
  opensearch: OpenSearchConfig,
  settings: SearchSettings,
  args: ParsedArgs,
): Promise<void> {
  if (args.positional[1] !== 'reindex') throw new UsageError(SEARCH_USAGE);
  const batch = batchOption(args);
  const embedder = await createEmbeddingBackend(settings.embeddings, (detail) =>
    process.stderr.write(`embeddings: retrying: ${detail}\n`),
  );
  const client = createOpenSearchClient(opensearch);
  try {
    await reindex(new SummaryReader(dataSource), embedder, client, opensearch, batch);
    await reindexPassages(
      new MessageRepository(dataSource),
      await new SummaryReader(dataSource).now(),
      client,
      opensearch,
      embedder,
    );
  } finally {
    await embedder.close?.();
    await client.close();
  }
}

async function reindex(
  reader: SummaryReader,
  embedder: EmbeddingBackend,
  client: Client,
  opensearch: OpenSearchConfig,
  batch: number,
): Promise<void> {
  const index = new SummaryIndex(
    client,
    opensearch.indexPrefix,
    embedder.dimensions,
    embedder.model,
  );
  const stray = await index.strayIndices();
  if (stray.length > 0) {
    process.stderr.write(`search reindex: dropping ${stray.join(', ')}, left by an earlier run\n`);
    await index.deleteIndices(stray);
  }
  const started = performance.now();
  // The database's clock, which stamps `updated_at`, not this machine's.
  const since = new Date((await reader.now()).getTime() - CATCH_UP_MARGIN_MS);
  const progress = new Progress('search reindex', await reader.count());
  let shown = 0;
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nsearch reindex: ${signal}: dropping the new index, alias unchanged\n`);
    stop.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let rebuilt: Awaited<ReturnType<SummaryIndex['rebuild']>>;
  try {
    rebuilt = await index.rebuild(
      documents(reader.pages(batch), embedder),
      (indexed) => {
        progress.advance(indexed - shown);
        shown = indexed;
      },
      stop.signal,
    );
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  progress.finish();

  // Updates indexed into the old index while the new one was built: write them to the new one.
  // The summary version is the external version, so one already there is refused as stale.
  const caughtUp = { read: 0, newer: 0 };
  for await (const page of documents(reader.pages(batch, since), embedder)) {
    const outcome = await index.write(page);
    caughtUp.read += page.length;
    caughtUp.newer += outcome.indexed;
  }
  // Conversations erased while the new index was built: the old index got the deletion, the
  // new one may hold what was read before it. Whatever Postgres no longer has goes.
  let removed = 0;
  for await (const keys of index.conversationKeys()) {
    const present = await reader.existing(keys);
    const gone = keys.filter((key) => !present.has(documentId(key.tenantId, key.conversationId)));
    if (gone.length > 0) removed += (await index.write([], gone)).deleted;
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  process.stderr.write(
    `search reindex: ${rebuilt.documents} documents, then ${caughtUp.newer} newer versions ` +
      `(of ${caughtUp.read} updated since the start) and ${removed} erased conversations ` +
      `removed, in ${seconds} s; alias ${index.alias}: ` +
      `${rebuilt.previous ?? '(none)'} -> ${rebuilt.index} ` +
      `(${embedder.name} ${embedder.model}, ${embedder.dimensions} dimensions)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      alias: index.alias,
      index: rebuilt.index,
      previous: rebuilt.previous ?? null,
      documents: rebuilt.documents,
      caughtUp,
      removed,
      strayDropped: stray,
      seconds,
      model: embedder.model,
      dimensions: embedder.dimensions,
    })}\n`,
  );
}

function batchOption(args: ParsedArgs): number {
  const value = optionalOption(args, 'batch');
  if (value === undefined) {
    if (args.options.has('batch')) throw new UsageError('--batch needs a number');
    return DEFAULT_BATCH;
  }
  const batch = Number(value);
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH)
    throw new UsageError(`--batch must be an integer from 1 to ${MAX_BATCH}, not ${value}`);
  return batch;
}

/** Pages of summaries as index documents, each page embedded in one call. */
async function* documents(
  pages: AsyncIterable<SummaryPage>,
  embedder: EmbeddingBackend,
): AsyncIterable<SummaryDocument[]> {
  for await (const { summaries, held, importance } of pages)
    yield (await summaryDocuments(embedder, summaries, new Date(), held, new Map(), importance))
      .documents;
}

/**
 * Rebuilds the passages index from every stored message, read in (tenant, conversation, seq)
 * order, and swaps its alias. Passages are written without vectors: the search service's
 * filler embeds them afterwards, as it does for new ones. Messages stored while the index was
 * built went to the old index: their windows are written again after the swap.
 */
async function reindexPassages(
  messages: MessageRepository,
  startedAt: Date,
  client: Client,
  opensearch: OpenSearchConfig,
  embedder: Pick<EmbeddingBackend, 'dimensions' | 'model'>,
): Promise<void> {
  const index = new PassageIndex(
    client,
    opensearch.indexPrefix,
    embedder.dimensions,
    embedder.model,
  );
  const stray = await index.strayIndices();
  if (stray.length > 0) {
    process.stderr.write(`search reindex: dropping ${stray.join(', ')}, left by an earlier run\n`);
    await index.deleteIndices(stray);
  }
  const started = performance.now();
  const since = new Date(startedAt.getTime() - CATCH_UP_MARGIN_MS);
  const progress = new Progress('search reindex passages', await messages.countAll());
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(`\nsearch reindex: ${signal}: dropping the new index, alias unchanged\n`);
    stop.abort(new Error(`interrupted by ${signal}`));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let rebuilt: Awaited<ReturnType<PassageIndex['rebuild']>>;
  try {
    rebuilt = await index.rebuild(
      allPassages(messages, (read) => progress.advance(read)),
      undefined,
      stop.signal,
    );
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  progress.finish();

  let caughtUp = 0;
  for (const range of await messages.seqRangesIngestedSince(since)) {
    const first = windowStartsOf(range.seqFrom)[0] ?? range.seqFrom;
    const held = await messages.inSeqRanges([
      { ...range, seqFrom: first, seqTo: windowRange(range.seqTo).seqTo },
    ]);
    const seqs = Array.from(
      { length: range.seqTo - range.seqFrom + 1 },
      (_, i) => range.seqFrom + i,
    );
    const passages = passagesOfWindows(
      range.tenantId,
      range.conversationId,
      windowStartsOfAll(seqs),
      held,
    );
    caughtUp += (await index.write(passages)).written;
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  process.stderr.write(
    `search reindex: ${rebuilt.documents} passages, then ${caughtUp} of messages stored ` +
      `meanwhile, in ${seconds} s; alias ${index.alias}: ${rebuilt.previous ?? '(none)'} -> ` +
      `${rebuilt.index} (vectors to be filled by the search service)\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      alias: index.alias,
      index: rebuilt.index,
      previous: rebuilt.previous ?? null,
      passages: rebuilt.documents,
      caughtUp,
      strayDropped: stray,
      seconds,
    })}\n`,
  );
}

/** Every stored message's passages, a page of messages at a time. */
async function* allPassages(
  messages: MessageRepository,
  onRead: (count: number) => void,
): AsyncIterable<PassageDocument[]> {
  const stream = new PassageStream();
  let after: { tenantId: string; conversationId: string; seq: number } | undefined;
  for (;;) {
    const page = await messages.passagePage(after, MESSAGE_PAGE);
    const last = page[page.length - 1];
    if (!last) break;
    after = { tenantId: last.tenantId, conversationId: last.conversationId, seq: last.seq };
    const passages = page.flatMap((message) => stream.push(message));
    onRead(page.length);
    if (passages.length > 0) yield passages;
    if (page.length < MESSAGE_PAGE) break;
  }
  const rest = stream.end();
  if (rest.length > 0) yield rest;
}

/**
 * A page of summaries, with the full texts of the compressed ones and each conversation's
 * importance (by document id).
 */
interface SummaryPage {
  summaries: MemorySummary[];
  held: Map<string, SummarySections>;
  importance: Map<string, number>;
}

/**
 * Reads every summary (`version > 0`) from Postgres in (tenant, conversation) order, a page at a
 * time after the last key seen, as `memory.summary.v1` events; rows go through `SummaryStore` so
 * the events are exactly what the summarizer publishes.
 */
class SummaryReader {
  private readonly store: SummaryStore;
  private readonly summaries: SummaryRepository;

  constructor(private readonly dataSource: DataSource) {
    this.store = new SummaryStore(dataSource);
    this.summaries = new SummaryRepository(dataSource);
  }

  async now(): Promise<Date> {
    const [row] = await this.dataSource.query<Array<{ now: Date }>>('SELECT now() AS now');
    if (!row) throw new Error('SELECT now() returned no row');
    return row.now;
  }

  count(): Promise<number> {
    return this.summaries.countSummarized();
  }

  /** Of these conversations, the ones with a summary, as `tenantId/conversationId`. */
  async existing(
    keys: ReadonlyArray<{ tenantId: string; conversationId: string }>,
  ): Promise<Set<string>> {
    const rows = await this.summaries.summarizedAmong(keys);
    return new Set(rows.map((row) => documentId(row.tenant_id, row.conversation_id)));
  }

  /** Pages of at most `size` summaries; only those updated at or after `since` when given. */
  async *pages(size: number, since?: Date): AsyncIterable<SummaryPage> {
    let after: { tenant_id: string; conversation_id: string } | undefined;
    for (;;) {
      const keys = await this.summaries.summarizedKeys(size, since, after);
      if (keys.length === 0) return;
      after = keys[keys.length - 1];
      const rows = await this.store.loadMany(
        keys.map((key) => ({ tenantId: key.tenant_id, conversationId: key.conversation_id })),
      );
      // A row erased between the two reads is simply not there.
      const summarized = rows.filter((row) => row.version > 0);
      const held = new Map(
        summarized.flatMap((row) => {
          const full = heldSectionsOf(row);
          return full ? [[documentId(row.tenantId, row.conversationId), full] as const] : [];
        }),
      );
      const scores = await this.store.importanceOf(summarized);
      const importance = new Map(
        summarized.map((row) => [
          documentId(row.tenantId, row.conversationId),
          scores.get(summaryKey(row.tenantId, row.conversationId)) ?? 0,
        ]),
      );
      if (summarized.length > 0)
        yield { summaries: summarized.map(toSummaryEvent), held, importance };
      if (keys.length < size) return;
    }
  }
}
