import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import {
  CompressionTypes,
  ICustomPartitioner,
  Kafka,
  Message,
  PartitionerArgs,
  Producer,
  RecordMetadata,
} from 'kafkajs';

/** Upper bound of one produce request's record bytes, under the broker default of 1 MiB. */
export const MAX_REQUEST_BYTES = 768 * 1024;
const RECORD_OVERHEAD_BYTES = 70;

function sizeOf(value: Message['value'] | Message['key']): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function recordBytes(message: Message): number {
  let headers = 0;
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    headers +=
      name.length +
      (Array.isArray(value) ? value.reduce((sum, v) => sum + sizeOf(v), 0) : sizeOf(value));
  }
  return RECORD_OVERHEAD_BYTES + sizeOf(message.key) + sizeOf(message.value) + headers;
}

/** Splits messages, in order, into runs of at most `limit` bytes (a larger message goes alone). */
export function chunkBySize(messages: readonly Message[], limit: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = recordBytes(message);
    if (current.length > 0 && bytes + size > limit) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * The service's one idempotent producer. Records are acknowledged by all in-sync replicas;
 * keys are hashed like the Java client's, so upstream Java producers and this one agree
 * on the partition of a conversation.
 */
@Injectable()
export class KafkaProducerService implements OnApplicationShutdown {
  private readonly producer: Producer;
  private connected: Promise<void> | undefined;

  constructor(kafka: Kafka) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: javaCompatiblePartitioner,
    });
  }

  /**
   * Sends in requests of at most {@link MAX_REQUEST_BYTES}, one after the other (so order per
   * partition holds): a broker refuses a record batch over its `message.max.bytes` (1 MiB by
   * default), and a consumer batch of the same size grows when it is republished.
   */
  async send(
    topic: string,
    messages: Message[],
    compression: CompressionTypes = CompressionTypes.None,
  ): Promise<RecordMetadata[]> {
    await this.connect();
    const results: RecordMetadata[] = [];
    for (const chunk of chunkBySize(messages, MAX_REQUEST_BYTES)) {
      results.push(
        ...(await this.producer.send({
          topic,
          messages: chunk,
          acks: -1,
          compression,
        })),
      );
    }
    return results;
  }

  connect(): Promise<void> {
    this.connected ??= this.producer.connect().catch((error: unknown) => {
      this.connected = undefined;
      throw error;
    });
    return this.connected;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.connected) return;
    this.connected = undefined;
    await this.producer.disconnect();
  }
}

/**
 * Kafka's murmur2 hash of a key, as the Java client computes it (`Utils.murmur2`), in 32-bit
 * integer arithmetic. Same values as kafkajs' own murmur2, which emulates 64-bit longs and
 * costs several times more per key.
 */
export function murmur2(data: Buffer, length = data.length): number {
  const m = 0x5bd1e995;
  let h = 0x9747b28c ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2] << 16;
    if (tail >= 2) h ^= data[whole + 1] << 8;
    h ^= data[whole];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Reused for the UTF-8 bytes of string keys, so hashing a key allocates nothing. */
const keyScratch = Buffer.alloc(1024);

function hashKey(key: Buffer | string): number {
  if (Buffer.isBuffer(key)) return murmur2(key);
  const text = String(key);
  if (text.length * 3 <= keyScratch.length) {
    return murmur2(keyScratch, keyScratch.write(text, 0, 'utf8'));
  }
  return murmur2(Buffer.from(text, 'utf8'));
}

/**
 * The partitioner of the Java client and of kafkajs' DefaultPartitioner, with the cheaper hash:
 * an explicit partition wins; a keyed record goes to `positive(murmur2(key)) % partitions`;
 * records without a key go round-robin over the partitions that have a leader.
 */
export const javaCompatiblePartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }: PartitionerArgs): number => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const key = message.key;
    if (key !== null && key !== undefined) {
      return (hashKey(key) & 0x7fffffff) % partitionMetadata.length;
    }
    const counter = (counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((partition) => partition.leader >= 0);
    if (available.length > 0) {
      return available[(counter & 0x7fffffff) % available.length].partitionId;
    }
    return (counter & 0x7fffffff) % partitionMetadata.length;
  };
};
