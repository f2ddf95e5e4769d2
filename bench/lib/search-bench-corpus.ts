// The search benchmark's data: the sentence pool embedded once, then the synthetic summaries
// and the passages of the same conversations, made and written by the library into the bench's
// own summaries and passages indices (bench/search.bench.ts, steps 2 to 4).
import { MemorySummary, renderSummaryText } from '@memory/contracts';
import type { EmbeddingBackend } from '@memory/embeddings';
import type { Client } from '@opensearch-project/opensearch';
import {
  PassageDocument,
  PassageIndex,
  SummaryIndex,
  summaryDocuments,
} from '@memory/search-index';
import { bulkLoad, Engine, LoadFigures } from './search-bench-load';
import { SearchBenchTools } from './search-bench-tools';
import { passageMaker, withVectors } from './synthetic-passages';
import {
  PooledEmbedder,
  pooledEmbedder,
  sentencePool,
  SentencePool,
  summaryChunks,
  vocabularyFragments,
} from './synthetic-summaries';

/** The passages index as the bench loads it: whole documents, vectors included. */
class LoadedPassages extends PassageIndex {
  /**
   * Writes passages as they are into the physical `index`, with the writer of a rebuild
   * (`PassageIndex.write` writes a passage without its vector: the service's filler sets it).
   */
  writeWhole(documents: readonly PassageDocument[], index: string): Promise<number> {
    return this.writeTo(documents, index);
  }
}

export interface CorpusOptions {
  summaries: number;
  passagesPerConversation: number;
  tenants: number;
  tenantPrefix: string;
  sentences: number;
  /** Documents per bulk request. */
  chunk: number;
  seed: number;
  forceMerge: boolean;
}

export interface Corpus {
  pool: SentencePool;
  embedder: PooledEmbedder;
  /** Pool sentences and vocabulary fragments embedded before the load. */
  fragments: number;
  summaryIndex: SummaryIndex;
  passageIndex: PassageIndex;
  summariesPerTenant: Map<string, number>;
  passagesPerTenant: Map<string, number>;
  summaryLoad: LoadFigures;
  passageLoad: LoadFigures;
}

/**
 * Embeds the pool, then loads the summaries and the passages (see the bench's header);
 * `onIndex` hears of each physical index as soon as it exists (for the clean-up).
 */
export async function loadCorpus({
  real,
  client,
  engine,
  prefix,
  options,
  tools,
  onIndex,
}: {
  real: EmbeddingBackend;
  client: Client;
  engine: Engine;
  prefix: string;
  options: CorpusOptions;
  tools: SearchBenchTools;
  onIndex: (index: SummaryIndex | PassageIndex, physical: string) => void;
}): Promise<Corpus> {
  const { say, fmt, progress } = tools;
  // The sentence pool, embedded once with the real model.
  const embedder = pooledEmbedder(real);
  const pool = sentencePool({ size: options.sentences, seed: options.seed });
  const fragments = [...pool.sentences.map((s) => s.text), ...vocabularyFragments()];
  say(
    'embed',
    `${real.model} (${real.dimensions} dimensions): ${fmt(fragments.length)} sentences and ` +
      'vocabulary fragments, each embedded once',
  );
  const embedBar = progress('embed', fragments.length, 'fragments');
  await embedder.warm(fragments, (done) => embedBar.update(done));
  embedBar.end(fragments.length);

  // The summaries, through the library into the library's index. The same summaries are
  // generated again for the passages (same seed), whatever the chunk size.
  const summaries = (chunkSize: number): Generator<MemorySummary[]> =>
    summaryChunks({
      count: options.summaries,
      chunkSize,
      tenants: options.tenants,
      tenantPrefix: options.tenantPrefix,
      pool,
      renderText: renderSummaryText,
      seed: options.seed + 1,
    });
  const summaryIndex = new SummaryIndex(client, prefix, real.dimensions);
  const summariesPhysical = await summaryIndex.ensure();
  onIndex(summaryIndex, summariesPhysical);
  const summariesPerTenant = new Map<string, number>();
  const summaryLoad = await bulkLoad({
    engine,
    client,
    physical: summariesPhysical,
    what: 'summaries',
    total: options.summaries,
    batches: (async function* () {
      for (const chunk of summaries(options.chunk)) {
        for (const { tenantId } of chunk)
          summariesPerTenant.set(tenantId, (summariesPerTenant.get(tenantId) ?? 0) + 1);
        yield (await summaryDocuments(embedder, chunk)).documents;
      }
    })(),
    write: async (documents) => (await summaryIndex.write(documents)).indexed,
    forceMerge: options.forceMerge,
    tools,
  });

  // The passages of the same conversations, through the library into its passages index.
  const passageIndex = new LoadedPassages(client, prefix, real.dimensions);
  const passagesPhysical = await passageIndex.ensure();
  onIndex(passageIndex, passagesPhysical);
  const passagesOf = passageMaker({
    pool,
    perConversation: options.passagesPerConversation,
    seed: options.seed + 3,
  });
  const passagesPerTenant = new Map<string, number>();
  const passageLoad = await bulkLoad({
    engine,
    client,
    physical: passagesPhysical,
    what: 'passages',
    total: options.summaries * options.passagesPerConversation,
    batches: (async function* () {
      const perChunk = Math.max(1, Math.floor(options.chunk / options.passagesPerConversation));
      for (const chunk of summaries(perChunk)) {
        const made = chunk.flatMap(passagesOf);
        for (const { tenantId } of made)
          passagesPerTenant.set(tenantId, (passagesPerTenant.get(tenantId) ?? 0) + 1);
        yield await withVectors(embedder, made);
      }
    })(),
    write: (documents) => passageIndex.writeWhole(documents, passagesPhysical),
    forceMerge: options.forceMerge,
    tools,
  });
  if (embedder.stats.fragmentsEmbedded > fragments.length)
    say(
      'load',
      `${embedder.stats.fragmentsEmbedded - fragments.length} fragments were not in the pool ` +
        '(the rendered text changed?): embedded during the load',
    );
  return {
    pool,
    embedder,
    fragments: fragments.length,
    summaryIndex,
    passageIndex,
    summariesPerTenant,
    passagesPerTenant,
    summaryLoad,
    passageLoad,
  };
}
