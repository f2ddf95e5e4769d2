import {
  capitalizedMonth,
  emptySections,
  SUMMARY_LIST_KEYS,
  SummarySections,
} from '@memory/contracts';
import { fitSections } from '../openai/summary-reply';
import { ProfileInput, unspoken } from './user-profile';

/** The month (`YYYY-MM`, UTC) a conversation belongs to by its last message; undefined without one. */
export function monthOf(at: Date | null): string | undefined {
  return at ? at.toISOString().slice(0, 7) : undefined;
}

/** Items taken per list of a roll-up. */
const ROLLUP_ITEMS = 10;

/** `March 2026` for `2026-03`. */
export function monthName(month: string): string {
  const [year, number] = month.split('-');
  return `${capitalizedMonth(Number(number) - 1) ?? number} ${year}`;
}

/**
 * The roll-up of a month from its conversations' summaries (newest first), deterministically:
 * the context names the month and how many conversations, then the first sentence of each
 * (up to three); each list takes its items by rank across the conversations (every first item,
 * then every second, …), without the local backend's `speaker: ` prefixes, repeats merged,
 * ten at most; decisions keep their rationale. Cut to `maxChars` as an LLM summary is.
 */
export function buildLocalRollup(
  month: string,
  inputs: readonly ProfileInput[],
  maxChars: number,
): SummarySections {
  const sections: SummarySections = {
    ...emptySections(),
    context: [
      `${inputs.length} conversation${inputs.length === 1 ? '' : 's'} in ${monthName(month)}.`,
      ...inputs
        .map((input) => firstSentence(input.sections.context))
        .filter((sentence) => sentence !== '')
        .slice(0, 3),
    ].join(' '),
  };
  const rationales: Record<string, string> = {};
  for (const key of SUMMARY_LIST_KEYS) {
    const seen = new Set<string>();
    const longest = Math.max(0, ...inputs.map((input) => input.sections[key].length));
    for (let rank = 0; rank < longest && sections[key].length < ROLLUP_ITEMS; rank++)
      for (const input of inputs) {
        const item = input.sections[key][rank];
        if (item === undefined || sections[key].length >= ROLLUP_ITEMS) continue;
        const text = unspoken(item);
        const folded = text.toLowerCase();
        if (seen.has(folded)) continue;
        seen.add(folded);
        sections[key].push(text);
        const why = key === 'decisions' ? input.sections.rationales?.[item] : undefined;
        if (why) rationales[text] = why;
      }
  }
  if (Object.keys(rationales).length > 0) sections.rationales = rationales;
  return fitSections(sections, maxChars);
}

function firstSentence(text: string): string {
  const match = /^.*?[.!?](?=\s|$)/su.exec(text.trim());
  return match ? match[0] : text.trim();
}
