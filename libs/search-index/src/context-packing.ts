import { countTokens } from 'gpt-tokenizer';

/** What an item of the context answer is. */
export type ContextItemKind = 'summary' | 'evidence' | 'profile';

/**
 * Something the context answer may hold: a conversation's summary, a passage of its raw
 * messages (one line per message, `lines[i]` the message `messageIds[i]`), or the user's
 * profile (one line per item; `speakers` is the user, `conversationId` empty).
 */
export interface ContextCandidate {
  kind: ContextItemKind;
  conversationId: string;
  seqFrom: number;
  seqTo: number;
  messageIds: readonly string[];
  speakers: readonly string[];
  firstAt: string | null;
  lastAt: string | null;
  /** Evidence: one line per message, aligned with `messageIds`; a summary: its text. */
  lines: readonly string[];
}

/** One block of the context answer. */
export interface ContextItem {
  kind: ContextItemKind;
  conversationId: string;
  seqFrom: number;
  seqTo: number;
  messageIds: string[];
  /** When its last message was written (ISO), null when unknown. */
  at: string | null;
  speakers: string[];
  text: string;
  /** Tokens of the item's block in `text` (its header line included). */
  tokens: number;
}

export interface PackedContext {
  budget: number;
  /** Tokens of `text` (o200k_base), never over `budget`. */
  tokens: number;
  items: ContextItem[];
  text: string;
}

export type TokenCounter = (text: string) => number;

/** Token budget of a context answer: bounds and default (the API's `tokenBudget`, the CLI's `--budget`). */
export const CONTEXT_BUDGET = { min: 100, max: 8000, default: 1000 } as const;

/** Between two blocks of the rendered context. */
const SEPARATOR = '\n\n';

/** The tokenizer the context budget is counted with: o200k_base, as GPT-4o and later models. */
export const countContextTokens: TokenCounter = (text) => countTokens(text);

/**
 * Packs candidates, best first, into at most `budget` tokens of rendered text. Evidence of one
 * conversation whose seq ranges overlap is merged into one item (each message once, in seq
 * order), wherever the merged item stands: at its best member's place. A candidate that does not
 * fit whole is skipped and the next tried; only the first candidate is trimmed (cut at a word,
 * `…` appended) when nothing fits whole before it, so a small budget still gets the best item.
 * The final text is counted again and items dropped from the end should the blocks' sum and the
 * whole differ. Deterministic: the same candidates give the same text.
 */
export function packContext(
  candidates: readonly ContextCandidate[],
  budget: number,
  count: TokenCounter = countContextTokens,
): PackedContext {
  const separatorTokens = count(SEPARATOR);
  let groups: Group[] = [];
  let used = 0;
  for (const candidate of candidates) {
    const next = place(groups, candidate);
    const total = next.reduce(
      (sum, group, index) => sum + blockTokens(group, count) + (index > 0 ? separatorTokens : 0),
      0,
    );
    if (total <= budget) {
      groups = next;
      used = total;
    } else if (groups.length === 0) {
      const trimmed = trimToFit(candidate, budget, count);
      if (trimmed) {
        groups = [trimmed];
        used = blockTokens(trimmed, count);
      }
    }
    if (budget - used <= separatorTokens) break;
  }
  for (;;) {
    const text = groups.map(render).join(SEPARATOR);
    const tokens = count(text);
    if (tokens <= budget || groups.length === 0)
      return {
        budget,
        tokens,
        text,
        items: groups.map((group) => toItem(group, count)),
      };
    groups = groups.slice(0, -1);
  }
}

interface Group {
  candidate: ContextCandidate;
  /** Trimmed text in place of `lines`, for a trimmed candidate. */
  text?: string;
  tokens?: number;
}

/** Groups with the candidate added: merged with the evidence it overlaps, else appended. */
function place(groups: readonly Group[], candidate: ContextCandidate): Group[] {
  if (candidate.kind !== 'evidence') return [...groups, { candidate }];
  const overlapping = groups.filter(
    ({ candidate: other, text }) =>
      text === undefined &&
      other.kind === 'evidence' &&
      other.conversationId === candidate.conversationId &&
      other.seqFrom <= candidate.seqTo &&
      candidate.seqFrom <= other.seqTo,
  );
  if (overlapping.length === 0) return [...groups, { candidate }];
  const merged = mergeEvidence([...overlapping.map((group) => group.candidate), candidate]);
  const first = groups.findIndex((group) => overlapping.includes(group));
  return groups.flatMap((group, index) =>
    index === first ? [{ candidate: merged }] : overlapping.includes(group) ? [] : [group],
  );
}

