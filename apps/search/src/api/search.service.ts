import { performance } from 'node:perf_hooks';
import { EmbeddingBackend } from '@memory/embeddings';
import {
  hydrateBody,
  keywordBody,
  keywordText,
  MAX_RESULTS,
  minMaxFusion,
  ScoredId,
  SearchScope,
  SearchSettings,
  semanticBody,
} from '@memory/search-index';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { EMBEDDER, SEARCH_SETTINGS } from '../core/tokens';
import { encodeCursor, queryHash } from './search-cursor';
import { IndexedHit, toResult } from './search-hit.mapper';
import {
  parseSearchRequest,
  RequestFieldError,
  requestedMode,
  SearchRequest,
} from './search-request.dto';
import { SearchResponse, SearchResult } from './search-response.dto';
import { QueryTooComplexError, SearchUnavailableError } from './search.errors';
import { SearchMetrics } from './search.metrics';
import { SummarySearcher } from './summary.searcher';

export type SearchOutcome =
  { ok: true; response: SearchResponse } | { ok: false; errors: RequestFieldError[] };

interface Page {
  results: SearchResult[];
  /** Whether the ranking goes on after this page. */
  more: boolean;
}

/**
 * Searches one tenant's conversation summaries by keywords (BM25), meaning (k-NN on the
 * summary embeddings) or both, their normalized scores combined. The tenant comes from the API key and
 * is a filter of every query OpenSearch runs.
 */
@Injectable()
export class SearchService {
  private readonly logger = new Logger(SearchService.name);

  constructor(
    private readonly searcher: SummarySearcher,
    @Inject(EMBEDDER) private readonly embedder: EmbeddingBackend,
    private readonly metrics: SearchMetrics,
    @Inject(SEARCH_SETTINGS) private readonly settings: Pick<SearchSettings, 'knnEfSearch'>,
  ) {}

  private get efSearch(): number {
    return this.settings.knnEfSearch;
  }

  /** Validates a request body and runs it; throws {@link SearchUnavailableError}. */
  async search(tenantId: string, body: unknown): Promise<SearchOutcome> {
    const parsed = parseSearchRequest(body);
    if (!parsed.ok) {
      this.metrics.request(requestedMode(body), 'invalid');
      return parsed;
    }
    const { request } = parsed;
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    try {
      const page = await this.page(tenantId, request);
      this.metrics.request(request.mode, 'ok', seconds());
      return { ok: true, response: this.response(request, page) };
    } catch (error) {
      if (error instanceof QueryTooComplexError) {
        this.metrics.request(request.mode, 'invalid', seconds());
        return {
          ok: false,
          errors: [
            {
              field: 'query',
              code: 'QUERY_TOO_COMPLEX',
              message: 'has more terms than the index can match at once: use fewer words',
            },
          ],
        };
      }
      const unavailable = error instanceof SearchUnavailableError;
      this.metrics.request(request.mode, unavailable ? 'unavailable' : 'error', seconds());
      this.logger.error({
        msg: 'search failed',
        tenantId,
        mode: request.mode,
        error: describe(error),
        cause:
          error instanceof Error && error.cause !== undefined ? describe(error.cause) : undefined,
      });
      throw error;
    }
  }

  private async page(tenantId: string, request: SearchRequest): Promise<Page> {
    const { userId, tier, from, to, offset } = request;
    const scope: SearchScope = { tenantId, userId, tier, from, to };
    const size = Math.min(request.k, MAX_RESULTS - offset);
    const text = keywordText(request.query);
    // One more than the page tells whether another page follows.
    const window = { from: offset, size: size + 1, output: 'results' } as const;
    switch (request.mode) {
      case 'keyword':
        return pageOf(await this.searcher.search(keywordBody(scope, text, window)), size);
      case 'semantic': {
        const vector = await this.embed(request.query);
        return pageOf(
          await this.searcher.search(semanticBody(scope, vector, window, text, this.efSearch)),
          size,
        );
      }
      case 'hybrid':
        return this.hybrid(scope, request, text, size);
    }
  }

  /**
   * Both rankings to the full depth (ids and scores only, cheap), fused by {@link minMaxFusion};
   * then the documents of
   * the requested slice. OpenSearch's own hybrid query needs the neural-search plugin, which
   * this cluster does not have.
   */
  private async hybrid(
    scope: SearchScope,
    request: SearchRequest,
    text: string,
    size: number,
  ): Promise<Page> {
    const ranking = { from: 0, size: MAX_RESULTS, output: 'ids' } as const;
    const [keywordHits, semanticHits] = await Promise.all([
      this.searcher.search(keywordBody(scope, text, ranking)),
      this.embed(request.query).then((vector) =>
        this.searcher.search(semanticBody(scope, vector, ranking, text, this.efSearch)),
      ),
    ]);
    const fused = minMaxFusion([scoredIds(keywordHits), scoredIds(semanticHits)]);
    const slice = fused.slice(request.offset, request.offset + size);
    const more = fused.length > request.offset + size;
    if (slice.length === 0) return { results: [], more: false };
    const documents = await this.searcher.search(
      hydrateBody(
        scope,
        slice.map((hit) => hit.id),
        text,
      ),
    );
    const byId = new Map(documents.map((document) => [document._id, document]));
    // A document deleted between the two requests is left out of the page.
    const results = slice.flatMap((hit) => {
      const document = byId.get(hit.id);
      return document ? [toResult(document, hit.score)] : [];
    });
    return { results, more };
  }

  private async embed(query: string): Promise<number[]> {
    let vectors: number[][];
    try {
      vectors = await this.embedder.embed([query], 'query');
    } catch (error) {
      throw new SearchUnavailableError('embeddings', error);
    }
    const [vector] = vectors;
    if (!vector) throw new SearchUnavailableError('embeddings', 'no vector for the query');
    return vector;
  }

  private response(request: SearchRequest, page: Page): SearchResponse {
    const next = request.offset + request.k;
    const response: SearchResponse = { mode: request.mode, results: page.results };
    if (page.more && next < MAX_RESULTS)
      response.nextCursor = encodeCursor({
        offset: next,
        mode: request.mode,
        queryHash: queryHash(request),
      });
    return response;
  }
}

function pageOf(hits: readonly IndexedHit[], size: number): Page {
  return {
    results: hits.slice(0, size).map((hit) => toResult(hit, hit._score ?? 0)),
    more: hits.length > size,
  };
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function scoredIds(hits: readonly IndexedHit[]): ScoredId[] {
  return hits.flatMap((hit) => (hit._id ? [{ id: hit._id, score: hit._score ?? 0 }] : []));
}
