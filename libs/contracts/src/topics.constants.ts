/** Every Kafka topic of the product; the version is part of the name. */
export const TOPICS = {
  chatMessages: 'chat.messages.v1',
  chatMessagesDlq: 'chat.messages.dlq.v1',
  memoryMessages: 'memory.messages.v1',
  memoryMessagesDlq: 'memory.messages.dlq.v1',
  memorySummaries: 'memory.summaries.v1',
  memorySummariesDlq: 'memory.summaries.dlq.v1',
  memoryLifecycle: 'memory.lifecycle.v1',
} as const;

export type TopicName = (typeof TOPICS)[keyof typeof TOPICS];

export interface TopicDefinition {
  name: TopicName;
  /** Compacted topics keep the latest value per key (and honour tombstones). */
  compacted: boolean;
  /** Retention for non-compacted topics; -1 keeps forever. */
  retentionMs: number;
}

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

export const TOPIC_DEFINITIONS: readonly TopicDefinition[] = [
  { name: TOPICS.chatMessages, compacted: false, retentionMs: WEEK_MS },
  { name: TOPICS.chatMessagesDlq, compacted: false, retentionMs: 4 * WEEK_MS },
  { name: TOPICS.memoryMessages, compacted: false, retentionMs: WEEK_MS },
  { name: TOPICS.memoryMessagesDlq, compacted: false, retentionMs: 4 * WEEK_MS },
  { name: TOPICS.memorySummaries, compacted: true, retentionMs: -1 },
  { name: TOPICS.memorySummariesDlq, compacted: false, retentionMs: 4 * WEEK_MS },
  { name: TOPICS.memoryLifecycle, compacted: false, retentionMs: -1 },
];

/**
 * Record key of every event of one conversation, so they share a partition and stay in order.
 * A tenant id never contains `:` (chat.message.v1), so the key is unambiguous: see
 * {@link splitConversationKey}.
 */
export function conversationKey(tenantId: string, conversationId: string): string {
  return `${tenantId}:${conversationId}`;
}

/** The ids of a {@link conversationKey}: the tenant before the first `:`, the conversation after. */
export function splitConversationKey(
  key: string,
): { tenantId: string; conversationId: string } | undefined {
  const split = key.indexOf(':');
  if (split <= 0 || split === key.length - 1) return undefined;
  return { tenantId: key.slice(0, split), conversationId: key.slice(split + 1) };
}

/**
 * Headers that name the conversation of a `memory.summaries.v1` tombstone (a null value, the
 * conversation erased). A tombstone has no value to read the ids from; its producers set both
 * (they must give the record's key again), and a tombstone without them is read by splitting
 * its key at the first `:`.
 */
export const TOMBSTONE_HEADERS = {
  tenantId: 'memory.tenant-id',
  conversationId: 'memory.conversation-id',
} as const;

/**
 * Every service consumer group (after `KAFKA_GROUP_PREFIX` and a dot) and the topic it reads.
 * Scripts and tests that start services on a prefix of their own point these groups at the end
 * of their topics, so the services read only what comes next.
 */
export const CONSUMER_GROUPS = {
  ingest: { group: 'ingest', topic: TOPICS.chatMessages },
  summarizer: { group: 'summarizer', topic: TOPICS.memoryMessages },
  searchIndexer: { group: 'search-indexer', topic: TOPICS.memorySummaries },
  searchPassages: { group: 'search-passages', topic: TOPICS.memoryMessages },
  searchLifecycle: { group: 'search-lifecycle', topic: TOPICS.memoryLifecycle },
  webhookSummaries: { group: 'webhooks-summaries', topic: TOPICS.memorySummaries },
  webhookLifecycle: { group: 'webhooks-lifecycle', topic: TOPICS.memoryLifecycle },
} as const satisfies Record<string, { group: string; topic: TopicName }>;

export type ConsumerGroup = (typeof CONSUMER_GROUPS)[keyof typeof CONSUMER_GROUPS];

/** The groups of some services, as `[topic, group]` pairs (all of them by default). */
export function consumerGroupPairs(
  groups: readonly ConsumerGroup[] = Object.values(CONSUMER_GROUPS),
): Array<[topic: string, group: string]> {
  return groups.map(({ topic, group }) => [topic, group]);
}
