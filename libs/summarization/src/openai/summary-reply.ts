import {
  SUMMARY_LIST_KEYS,
  SummaryListKey,
  SummarySections,
  renderSummaryText,
  summarySectionsSchema,
} from '@memory/contracts';

const KNOWN_KEYS: ReadonlySet<string> = new Set(['context', 'mood', ...SUMMARY_LIST_KEYS]);

/** Which list loses an item first when two are equally long: least useful first. */
const DROP_ORDER: readonly SummaryListKey[] = [
  'numbers',
  'dates',
  'entities',
  'openQuestions',
  'keyPoints',
  'actionItems',
  'decisions',
];

/**
 * Reads a model's reply as summary sections, or returns `null` when it is not usable (not JSON,
 * none of the section keys, or a key of the wrong type). Lenient where no meaning is lost: a
 * ```json fence or text around the object, missing keys (empty), unknown keys (ignored), an
 * empty mood (null).
 */
export function parseSummaryReply(reply: string): SummarySections | null {
  const value = parseJson(reply);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const known = Object.keys(record).filter((key) => KNOWN_KEYS.has(key));
  if (known.length === 0) return null;
  const candidate: Record<string, unknown> = {
    context: record.context ?? '',
    mood: record.mood === undefined || record.mood === '' ? null : record.mood,
  };
  for (const key of SUMMARY_LIST_KEYS) candidate[key] = record[key] ?? [];
  const parsed = summarySectionsSchema.safeParse(candidate);
  return parsed.success ? parsed.data : null;
}

/** Trims every string, drops empty items and repeats (case-insensitively, first one kept). */
export function normalizeSections(sections: SummarySections): SummarySections {
  const result: SummarySections = {
    ...sections,
    context: sections.context.trim(),
    mood: oneLine(sections.mood ?? '') || null,
  };
  for (const key of SUMMARY_LIST_KEYS) {
    const seen = new Set<string>();
    result[key] = sections[key].map(oneLine).filter((item) => {
      const folded = item.toLowerCase();
      if (item === '' || seen.has(folded)) return false;
      seen.add(folded);
      return true;
    });
  }
  return result;
}

/**
 * Cuts sections until `renderSummaryText` fits `maxChars`, deterministically: an over-long context
 * first down to half the budget, then the last item of the longest list (lists are ordered most
 * important first), then the mood, then the context down to what is left.
 */
export function fitSections(sections: SummarySections, maxChars: number): SummarySections {
  const result: SummarySections = { ...sections };
  for (const key of SUMMARY_LIST_KEYS) result[key] = [...sections[key]];
  if (renderSummaryText(result).length <= maxChars) return result;
  result.context = truncate(result.context, Math.floor(maxChars / 2));
  while (renderSummaryText(result).length > maxChars) {
    const longest = DROP_ORDER.reduce<SummaryListKey | null>(
      (best, key) =>
        result[key].length > 0 && (best === null || result[key].length > result[best].length)
          ? key
          : best,
      null,
    );
    if (longest === null) break;
    result[longest] = result[longest].slice(0, -1);
  }
  if (renderSummaryText(result).length > maxChars) result.mood = null;
  const excess = renderSummaryText(result).length - maxChars;
  if (excess > 0) result.context = truncate(result.context, result.context.length - excess);
  return result;
}

function parseJson(reply: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(reply);
  const text = (fenced ? fenced[1] : reply).trim();
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  // The whole text first, so that an array around an object stays an array.
  for (const candidate of [text, start >= 0 ? text.slice(start, end + 1) : '']) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // Try the next reading.
    }
  }
  return undefined;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts at a word boundary where there is one, marking the cut with an ellipsis. */
function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 1) return '';
  const cut = text.slice(0, maxChars - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxChars / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
