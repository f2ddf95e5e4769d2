import {
  ChatMessage,
  CONSUMER_GROUPS,
  conversationKey,
  decodeChatMessage,
  TOPICS,
} from '@memory/contracts';
import {
  BatchConsumerFactory,
  BatchContext,
  ConsumedBatch,
  DeadLetter,
  DeadLetterPublisher,
} from '@memory/kafka';
import {
  carriedHeaders,
  failSpan,
  inConsumerBatchSpan,
  inSpan,
  startRecordSpan,
  traceHeaders,
  wantsRecordSpan,
} from '@memory/telemetry';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Span } from '@opentelemetry/api';
import { IHeaders } from 'kafkajs';
import { IngestMetrics } from './ingest.metrics';
import { INGEST_KEY_MODE, IngestKeyMode } from './key-mode';
import { MemoryMessagePublisher } from './memory-message.publisher';
import { MessageStore } from './message.store';

/*
 * Partitions are handled concurrently (measured with the ingest benchmark, docs/benchmarks.md):
 * decoding and publishing one batch then overlaps with the database statement of another
 * instead of waiting for it. A conversation lives on one partition, so concurrent batches
 * touch different conversation rows; a partition's own batches stay one after the other.
 */
const PARTITIONS_CONCURRENTLY = 3;

/**
 * Reads `chat.messages.v1` in batches: bad records go to the dead-letter topic, valid ones are
 * stored in one statement and published to `memory.messages.v1`. The batch's offsets are
 * committed only after all three succeeded (by the BatchConsumer), so a crash anywhere
 * replays the batch, which the store turns into no-ops.
 */
@Injectable()
export class ChatMessageConsumer implements OnModuleInit {
  private readonly logger = new Logger(ChatMessageConsumer.name);

  constructor(
    private readonly consumers: BatchConsumerFactory,
    private readonly store: MessageStore,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly memoryMessages: MemoryMessagePublisher,
    private readonly metrics: IngestMetrics,
    @Inject(INGEST_KEY_MODE) private readonly keyMode: IngestKeyMode = 'strict',
  ) {}

  onModuleInit(): void {
    this.consumers.create({
      groupId: CONSUMER_GROUPS.ingest.group,
      topics: [TOPICS.chatMessages],
      handler: (batch, context) => this.handle(batch, context),
      deadLetterTopic: TOPICS.chatMessagesDlq,
      partitionsConsumedConcurrently: PARTITIONS_CONCURRENTLY,
    });
  }

  /**
   * Traced as one CONSUMER span per batch, linked to the records' traces, and one span per
   * stored message continuing its producer's trace; the record published to
   * `memory.messages.v1` carries that span's context on.
   */
  handle(batch: ConsumedBatch, context: BatchContext): Promise<void> {
    return inConsumerBatchSpan(batch, (span) => this.handleBatch(batch, context, span));
  }

  private async handleBatch(
    batch: ConsumedBatch,
    context: BatchContext,
    batchSpan: Span,
  ): Promise<void> {
    const started = process.hrtime.bigint();
    const startedAt = Date.now();
    const valid: ChatMessage[] = [];
    const headers: Array<IHeaders | undefined> = [];
    const receivedAt: Date[] = [];
    const rejected: DeadLetter[] = [];
    const strict = this.keyMode === 'strict';
    let rekeyed = 0;
    for (const record of batch.messages) {
      const decoded = decodeChatMessage(record.value, strict ? record.key : undefined);
      if (decoded.ok) {
        const { tenantId, conversationId } = decoded.message;
        if (!strict && record.key?.toString('utf8') !== conversationKey(tenantId, conversationId))
          rekeyed++;
        valid.push(decoded.message);
        headers.push(record.headers);
        receivedAt.push(new Date(Number(record.timestamp)));
      } else {
        rejected.push({
          source: { topic: batch.topic, partition: batch.partition, offset: record.offset },
          record,
          code: decoded.code,
          reason: decoded.reason,
        });
      }
    }

    await this.deadLetters.publishOnce(batch, TOPICS.chatMessagesDlq, rejected);
    const stored = await inSpan('ingest store', { 'memory.messages': valid.length }, () =>
      this.store.storeBatch(valid, receivedAt),
    );
    await context.heartbeat();
    // A span per traced message (sampled, spans exported); others carry their context as is.
    const spans = stored.map((message) =>
      wantsRecordSpan(headers[message.index])
        ? startRecordSpan(
            'ingest message',
            headers[message.index],
            {
              'memory.tenant_id': message.tenantId,
              'memory.conversation_id': message.conversationId,
              'memory.seq': message.seq,
              'memory.duplicate': !message.isNew,
            },
            { batch: batchSpan, startTime: startedAt },
          )
        : undefined,
    );
    try {
      await this.memoryMessages.publish(stored, (message, i) => {
        const span = spans[i];
        return span ? traceHeaders(span) : carriedHeaders(headers[message.index]);
      });
    } catch (error) {
      for (const span of spans) if (span) failSpan(span, error);
      throw error;
    }
    for (const span of spans) span?.end();

    const fresh = stored.filter((message) => message.isNew).length;
    this.metrics.batch({
      topic: batch.topic,
      partition: batch.partition,
      records: batch.messages.length,
      stored: fresh,
      duplicates: valid.length - fresh,
      deadLettered: countBy(rejected, (letter) => letter.code),
      rekeyed,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    });
    this.logger.debug({
      msg: 'batch ingested',
      partition: batch.partition,
      records: batch.messages.length,
      stored: fresh,
      duplicates: valid.length - fresh,
      deadLettered: rejected.length,
    });
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
