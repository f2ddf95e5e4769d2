import { backoffDelay } from '@memory/config';
import { Logger } from '@nestjs/common';
import { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { BROKER_AWAY_RETRIES, brokerAway, brokerAwayDelay, whileBrokerAway } from './broker-away';
import {
  BatchConsumerOptions,
  BatchContext,
  ConsumedBatch,
  ConsumerState,
  DeadLetterSink,
} from './batch-consumer.types';
import { consumerMetrics } from './consumer.metrics';
import { classifyFailure, FailureClass, oneLine, PermanentRecordError } from './failure';

const HEARTBEAT_SLICE_MS = 1_000;
/** How often a heartbeat goes out while a handler works. */
const HEARTBEAT_EVERY_MS = 3_000;
/** How long a stop waits for a start in progress before it disconnects anyway. */
const STOP_WAITS_FOR_START_MS = 3_000;
/** Attempts at a fetched batch that fails for an unknown reason, before it is split. */
const UNKNOWN_ATTEMPTS_BEFORE_SPLIT = 5;
/**
 * Attempts at one record that fails for an unknown reason while no other record of its batch
 * has succeeded since the last such dead letter (the failure may be the system's, not the
 * record's): a little under two minutes of backoff before it is dead-lettered all the same.
 */
const UNKNOWN_ATTEMPTS_ALONE = 10;

/** What the handling of one fetched batch has learnt so far, shared by its parts. */
interface Settling {
  /** A part succeeded since the last record was dead-lettered for an unknown failure. */
  succeededSince: boolean;
}

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
  /** Crashes kafkajs reported: a start that saw one leaves the state to the crash handler. */
  private crashes = 0;
  /** Rejoins since the group was last joined. */
  private rejoins = 0;
  /** Ends the wait before a rejoin (a stop does not wait for it). */
  private wakeRejoin: (() => void) | undefined;

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
      this.crashes++;
      this.lastError = String(event.payload.error);
      this.logger.error({
        msg: event.payload.restart
          ? 'consumer crashed; kafkajs restarts it'
          : 'consumer crashed and will not restart',
        error: this.lastError,
        restart: event.payload.restart,
      });
      if (event.payload.restart || this.stateValue === 'stopped') return;
      if (brokerAway(event.payload.error) && this.rejoins < BROKER_AWAY_RETRIES) this.rejoin();
      else this.crash(this.lastError);
    });
    // After a rebalance, only the partitions this member now owns report lag.
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.rejoins = 0;
      consumerMetrics.assigned(options.groupId, event.payload.memberAssignment);
    });
  }

  get groupId(): string {
    return this.options.groupId;
  }

  get state(): ConsumerState {
    return this.stateValue;
  }

  /**
   * Records behind the ends of the partitions this member owns, as of the last batch of each
   * (fetched, and again once handled): 0 when caught up or before the first batch.
   */
  recordsBehind(): number {
    return consumerMetrics.behind(this.options.groupId);
  }

  get error(): string | undefined {
    return this.lastError;
  }

  async start(): Promise<void> {
    this.starting = this.connectAndRun();
    await this.starting;
  }

  /**
   * Connects, subscribes and joins the group, trying again (from a clean disconnect) while the
   * broker is away, within the rejoins left; any other error is thrown.
   */
  private async connectAndRun(): Promise<void> {
    await whileBrokerAway(() => this.joinOnce(), {
      retries: BROKER_AWAY_RETRIES - this.rejoins,
      delay: this.options.rejoinDelay ?? brokerAwayDelay,
      cancelled: () => this.stopRequested(),
      onRetry: (error, retry, delayMs) => {
        const msg = 'broker away while joining the group; trying again';
        this.logger.warn({ msg, error: String(error), retry, delayMs });
      },
    });
  }

  /** Each step checks whether a stop came in meanwhile (a SIGTERM right after start-up). */
  private async joinOnce(): Promise<void> {
    // A stop that came during the wait before this retry: no connection after it.
    if (this.stopRequested()) return;
    try {
      await this.consumer.connect();
      if (this.stopRequested()) return;
      await this.consumer.subscribe({
        topics: this.options.topics,
        fromBeginning: this.options.fromBeginning ?? true,
      });
    } catch (error) {
      await this.consumer.disconnect().catch(() => undefined);
      throw error;
    }
    if (this.stopRequested()) return;
    const crashes = this.crashes;
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 1,
      eachBatch: (payload) => this.consume(payload),
    });
    // kafkajs reports a failed join as a crash, not by throwing: the crash handler decided.
    if (this.stopRequested() || this.crashes !== crashes) return;
    this.stateValue = 'running';
    this.logger.log({ msg: 'consuming', topics: this.options.topics });
  }

  /**
   * kafkajs gave up on the group while the broker was away (it does not restart a consumer
   * whose join found no coordinator): this consumer joins again after a wait, as at start-up.
   */
  private rejoin(): void {
    this.rejoins++;
    this.stateValue = 'rejoining';
    const delayMs = (this.options.rejoinDelay ?? brokerAwayDelay)(this.rejoins);
    this.logger.warn({ msg: 'rejoining the group', retry: this.rejoins, delayMs });
    consumerMetrics.rejoined(this.options.groupId);
    this.starting = new Promise<void>((done) => {
      const timer = setTimeout(done, delayMs);
      this.wakeRejoin = () => (clearTimeout(timer), done());
    })
      .then(() => (this.stopRequested() ? undefined : this.connectAndRun()))
      .catch((error: unknown) => {
        this.lastError = String(error);
        if (!this.stopRequested()) this.crash(this.lastError);
      });
  }

  private crash(error: string): void {
    this.stateValue = 'crashed';
    this.options.onCrash?.(error);
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
    this.wakeRejoin?.();
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
    consumed.origin = consumed;
    const started = performance.now();
    const group = this.options.groupId;
    const behind = (from: string): number => Number(BigInt(batch.highWatermark) - BigInt(from));
    consumerMetrics.lag(group, batch.topic, batch.partition, behind(batch.firstOffset() ?? '0'));

    const settling: Settling = { succeededSince: false };
    const done = await this.settle(consumed, { heartbeat, isActive }, settling, true);
    // Abandoned (stopping, revoked) or revoked meanwhile (a rebalance): the new owner handles
    // the batch again; committing here could move the group's offset back under it.
    if (!done || payload.isStale()) return;
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
   * Handles `batch` until it succeeded or its failing records are dead-lettered; false when it
   * was abandoned (the consumer stops or lost the partition). Transient failures are retried
   * with backoff, forever. A failure that belongs to records (permanent, or unknown after a few
   * attempts) splits the batch in halves, handled in order, down to single records; a single
   * record that still fails is dead-lettered. See {@link FailureKind} for the unknown case.
   */
  private async settle(
    batch: ConsumedBatch,
    context: BatchContext,
    settling: Settling,
    fetched: boolean,
  ): Promise<boolean> {
    let unknown = 0;
    for (let attempt = 1; ; attempt++) {
      if (!context.isActive()) return false;
      let failure: FailureClass;
      let error: unknown;
      try {
        await this.attempt(batch, context);
        settling.succeededSince = true;
        return true;
      } catch (caught) {
        if (!context.isActive()) return false;
        error = caught;
        failure = classifyFailure(caught);
      }
      this.lastError = failure.reason;
      if (this.options.deadLetters && failure.kind !== 'transient') {
        if (failure.kind === 'unknown') unknown++;
        const single = batch.messages.length === 1;
        const isolate =
          failure.kind === 'permanent' ||
          (!single && unknown >= (fetched ? UNKNOWN_ATTEMPTS_BEFORE_SPLIT : 1)) ||
          (single && (settling.succeededSince || unknown >= UNKNOWN_ATTEMPTS_ALONE));
        if (isolate) return this.isolate(batch, context, settling, failure, error);
      }
      const delayMs = (this.options.backoff ?? backoffDelay)(attempt);
      consumerMetrics.retried(this.options.groupId, batch.topic);
      this.logger.warn({
        msg: 'batch failed, retrying',
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: batch.messages[0]?.offset,
        records: batch.messages.length,
        failure: failure.kind,
        attempt,
        delayMs,
        error: failure.reason,
      });
      await this.pause(delayMs, context);
    }
  }

  /** Finds and dead-letters the records behind a failure that belongs to records. */
  private async isolate(
    batch: ConsumedBatch,
    context: BatchContext,
    settling: Settling,
    failure: FailureClass,
    error: unknown,
  ): Promise<boolean> {
    const deadLetter = this.options.deadLetters as DeadLetterSink;
    const named = error instanceof PermanentRecordError ? new Set(error.offsets ?? []) : new Set();
    const refused = batch.messages.filter((record) => named.has(record.offset));
    if (refused.length > 0) {
      if (!(await this.sendDeadLetters(deadLetter, batch, refused, failure, context))) return false;
      const rest = batch.messages.filter((record) => !named.has(record.offset));
      return rest.length === 0 || this.settle(part(batch, rest), context, settling, false);
    }
    if (batch.messages.length === 1) {
      if (!(await this.sendDeadLetters(deadLetter, batch, batch.messages, failure, context)))
        return false;
      if (failure.kind === 'unknown') settling.succeededSince = false;
      return true;
    }
    const middle = Math.ceil(batch.messages.length / 2);
    this.logger.warn({
      msg: 'batch failed for some of its records; splitting it to find them',
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: batch.messages[0]?.offset,
      records: batch.messages.length,
      failure: failure.kind,
      error: failure.reason,
    });
    return (
      (await this.settle(part(batch, batch.messages.slice(0, middle)), context, settling, false)) &&
      this.settle(part(batch, batch.messages.slice(middle)), context, settling, false)
    );
  }

  private async sendDeadLetters(
    deadLetter: DeadLetterSink,
    batch: ConsumedBatch,
    records: readonly KafkaMessage[],
    failure: FailureClass,
    context: BatchContext,
  ): Promise<boolean> {
    // The dead-letter topic itself may be unreachable for a while: that is transient.
    for (let attempt = 1; ; attempt++) {
      if (!context.isActive()) return false;
      try {
        await deadLetter(batch, records, failure);
        consumerMetrics.deadLettered(
          this.options.groupId,
          batch.topic,
          failure.code,
          records.length,
        );
        return true;
      } catch (error) {
        const delayMs = (this.options.backoff ?? backoffDelay)(attempt);
        this.logger.warn({
          msg: 'dead letter not sent, retrying',
          topic: batch.topic,
          partition: batch.partition,
          attempt,
          delayMs,
          error: oneLine(error),
        });
        await this.pause(delayMs, context);
      }
    }
  }

  /** One call of the handler, with heartbeats while it works. */
  private async attempt(batch: ConsumedBatch, context: BatchContext): Promise<void> {
    // A handler may work longer than the session timeout (an LLM call, local embeddings):
    // heartbeats keep the membership alive meanwhile (kafkajs only sends them when asked).
    const beat = setInterval(
      () => void context.heartbeat().catch(() => undefined),
      HEARTBEAT_EVERY_MS,
    );
    try {
      await this.options.handler(batch, context);
    } finally {
      clearInterval(beat);
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

  private async pause(ms: number, context: BatchContext): Promise<void> {
    const until = Date.now() + ms;
    while (context.isActive() && Date.now() < until) {
      await sleep(Math.min(HEARTBEAT_SLICE_MS, until - Date.now()));
      await context.heartbeat();
    }
  }
}

/** A part of a fetched batch, in order; it shares the fetched batch's origin. */
function part(batch: ConsumedBatch, messages: KafkaMessage[]): ConsumedBatch {
  return { ...batch, messages, origin: batch.origin ?? batch };
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
