import {
  decisionText,
  listOf,
  SUMMARY_ALL_LIST_KEYS,
  SummaryAnyListKey,
  SummarySections,
} from '@memory/contracts';
import { SummaryLineage, SummaryVersionRepository, SummaryVersionRow } from '@memory/persistence';
import { Injectable } from '@nestjs/common';
import { SearchUnavailableError } from './search.errors';

type ListKey = SummaryAnyListKey;

/** What one summary update changed against the version before it. */
export interface SummaryChanges {
  added: Partial<Record<ListKey, string[]>>;
  removed: Partial<Record<ListKey, string[]>>;
  /** The context line before and after, when the update changed it. */
  context?: { from: string; to: string };
}

/** One version of a conversation's summary, as the history shows it. */
export interface SummaryVersionView {
  version: number;
  fromSeq: number;
  throughSeq: number;
  trigger: string;
  backend: string;
  /** The tier of the version (`compress` versions are colder); null for versions before history. */
  tier: string | null;
  messageCount: number;
  cost: SummaryLineage['cost'];
  createdAt: string;
  /** The sections the version held; null once it is past the kept history. */
  sections: SummarySections | null;
  /** Against the version before; null when either's sections are not kept. */
  changes: SummaryChanges | null;
}

export interface SummaryHistoryPage {
  conversationId: string;
  items: SummaryVersionView[];
  /** Pass as `before` for the next (older) page; null on the last. */
  nextBefore: number | null;
}

/**
 * The version history of a conversation's summary, newest first: each version's trigger, seq
 * range, backend, cost and, while kept (`SUMMARY_HISTORY_VERSIONS`), its sections and what it
 * added and removed in each list section against the version before it.
 */
@Injectable()
export class SummaryHistoryService {
  constructor(private readonly versions: SummaryVersionRepository) {}

  /** Undefined when the conversation has no summary version. */
  async page(
    tenantId: string,
    conversationId: string,
    before: number | undefined,
    limit: number,
  ): Promise<SummaryHistoryPage | undefined> {
    let rows: SummaryVersionRow[];
    try {
      // One more for the next page, and one more as the base of the oldest shown.
      rows = await this.versions.history(tenantId, conversationId, before, limit + 2);
    } catch (error) {
      throw new SearchUnavailableError('database', error);
    }
    if (rows.length === 0)
      return before === undefined ? undefined : { conversationId, items: [], nextBefore: null };
    const shown = rows.slice(0, limit);
    const items = shown.map((row, i) => toView(row, rows[i + 1]));
    const last = shown[shown.length - 1];
    return {
      conversationId,
      items,
      nextBefore: rows.length > limit && last ? last.version : null,
    };
  }
}

function toView(
  row: SummaryVersionRow,
  previous: SummaryVersionRow | undefined,
): SummaryVersionView {
  const sections = (row.sections as SummarySections | null) ?? null;
  const base = (previous?.sections as SummarySections | null | undefined) ?? null;
  // The first version adds everything it holds; otherwise both sides must be kept.
  const first = row.version === 1;
  return {
    version: row.version,
    fromSeq: Number(row.from_seq),
    throughSeq: Number(row.through_seq),
    trigger: row.trigger,
    backend: row.backend,
    tier: row.tier,
    messageCount: row.message_count,
    cost: {
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      inputChars: row.input_chars,
      outputChars: row.output_chars,
      durationMs: row.duration_ms,
    },
    createdAt: row.created_at.toISOString(),
    sections,
    changes: sections && (base || first) ? changesOf(base, sections) : null,
  };
}

/**
 * Items added and removed per list section (`lessons` too), and the context line when it
 * changed. A decision is compared with its rationale, so a reason given later shows as the
 * decision removed and added again with its rationale.
 */
export function changesOf(before: SummarySections | null, after: SummarySections): SummaryChanges {
  const changes: SummaryChanges = { added: {}, removed: {} };
  const items = (sections: SummarySections | null, key: ListKey): string[] => {
    if (!sections) return [];
    if (key === 'decisions')
      return sections.decisions.map((decision) => decisionText(sections, decision));
    return [...listOf(sections, key)];
  };
  for (const key of SUMMARY_ALL_LIST_KEYS) {
    const was = items(before, key);
    const now = items(after, key);
    const added = now.filter((item) => !was.includes(item));
    const removed = was.filter((item) => !now.includes(item));
    if (added.length > 0) changes.added[key] = added;
    if (removed.length > 0) changes.removed[key] = removed;
  }
  const from = before?.context ?? '';
  if (from !== after.context) changes.context = { from, to: after.context };
  return changes;
}
