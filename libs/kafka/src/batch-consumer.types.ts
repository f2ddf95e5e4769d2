import { KafkaMessage } from 'kafkajs';
import { FailureClass } from './failure';

export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /** Offset the next produced record of the partition will get, when the batch was fetched. */
  highWatermark: string;
  /**
   * The batch as fetched, when this one is a part of it (a failed batch is split to find the
   * records that fail it): whatever a handler remembers per batch (dead letters sent) belongs
   * to the origin, which every part and every retry shares.
   */
  origin?: object;
}

/** Records the consumer dead-letters itself, after a handler failed because of them. */
export type DeadLetterSink = (
  batch: ConsumedBatch,
  records: readonly KafkaMessage[],
  failure: FailureClass,
) => Promise<void>;

export interface BatchContext {
  /** Tells the group coordinator this member is alive; call it during long work. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the batch is stale after a rebalance. */
  isActive(): boolean;
}

/**
 * Handles one batch as a whole. Resolve only when the batch's effects are durable (the
 * database transaction committed, follow-up records acknowledged): the offsets are committed
 * right after. Records a handler can tell are bad (they do not decode) it dead-letters itself.
 * What it throws is classified ({@link classifyFailure}): a transient failure retries the same
 * batch with backoff, never skipping it; a failure that belongs to records splits the batch
 * until they are found, and the consumer dead-letters exactly those, so a handler is also
 * called with parts of a fetched batch, in order. Every attempt at a batch gets the same batch
 * object, and parts carry their `origin`, so a handler can remember per batch what it did.
 */
export type BatchHandler = (batch: ConsumedBatch, context: BatchContext) => Promise<void>;

export interface BatchConsumerOptions {
  groupId: string;
  topics: string[];
  handler: BatchHandler;
  fromBeginning?: boolean;
  /** Upper bound of bytes fetched per partition per request. */
  maxBytesPerPartition?: number;
  /**
   * Batches of different partitions handled at the same time (default 1). Safe when the
   * handler's effects on different partitions are independent: a partition's batches are
   * still handled one after the other, in order.
   */
  partitionsConsumedConcurrently?: number;
  sessionTimeoutMs?: number;
  /**
   * Where records that fail the handler for their own sake go (see {@link BatchHandler}).
   * Without one, every failure is retried as transient.
   */
  deadLetters?: DeadLetterSink;
  /**
   * Called once when the consumer crashed beyond kafkajs' own restarts and its own rejoins
   * (a broker away for longer than `BROKER_AWAY_RETRIES` waits, or an error no wait
   * changes).
   */
  onCrash?: (error: string) => void;
  /** Milliseconds before rejoin `retry` after the broker was away (tests shorten it). */
  rejoinDelay?: (retry: number) => number;
  /** Milliseconds to wait before attempt `attempt + 1` of a failed batch (tests shorten it). */
  backoff?: (attempt: number) => number;
}

/** `rejoining`: kafkajs gave up while the broker was away; the consumer joins again by itself. */
export type ConsumerState = 'idle' | 'running' | 'rejoining' | 'crashed' | 'stopped';
