import { OpenSearchConfig } from '@memory/config';
import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Module,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Client } from '@opensearch-project/opensearch';

/** Builds the OpenSearch client from the validated configuration. */
export function createOpenSearchClient(config: OpenSearchConfig): Client {
  return new Client({
    node: config.url,
    auth: config.username
      ? { username: config.username, password: config.password ?? '' }
      : undefined,
    requestTimeout: 30_000,
    maxRetries: 3,
  });
}

@Injectable()
class OpenSearchClientCloser implements OnApplicationShutdown {
  constructor(@Inject(Client) private readonly client: Client) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/** Provides the OpenSearch `Client` (inject it by its class) and closes it on shutdown. */
@Global()
@Module({})
export class OpenSearchModule {
  static forRoot(): DynamicModule {
    return {
      module: OpenSearchModule,
      providers: [
        { provide: Client, inject: [OpenSearchConfig], useFactory: createOpenSearchClient },
        OpenSearchClientCloser,
      ],
      exports: [Client],
    };
  }
}
