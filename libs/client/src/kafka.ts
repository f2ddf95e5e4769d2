import type { ChatMessageInput } from './types';

/** The topic chat products produce their messages to. */
export const CHAT_MESSAGES_TOPIC = 'chat.messages.v1';

/** A record in the shape kafkajs' `producer.send({topic, messages})` takes. */
export interface ChatMessageRecord {
  key: string;
  value: string;
  headers?: Record<string, string>;
}

/**
 * The Kafka record of a chat message, as ingest expects it: the value a chat.message.v1 with its
 * tenant, the key `tenantId:conversationId` (one conversation stays on one partition, in order;
 * a record with another key is dead-lettered). `traceparent` (W3C) joins the producer's trace.
 *
 * ```ts
 * await producer.send({ topic: CHAT_MESSAGES_TOPIC, messages: [chatMessageRecord('acme', m)] });
 * ```
 */
export function chatMessageRecord(
  tenantId: string,
  message: ChatMessageInput,
  { traceparent }: { traceparent?: string } = {},
): ChatMessageRecord {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(tenantId))
    throw new Error(
      `chatMessageRecord: tenantId ${JSON.stringify(tenantId)} must start with a letter or digit and use only letters, digits and . _ @ -`,
    );
  if (message.tenantId !== undefined && message.tenantId !== tenantId)
    throw new Error(
      `chatMessageRecord: the message's tenantId ${JSON.stringify(message.tenantId)} is not ${JSON.stringify(tenantId)}`,
    );
  const value = { schema: 'chat.message.v1', ...message, tenantId };
  return {
    key: `${tenantId}:${message.conversationId}`,
    value: JSON.stringify(value),
    ...(traceparent ? { headers: { traceparent } } : {}),
  };
}
