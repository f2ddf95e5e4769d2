import {
  listOf,
  sectionsAsVersion,
  SUMMARY_ALL_LIST_KEYS,
  SUMMARY_LIST_KEYS,
  SummaryAnyListKey,
  SummarySections,
  renderSummaryText,
  summarySectionsSchema,
} from '@memory/contracts';

const KNOWN_KEYS: ReadonlySet<string> = new Set([
  'context',
  'mood',
  'rationales',
  ...SUMMARY_ALL_LIST_KEYS,
]);

/** Which list loses an item first when two are equally long: least useful first. */
const DROP_ORDER: readonly SummaryAnyListKey[] = [
  'numbers',
  'dates',
  'entities',
  'openQuestions',
  'keyPoints',
  'lessons',
  'actionItems',
  'decisions',
];

/**
 * Reads a model's reply as summary sections, or returns `null` when it is not usable (not JSON,
 * none of the section keys, or a key of the wrong type). Lenient where no meaning is lost: a
 * ```json fence or text around the object, missing keys (empty), unknown keys (ignored), an
 * empty mood (null). A decision may be a string or `{decision, rationale}` (the prompt asks for
 * the latter; `text` and `why` are read too); rationales may also come as their own map.
 */
export function parseSummaryReply(reply: string): SummarySections | null {
  const value = parseJson(reply);
  if (!isRecord(value)) return null;
  const known = Object.keys(value).filter((key) => KNOWN_KEYS.has(key));
  if (known.length === 0) return null;
  const decisions = readDecisions(value.decisions ?? []);
  if (!decisions) return null;
  const candidate: Record<string, unknown> = {
    context: value.context ?? '',
    mood: value.mood === undefined || value.mood === '' ? null : value.mood,
  };
  for (const key of SUMMARY_LIST_KEYS) candidate[key] = value[key] ?? [];
  candidate.decisions = decisions.items;
  if (value.lessons !== undefined && value.lessons !== null) candidate.lessons = value.lessons;
  const rationales = { ...(isRecord(value.rationales) ? value.rationales : {}), ...decisions.why };
  if (Object.keys(rationales).length > 0) candidate.rationales = rationales;
  const parsed = summarySectionsSchema.safeParse(candidate);
  return parsed.success ? parsed.data : null;
}

/** Decisions as strings, with the rationale of each that came as an object; null if malformed. */
function readDecisions(value: unknown): { items: unknown; why: Record<string, unknown> } | null {
  if (!Array.isArray(value)) return { items: value, why: {} };
  const items: unknown[] = [];
  const why: Record<string, unknown> = {};
  for (const item of value) {
    if (!isRecord(item)) {
      items.push(item);
      continue;
    }
    const decision = item.decision ?? item.text;
    if (typeof decision !== 'string') return null;
    items.push(decision);
    const rationale = item.rationale ?? item.why;
    if (typeof rationale === 'string' && rationale.trim() !== '') why[decision] = rationale;
  }
  return { items, why };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Trims every string, drops empty items and repeats (case-insensitively, first one kept), and
 * the rationales of decisions that are not there; leaves out empty optional sections.
 */
export function normalizeSections(sections: SummarySections): SummarySections {
  const result: SummarySections = {
    ...sections,
    context: sections.context.trim(),
    mood: oneLine(sections.mood ?? '') || null,
  };
  for (const key of SUMMARY_ALL_LIST_KEYS) {
    const seen = new Set<string>();
    result[key] = listOf(sections, key)
      .map(oneLine)
      .filter((item) => {
        const folded = item.toLowerCase();
        if (item === '' || seen.has(folded)) return false;
        seen.add(folded);
        return true;
      });
  }
  const rationales: Record<string, string> = {};
  for (const [decision, why] of Object.entries(sections.rationales ?? {}))
    if (oneLine(why) !== '') rationales[oneLine(decision)] = oneLine(why);
  result.rationales = rationales;
  return sectionsAsVersion(result, '1.1');
}

/**
 * Cuts sections until `renderSummaryText` fits `maxChars`, deterministically: an over-long context
 * first down to half the budget, then the last item of the longest list (lists are ordered most
 * important first; a decision goes with its rationale), then the mood, then the context down to
 * what is left.
 */
export function fitSections(sections: SummarySections, maxChars: number): SummarySections {
  let result: SummarySections = { ...sections };
  for (const key of SUMMARY_ALL_LIST_KEYS) result[key] = [...listOf(sections, key)];
  if (renderSummaryText(result).length <= maxChars) return sectionsAsVersion(result, '1.1');
  result.context = truncate(result.context, Math.floor(maxChars / 2));
  while (renderSummaryText(result).length > maxChars) {
    const longest = DROP_ORDER.reduce<SummaryAnyListKey | null>(
      (best, key) =>
        listOf(result, key).length > 0 &&
        (best === null || listOf(result, key).length > listOf(result, best).length)
          ? key
          : best,
      null,
    );
    if (longest === null) break;
    result[longest] = listOf(result, longest).slice(0, -1);
    result = sectionsAsVersion(result, '1.1');
  }
  if (renderSummaryText(result).length > maxChars) result.mood = null;
  const excess = renderSummaryText(result).length - maxChars;
  if (excess > 0) result.context = truncate(result.context, result.context.length - excess);
  return sectionsAsVersion(result, '1.1');
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
