import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { SearchMode } from './search.constants';

const meter = metrics.getMeter('memory-search');

export type SearchOutcomeLabel = 'ok' | 'invalid' | 'unavailable' | 'error';

/** OpenTelemetry instruments of the search API. */
@Injectable()
export class SearchMetrics {
  private readonly duration = meter.createHistogram('search.request.duration', {
    description: 'Time to answer a valid search, by mode',
    unit: 's',
    advice: {
      explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    },
  });
  private readonly requests = meter.createCounter('search.requests', {
    description: 'Search requests by mode and outcome',
  });

  private readonly queryVectors = meter.createCounter('search.query_vectors', {
    description:
      'Query vectors asked for by searches and context answers, by outcome: kept (the text was ' +
      'asked recently and its vector held) or embedded (the model ran)',
  });

  private readonly cursorRankings = meter.createCounter('search.cursor_rankings', {
    description:
      'Rankings kept for cursors, by outcome: kept (a page with a next cursor kept its ranking), ' +
      'found (a later page sliced it) or missing (expired, made room for, or kept by another ' +
      'replica: the page ranked the query again)',
  });

  /** A ranking kept for a cursor, or a cursor's page that found its ranking or not. */
  cursorRanking(outcome: 'kept' | 'found' | 'missing'): void {
    this.cursorRankings.add(1, { outcome });
  }

  /** A query vector was asked for: held from a recent ask, or embedded now. */
  queryVector(outcome: 'kept' | 'embedded'): void {
    this.queryVectors.add(1, { outcome });
  }

  /** A search that ran (`seconds` given) or was refused before running (invalid). */
  request(mode: SearchMode | 'invalid', outcome: SearchOutcomeLabel, seconds?: number): void {
    this.requests.add(1, { mode, outcome });
    if (seconds !== undefined) this.duration.record(seconds, { mode, outcome });
  }
}