/**
 * Evidence of one conversation as one candidate: each message once (by id), in seq order (the
 * passages in order of `seqFrom`, each one's messages in its order), seq range and times the
 * union's. Passages are windows of consecutive messages, so overlapping ones chain in order.
 */
export function mergeEvidence(parts: readonly ContextCandidate[]): ContextCandidate {
  const sorted = [...parts].sort((a, b) => a.seqFrom - b.seqFrom || a.seqTo - b.seqTo);
  const first = sorted[0];
  if (!first) throw new Error('nothing to merge');
  const messageIds: string[] = [];
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const part of sorted)
    part.messageIds.forEach((id, index) => {
      if (seen.has(id)) return;
      seen.add(id);
      messageIds.push(id);
      lines.push(part.lines[index] ?? '');
    });
  const times = (pick: (part: ContextCandidate) => string | null) =>
    sorted
      .map(pick)
      .filter((time): time is string => time !== null)
      .sort();
  return {
    kind: 'evidence',
    conversationId: first.conversationId,
    seqFrom: Math.min(...sorted.map((part) => part.seqFrom)),
    seqTo: Math.max(...sorted.map((part) => part.seqTo)),
    messageIds,
    speakers: [...new Set(sorted.flatMap((part) => part.speakers))],
    firstAt: times((part) => part.firstAt)[0] ?? null,
    lastAt: times((part) => part.lastAt).at(-1) ?? null,
    lines,
  };
}

/** The citation of an item: `[conversationId#seqFrom-seqTo]`; a profile's `[profile:userId]`. */
export function citation(
  item: Pick<ContextCandidate, 'conversationId' | 'seqFrom' | 'seqTo'> &
    Partial<Pick<ContextCandidate, 'kind' | 'speakers'>>,
): string {
  if (item.kind === 'profile') return `[profile:${item.speakers?.[0] ?? ''}]`;
  return `[${item.conversationId}#${item.seqFrom}-${item.seqTo}]`;
}

function render(group: Group): string {
  return `${header(group.candidate)}\n${bodyOf(group)}`;
}

function bodyOf(group: Group): string {
  return group.text ?? group.candidate.lines.join('\n');
}

function header(candidate: ContextCandidate): string {
  const what =
    candidate.kind === 'evidence'
      ? 'messages'
      : candidate.kind === 'summary'
        ? 'summary'
        : 'profile';
  const when = dateRange(candidate.firstAt, candidate.lastAt);
  const who = candidate.speakers.length > 0 ? ` · ${candidate.speakers.join(', ')}` : '';
  return `${citation(candidate)} ${what}${when ? ` · ${when}` : ''}${who}`;
}

/** `2026-05-01 10:00 – 10:04`, `2026-05-01 10:00 – 2026-05-03 09:00`, UTC. */
function dateRange(first: string | null, last: string | null): string {
  const format = (iso: string | null): string | undefined => {
    if (iso === null) return undefined;
    const time = new Date(iso);
    return Number.isNaN(time.getTime())
      ? undefined
      : time.toISOString().slice(0, 16).replace('T', ' ');
  };
  const start = format(first);
  const end = format(last);
  if (!start || !end) return start ?? end ?? '';
  if (start === end) return `${start} UTC`;
  return `${start} – ${start.slice(0, 10) === end.slice(0, 10) ? end.slice(11) : end} UTC`;
}

function blockTokens(group: Group, count: TokenCounter): number {
  if (group.tokens === undefined) group.tokens = count(render(group));
  return group.tokens;
}

/** The candidate cut at a word so its block fits `budget`; undefined when its header does not. */
function trimToFit(
  candidate: ContextCandidate,
  budget: number,
  count: TokenCounter,
): Group | undefined {
  const words = candidate.lines.join('\n').split(/(?<=\s)/u);
  let low = 0;
  let high = words.length;
  let best: Group | undefined;
  while (low <= high) {
    const middle = Math.floor((low + high) / 2);
    const group: Group = { candidate, text: `${words.slice(0, middle).join('').trimEnd()} …` };
    if (blockTokens(group, count) <= budget) {
      best = group;
      low = middle + 1;
    } else high = middle - 1;
  }
  return best;
}

function toItem(group: Group, count: TokenCounter): ContextItem {
  const { candidate } = group;
  return {
    kind: candidate.kind,
    conversationId: candidate.conversationId,
    seqFrom: candidate.seqFrom,
    seqTo: candidate.seqTo,
    messageIds: [...candidate.messageIds],
    at: candidate.lastAt,
    speakers: [...candidate.speakers],
    text: bodyOf(group),
    tokens: blockTokens(group, count),
  };
}
