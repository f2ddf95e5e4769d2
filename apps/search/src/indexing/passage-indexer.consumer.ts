import {
  decodeMemoryMessage,
  CONSUMER_GROUPS,
  HANDLER_FAILURE_CODES,
  MemoryMessage,
  TOPICS,
} from '@memory/contracts';
import {
  BatchConsumer,
  BatchConsumerFactory,
  BatchContext,
  ConsumedBatch,
  PermanentRecordError,
} from '@memory/kafka';
import { BulkIndexError, conversationKeyOf, PassageWriteOutcome } from '@memory/search-index';
import { inConsumerBatchSpan } from '@memory/telemetry';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { BatchDelay } from './batch-delay';
import { IndexingMetrics } from './indexing.metrics';
import { PassageIndexer } from './passage-indexer.service';
import { planPassages } from './passage-plan';

/**
 * Conversations whose windows are read and written per step. Between two steps the handler
 * checks that it still owns the partition and sends a heartbeat.
 */
export const PASSAGE_CHUNK = 100;

/**
 * Keeps the passages index in step with `memory.messages.v1` (group `search-passages`): per
 * batch, the windows its messages fall in are read again from Postgres and written, without
 * vectors (the filler adds them), so a message is found by keyword as soon as its batch is
 * written. Search never touches the ingest path: it reads what ingest published.
 *
 * Records that cannot be read are skipped and counted, not dead-lettered: the summarizer reads
 * the same topic with the same decoder and dead-letters each of them to
 * `memory.messages.dlq.v1` already; a second letter would make `dlq replay` produce the record
 * twice. What the index refuses for what a passage holds is this consumer's own failure: those
 * records go to `memory.messages.dlq.v1` (INDEX_REJECTED), where a replay reaches the
 * summarizer too, which ignores seqs it has folded. Anything else throws and the batch is
 * retried.
 */
@Injectable()
export class PassageIndexerConsumer implements OnModuleInit {
  private readonly logger = new Logger(PassageIndexerConsumer.name);

  private consumer: BatchConsumer | undefined;
  /** How long its last batch waited (text first: see `TextBacklog`). */
  readonly delay = new BatchDelay();

  constructor(
    private readonly consumers: BatchConsumerFactory,
    private readonly indexer: PassageIndexer,
    private readonly metrics: IndexingMetrics,
  ) {}

  /** Records of its topic not indexed yet (see `BatchConsumer.recordsBehind`). */
  recordsBehind(): number {
    return this.consumer?.recordsBehind() ?? 0;
  }

  onModuleInit(): void {
    this.consumer = this.consumers.create({
      groupId: CONSUMER_GROUPS.searchPassages.group,
      topics: [TOPICS.memoryMessages],
      handler: (batch, context) => this.handle(batch, context),
      deadLetterTopic: TOPICS.memoryMessagesDlq,
      partitionsConsumedConcurrently: 3,
    });
  }

  async handle(batch: ConsumedBatch, context: BatchContext): Promise<void> {
    await inConsumerBatchSpan(batch, () => this.handleBatch(batch, context));
    this.delay.written(batch);
  }

  private async handleBatch(batch: ConsumedBatch, context: BatchContext): Promise<void> {
    const messages: MemoryMessage[] = [];
    const offsetsOf = new Map<string, string[]>();
    let undecodable = 0;
    for (const record of batch.messages) {
      const decoded = decodeMemoryMessage(record.value);
      if (!decoded.ok) {
        undecodable++;
        continue;
      }
      messages.push(decoded.message);
      const key = conversationKeyOf(decoded.message);
      offsetsOf.set(key, [...(offsetsOf.get(key) ?? []), record.offset]);
    }
    this.metrics.undecodable(batch.topic, undecodable);
    const plan = planPassages(messages);
    const total: PassageWriteOutcome = { written: 0, refreshed: 0, unchanged: 0 };
    for (let from = 0; from < plan.length; from += PASSAGE_CHUNK) {
      if (!context.isActive())
        throw new Error('partition revoked or consumer stopping: batch left to its next owner');
      try {
        const outcome = await this.indexer.writeWindows(plan.slice(from, from + PASSAGE_CHUNK));
        total.written += outcome.written;
        total.refreshed += outcome.refreshed;
        total.unchanged += outcome.unchanged;
      } catch (error) {
        throw refusedRecords(error, offsetsOf);
      }
      await context.heartbeat();
    }
    this.logger.debug({
      msg: 'passages indexed',
      partition: batch.partition,
      records: batch.messages.length,
      undecodable,
      conversations: plan.length,
      ...total,
    });
  }
}

/**
 * Passages the index refused for what they hold become a {@link PermanentRecordError} naming
 * the records of their conversations (passage ids are `tenantId/conversationId/window`).
 */
function refusedRecords(error: unknown, offsetsOf: ReadonlyMap<string, string[]>): unknown {
  if (!(error instanceof BulkIndexError) || error.refused.length === 0) return error;
  const offsets = error.refused.flatMap(
    (id) => offsetsOf.get(id.slice(0, id.lastIndexOf('/'))) ?? [],
  );
  if (offsets.length === 0) return error;
  return new PermanentRecordError(HANDLER_FAILURE_CODES.indexRejected, error.message, offsets);
}
