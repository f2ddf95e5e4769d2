import { Logger } from '@nestjs/common';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { backoffDelay } from './backoff';
import { consumerMetrics } from './consumer.metrics';

export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: KafkaMessage[];
  /** Offset the next produced record of the partition will get, when the batch was fetched. */
  highWatermark: string;
}

export interface BatchContext {
  /** Tells the group coordinator this member is alive; call it during long work. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping or the batch is stale after a rebalance. */
  isActive(): boolean;
}

/**
 * Handles one batch as a whole. Resolve only when the batch's effects are durable (the
 * database transaction committed, follow-up records acknowledged): the offsets are committed
 * right after. Records that can never succeed (bad input) must be dealt with inside, e.g.
 * sent to a dead-letter topic; anything thrown is treated as transient and the same batch is
 * retried with backoff, never skipped. Every attempt gets the same batch object, so a handler
 * can remember per batch what it already did (e.g. dead letters sent).
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
}

export type ConsumerState = 'idle' | 'running' | 'crashed' | 'stopped';

const HEARTBEAT_SLICE_MS = 1_000;
/** How often a heartbeat goes out while a handler works. */
const HEARTBEAT_EVERY_MS = 3_000;
/** How long a stop waits for a start in progress before it disconnects anyway. */
const STOP_WAITS_FOR_START_MS = 3_000;

/**
 * A kafkajs consumer that commits a batch's offsets only after its handler succeeded,
 * retries failed batches with backoff, and stops between batches on shutdown.
 */
export class BatchConsumer {
  private readonly logger: Logger;
  private readonly consumer: Consumer;
  private starting: Promise<void> | undefined;
  private stateValue: ConsumerState = 'idle';
  private lastError: string | undefined;

  constructor(
    kafka: Kafka,
    private readonly options: BatchConsumerOptions,
  ) {
    this.logger = new Logger(`${BatchConsumer.name}:${options.groupId}`);
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1024 * 1024,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 30_000 },
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      this.lastError = String(event.payload.error);
      if (!event.payload.restart) this.stateValue = 'crashed';
      this.logger.error({
        msg: 'consumer crashed',
        error: this.lastError,
        restart: event.payload.restart,
      });
    });
    // After a rebalance, only the partitions this member now owns report lag.
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      consumerMetrics.assigned(options.groupId, event.payload.memberAssignment);
    });
  }

  get state(): ConsumerState {
    return this.stateValue;
  }

  get error(): string | undefined {
    return this.lastError;
  }

  async start(): Promise<void> {
    this.starting = this.connectAndRun();
    await this.starting;
  }

  /** Each step checks whether a stop came in meanwhile (a SIGTERM right after start-up). */
  private async connectAndRun(): Promise<void> {
    await this.consumer.connect();
    if (this.stopRequested()) return;
    await this.consumer.subscribe({
      topics: this.options.topics,
      fromBeginning: this.options.fromBeginning ?? true,
    });
    if (this.stopRequested()) return;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.consume(payload),
    });
    if (this.stopRequested()) return;
    this.stateValue = 'running';
    this.logger.log({ msg: 'consuming', topics: this.options.topics });
  }

  /** A method, not an inline check: the state changes while `connectAndRun` awaits. */
  private stopRequested(): boolean {
    return this.stateValue === 'stopped';
  }

  /**
   * Leaves the group. A start still in progress (connecting, or joining a group that waits for
   * a member that vanished) is given a few seconds; if it is still not done, the consumer is
   * disconnected without waiting for it: nothing was consumed, and the group forgets the member
   * after its session timeout. Waiting could hold the shutdown past its deadline.
   */
  async stop(): Promise<void> {
    if (this.stateValue === 'stopped') return;
    this.stateValue = 'stopped';
    consumerMetrics.assigned(this.options.groupId, {});
    if (this.starting && !(await settlesWithin(this.starting, STOP_WAITS_FOR_START_MS))) {
      this.logger.warn({ msg: 'stopped while still joining the group; not waiting for it' });
      this.consumer.disconnect().catch(() => undefined);
      return;
    }
    await this.consumer.disconnect();
  }

  private async consume(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const heartbeat = (): Promise<void> => payload.heartbeat();
    const isActive = (): boolean => payload.isRunning() && !payload.isStale();
    const consumed: ConsumedBatch = {
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages,
      highWatermark: batch.highWatermark,
    };
    const started = performance.now();
    const group = this.options.groupId;
    const behind = (from: string): number => Number(BigInt(batch.highWatermark) - BigInt(from));
    consumerMetrics.lag(group, batch.topic, batch.partition, behind(batch.firstOffset() ?? '0'));

    for (let attempt = 1; ; attempt++) {
      if (!isActive()) return; // abandoned uncommitted: the records come back to whoever owns the partition
      try {
        // A handler may work longer than the session timeout (an LLM call, local embeddings):
        // heartbeats keep the membership alive meanwhile (kafkajs only sends them when asked).
        const beat = setInterval(() => void heartbeat().catch(() => undefined), HEARTBEAT_EVERY_MS);
        try {
          await this.options.handler(consumed, { heartbeat, isActive });
        } finally {
          clearInterval(beat);
        }
        break;
      } catch (error) {
        const delayMs = backoffDelay(attempt);
        this.lastError = String(error);
        consumerMetrics.retried(group, batch.topic);
        this.logger.warn({
          msg: 'batch failed, retrying',
          topic: batch.topic,
          partition: batch.partition,
          firstOffset: batch.firstOffset(),
          attempt,
          delayMs,
          error: this.lastError,
        });
        await this.pause(delayMs, heartbeat, isActive);
      }
    }

    // Revoked meanwhile (a rebalance): the new owner handles the batch again; committing here
    // could move the group's offset back under it.
    if (payload.isStale()) return;
    const next = (BigInt(batch.lastOffset()) + 1n).toString();
    consumerMetrics.handled(
      group,
      batch.topic,
      batch.messages.length,
      (performance.now() - started) / 1000,
    );
    consumerMetrics.lag(group, batch.topic, batch.partition, behind(next));
    payload.resolveOffset(batch.lastOffset());
    if (payload.isRunning()) {
      await this.consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: next },
      ]);
      await heartbeat();
    } else {
      await this.commitWhileStopping(payload, next);
    }
  }

  /**
   * A batch that finished while the consumer stops (kafkajs waits for the batches in flight
   * before it leaves the group). `consumer.commitOffsets` does nothing once kafkajs is stopping,
   * so the offset goes straight through the group, still joined; otherwise the next owner would
   * handle (and republish) the batch again, and with partitions handled concurrently that is
   * every batch in flight. If this commit fails, the batch stays uncommitted, as before.
   */
  private async commitWhileStopping(payload: EachBatchPayload, offset: string): Promise<void> {
    const { topic, partition } = payload.batch;
    try {
      await payload.commitOffsetsIfNecessary({
        topics: [{ topic, partitions: [{ partition, offset }] }],
      });
    } catch (error) {
      this.logger.warn({
        msg: 'batch done while stopping, offset not committed',
        topic,
        partition,
        offset,
        error: String(error),
      });
    }
  }

  private async pause(
    ms: number,
    heartbeat: () => Promise<void>,
    isActive: () => boolean,
  ): Promise<void> {
    const until = Date.now() + ms;
    while (isActive() && Date.now() < until) {
      await sleep(Math.min(HEARTBEAT_SLICE_MS, until - Date.now()));
      await heartbeat();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` settles (either way) within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise<boolean>((done) => (timer = setTimeout(() => done(false), ms))),
  ]);
  clearTimeout(timer);
  return settled;
}
