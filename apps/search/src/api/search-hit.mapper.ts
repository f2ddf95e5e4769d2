import { SummaryTier } from '@memory/contracts';
import {
  PASSAGE_RESULT_FIELDS,
  PassageDocument,
  RESULT_FIELDS,
  SummaryDocument,
} from '@memory/search-index';
import { Evidence, SearchResult } from './search-response.dto';
import { RESULT_KEY_POINTS, SNIPPET_LENGTH } from './search.constants';

/** A hit as the searches of this API ask for it (the client types `_source` as `any`). */
export interface IndexedHit {
  _id?: string;
  _score?: number | null;
  _source?: Partial<Pick<SummaryDocument, (typeof RESULT_FIELDS)[number]>>;
  highlight?: Record<string, string[]>;
}

/** A passage hit as the searches of this API ask for it. */
export interface PassageHit {
  _id?: string;
  _score?: number | null;
  _source?: Partial<Pick<PassageDocument, (typeof PASSAGE_RESULT_FIELDS)[number]>>;
  /** Doc values, as a passage list returns them. */
  fields?: Record<string, unknown[] | undefined>;
  highlight?: Record<string, string[]>;
}

/** What a result shows of its evidence. */
export interface ResultEvidence {
  evidenceSource: 'messages' | 'summary';
  evidence: Evidence[];
}

const NO_EVIDENCE: ResultEvidence = { evidenceSource: 'messages', evidence: [] };

/** The result a client sees for a hit, with the score of the ranking that placed it. */
export function toResult(
  hit: IndexedHit,
  score: number,
  evidence: ResultEvidence = NO_EVIDENCE,
): Omit<SearchResult, 'matchedBy'> {
  const source = hit._source ?? {};
  const highlights = hit.highlight ?? {};
  return {
    conversationId: source.conversationId ?? '',
    userId: source.userId ?? '',
    tier: (source.tier ?? 'full') as SummaryTier,
    score,
    snippet: snippetOf(source.text ?? '', highlights.text),
    highlights,
    summary: {
      context: source.context ?? '',
      keyPoints: (source.keyPoints ?? []).slice(0, RESULT_KEY_POINTS),
    },
    firstMessageAt: source.firstMessageAt ?? null,
    lastMessageAt: source.lastMessageAt ?? null,
    messageCount: source.messageCount ?? 0,
    freshness: {
      throughSeq: source.throughSeq ?? 0,
      summaryUpdatedAt: source.summaryUpdatedAt ?? '',
      indexedAt: source.indexedAt ?? '',
    },
    version: source.version ?? 0,
    ...evidence,
  };
}

/**
 * The result of a conversation found by its passages that has no summary document yet: the
 * summary fields null, the snippet from its best evidence.
 */
export function toPassageOnlyResult(
  conversationId: string,
  userId: string,
  score: number,
  evidence: ResultEvidence,
): Omit<SearchResult, 'matchedBy'> {
  const best = evidence.evidence[0];
  return {
    conversationId,
    userId,
    tier: null,
    score,
    snippet: snippetOf(best?.text ?? '', best?.highlights),
    highlights: {},
    summary: null,
    firstMessageAt: null,
    lastMessageAt: null,
    messageCount: null,
    freshness: null,
    version: null,
    ...evidence,
  };
}

/**
 * The highlighted fragments of the text, or else its start: HTML either way (the fragments
 * come HTML-encoded from OpenSearch, the start is escaped here), so a client treats both alike.
 */
export function snippetOf(text: string, fragments: readonly string[] | undefined): string {
  if (fragments && fragments.length > 0) return fragments.join(' … ');
  if (text.length <= SNIPPET_LENGTH) return escapeHtml(text);
  const cut = text.slice(0, SNIPPET_LENGTH);
  const space = cut.lastIndexOf(' ');
  return `${escapeHtml(space > SNIPPET_LENGTH / 2 ? cut.slice(0, space) : cut)} …`;
}

/** The same characters OpenSearch's `html` highlight encoder escapes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'/]/g, (character) => HTML_ESCAPES[character] ?? character);
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#x27;',
  '/': '&#x2F;',
};
