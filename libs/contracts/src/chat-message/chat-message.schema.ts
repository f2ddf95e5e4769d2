import { z } from 'zod';

export const CHAT_MESSAGE_SCHEMA = 'chat.message.v1';
export const ID_MAX_LENGTH = 128;
export const CONTENT_MAX_BYTES = 64 * 1024;
export const METADATA_MAX_BYTES = 8 * 1024;
/** How far ahead of the receiver's clock `createdAt` may be (clock skew), before it is refused. */
export const MAX_FUTURE_SKEW_MS = 24 * 60 * 60 * 1000;

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;
export const CHAT_ROLES = ['user', 'assistant', 'system', 'tool'] as const;
export type ChatRole = (typeof CHAT_ROLES)[number];

const identifier = z
  .string()
  .min(1)
  .max(ID_MAX_LENGTH)
  .regex(SAFE_ID, 'must start with a letter or digit and use only letters, digits and . _ : @ -');

const byteLength = (value: unknown): number =>
  Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');

/** The value of a `chat.messages.v1` record, as upstream chat systems produce it. */
export const chatMessageSchema = z
  .object({
    schema: z.literal(CHAT_MESSAGE_SCHEMA),
    messageId: identifier,
    tenantId: identifier,
    conversationId: identifier,
    userId: identifier,
    role: z.enum(CHAT_ROLES),
    content: z.string().refine((s) => Buffer.byteLength(s, 'utf8') <= CONTENT_MAX_BYTES, {
      message: `must be at most ${CONTENT_MAX_BYTES} bytes of UTF-8`,
    }),
    createdAt: z.iso
      .datetime({ offset: true })
      .refine((s) => Date.parse(s) <= Date.now() + MAX_FUTURE_SKEW_MS, {
        message: 'must not be more than 24 hours in the future',
      }),
    metadata: z
      .record(z.string(), z.unknown())
      .refine((m) => byteLength(m) <= METADATA_MAX_BYTES, {
        message: `must serialize to at most ${METADATA_MAX_BYTES} bytes of JSON`,
      })
      .optional(),
  })
  .strict();

export type ChatMessage = z.infer<typeof chatMessageSchema>;
