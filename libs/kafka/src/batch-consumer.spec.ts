import { Logger } from '@nestjs/common';
import { EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { BatchConsumer } from './batch-consumer';
import { BatchHandler, ConsumedBatch, DeadLetterSink } from './batch-consumer.types';
import { FailureClass, PermanentRecordError } from './failure';

/** A kafkajs consumer stand-in that hands one batch at a time to the consumer's eachBatch. */
function setup(handler: BatchHandler, withDeadLetters = true) {
  let eachBatch: ((payload: EachBatchPayload) => Promise<void>) | undefined;
  const commits: string[] = [];
  const fake = {
    events: { CRASH: 'crash', GROUP_JOIN: 'join' },
    on: () => undefined,
    connect: () => Promise.resolve(),
    subscribe: () => Promise.resolve(),
    disconnect: () => Promise.resolve(),
    run: (options: { eachBatch: typeof eachBatch }) => {
      eachBatch = options.eachBatch;
      return Promise.resolve();
    },
    commitOffsets: (offsets: Array<{ offset: string }>) => {
      commits.push(...offsets.map((o) => o.offset));
      return Promise.resolve();
    },
  };
  const letters: Array<{ offsets: string[]; failure: FailureClass }> = [];
  const deadLetters: DeadLetterSink = (_batch, records, failure) => {
    letters.push({ offsets: records.map((r) => r.offset), failure });
    return Promise.resolve();
  };
  const consumer = new BatchConsumer({ consumer: () => fake } as unknown as Kafka, {
    groupId: 'test',
    topics: ['t'],
    handler,
    deadLetters: withDeadLetters ? deadLetters : undefined,
    backoff: () => 1,
  });
  const deliver = async (count: number): Promise<void> => {
    await consumer.start();
    const messages = Array.from(
      { length: count },
      (_, i) => ({ offset: String(100 + i), value: Buffer.from(`r${i}`) }) as KafkaMessage,
    );
    await (eachBatch as (payload: EachBatchPayload) => Promise<void>)({
      batch: {
        topic: 't',
        partition: 0,
        messages,
        highWatermark: String(100 + count),
        firstOffset: () => messages[0]?.offset ?? null,
        lastOffset: () => messages[messages.length - 1]?.offset ?? '0',
      },
      heartbeat: () => Promise.resolve(),
      isRunning: () => true,
      isStale: () => false,
      resolveOffset: () => undefined,
    } as unknown as EachBatchPayload);
  };
  return { deliver, commits, letters };
}

const offsetsOf = (batch: ConsumedBatch): string[] => batch.messages.map((m) => m.offset);

/** A Postgres error as node-postgres makes it. */
function pgError(code: string): Error {
  return Object.assign(new Error(`pg ${code}`), { code, severity: 'ERROR' });
}

describe(BatchConsumer.name, () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('retries a transient failure with the whole batch and dead-letters nothing', async () => {
    let calls = 0;
    const seen: string[][] = [];
    const { deliver, commits, letters } = setup((batch) => {
      seen.push(offsetsOf(batch));
      if (++calls <= 3) return Promise.reject(pgError('08006'));
      return Promise.resolve();
    });
    await deliver(4);
    expect(seen).toHaveLength(4);
    expect(seen.every((offsets) => offsets.length === 4)).toBe(true);
    expect(letters).toEqual([]);
    expect(commits).toEqual(['104']);
  });

  it('splits a batch that one record fails permanently and dead-letters exactly that record', async () => {
    const stored: string[] = [];
    const { deliver, commits, letters } = setup((batch) => {
      if (batch.messages.some((m) => m.offset === '105')) return Promise.reject(pgError('22P05'));
      stored.push(...offsetsOf(batch));
      return Promise.resolve();
    });
    await deliver(9);
    expect(letters).toEqual([
      { offsets: ['105'], failure: expect.objectContaining({ code: 'DB_DATA_EXCEPTION' }) },
    ]);
    // Every other record handled once, in order.
    expect(stored).toEqual(['100', '101', '102', '103', '104', '106', '107', '108']);
    expect(commits).toEqual(['109']);
  });

  it('dead-letters the records a handler names, and handles the rest again', async () => {
    const seen: string[][] = [];
    const { deliver, letters, commits } = setup((batch) => {
      seen.push(offsetsOf(batch));
      if (batch.messages.some((m) => m.offset === '101' || m.offset === '103'))
        return Promise.reject(
          new PermanentRecordError('INDEX_REJECTED', 'mapper_parsing_exception', ['101', '103']),
        );
      return Promise.resolve();
    });
    await deliver(5);
    expect(letters).toEqual([
      { offsets: ['101', '103'], failure: expect.objectContaining({ code: 'INDEX_REJECTED' }) },
    ]);
    expect(seen).toEqual([
      ['100', '101', '102', '103', '104'],
      ['100', '102', '104'],
    ]);
    expect(commits).toEqual(['105']);
  });

  it('isolates a record an unknown failure follows, once the others succeed', async () => {
    let calls = 0;
    const stored: string[] = [];
    const { deliver, letters } = setup((batch) => {
      calls++;
      if (batch.messages.some((m) => m.offset === '102'))
        return Promise.reject(new TypeError('cannot read properties of undefined'));
      stored.push(...offsetsOf(batch));
      return Promise.resolve();
    });
    await deliver(4);
    expect(letters).toEqual([
      {
        offsets: ['102'],
        failure: expect.objectContaining({ kind: 'unknown', code: 'HANDLER_FAILED' }),
      },
    ]);
    expect(stored).toEqual(['100', '101', '103']);
    // Five attempts at the whole batch before it is split.
    expect(calls).toBeGreaterThanOrEqual(5);
  });

  it('does not blame the first record for an unknown failure every record meets, until long', async () => {
    const attempts = new Map<string, number>();
    let healthy = false;
    const { deliver, letters } = setup((batch) => {
      const first = batch.messages[0]?.offset ?? '';
      attempts.set(first, (attempts.get(first) ?? 0) + 1);
      // The system recovers after the first record was tried alone eight times.
      if (batch.messages.length === 1 && first === '100' && (attempts.get('100') ?? 0) > 8)
        healthy = true;
      return healthy ? Promise.resolve() : Promise.reject(new Error('something odd'));
    });
    await deliver(4);
    expect(letters).toEqual([]);
  });

  it('retries forever without a dead-letter sink', async () => {
    let calls = 0;
    const { deliver, letters, commits } = setup(() => {
      return ++calls < 12 ? Promise.reject(pgError('22P05')) : Promise.resolve();
    }, false);
    await deliver(3);
    expect(calls).toBe(12);
    expect(letters).toEqual([]);
    expect(commits).toEqual(['103']);
  });
});
