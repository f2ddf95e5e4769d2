import { OpenSearchConfig } from '@memory/config';
import { createEmbeddingBackend, EmbeddingBackend } from '@memory/embeddings';
import { PassageIndex, SearchSettings, SummaryIndex } from '@memory/search-index';
import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Client } from '@opensearch-project/opensearch';
import { EMBEDDER, SEARCH_SETTINGS } from './tokens';

/**
 * Creates the indices (or checks the existing ones against the model) before anything uses
 * them.
 */
@Injectable()
class IndexReadiness implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SearchIndices');

  constructor(
    private readonly summaries: SummaryIndex,
    private readonly passages: PassageIndex,
    @Inject(EMBEDDER) private readonly embedder: EmbeddingBackend,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const [what, index] of [
      ['summaries', this.summaries],
      ['passages', this.passages],
    ] as const) {
      const name = await index.ensure();
      this.logger.log({
        msg: `${what} index ready`,
        alias: index.alias,
        index: name,
        model: this.embedder.model,
        dimensions: this.embedder.dimensions,
      });
      if (index.adoptedModel)
        this.logger.warn({
          msg:
            `${what} index did not record its embedding model; recorded ${this.embedder.model}. ` +
            'If its vectors were made by another model (bge-small-en-v1.5, fp32, was the ' +
            'default before bge-small-en-v1.5-q), rebuild it: npm run memory -- search reindex',
          alias: index.alias,
          index: name,
        });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.embedder.close?.();
  }
}

/** What the indexers and the search API share: settings, the embedding model, the indices. */
@Global()
@Module({})
export class SearchCoreModule {
  static forRoot(settings: SearchSettings): DynamicModule {
    const providers = [
      { provide: SEARCH_SETTINGS, useValue: settings },
      {
        provide: EMBEDDER,
        useFactory: () => createEmbeddingBackend(settings.embeddings),
      },
      {
        provide: SummaryIndex,
        inject: [Client, OpenSearchConfig, EMBEDDER],
        useFactory: (client: Client, config: OpenSearchConfig, embedder: EmbeddingBackend) =>
          new SummaryIndex(client, config.indexPrefix, embedder.dimensions, embedder.model),
      },
      {
        provide: PassageIndex,
        inject: [Client, OpenSearchConfig, EMBEDDER],
        useFactory: (client: Client, config: OpenSearchConfig, embedder: EmbeddingBackend) =>
          new PassageIndex(client, config.indexPrefix, embedder.dimensions, embedder.model),
      },
    ];
    return {
      module: SearchCoreModule,
      providers: [...providers, IndexReadiness],
      exports: providers.map((provider) => provider.provide),
    };
  }
}
