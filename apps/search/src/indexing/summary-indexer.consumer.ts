import { CONSUMER_GROUPS, HANDLER_FAILURE_CODES, MemorySummary, TOPICS } from '@memory/contracts';
import {
  BatchConsumer,
  BatchConsumerFactory,
  BatchContext,
  ConsumedBatch,
  DeadLetter,
  DeadLetterPublisher,
  PermanentRecordError,
} from '@memory/kafka';
import { BulkIndexError, BulkOutcome, documentId } from '@memory/search-index';
import { failSpan, inConsumerBatchSpan, RecordHeaders, startRecordSpan } from '@memory/telemetry';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Span } from '@opentelemetry/api';
import { planIndexing } from './indexing-plan';
import { BatchDelay } from './batch-delay';
import { IndexingMetrics } from './indexing.metrics';
import { SummaryIndexer } from './summary-indexer.service';
import { decodeSummaryRecord, SummaryRecord } from './summary-record';

/**
 * Summaries written per bulk request (their vectors follow: the filler embeds them). Between two
 * of them the handler checks that it still owns the partition, so a shutdown or rebalance does
 * not wait for a whole batch (what was written stays: the next owner's writes of it are refused
 * as stale).
 */
export const WRITE_CHUNK = 100;

/**
 * Keeps the summaries index in step with `memory.summaries.v1`: per batch, records that cannot
 * be read go to `memory.summaries.dlq.v1`; of the others, each conversation's tombstone is
 * applied and its highest summary version written. Anything else that fails
 * (OpenSearch, the embedding model) throws, and the batch is retried, never skipped.
 */
@Injectable()
export class SummaryIndexerConsumer implements OnModuleInit {
  private readonly logger = new Logger(SummaryIndexerConsumer.name);

  private consumer: BatchConsumer | undefined;
  /** How long its last batch waited (text first: see `TextBacklog`). */
  readonly delay = new BatchDelay();

  constructor(
    private readonly consumers: BatchConsumerFactory,
    private readonly indexer: SummaryIndexer,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly metrics: IndexingMetrics,
  ) {}

  /** Records of its topic not indexed yet (see `BatchConsumer.recordsBehind`). */
  recordsBehind(): number {
    return this.consumer?.recordsBehind() ?? 0;
  }

  onModuleInit(): void {
    this.consumer = this.consumers.create({
      groupId: CONSUMER_GROUPS.searchIndexer.group,
      topics: [TOPICS.memorySummaries],
      handler: (batch, context) => this.handle(batch, context),
      deadLetterTopic: TOPICS.memorySummariesDlq,
      // Nothing is embedded here (the vector filler does it): partitions side by side.
      partitionsConsumedConcurrently: 3,
    });
  }

  /**
   * Traced as one CONSUMER span per batch, linked to the records' traces, and one span per
   * summary written, continuing the trace of the fold that made it; embedding and the bulk
   * write are spans of the batch.
   */
  async handle(batch: ConsumedBatch, context: BatchContext): Promise<void> {
    await inConsumerBatchSpan(batch, (span) => this.handleBatch(batch, context, span));
    this.delay.written(batch);
  }

  private async handleBatch(
    batch: ConsumedBatch,
    context: BatchContext,
    batchSpan: Span,
  ): Promise<void> {
    const records: SummaryRecord[] = [];
    const rejected: DeadLetter[] = [];
    const headersOf = new Map<string, RecordHeaders>();
    const offsetsOf = new Map<string, string[]>();
    for (const record of batch.messages) {
      const decoded = decodeSummaryRecord(record);
      if (decoded.kind === 'summary') {
        headersOf.set(versionKey(decoded.summary), record.headers);
        const id = documentId(decoded.summary.tenantId, decoded.summary.conversationId);
        offsetsOf.set(id, [...(offsetsOf.get(id) ?? []), record.offset]);
      }
      if (decoded.kind === 'invalid')
        rejected.push({
          source: { topic: batch.topic, partition: batch.partition, offset: record.offset },
          record,
          code: decoded.code,
          reason: decoded.reason,
        });
      else records.push(decoded);
    }
    if (await this.deadLetters.publishOnce(batch, TOPICS.memorySummariesDlq, rejected))
      for (const letter of rejected) this.metrics.deadLettered(letter.code);

    const plan = planIndexing(records);
    if (plan.deletions.length === 0 && plan.summaries.length === 0) return;
    const total: BulkOutcome = { indexed: 0, stale: 0, deleted: 0 };
    // Tombstones first: a summary after a conversation's tombstone (it started over) stays.
    add(total, await this.indexer.remove(plan.deletions));
    for (let from = 0; from < plan.summaries.length; from += WRITE_CHUNK) {
      if (!context.isActive())
        // Not committed: the batch comes back, whole, to whoever owns the partition now.
        throw new Error('partition revoked or consumer stopping: batch left to its next owner');
      const chunk = plan.summaries.slice(from, from + WRITE_CHUNK);
      const spans = chunk.map((summary) =>
        startRecordSpan(
          'search index',
          headersOf.get(versionKey(summary)),
          {
            'memory.tenant_id': summary.tenantId,
            'memory.conversation_id': summary.conversationId,
            'memory.summary.version': summary.version,
            'memory.summary.tier': summary.tier,
          },
          { batch: batchSpan },
        ),
      );
      try {
        add(total, await this.indexer.put(chunk));
      } catch (error) {
        for (const span of spans) failSpan(span, error);
        throw refusedRecords(error, offsetsOf);
      }
      for (const span of spans) span.end();
    }
    this.logger.debug({
      msg: 'batch indexed',
      partition: batch.partition,
      records: batch.messages.length,
      deadLettered: rejected.length,
      ...total,
    });
  }
}

/**
 * Documents the index refused for what they hold become a {@link PermanentRecordError} naming
 * the records they came from, which the consumer dead-letters (INDEX_REJECTED) before it
 * handles the others again (those written already are then stale, and skipped).
 */
function refusedRecords(error: unknown, offsetsOf: ReadonlyMap<string, string[]>): unknown {
  if (!(error instanceof BulkIndexError) || error.refused.length === 0) return error;
  const offsets = error.refused.flatMap((id) => offsetsOf.get(id) ?? []);
  if (offsets.length === 0) return error;
  return new PermanentRecordError(HANDLER_FAILURE_CODES.indexRejected, error.message, offsets);
}

function add(total: BulkOutcome, outcome: BulkOutcome): void {
  total.indexed += outcome.indexed;
  total.stale += outcome.stale;
  total.deleted += outcome.deleted;
}

function versionKey(summary: MemorySummary): string {
  return JSON.stringify([summary.tenantId, summary.conversationId, summary.version]);
}
