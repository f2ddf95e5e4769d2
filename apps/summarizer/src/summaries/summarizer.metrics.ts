import {
  FoldResult,
  FoldTrigger,
  MissingReason,
  SummarizerEvents,
  SummaryRow,
} from '@memory/summarization';
import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('memory-summarizer');

/** OpenTelemetry instruments of the summarizer. */
@Injectable()
export class SummarizerMetrics implements SummarizerEvents {
  private readonly duration = meter.createHistogram('summarizer.update.duration', {
    description: 'Time to fold one chunk of new messages into a summary',
    unit: 's',
  });
  private readonly updates = meter.createCounter('summarizer.updates', {
    description: 'Summary versions made, by backend and trigger',
  });
  private readonly failures = meter.createCounter('summarizer.failures', {
    description: 'Failed summary updates or LLM calls, by reason',
  });
  private readonly tokensIn = meter.createCounter('summarizer.llm.tokens.input', {
    description: 'LLM prompt tokens',
  });
  private readonly tokensOut = meter.createCounter('summarizer.llm.tokens.output', {
    description: 'LLM completion tokens',
  });
  private readonly retries = meter.createCounter('summarizer.llm.retries', {
    description: 'Retried LLM calls (429, 5xx, timeouts, malformed output)',
  });
  private readonly filled = meter.createCounter('summarizer.messages.read_from_database', {
    description: 'Messages folded that were read from Postgres rather than the consumed batch',
  });
  private readonly gaps = meter.createCounter('summarizer.seq.gaps', {
    description: 'Batches whose first seq of a conversation skipped past what was seen before',
  });
  private readonly skipped = meter.createCounter('summarizer.messages.skipped', {
    description:
      'Messages a fold needed that are gone for good, skipped, by reason (erased, archived, ' +
      'not_stored: not in this database)',
  });
  private readonly deferred = meter.createCounter('summarizer.folds.deferred', {
    description:
      'Folds left for later because messages they need are not in the database yet ' +
      '(the conversation waits, its partition goes on)',
  });
  private readonly freshness = meter.createHistogram('summarizer.freshness', {
    description:
      'Time from a message being stored by ingest to the summary version that folds it ' +
      '(for the newest message of each fold made from consumed messages)',
    unit: 's',
  });
  private pendingLlm = 0;

  constructor() {
    meter
      .createObservableGauge('summarizer.llm.pending', {
        description: 'Conversations whose summary awaits an LLM pass',
      })
      .addCallback((result) => result.observe(this.pendingLlm));
  }

  folded(outcome: { row: SummaryRow; result: FoldResult; trigger: FoldTrigger }): void {
    const attributes = { backend: outcome.result.backend, trigger: outcome.trigger };
    this.duration.record(outcome.result.cost.durationMs / 1000, attributes);
    this.updates.add(1, attributes);
    if (outcome.result.cost.inputTokens > 0) this.tokensIn.add(outcome.result.cost.inputTokens);
    if (outcome.result.cost.outputTokens > 0) this.tokensOut.add(outcome.result.cost.outputTokens);
    if (outcome.result.retries > 0) this.retries.add(outcome.result.retries);
  }

  llmFailed(reason: string): void {
    this.failures.add(1, { reason: `llm_${reason}` });
  }

  filledFromStore(count: number): void {
    if (count > 0) this.filled.add(count);
  }

  /** A fold that took in a message stored at `ingestedAtMs` is saved now. */
  summarizedAfter(ingestedAtMs: number): void {
    this.freshness.record(Math.max(0, Date.now() - ingestedAtMs) / 1000);
  }

  messagesSkipped(skipped: { reason: MissingReason; seqs: readonly number[] }): void {
    this.skipped.add(skipped.seqs.length, { reason: skipped.reason });
  }

  foldDeferred(task: 'consumer' | 'idle'): void {
    this.deferred.add(1, { task });
  }

  gap(): void {
    this.gaps.add(1);
  }

  failed(reason: string): void {
    this.failures.add(1, { reason });
  }

  llmRetry(): void {
    this.retries.add(1);
  }

  setPendingLlm(count: number): void {
    this.pendingLlm = count;
  }
}
