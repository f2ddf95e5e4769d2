import { lifecycleEventSchema, memorySummarySchema, TOPICS } from '@memory/contracts';
import { WebhookEvent, WebhookEventType } from '@memory/persistence';

/** A record of memory.summaries.v1 or memory.lifecycle.v1, as the consumer hands it over. */
export interface EventRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
}

export type ReadEvent =
  | { kind: 'event'; event: WebhookEvent }
  | { kind: 'tombstone'; tenantId: string; conversationId: string }
  | { kind: 'skip' }
  | { kind: 'undecodable' };

const LIFECYCLE_TYPES: Partial<Record<string, WebhookEventType>> = {
  tier_changed: 'tier.changed',
  archived: 'conversation.archived',
  restored: 'conversation.restored',
  erased: 'conversation.erased',
};

function keyOf(key: Buffer | null): { tenantId: string; conversationId: string } | undefined {
  const text = key?.toString('utf8') ?? '';
  const at = text.indexOf(':');
  return at > 0 ? { tenantId: text.slice(0, at), conversationId: text.slice(at + 1) } : undefined;
}

/**
 * What a record means for webhooks: a summary version is `summary.updated` (with the summary:
 * the product gets what it would read on the topic), a lifecycle event its type (the erased
 * event holds ids and counts, no content), a summary tombstone the end of a conversation's
 * deliveries (erasure). The event id is the record's place in its topic, the same when the
 * topic is replayed, so an endpoint gets an event once however often it is read.
 */
export function readEvent(record: EventRecord): ReadEvent {
  const id = `${record.topic}:${record.partition}:${record.offset}`;
  if (record.topic === TOPICS.memorySummaries && record.value === null) {
    const key = keyOf(record.key);
    return key ? { kind: 'tombstone', ...key } : { kind: 'undecodable' };
  }
  let json: unknown;
  try {
    json = JSON.parse(record.value?.toString('utf8') ?? '');
  } catch {
    return { kind: 'undecodable' };
  }
  if (record.topic === TOPICS.memorySummaries) {
    const parsed = memorySummarySchema.safeParse(json);
    if (!parsed.success) return { kind: 'undecodable' };
    const summary = parsed.data;
    return {
      kind: 'event',
      event: envelope(
        id,
        'summary.updated',
        summary.tenantId,
        summary.conversationId,
        summary.stats.updatedAt,
        {
          userId: summary.userId,
          version: summary.version,
          throughSeq: summary.throughSeq,
          tier: summary.tier,
          text: summary.text,
          sections: summary.sections,
          messageCount: summary.stats.messageCount,
          lastMessageAt: summary.stats.lastMessageAt,
        },
      ),
    };
  }
  const parsed = lifecycleEventSchema.safeParse(json);
  if (!parsed.success) return { kind: 'undecodable' };
  const type = LIFECYCLE_TYPES[parsed.data.type];
  if (!type) return { kind: 'skip' };
  const {
    schema: _schema,
    type: _type,
    tenantId,
    conversationId,
    occurredAt,
    ...data
  } = parsed.data;
  return { kind: 'event', event: envelope(id, type, tenantId, conversationId, occurredAt, data) };
}

function envelope(
  id: string,
  type: WebhookEventType,
  tenantId: string,
  conversationId: string,
  occurredAt: string,
  data: Record<string, unknown>,
): WebhookEvent {
  return {
    id,
    type,
    tenantId,
    conversationId,
    payload: { id, type, tenantId, conversationId, occurredAt, data },
  };
}
