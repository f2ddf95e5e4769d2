import { z } from 'zod';
import { SUMMARY_TIERS } from '../memory-summary/memory-summary.schema';

export const MEMORY_LIFECYCLE_SCHEMA = 'memory.lifecycle.v1';

/**
 * A `memory.lifecycle.v1` record of type `tier_changed` (key `tenantId:conversationId`): the
 * compressor moved a conversation to a colder tier, making summary `version`. Retention sends
 * the other three types, below.
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

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);
const lifecycleBase = {
  schema: z.literal(MEMORY_LIFECYCLE_SCHEMA),
  tenantId: z.string(),
  conversationId: z.string(),
  occurredAt: z.iso.datetime({ offset: true }),
};

/**
 * `archived`: retention wrote the conversation's raw messages to its archive (verified on disk)
 * and removed `archivedMessages` of them from Postgres in the same step.
 */
export const archivedEventSchema = z
  .object({
    ...lifecycleBase,
    type: z.literal('archived'),
    /** Path of the archive under the archive root: `<tenant>/<yyyy>/<mm>/<conversation>.json.gz`. */
    archive: z.string(),
    /** 1 for the first archive of the conversation, one more each time it is rewritten. */
    revision: z.number().int().positive(),
    /** sha256 of the archive file. */
    sha256: sha256Hex,
    /** Messages in the archive, all revisions together. */
    messageCount: z.number().int().positive(),
    firstSeq: z.number().int().positive(),
    lastSeq: z.number().int().positive(),
    /** Messages this step removed from Postgres. */
    archivedMessages: z.number().int().nonnegative(),
    /** The newest messages policy kept in Postgres. */
    keptMessages: z.number().int().nonnegative(),
  })
  .strict();

/** `restored`: the archive's messages are back in Postgres, verified, and re-summarized. */
export const restoredEventSchema = z
  .object({
    ...lifecycleBase,
    type: z.literal('restored'),
    archive: z.string(),
    revision: z.number().int().positive(),
    sha256: sha256Hex,
    /** Messages put back (those already in Postgres are not counted). */
    restoredMessages: z.number().int().nonnegative(),
    firstSeq: z.number().int().positive(),
    lastSeq: z.number().int().positive(),
  })
  .strict();

/** What an erasure removed, counted; never any content. */
export const erasureCountsSchema = z
  .object({
    messages: z.number().int().nonnegative(),
    archivedMessages: z.number().int().nonnegative(),
    archives: z.number().int().nonnegative(),
    summaries: z.number().int().nonnegative(),
    summaryVersions: z.number().int().nonnegative(),
    compressions: z.number().int().nonnegative(),
  })
  .strict();

/**
 * `erased`: an audit record. Retention removed the conversation from Postgres, the archive
 * root and the search index, and put a tombstone on `memory.summaries.v1`. Ids and counts only.
 */
export const erasedEventSchema = z
  .object({
    ...lifecycleBase,
    type: z.literal('erased'),
    erasureId: z.uuid(),
    /** `request`: an admin asked (by conversation or by user); `policy`: the tenant's maximum age. */
    reason: z.enum(['request', 'policy']),
    /**
     * Whose erasure it was: the conversation itself (its id), or a user with all their
     * conversations. A user is named only by `idSha256`, the hex sha256 of `user:<userId>` (what
     * the erasure list records), never by the plain id: the topic is kept forever.
     */
    subject: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('conversation'), id: z.string() }).strict(),
      z.object({ kind: z.literal('user'), idSha256: sha256Hex }).strict(),
    ]),
    counts: erasureCountsSchema,
  })
  .strict();

/**
 * `importance_changed` (since contracts 1.6.0): retention recomputed the conversation's
 * importance and it changed (or was computed for the first time). Sent from the outbox written
 * in the transaction that stored the score; search keeps it on the summary document (for the
 * `minImportance` filter and the importance boost). A reader of an older version skips it.
 */
export const importanceChangedEventSchema = z
  .object({
    ...lifecycleBase,
    type: z.literal('importance_changed'),
    /** The new score, 0..1. */
    importance: z.number().min(0).max(1),
    /** The score before, 0..1; null when it was never computed. */
    previous: z.number().min(0).max(1).nullable(),
    pinned: z.boolean(),
  })
  .strict();

export type ArchivedEvent = z.infer<typeof archivedEventSchema>;
export type ImportanceChangedEvent = z.infer<typeof importanceChangedEventSchema>;
export type RestoredEvent = z.infer<typeof restoredEventSchema>;
export type ErasedEvent = z.infer<typeof erasedEventSchema>;
export type ErasureCounts = z.infer<typeof erasureCountsSchema>;

/** Any `memory.lifecycle.v1` value. */
export const lifecycleEventSchema = z.discriminatedUnion('type', [
  tierChangedEventSchema,
  archivedEventSchema,
  restoredEventSchema,
  erasedEventSchema,
  importanceChangedEventSchema,
]);
export type LifecycleEvent = z.infer<typeof lifecycleEventSchema>;
