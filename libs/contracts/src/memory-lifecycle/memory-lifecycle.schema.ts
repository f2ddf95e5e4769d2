import { z } from 'zod';
import { SUMMARY_TIERS } from '../memory-summary/memory-summary.schema';

export const MEMORY_LIFECYCLE_SCHEMA = 'memory.lifecycle.v1';

/**
 * A `memory.lifecycle.v1` record of type `tier_changed` (key `tenantId:conversationId`): the
 * compressor moved a conversation to a colder tier, making summary `version`. The other types
 * (archived, restored, erased) are drafts in the AsyncAPI document until retention is built.
 */
export const tierChangedEventSchema = z
  .object({
    schema: z.literal(MEMORY_LIFECYCLE_SCHEMA),
    type: z.literal('tier_changed'),
    tenantId: z.string(),
    conversationId: z.string(),
    occurredAt: z.iso.datetime({ offset: true }),
    fromTier: z.enum(SUMMARY_TIERS),
    toTier: z.enum(SUMMARY_TIERS),
    /** The summary version the compression made. */
    version: z.number().int().positive(),
    /** Rendered length of the compressed summary / of the full one. */
    ratio: z.number().nonnegative(),
    /** Share of the full summary's content terms the compressed one keeps (0..1). */
    retention: z.number().min(0).max(1),
  })
  .strict();

export type TierChangedEvent = z.infer<typeof tierChangedEventSchema>;
