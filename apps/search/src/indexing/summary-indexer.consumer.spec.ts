import { DLQ_HEADERS, MemorySummary } from '@memory/contracts';
import {
  BatchConsumerFactory,
  BatchContext,
  ConsumedBatch,
  DeadLetterPublisher,
  KafkaProducerService,
} from '@memory/kafka';
import { BulkOutcome } from '@memory/search-index';
import { Logger } from '@nestjs/common';
import { KafkaMessage, Message } from 'kafkajs';
import { IndexingMetrics } from './indexing.metrics';
import { SummaryIndexer } from './summary-indexer.service';
import { SummaryIndexerConsumer, WRITE_CHUNK } from './summary-indexer.consumer';
import { ConversationRef } from './summary-record';
import { summaryFixture } from './summary.fixture';

describe(SummaryIndexerConsumer.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  const setup = (options: { failPut?: boolean } = {}) => {
    const calls: Array<['remove', ConversationRef[]] | ['put', MemorySummary[]]> = [];
    const letters: Array<{ topic: string; letters: readonly Message[] }> = [];
    const outcome = (indexed: number, deleted = 0): BulkOutcome => ({
      indexed,
      stale: 0,
      deleted,
    });
    const indexer = {
      remove: (refs: ConversationRef[]) => {
        calls.push(['remove', refs]);
        return Promise.resolve(outcome(0, refs.length));
      },
      put: (summaries: MemorySummary[]) => {
        calls.push(['put', summaries]);
        if (options.failPut) return Promise.reject(new Error('opensearch down'));
        return Promise.resolve(outcome(summaries.length));
      },
    } as unknown as SummaryIndexer;
    const deadLetters = new DeadLetterPublisher({
      send: (topic: string, sent: readonly Message[]) => {
        letters.push({ topic, letters: sent });
        return Promise.resolve([]);
      },
    } as unknown as KafkaProducerService);
    const consumer = new SummaryIndexerConsumer(
      {} as BatchConsumerFactory,
      indexer,
      deadLetters,
      new IndexingMetrics(),
    );
    let active = true;
    const context: BatchContext = {
      heartbeat: () => Promise.resolve(),
      isActive: () => active,
    };
    return { consumer, calls, letters, context, stop: () => (active = false) };
  };

  let offset = 0;
  const record = (key: string, value: unknown): KafkaMessage => ({
    key: Buffer.from(key),
    value: value === null ? null : Buffer.from(JSON.stringify(value)),
    headers: {},
    timestamp: '0',
    attributes: 0,
    offset: String(offset++),
  });
  const batchOf = (messages: KafkaMessage[]): ConsumedBatch => ({
    topic: 'memory.summaries.v1',
    partition: 0,
    messages,
    highWatermark: String(offset),
  });

  it('dead-letters what it cannot read, once per batch, and indexes the rest', async () => {
    const { consumer, calls, letters, context } = setup();
    const batch = batchOf([
      record('acme:c1', summaryFixture({ conversationId: 'c1', version: 1 })),
      record('acme:c1', summaryFixture({ conversationId: 'c1', version: 2 })),
      record('acme:c2', { schema: 'memory.summary.v1' }),
      record('acme:c3', null),
    ]);
    await consumer.handle(batch, context);
    await consumer.handle(batch, context);
    expect(letters).toHaveLength(1);
    expect(letters[0]?.topic).toBe('memory.summaries.dlq.v1');
    expect(
      letters[0]?.letters.map((l) => [
        String(l.headers?.[DLQ_HEADERS.errorCode]),
        String(l.headers?.[DLQ_HEADERS.sourceOffset]),
      ]),
    ).toEqual([['INVALID_FIELDS', batch.messages[2]?.offset]]);
    expect(calls.slice(0, 2)).toEqual([
      ['remove', [{ tenantId: 'acme', conversationId: 'c3' }]],
      ['put', [expect.objectContaining({ conversationId: 'c1', version: 2 })]],
    ]);
  });

  it('writes in chunks and leaves the batch to its next owner once it lost the partition', async () => {
    const { consumer, calls, context, stop } = setup();
    const messages = Array.from({ length: WRITE_CHUNK * 3 }, (_, i) =>
      record(`acme:c${i}`, summaryFixture({ conversationId: `c${i}` })),
    );
    const revokingContext: BatchContext = {
      ...context,
      isActive: () => {
        const active = context.isActive();
        stop();
        return active;
      },
    };
    await expect(consumer.handle(batchOf(messages), revokingContext)).rejects.toThrow(
      'batch left to its next owner',
    );
    expect(calls.filter(([call]) => call === 'put').map(([, items]) => items.length)).toEqual([
      WRITE_CHUNK,
    ]);
  });

  it('throws when the index cannot be written, so the batch is retried', async () => {
    const { consumer, context } = setup({ failPut: true });
    await expect(
      consumer.handle(
        batchOf([record('acme:c1', summaryFixture({ conversationId: 'c1' }))]),
        context,
      ),
    ).rejects.toThrow('opensearch down');
  });
});
