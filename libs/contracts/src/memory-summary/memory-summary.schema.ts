import { z } from 'zod';

export const MEMORY_SUMMARY_SCHEMA = 'memory.summary.v1';
export const SUMMARY_TIERS = ['full', 'key_points', 'brief', 'metadata'] as const;
export type SummaryTier = (typeof SUMMARY_TIERS)[number];
export const SUMMARY_BACKENDS = ['local', 'openai'] as const;
export type SummaryBackendName = (typeof SUMMARY_BACKENDS)[number];

/** What a summary keeps, by kind. Every list is ordered most important first. */
export const summarySectionsSchema = z
  .object({
    /** A few sentences on what the conversation is about. Empty when nothing is worth keeping. */
    context: z.string(),
    keyPoints: z.array(z.string()),
    decisions: z.array(z.string()),
    actionItems: z.array(z.string()),
    openQuestions: z.array(z.string()),
    /** People, places, organizations, products named in the conversation. */
    entities: z.array(z.string()),
    /** Dates and times mentioned, as written ("next Friday", "8 May 2023"). */
    dates: z.array(z.string()),
    /** Numbers with what they count or measure ("$1,200 budget", "3 kids"). */
    numbers: z.array(z.string()),
    /** The overall tone, when it is clear (e.g. "frustrated", "grateful"); otherwise null. */
    mood: z.string().nullable(),
  })
  .strict();

export type SummarySections = z.infer<typeof summarySectionsSchema>;

/** The list sections of a summary (all but `context` and `mood`), in schema order. */
export const SUMMARY_LIST_KEYS = [
  'keyPoints',
  'decisions',
  'actionItems',
  'openQuestions',
  'entities',
  'dates',
  'numbers',
] as const satisfies readonly (keyof SummarySections)[];
export type SummaryListKey = (typeof SUMMARY_LIST_KEYS)[number];

/** Every list section of a summary, empty, in {@link SUMMARY_LIST_KEYS} order. */
export function emptySummaryLists(): Record<SummaryListKey, string[]> {
  const lists = {} as Record<SummaryListKey, string[]>;
  for (const key of SUMMARY_LIST_KEYS) lists[key] = [];
  return lists;
}

/** What one summary update cost. `local` reports characters, `openai` reports tokens. */
export const summaryCostSchema = z
  .object({
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    inputChars: z.number().int().nonnegative(),
    outputChars: z.number().int().nonnegative(),
    durationMs: z.number().nonnegative(),
  })
  .strict();

export type SummaryCost = z.infer<typeof summaryCostSchema>;

/**
 * The value of a `memory.summaries.v1` record (compacted, key `tenantId:conversationId`): the
 * current summary of one conversation. `version` only grows; a consumer keeps the highest.
 */
export const memorySummarySchema = z
  .object({
    schema: z.literal(MEMORY_SUMMARY_SCHEMA),
    tenantId: z.string(),
    conversationId: z.string(),
    userId: z.string(),
    version: z.number().int().positive(),
    /** Every message with `seq <= throughSeq` is folded into this summary. */
    throughSeq: z.number().int().nonnegative(),
    tier: z.enum(SUMMARY_TIERS),
    text: z.string(),
    sections: summarySectionsSchema,
    stats: z
      .object({
        messageCount: z.number().int().nonnegative(),
        firstMessageAt: z.iso.datetime({ offset: true }).nullable(),
        lastMessageAt: z.iso.datetime({ offset: true }).nullable(),
        backend: z.enum(SUMMARY_BACKENDS),
        /** True while an LLM is configured but this summary was made locally; an LLM pass follows. */
        llmPending: z.boolean(),
        /** The seq range folded by the update that made this version. */
        fromSeq: z.number().int().nonnegative(),
        /** Cost of the update that made this version. */
        cost: summaryCostSchema,
        /** Cost of every update of this conversation so far. */
        totalCost: summaryCostSchema,
        updatedAt: z.iso.datetime({ offset: true }),
      })
      .strict(),
  })
  .strict();

export type MemorySummary = z.infer<typeof memorySummarySchema>;

export function emptySections(): SummarySections {
  return {
    context: '',
    ...emptySummaryLists(),
    mood: null,
  };
}

export function zeroCost(): SummaryCost {
  return { inputTokens: 0, outputTokens: 0, inputChars: 0, outputChars: 0, durationMs: 0 };
}

export function addCost(a: SummaryCost, b: SummaryCost): SummaryCost {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    inputChars: a.inputChars + b.inputChars,
    outputChars: a.outputChars + b.outputChars,
    durationMs: a.durationMs + b.durationMs,
  };
}

const SECTION_TITLES: Array<[SummaryListKey, string]> = [
  ['keyPoints', 'Key points'],
  ['decisions', 'Decisions'],
  ['actionItems', 'Action items'],
  ['openQuestions', 'Open questions'],
  ['entities', 'Entities'],
  ['dates', 'Dates'],
  ['numbers', 'Numbers'],
];

/** The plain-text rendering of sections that travels as `text` (and is what search indexes). */
export function renderSummaryText(sections: SummarySections): string {
  const parts: string[] = [];
  if (sections.context) parts.push(sections.context);
  for (const [key, title] of SECTION_TITLES) {
    const items = sections[key];
    if (items.length > 0) parts.push(`${title}: ${items.join('; ')}`);
  }
  if (sections.mood) parts.push(`Mood: ${sections.mood}`);
  return parts.join('\n');
}
