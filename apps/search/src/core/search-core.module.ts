import { OpenSearchConfig } from '@memory/config';
import { createEmbeddingBackend, EmbeddingBackend } from '@memory/embeddings';
import { SearchSettings, SummaryIndex } from '@memory/search-index';
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

/** Creates the index (or checks the existing one against the model) before anything uses it. */
@Injectable()
class IndexReadiness implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('SummaryIndex');

  constructor(
    private readonly index: SummaryIndex,
    @Inject(EMBEDDER) private readonly embedder: EmbeddingBackend,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const name = await this.index.ensure();
    this.logger.log({
      msg: 'summaries index ready',
      alias: this.index.alias,
      index: name,
      model: this.embedder.model,
      dimensions: this.embedder.dimensions,
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.embedder.close?.();
  }
}

/** What the indexer and the search API share: settings, the embedding model, the index. */
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
          new SummaryIndex(client, config.indexPrefix, embedder.dimensions),
      },
    ];
    return {
      module: SearchCoreModule,
      providers: [...providers, IndexReadiness],
      exports: providers.map((provider) => provider.provide),
    };
  }
}
