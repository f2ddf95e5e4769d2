import { decisionText, MemorySummary, renderSummaryText, SummarySections } from '@memory/contracts';

/**
 * One conversation in the search index: its current summary, flattened for BM25 fields and
 * filters, plus the embedding of its text. The document id is `tenantId/conversationId` (ids
 * cannot contain `/`), and the summary `version` is its external version.
 */
export interface SummaryDocument {
  tenantId: string;
  userId: string;
  conversationId: string;
  tier: string;
  text: string;
  /**
   * A compressed summary's full sections, rendered, while Postgres still holds them (the
   * compressed text keeps only part of what the conversation said); '' otherwise.
   */
  fullText: string;
  /**
   * What keyword search ranks by: the sections the system holds for the conversation, the full
   * ones while a compressed row still keeps them, else the summary's own. A compressed
   * conversation is then ranked by the same boosted sections as when it was full; the shorter
   * tier only changes what a result shows (`text` and the section fields below).
   */
  held: HeldSections;
  context: string;
  keyPoints: string[];
  decisions: string[];
  actionItems: string[];
  openQuestions: string[];
  entities: string[];
  dates: string[];
  numbers: string[];
  mood: string | null;
  messageCount: number;
  /** Freshness watermark: every message up to this seq is in the summary... */
  throughSeq: number;
  /** ...as of this time (when the summary was made). */
  summaryUpdatedAt: string;
  firstMessageAt: string | null;
  lastMessageAt: string | null;
  version: number;
  backend: string;
  llmPending: boolean;
  /**
   * 0..1, as retention last computed it (0 until then): from Postgres when the document is
   * built, and set again on each `importance_changed` lifecycle event.
   */
  importance: number;
  /** When this document was written to the index. */
  indexedAt: string;
  /**
   * Written at once without it (two-phase indexing: the text is searchable by keyword as soon as
   * the summary is indexed), set by the vector filler; kept from the indexed version when the
   * text to embed did not change. Absent when the summary has no text (nothing to embed: a
   * greetings-only conversation).
   */
  embedding?: number[];
  /** True while a vector is owed: the summary has text to embed and no vector yet. */
  vectorPending: boolean;
}

/** The searchable sections of {@link SummaryDocument.held}. */
export type HeldSections = Pick<
  SummarySections,
  | 'context'
  | 'keyPoints'
  | 'decisions'
  | 'actionItems'
  | 'openQuestions'
  | 'entities'
  | 'dates'
  | 'numbers'
>;

/** The document id of a conversation. */
export function documentId(tenantId: string, conversationId: string): string {
  return `${tenantId}/${conversationId}`;
}

/**
 * What gets embedded for a summary: the full text of a compressed one while it is held (it is
 * what the conversation said), else its rendered text (context, key points, entities …).
 */
export function embeddingText(summary: MemorySummary, fullText = ''): string {
  return fullText || summary.text || summary.sections.context;
}

/** {@link embeddingText} of a document as indexed (its `fullText`, `text` and `context`). */
export function indexedEmbeddingText(source: {
  fullText?: string;
  text?: string;
  context?: string;
}): string {
  return source.fullText || source.text || source.context || '';
}

/**
 * The full sections of a summary row while it is compressed and still holds them; undefined at
 * tier `full` (its sections are the full ones) or once they are gone.
 */
export function heldSectionsOf(row: {
  tier: string;
  fullSections: SummarySections | null;
}): SummarySections | undefined {
  return row.tier !== 'full' && row.fullSections ? row.fullSections : undefined;
}

/** The full text a compressed summary is embedded from (see {@link embeddingText}). */
export function fullTextOf(full: SummarySections | undefined): string {
  return full ? renderSummaryText(full) : '';
}

export function toDocument(
  summary: MemorySummary,
  embedding: number[] | undefined,
  indexedAt: Date = new Date(),
  full?: SummarySections,
  importance = 0,
): SummaryDocument {
  const { sections, stats } = summary;
  const held = full ?? sections;
  const owed = embeddingText(summary, fullTextOf(full)).trim() !== '';
  return {
    tenantId: summary.tenantId,
    userId: summary.userId,
    conversationId: summary.conversationId,
    tier: summary.tier,
    text: summary.text,
    fullText: fullTextOf(full),
    held: {
      context: held.context,
      keyPoints: held.keyPoints,
      decisions: decisionsOf(held),
      actionItems: held.actionItems,
      openQuestions: held.openQuestions,
      entities: held.entities,
      dates: held.dates,
      numbers: held.numbers,
    },
    context: sections.context,
    keyPoints: sections.keyPoints,
    decisions: decisionsOf(sections),
    actionItems: sections.actionItems,
    openQuestions: sections.openQuestions,
    entities: sections.entities,
    dates: sections.dates,
    numbers: sections.numbers,
    mood: sections.mood,
    messageCount: stats.messageCount,
    throughSeq: summary.throughSeq,
    summaryUpdatedAt: stats.updatedAt,
    firstMessageAt: stats.firstMessageAt,
    lastMessageAt: stats.lastMessageAt,
    version: summary.version,
    backend: stats.backend,
    llmPending: stats.llmPending,
    importance,
    indexedAt: indexedAt.toISOString(),
    ...(embedding ? { embedding } : {}),
    vectorPending: owed && embedding === undefined,
  };
}

/** Decisions as indexed: each with its rationale (a 1.1 summary's `rationales`), as rendered. */
function decisionsOf(sections: SummarySections): string[] {
  return sections.decisions.map((decision) => decisionText(sections, decision));
}
