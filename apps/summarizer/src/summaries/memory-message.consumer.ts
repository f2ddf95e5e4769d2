import { CONSUMER_GROUPS, decodeMemoryMessage, TOPICS } from '@memory/contracts';
import {
  BatchConsumerFactory,
  BatchContext,
  ConsumedBatch,
  DeadLetter,
  DeadLetterPublisher,
} from '@memory/kafka';
import {
  ConversationSummarizer,
  lastTriggerPoint,
  MessagesNotYetStoredError,
  SeenConversation,
  SummarizationSettings,
  SummaryInputMessage,
  SummaryRow,
  SummaryStore,
  summaryKey,
  triggersFor,
} from '@memory/summarization';
import { inConsumerBatchSpan, inRecordSpan, RecordHeaders, traceHeaders } from '@memory/telemetry';
import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { Span } from '@opentelemetry/api';
import { SUMMARIZATION_SETTINGS } from './summarization.tokens';
import { SummarizerMetrics } from './summarizer.metrics';
import { SummaryPublisher } from './summary.publisher';

const ABANDONED = 'partition revoked or consumer stopping: batch left to its next owner';

/** Messages of one conversation in one batch, in seq order. */
interface ConversationBatch {
  seen: SeenConversation;
  messages: Map<number, SummaryInputMessage>;
  lowestSeq: number;
  /** Headers of the record with the highest seq: its trace goes on through the fold. */
  lastHeaders: RecordHeaders;
  /** When ingest stored each message (epoch ms), by seq: for the freshness metric. */
  ingestedAt: Map<number, number>;
}

/**
 * Reads `memory.messages.v1` and keeps each conversation's rolling summary up to date.
 *
 * Per batch: what each conversation has received is recorded in one statement; a conversation
 * that reached a trigger point (every N-th seq, a milestone) has its messages through that
 * point folded into its summary; new versions are published; then the offsets are committed (by BatchConsumer).
 * Messages at or below `throughSeq` change nothing, so a redelivered or replayed batch is a
 * no-op. Messages seen but not yet folded are read back from Postgres when their turn comes
 * (on a later trigger or the idle sweep), which is also how a gap in seq is filled.
 */
@Injectable()
export class MemoryMessageConsumer implements OnModuleInit {
  private readonly logger = new Logger(MemoryMessageConsumer.name);

  constructor(
    private readonly consumers: BatchConsumerFactory,
    private readonly store: SummaryStore,
    private readonly summarizer: ConversationSummarizer,
    private readonly publisher: SummaryPublisher,
    private readonly deadLetters: DeadLetterPublisher,
    private readonly metrics: SummarizerMetrics,
    @Inject(SUMMARIZATION_SETTINGS) private readonly settings: SummarizationSettings,
  ) {}

  onModuleInit(): void {
    this.consumers.create({
      groupId: CONSUMER_GROUPS.summarizer.group,
      topics: [TOPICS.memoryMessages],
      handler: (batch, context) => this.handle(batch, context),
      deadLetterTopic: TOPICS.memoryMessagesDlq,
      partitionsConsumedConcurrently: 3,
    });
  }

  /**
   * Traced as one CONSUMER span per batch, linked to the records' traces, and one span per
   * fold, continuing the trace of the conversation's newest message in the batch (the fold's
   * backend calls inside it); the summary record carries the fold's context on.
   */
  handle(batch: ConsumedBatch, context: BatchContext): Promise<void> {
    return inConsumerBatchSpan(batch, (span) => this.handleBatch(batch, context, span));
  }

  private async handleBatch(
    batch: ConsumedBatch,
    context: BatchContext,
    batchSpan: Span,
  ): Promise<void> {
    const { conversations, rejected } = groupBatch(batch);
    await this.deadLetters.publishOnce(batch, TOPICS.memoryMessagesDlq, rejected);
    if (conversations.size === 0) return;
    await this.summarize(conversations, context, batchSpan);
    this.logger.debug({
      msg: 'batch summarized',
      partition: batch.partition,
      records: batch.messages.length,
      conversations: conversations.size,
      deadLettered: rejected.length,
    });
  }

  private async summarize(
    conversations: ReadonlyMap<string, ConversationBatch>,
    context: BatchContext,
    batchSpan: Span,
  ): Promise<void> {
    const seen = [...conversations.values()].map((c) => c.seen);
    const before = await this.store.seenBefore(seen);
    this.noteGaps(conversations, before);
    const rows = await this.store.recordSeen(seen);

    const changed: SummaryRow[] = [];
    const traces = new Map<string, Record<string, string>>();
    for (const row of rows) {
      if (!context.isActive())
        // Not committed: the batch comes back, whole, to whoever owns the partition now.
        throw new Error(ABANDONED);
      const policy = triggersFor(this.settings, row.tenantId);
      const target = lastTriggerPoint(policy, row.throughSeq, row.seenSeq);
      if (target === undefined) continue;
      const key = summaryKey(row.tenantId, row.conversationId);
      const trigger = policy.milestones.includes(target) ? 'milestone' : 'count';
      const updated = await this.fold(row, target, trigger, conversations.get(key), context, {
        batchSpan,
        traces,
      });
      if (!updated) continue;
      changed.push(updated);
      const ingestedAt = conversations.get(key)?.ingestedAt.get(target);
      if (ingestedAt !== undefined) this.metrics.summarizedAfter(ingestedAt);
      await context.heartbeat();
    }
    await this.publisher.publish(changed, (row) =>
      traces.get(summaryKey(row.tenantId, row.conversationId)),
    );
  }

