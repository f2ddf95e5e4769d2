import { CONSUMER_GROUPS, lifecycleEventSchema, TOPICS } from '@memory/contracts';
import { BatchConsumerFactory, BatchContext, ConsumedBatch } from '@memory/kafka';
import { ConversationKey, conversationKeyOf, SummaryIndex } from '@memory/search-index';
import { inConsumerBatchSpan } from '@memory/telemetry';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { IndexingMetrics } from './indexing.metrics';
import { PassageIndexer } from './passage-indexer.service';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A conversation's new importance, as an `importance_changed` event gives it. */
export interface ImportanceUpdate extends ConversationKey {
  importance: number;
}

/**
 * What a batch of `memory.lifecycle.v1` records changes, once per conversation: the
 * conversations whose passages are rebuilt, those `archived` (their messages left Postgres,
 * but for the newest kept), `restored` (they came back) or `erased` (see
 * {@link LifecycleConsumer}); and the importance of those `importance_changed` (the last of the
 * batch for each). `tier_changed`, and records that cannot be read (a type from a newer
 * version, say), change nothing.
 */
export function conversationsToRebuild(values: ReadonlyArray<Buffer | null>): {
  conversations: ConversationKey[];
  importance: ImportanceUpdate[];
  undecodable: number;
} {
  const conversations = new Map<string, ConversationKey>();
  const importance = new Map<string, ImportanceUpdate>();
  let undecodable = 0;
  for (const value of values) {
    let event;
    try {
      event = lifecycleEventSchema.safeParse(JSON.parse(utf8.decode(value ?? Buffer.alloc(0))));
    } catch {
      undecodable++;
      continue;
    }
    if (!event.success) {
      undecodable++;
      continue;
    }
    const { type, tenantId, conversationId } = event.data;
    const key = conversationKeyOf({ tenantId, conversationId });
    if (type === 'archived' || type === 'restored' || type === 'erased')
      conversations.set(key, { tenantId, conversationId });
    if (event.data.type === 'importance_changed') {
      importance.delete(key);
      importance.set(key, { tenantId, conversationId, importance: event.data.importance });
    }
  }
  return {
    conversations: [...conversations.values()],
    importance: [...importance.values()],
    undecodable,
  };
}

/**
 * Follows `memory.lifecycle.v1` (group `search-lifecycle`) for the passages and importance.
 * On `importance_changed`, the summary document takes the new score ({@link
 * SummaryIndex.setImportance}; one without a document yet gets it from Postgres when it is
 * written). For the passages: after an archive
 * or a restore, a conversation's passages are rebuilt from what Postgres holds then (usually
 * none after an archive, or those of the newest messages kept; all of them after a restore).
 * Rebuilding is idempotent, so a replay of the topic is harmless. The eraser removes an erased
 * conversation's passages itself, before it sends `erased`; rebuilding it once more on
 * `erased` (Postgres holds nothing of it, so every passage goes) removes one that the passages
 * consumer wrote from a read made just before the erasure committed.
 *
 * The topic has no dead-letter topic: a record that cannot be read is skipped and counted
 * (it can only come from a producer of another version), and any failure is retried.
 */
@Injectable()
export class LifecycleConsumer implements OnModuleInit {
  private readonly logger = new Logger(LifecycleConsumer.name);

  constructor(
    private readonly consumers: BatchConsumerFactory,
    private readonly indexer: PassageIndexer,
    private readonly summaries: SummaryIndex,
    private readonly metrics: IndexingMetrics,
  ) {}

  onModuleInit(): void {
    this.consumers.create({
      groupId: CONSUMER_GROUPS.searchLifecycle.group,
      topics: [TOPICS.memoryLifecycle],
      handler: (batch, context) => this.handle(batch, context),
      deadLetterTopic: undefined,
      partitionsConsumedConcurrently: 1,
    });
  }

  handle(batch: ConsumedBatch, context: BatchContext): Promise<void> {
    return inConsumerBatchSpan(batch, () => this.handleBatch(batch, context));
  }

  private async handleBatch(batch: ConsumedBatch, context: BatchContext): Promise<void> {
    const { conversations, importance, undecodable } = conversationsToRebuild(
      batch.messages.map((record) => record.value),
    );
    this.metrics.undecodable(batch.topic, undecodable);
    if (undecodable > 0)
      this.logger.warn({
        msg: 'lifecycle records skipped',
        partition: batch.partition,
        undecodable,
      });
    if (importance.length > 0) {
      const outcome = await this.summaries.setImportance(importance);
      this.logger.log({ msg: 'importance set', partition: batch.partition, ...outcome });
    }
    for (const conversation of conversations) {
      if (!context.isActive())
        throw new Error('partition revoked or consumer stopping: batch left to its next owner');
      const outcome = await this.indexer.rebuildConversation(conversation);
      this.logger.log({ msg: 'passages rebuilt', ...conversation, ...outcome });
      await context.heartbeat();
    }
  }
}
