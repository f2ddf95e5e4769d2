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
    /**
     * Since 1.1, optional (absent when empty): what was learned — what worked, what failed,
     * what to do differently next time.
     */
    lessons: z
      .array(z.string())
      .optional()
      .describe(
        'Since contracts 1.6.0 (sections 1.1), absent when empty: what was learned (what worked, what to change)',
      ),
    /**
     * Since 1.1, optional (absent when empty): the reason given for a decision, by the
     * decision's text as it stands in `decisions`.
     */
    rationales: z
      .record(z.string(), z.string())
      .optional()
      .describe(
        'Since contracts 1.6.0 (sections 1.1), absent when empty: the reason given for a decision, by its text',
      ),
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

/**
 * Minor versions of the sections. 1.0 has exactly the keys above but `lessons` and
 * `rationales`; 1.1 adds those two, both optional, so a 1.1 reader reads 1.0 records as they
 * are. A 1.0 reader refuses unknown keys: a producer still serving one writes 1.0, with lessons
 * and rationales folded into the 1.0 lists ({@link sectionsAsVersion}).
 */
export const SUMMARY_SECTIONS_VERSIONS = ['1.0', '1.1'] as const;
export type SummarySectionsVersion = (typeof SUMMARY_SECTIONS_VERSIONS)[number];

/** Every list section, the optional `lessons` (1.1) last. */
export const SUMMARY_ALL_LIST_KEYS = [...SUMMARY_LIST_KEYS, 'lessons'] as const;
export type SummaryAnyListKey = (typeof SUMMARY_ALL_LIST_KEYS)[number];

/** A list section's items; an absent optional list is empty. */
export function listOf(sections: SummarySections, key: SummaryAnyListKey): readonly string[] {
  return sections[key] ?? [];
}

/** A decision as rendered and indexed: with its rationale, when it has one. */
export function decisionText(sections: SummarySections, decision: string): string {
  const why = sections.rationales?.[decision];
  return why ? `${decision} (why: ${why})` : decision;
}

/**
 * The sections as `version` has them: at 1.0, lessons become key points ("Lesson: …") and
 * rationales go into their decision's text; at 1.1, empty optional sections are left out.
 */
export function sectionsAsVersion(
  sections: SummarySections,
  version: SummarySectionsVersion,
): SummarySections {
  const { lessons, rationales, ...base } = sections;
  if (version === '1.0')
    return {
      ...base,
      keyPoints: [...base.keyPoints, ...(lessons ?? []).map((lesson) => `Lesson: ${lesson}`)],
      decisions: base.decisions.map((decision) => decisionText(sections, decision)),
    };
  const kept = Object.fromEntries(
    Object.entries(rationales ?? {}).filter(([decision]) => base.decisions.includes(decision)),
  );
  return {
    ...base,
    ...(lessons && lessons.length > 0 ? { lessons } : {}),
    ...(Object.keys(kept).length > 0 ? { rationales: kept } : {}),
  };
}

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

const SECTION_TITLES: Array<[SummaryAnyListKey, string]> = [
  ['keyPoints', 'Key points'],
  ['decisions', 'Decisions'],
  ['actionItems', 'Action items'],
  ['openQuestions', 'Open questions'],
  ['lessons', 'Lessons'],
  ['entities', 'Entities'],
  ['dates', 'Dates'],
  ['numbers', 'Numbers'],
];

/** The plain-text rendering of sections that travels as `text` (and is what search indexes). */
export function renderSummaryText(sections: SummarySections): string {
  const parts: string[] = [];
  if (sections.context) parts.push(sections.context);
  for (const [key, title] of SECTION_TITLES) {
    const items =
      key === 'decisions'
        ? sections.decisions.map((decision) => decisionText(sections, decision))
        : listOf(sections, key);
    if (items.length > 0) parts.push(`${title}: ${items.join('; ')}`);
  }
  if (sections.mood) parts.push(`Mood: ${sections.mood}`);
  return parts.join('\n');
}
