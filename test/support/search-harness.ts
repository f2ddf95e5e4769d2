import { randomUUID } from 'node:crypto';
import { CONSUMER_GROUPS, TOPICS } from '@memory/contracts';
import { createApiKey } from './cli';
import { endOffsets, setGroupOffsets } from './kafka';
import { ServiceProcess } from './service-process';
import { SummarizerHarness } from './summarizer-harness';

export const OPENSEARCH_URL = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';

/**
 * The whole pipeline to search: ingest, summarizer and search as processes in one consumer
 * group prefix (search's consumers starting at the current ends of `memory.summaries.v1`,
 * `memory.messages.v1` and `memory.lifecycle.v1`), with an index prefix of their own so the
 * test's indices are not shared.
 */
export class SearchHarness extends SummarizerHarness {
  readonly indexPrefix = `e2e-${randomUUID().slice(0, 8)}`;
  search: ServiceProcess = this.newSearch();

  override async setUp(): Promise<void> {
    await super.setUp();
    await setGroupOffsets(
      this.kafka,
      `${this.groupPrefix}.${CONSUMER_GROUPS.searchIndexer.group}`,
      TOPICS.memorySummaries,
      this.summariesFrom,
    );
    await setGroupOffsets(
      this.kafka,
      `${this.groupPrefix}.${CONSUMER_GROUPS.searchPassages.group}`,
      TOPICS.memoryMessages,
      this.publishedFrom,
    );
    await setGroupOffsets(
      this.kafka,
      `${this.groupPrefix}.${CONSUMER_GROUPS.searchLifecycle.group}`,
      TOPICS.memoryLifecycle,
      await endOffsets(this.kafka, TOPICS.memoryLifecycle),
    );
  }

  override async tearDown(): Promise<void> {
    await this.search.stop('SIGKILL');
    for (const indices of ['summaries', 'passages'])
      await fetch(`${OPENSEARCH_URL}/${this.indexPrefix}-${indices}*`, { method: 'DELETE' }).catch(
        () => undefined,
      );
    await super.tearDown();
  }

  newSearch(env: Record<string, string> = {}): ServiceProcess {
    return new ServiceProcess('search', {
      KAFKA_GROUP_PREFIX: this.groupPrefix,
      OPENSEARCH_INDEX_PREFIX: this.indexPrefix,
      ...env,
    });
  }

  async startSearch(env: Record<string, string> = {}): Promise<void> {
    this.search = this.newSearch(env).start();
    await this.search.waitReady(120_000);
  }

  /**
   * Whether every document of both indices has its vector (two-phase indexing: vectors follow
   * the text), and the passages index holds passages.
   */
  async vectorsFilled(): Promise<boolean> {
    const count = async (index: string, query: unknown): Promise<number> => {
      const response = await fetch(`${OPENSEARCH_URL}/${this.indexPrefix}-${index}/_count`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      return ((await response.json()) as { count?: number }).count ?? 0;
    };
    return (
      (await count('passages', { match_all: {} })) > 0 &&
      (await count('passages', { term: { embedded: false } })) === 0 &&
      (await count('summaries', { term: { vectorPending: true } })) === 0
    );
  }

  /** Creates an API key with the CLI and returns it. */
  createKey(tenantId: string, scopes: string): string {
    return createApiKey(tenantId, scopes);
  }

  async post(path: string, body: unknown, apiKey: string): Promise<Response> {
    return this.reportServerError(
      path,
      await fetch(`${this.search.baseUrl}${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify(body),
      }),
    );
  }

  async get(path: string, apiKey: string): Promise<Response> {
    return this.reportServerError(
      path,
      await fetch(`${this.search.baseUrl}${path}`, {
        headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      }),
    );
  }

  /**
   * A 5xx from the service prints its last lines (where it logged the cause) in the test's
   * output: a test that fails on the status alone would not say why.
   */
  private reportServerError(path: string, response: Response): Response {
    if (response.status >= 500)
      process.stdout.write(
        `[search] ${path} answered ${response.status}; its last lines:\n` +
          `${this.search.output.slice(-10).join('\n')}\n`,
      );
    return response;
  }
}
