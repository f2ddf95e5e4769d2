import { commitGroupOffsets } from '@memory/kafka';
import { randomUUID } from 'node:crypto';
import { Batch, Kafka, KafkaMessage, logLevel } from 'kafkajs';

export function testKafka(): Kafka {
  return new Kafka({
    clientId: 'memory-e2e',
    brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    // kafkajs logs retried, harmless protocol answers ("coordinator is loading") as errors.
    logLevel: logLevel.NOTHING,
  });
}

export interface ConsumeOptions {
  /** Keeps only the records this returns true for (default: all). */
  keep?: (record: KafkaMessage) => boolean;
  /** Stops reading once this holds for the records kept so far. */
  done: (kept: KafkaMessage[]) => boolean;
  timeoutMs?: number;
  /** Start here instead of at the beginning of the topic. */
  from?: Array<{ partition: number; offset: string }>;
}

/** A record read by {@link consumeUntil}, with its partition. */
export type ConsumedRecord = KafkaMessage & { partition: number };

/**
 * Reads `topic` with a fresh consumer group (from `from`, or the beginning), handing each batch
 * to `onBatch` until it returns true or `timeoutMs` passes; resolves whether it finished.
 */
async function readBatches(
  kafka: Kafka,
  topic: string,
  from: Array<{ partition: number; offset: string }> | undefined,
  onBatch: (batch: Batch) => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const groupId = `e2e-reader-${randomUUID()}`;
  if (from) await setGroupOffsets(kafka, groupId, topic, from);
  const consumer = kafka.consumer({ groupId, maxBytes: 20 * 1024 * 1024 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let finish: () => void = () => undefined;
    const finished = new Promise<boolean>((resolve) => (finish = () => resolve(true)));
    await consumer.run({
      eachBatch: ({ batch }) => {
        if (onBatch(batch)) finish();
        return Promise.resolve();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>(
      (resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)),
    );
    const done = await Promise.race([finished, timedOut]);
    clearTimeout(timer);
    return done;
  } finally {
    await consumer.disconnect();
  }
}

/** Reads `topic` with a fresh consumer group until `done` holds or time runs out; returns what it kept. */
export async function consumeUntil(
  kafka: Kafka,
  topic: string,
  options: ConsumeOptions,
): Promise<ConsumedRecord[]> {
  const kept: ConsumedRecord[] = [];
  await readBatches(
    kafka,
    topic,
    options.from,
    (batch) => {
      for (const record of batch.messages)
        if (!options.keep || options.keep(record))
          kept.push({ ...record, partition: batch.partition });
      return options.done(kept);
    },
    options.timeoutMs ?? 30_000,
  );
  return kept;
}

/**
 * Reads `topic` from `from` (default: the beginning) up to the end offsets it has when called,
 * and returns the records `keep` holds for. Unlike {@link consumeUntil} it cannot end early
 * with what happened to arrive: it fails if the end is not reached in `timeoutMs`. The project
 * produces without transactions, so offsets are contiguous and the end is the last offset + 1.
 */
export async function readToEnd(
  kafka: Kafka,
  topic: string,
  options: {
    from?: Array<{ partition: number; offset: string }>;
    keep?: (record: KafkaMessage) => boolean;
    timeoutMs?: number;
  } = {},
): Promise<ConsumedRecord[]> {
  const ends = await endOffsets(kafka, topic);
  const starts = new Map((options.from ?? []).map(({ partition, offset }) => [partition, offset]));
  const pending = new Map(
    ends
      .filter(({ partition, offset }) => BigInt(offset) > BigInt(starts.get(partition) ?? '0'))
      .map(({ partition, offset }) => [partition, BigInt(offset)]),
  );
  if (pending.size === 0) return [];
  const kept: ConsumedRecord[] = [];
  const finished = await readBatches(
    kafka,
    topic,
    options.from,
    (batch) => {
      const end = pending.get(batch.partition);
      if (end === undefined) return pending.size === 0;
      for (const record of batch.messages)
        if (BigInt(record.offset) < end && (!options.keep || options.keep(record)))
          kept.push({ ...record, partition: batch.partition });
      if (BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition);
      return pending.size === 0;
    },
    options.timeoutMs ?? 60_000,
  );
  if (!finished)
    throw new Error(
      `${topic}: partitions ${[...pending.keys()].join(', ')} not read to their end in time`,
    );
  return kept;
}

/** Current end offset of each partition of `topic`. */
export async function endOffsets(
  kafka: Kafka,
  topic: string,
): Promise<Array<{ partition: number; offset: string }>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).map(({ partition, high }) => ({
      partition,
      offset: high,
    }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Points a (new or idle) consumer group at the given offsets, so a service started with it
 * reads from there: tests use it to skip what earlier runs left on shared topics, and to
 * replay a batch.
 */
export function setGroupOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partitions: Array<{ partition: number; offset: string }>,
): Promise<void> {
  return commitGroupOffsets(kafka, groupId, topic, partitions);
}

/** Committed offsets of a group on `topic`, by partition. */
export async function committedOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
): Promise<Map<number, string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((offsets?.partitions ?? []).map(({ partition, offset }) => [partition, offset]));
  } finally {
    await admin.disconnect();
  }
}