  /**
   * Folds one conversation through `target`. Undefined when messages it needs are not in the
   * database yet: the conversation is left for a later trigger or the idle sweep, so that one
   * conversation does not hold up the others of the partition (pages of a long backlog folded
   * before the missing messages stay saved, and the sweep publishes them).
   */
  private async fold(
    row: SummaryRow,
    target: number,
    trigger: 'milestone' | 'count',
    conversation: ConversationBatch | undefined,
    context: BatchContext,
    tracing: { batchSpan: Span; traces: Map<string, Record<string, string>> },
  ): Promise<SummaryRow | undefined> {
    const key = summaryKey(row.tenantId, row.conversationId);
    try {
      return await inRecordSpan(
        'summarizer fold',
        conversation?.lastHeaders,
        {
          'memory.tenant_id': row.tenantId,
          'memory.conversation_id': row.conversationId,
          'memory.summary.trigger': trigger,
          'memory.summary.from_seq': row.throughSeq + 1,
          'memory.summary.through_seq': target,
        },
        { batch: tracing.batchSpan },
        async (span) => {
          const folded = await this.summarizer.bringUpToDate(row, trigger, {
            known: conversation?.messages,
            throughSeq: target,
            // A long backlog is folded piece by piece: stop between pieces when the partition is
            // revoked or the service stops (what was saved stays; the rest is redone by the owner).
            onChunk: () => {
              if (!context.isActive()) throw new Error(ABANDONED);
              return context.heartbeat();
            },
          });
          span.setAttribute('memory.summary.version', folded.version);
          tracing.traces.set(key, traceHeaders(span));
          return folded;
        },
      );
    } catch (error) {
      if (!(error instanceof MessagesNotYetStoredError)) throw error;
      this.metrics.foldDeferred('consumer');
      this.logger.log({
        msg: 'messages not in the database yet; conversation left for a later fold',
        tenantId: row.tenantId,
        conversationId: row.conversationId,
        error: error.message,
      });
      return undefined;
    }
  }

  /** A conversation whose first seq in this batch skips past what was seen: logged, counted. */
  private noteGaps(
    conversations: ReadonlyMap<string, ConversationBatch>,
    before: ReadonlyMap<string, { seenSeq: number }>,
  ): void {
    for (const [key, conversation] of conversations) {
      const seenSeq = before.get(key)?.seenSeq ?? 0;
      if (conversation.lowestSeq > seenSeq + 1) {
        this.metrics.gap();
        this.logger.warn({
          msg: 'gap in seq; the missing messages will be read from Postgres',
          tenantId: conversation.seen.tenantId,
          conversationId: conversation.seen.conversationId,
          seenSeq,
          nextSeq: conversation.lowestSeq,
        });
      }
    }
  }
}

/** Decodes a batch and groups its valid messages by conversation. */
function groupBatch(batch: ConsumedBatch): {
  conversations: Map<string, ConversationBatch>;
  rejected: DeadLetter[];
} {
  const conversations = new Map<string, ConversationBatch>();
  const rejected: DeadLetter[] = [];
  for (const record of batch.messages) {
    const decoded = decodeMemoryMessage(record.value);
    if (!decoded.ok) {
      rejected.push({
        source: { topic: batch.topic, partition: batch.partition, offset: record.offset },
        record,
        code: decoded.code,
        reason: decoded.reason,
      });
      continue;
    }
    const message = decoded.message;
    const key = summaryKey(message.tenantId, message.conversationId);
    const createdAt = new Date(message.createdAt);
    let entry = conversations.get(key);
    if (!entry) {
      entry = {
        seen: {
          tenantId: message.tenantId,
          conversationId: message.conversationId,
          userId: message.userId,
          seenSeq: message.seq,
          firstMessageAt: createdAt,
          lastMessageAt: createdAt,
        },
        messages: new Map(),
        lowestSeq: message.seq,
        lastHeaders: record.headers,
        ingestedAt: new Map(),
      };
      conversations.set(key, entry);
    }
    if (message.seq >= entry.seen.seenSeq) entry.lastHeaders = record.headers;
    entry.seen.seenSeq = Math.max(entry.seen.seenSeq, message.seq);
    if (createdAt < entry.seen.firstMessageAt) entry.seen.firstMessageAt = createdAt;
    if (createdAt > entry.seen.lastMessageAt) entry.seen.lastMessageAt = createdAt;
    entry.lowestSeq = Math.min(entry.lowestSeq, message.seq);
    entry.ingestedAt.set(message.seq, Date.parse(message.ingestedAt));
    entry.messages.set(message.seq, {
      seq: message.seq,
      role: message.role,
      userId: message.userId,
      content: message.content,
      createdAt: message.createdAt,
    });
  }
  return { conversations, rejected };
}
