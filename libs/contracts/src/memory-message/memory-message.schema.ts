import { z } from 'zod';
import { CHAT_ROLES } from '../chat-message/chat-message.schema';

export const MEMORY_MESSAGE_SCHEMA = 'memory.message.v1';

/**
 * The value of a `memory.messages.v1` record: a stored message, normalized, with its
 * per-conversation `seq` (gap-free from 1) and when ingest stored it. Published at least once;
 * consumers skip what they have already seen by `seq`.
 */
export const memoryMessageSchema = z
  .object({
    schema: z.literal(MEMORY_MESSAGE_SCHEMA),
    messageId: z.string(),
    tenantId: z.string(),
    conversationId: z.string(),
    userId: z.string(),
    role: z.enum(CHAT_ROLES),
    content: z.string(),
    createdAt: z.iso.datetime({ offset: true }),
    metadata: z.record(z.string(), z.unknown()).optional(),
    seq: z.number().int().positive(),
    ingestedAt: z.iso.datetime({ offset: true }),
  })
  .strict();

export type MemoryMessage = z.infer<typeof memoryMessageSchema>;
