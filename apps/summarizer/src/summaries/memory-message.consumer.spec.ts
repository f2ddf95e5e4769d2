import { EnvReader } from '@memory/config';
import { zeroCost } from '@memory/contracts';
import {
  BatchConsumerFactory,
  BatchContext,
  ConsumedBatch,
  DeadLetterPublisher,
} from '@memory/kafka';
import {
  ConversationSummarizer,
  MessagesNotYetStoredError,
  readSummarizationSettings,
  SeenConversation,
  SummaryRow,
  SummaryStore,
} from '@memory/summarization';
import { KafkaMessage } from 'kafkajs';
import { MemoryMessageConsumer } from './memory-message.consumer';
import { SummarizerMetrics } from './summarizer.metrics';
import { SummaryPublisher } from './summary.publisher';

function record(conversationId: string, seq: number, offset: number): KafkaMessage {
  return {
    key: Buffer.from(`t1:${conversationId}`),
    value: Buffer.from(
      JSON.stringify({
        schema: 'memory.message.v1',
        messageId: `${conversationId}-m${seq}`,
        tenantId: 't1',
        conversationId,
        userId: 'user-1',
        role: 'user',
        content: `message ${seq}`,
        createdAt: '2026-03-01T10:00:00Z',
        seq,
        ingestedAt: '2026-03-01T10:00:01Z',
      }),
    ),
    offset: String(offset),
    timestamp: '0',
    attributes: 0,
    headers: {},
  };
}

function rowOf(seen: SeenConversation): SummaryRow {
  return {
    ...seen,
    version: 0,
    throughSeq: 0,
    tier: 'full',
    text: '',
    sections: null,
    fullSections: null,
    memo: null,
    backend: 'local',
    llmPending: false,
    llmBase: null,
    lastUpdate: null,
    totalCost: zeroCost(),
    publishedVersion: 0,
    lastReceivedAt: new Date(),
    updatedAt: new Date(),
  };
}

function setUp() {
  const store = {
    seenBefore: jest.fn().mockResolvedValue(new Map()),
    recordSeen: jest.fn((seen: SeenConversation[]) => Promise.resolve(seen.map(rowOf))),
  };
  const summarizer = {
    bringUpToDate: jest.fn((row: SummaryRow, _trigger: string, options: { throughSeq: number }) =>
      row.conversationId === 'late'
        ? Promise.reject(new MessagesNotYetStoredError('t1', 'late', [1, 2], 0))
        : Promise.resolve({ ...row, version: 1, throughSeq: options.throughSeq }),
    ),
  };
  const publisher = { publish: jest.fn().mockResolvedValue(undefined) };
  const deadLetters = { publishOnce: jest.fn().mockResolvedValue(undefined) };
  const metrics = {
    gap: jest.fn(),
    foldDeferred: jest.fn(),
    summarizedAfter: jest.fn(),
  };
  const consumer = new MemoryMessageConsumer(
    {} as BatchConsumerFactory,
    store as unknown as SummaryStore,
    summarizer as unknown as ConversationSummarizer,
    publisher as unknown as SummaryPublisher,
    deadLetters as unknown as DeadLetterPublisher,
    metrics as unknown as SummarizerMetrics,
    readSummarizationSettings(new EnvReader({})),
  );
  const context: BatchContext = { heartbeat: () => Promise.resolve(), isActive: () => true };
  return { consumer, summarizer, publisher, metrics, context };
}

describe(MemoryMessageConsumer.name, () => {
  it('leaves a conversation whose messages are not stored yet for later, and finishes the batch', async () => {
    const { consumer, summarizer, publisher, metrics, context } = setUp();
    const messages = [
      ...[3, 4, 5, 6, 7, 8, 9, 10].map((seq, i) => record('late', seq, i)),
      ...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seq, i) => record('normal', seq, 8 + i)),
    ];
    const batch: ConsumedBatch = {
      topic: 'memory.messages.v1',
      partition: 0,
      messages,
      highWatermark: '18',
    };

    await expect(consumer.handle(batch, context)).resolves.toBeUndefined();

    expect(summarizer.bringUpToDate).toHaveBeenCalledTimes(2);
    expect(metrics.foldDeferred).toHaveBeenCalledWith('consumer');
    const published = publisher.publish.mock.calls[0][0] as SummaryRow[];
    expect(published.map((row) => [row.conversationId, row.throughSeq])).toEqual([['normal', 10]]);
  });

  it('fails the batch (to be retried) on any other error', async () => {
    const { consumer, summarizer, context } = setUp();
    summarizer.bringUpToDate.mockRejectedValue(new Error('connection terminated'));
    const batch: ConsumedBatch = {
      topic: 'memory.messages.v1',
      partition: 0,
      messages: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((seq, i) => record('normal', seq, i)),
      highWatermark: '10',
    };
    await expect(consumer.handle(batch, context)).rejects.toThrow('connection terminated');
  });
});
