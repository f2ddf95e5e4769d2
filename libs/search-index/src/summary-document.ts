import { MemorySummary, renderSummaryText, SummarySections } from '@memory/contracts';

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
  /** 0..1; the lifecycle issue computes it, 0 until then. */
  importance: number;
  /** When this document was written to the index. */
  indexedAt: string;
  /** Absent when the summary has no text (nothing to embed: a greetings-only conversation). */
  embedding?: number[];
}

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

/**
 * The full text of a summary row: its full sections rendered, for a compressed tier whose row
 * still holds them; '' at tier `full` (its text is the full one) or once they are gone.
 */
export function fullTextOf(row: { tier: string; fullSections: SummarySections | null }): string {
  return row.tier !== 'full' && row.fullSections ? renderSummaryText(row.fullSections) : '';
}

export function toDocument(
  summary: MemorySummary,
  embedding: number[] | undefined,
  indexedAt: Date = new Date(),
  fullText = '',
): SummaryDocument {
  const { sections, stats } = summary;
  return {
    tenantId: summary.tenantId,
    userId: summary.userId,
    conversationId: summary.conversationId,
    tier: summary.tier,
    text: summary.text,
    fullText,
    context: sections.context,
    keyPoints: sections.keyPoints,
    decisions: sections.decisions,
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
    importance: 0,
    indexedAt: indexedAt.toISOString(),
    ...(embedding ? { embedding } : {}),
  };
}
