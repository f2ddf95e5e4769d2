import { BulkOutcome } from '@memory/search-index';
import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('memory-search');

/** Why a bulk request failed: some documents refused, or the request itself. */
export type BulkFailureReason = 'items' | 'request';

/** OpenTelemetry instruments of the indexer. */
@Injectable()
export class IndexingMetrics {
  private readonly lag = meter.createHistogram('search.index.lag', {
    description:
      "Time from a summary version's stats.updatedAt to the indexer's write of it (replayed " +
      'versions included)',
    unit: 's',
  });
  private readonly documents = meter.createCounter('search.index.documents', {
    description: 'Index writes by outcome: indexed, stale (a newer version is there), deleted',
  });
  private readonly bulkFailures = meter.createCounter('search.index.bulk_failures', {
    description: 'Bulk requests that failed, by reason (the batch is retried)',
  });
  private readonly deadLetters = meter.createCounter('search.index.dead_lettered', {
    description: 'Records of memory.summaries.v1 sent to memory.summaries.dlq.v1, by code',
  });
  private readonly embeddingDuration = meter.createHistogram('search.embedding.duration', {
    description: 'Time to embed the texts of one write',
    unit: 's',
  });
  private readonly embeddingTexts = meter.createCounter('search.embedding.texts', {
    description: 'Summary texts embedded',
  });

  private readonly jumped = meter.createCounter('search.index.caught_up', {
    description:
      'Summary records replaced by a newer version of their conversation read from Postgres ' +
      '(a backlog catching up with one embedding per conversation)',
  });

  caughtUp(count: number): void {
    this.jumped.add(count);
  }

  written(outcome: BulkOutcome): void {
    for (const outcomeName of ['indexed', 'stale', 'deleted'] as const)
      if (outcome[outcomeName] > 0)
        this.documents.add(outcome[outcomeName], { outcome: outcomeName });
  }

  indexedAfter(seconds: number): void {
    this.lag.record(Math.max(0, seconds));
  }

  embedded(texts: number, seconds: number): void {
    if (texts === 0) return;
    this.embeddingTexts.add(texts);
    this.embeddingDuration.record(seconds);
  }

  bulkFailed(reason: BulkFailureReason): void {
    this.bulkFailures.add(1, { reason });
  }

  deadLettered(code: string): void {
    this.deadLetters.add(1, { code });
  }
}
