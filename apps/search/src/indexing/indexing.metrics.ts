import { BulkOutcome, PassageWriteOutcome } from '@memory/search-index';
import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('memory-search');

/** The index a vector filler fills. */
export type VectorKind = 'summaries' | 'passages';

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
    description: "Time to embed one vector filler round's texts, by index (summaries, passages)",
    unit: 's',
  });
  private readonly embeddingTexts = meter.createCounter('search.embedding.texts', {
    description: 'Texts embedded by the vector fillers, by index (summaries, passages)',
  });
  private readonly vectorsKept = meter.createCounter('search.embedding.vectors_kept', {
    description:
      'Summary versions written with the vector of the indexed version, their text to embed ' +
      'unchanged (not embedded again)',
  });

  private readonly jumped = meter.createCounter('search.index.caught_up', {
    description:
      'Summary records replaced by a newer version of their conversation read from Postgres ' +
      '(a backlog catching up with one embedding per conversation)',
  });

  private readonly passages = meter.createCounter('search.passages.written', {
    description:
      'Passage writes by outcome: written (new or changed text, vector to fill), refreshed ' +
      '(same text, vector kept), unchanged (left as they were), deleted',
  });
  private readonly passagesSkipped = meter.createCounter('search.passages.undecodable', {
    description:
      'Records of memory.messages.v1 or memory.lifecycle.v1 the passage indexer could not ' +
      'read and skipped (the summarizer dead-letters those of memory.messages.v1)',
  });
  private readonly vectors = {
    passages: meter.createCounter('search.passages.vectors_filled', {
      description:
        'Passage vectors set by the filler, by outcome: filled, or stale (the passage changed ' +
        'while it was embedded, so it is embedded again)',
    }),
    summaries: meter.createCounter('search.summaries.vectors_filled', {
      description:
        'Summary vectors set by the filler, by outcome: filled, or stale (a newer version was ' +
        'written while it was embedded; that version owes its own)',
    }),
  };
  private readonly vectorFailures = {
    passages: meter.createCounter('search.passages.vector_failures', {
      description: 'Rounds of the passage vector filler that failed (retried with backoff)',
    }),
    summaries: meter.createCounter('search.summaries.vector_failures', {
      description: 'Rounds of the summary vector filler that failed (retried with backoff)',
    }),
  };
  private readonly pendingVectors: Record<VectorKind, number> = { passages: 0, summaries: 0 };
  private readonly yields = meter.createCounter('search.embedding.yields', {
    description:
      'Times a vector filler began holding its rounds back because the text indexers were ' +
      'behind, by index (text first: a document without its vector is still found by keyword)',
  });

  constructor() {
    meter
      .createObservableGauge('search.passages.pending_vectors', {
        description: 'Passages waiting for their vector, as last counted by the filler',
      })
      .addCallback((result) => result.observe(this.pendingVectors.passages));
    meter
      .createObservableGauge('search.summaries.pending_vectors', {
        description: 'Summary documents waiting for their vector, as last counted by the filler',
      })
      .addCallback((result) => result.observe(this.pendingVectors.summaries));
  }

  passagesWritten(outcome: PassageWriteOutcome & { deleted?: number }): void {
    for (const name of ['written', 'refreshed', 'unchanged', 'deleted'] as const) {
      const count = outcome[name] ?? 0;
      if (count > 0) this.passages.add(count, { outcome: name });
    }
  }

  undecodable(topic: string, count: number): void {
    if (count > 0) this.passagesSkipped.add(count, { topic });
  }

  vectorsFilled(kind: VectorKind, filled: number, stale: number): void {
    if (filled > 0) this.vectors[kind].add(filled, { outcome: 'filled' });
    if (stale > 0) this.vectors[kind].add(stale, { outcome: 'stale' });
  }

  yielded(kind: VectorKind): void {
    this.yields.add(1, { index: kind });
  }

  vectorFillFailed(kind: VectorKind): void {
    this.vectorFailures[kind].add(1);
  }

  pending(kind: VectorKind, count: number): void {
    this.pendingVectors[kind] = count;
  }

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

  embedded(kind: VectorKind, texts: number, seconds: number): void {
    if (texts === 0) return;
    this.embeddingTexts.add(texts, { index: kind });
    this.embeddingDuration.record(seconds, { index: kind });
  }

  kept(count: number): void {
    if (count > 0) this.vectorsKept.add(count);
  }

  bulkFailed(reason: BulkFailureReason): void {
    this.bulkFailures.add(1, { reason });
  }

  deadLettered(code: string): void {
    this.deadLetters.add(1, { code });
  }
}
