import { createHash } from 'node:crypto';
import { decisionText, listOf, renderSummaryText, SummarySections } from '@memory/contracts';
import { contentTerms, jaccard } from '../local/text';

/** The sections of a user profile, in order. */
export const PROFILE_SECTIONS = ['facts', 'preferences', 'decisions', 'openItems'] as const;
export type ProfileSection = (typeof PROFILE_SECTIONS)[number];

/** One thing the profile says about the user, with the conversations it came from. */
export interface ProfileItem {
  text: string;
  conversations: string[];
}

export type UserProfileSections = Record<ProfileSection, ProfileItem[]>;

/** One of the user's summaries, as a profile is built from it (newest first). */
export interface ProfileInput {
  conversationId: string;
  version: number;
  sections: SummarySections;
  lastMessageAt: Date | null;
}

/** Items kept per section. */
export const PROFILE_ITEMS = 20;
/** Characters kept of an item's text. */
const ITEM_CHARS = 300;

/**
 * What the user says they like, prefer, avoid or are: a preference (or a standing trait a
 * product should respect, such as an allergy or a diet) rather than a passing fact.
 */
const PREFERENCE =
  /\b(?:i|we)(?: really| do not| don't| never| always)? (?:like|love|prefer|enjoy|hate|dislike|avoid|can't stand|cannot stand)\b|\b(?:my|our) (?:favou?rite|preferred)\b|\b(?:allergic|vegetarian|vegan|gluten[- ]free|lactose)\b/i;

/** A key point as the local backend writes it: `speaker: sentence`. */
const SPEAKER = /^([^:\s]{1,128}): (.+)$/s;

/** Hash of what a profile is built from: the conversations and their summary versions. */
export function profileInputHash(inputs: readonly ProfileInput[]): string {
  const identity = inputs
    .map((input) => [input.conversationId, input.version] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(identity), 'utf8').digest('hex');
}

/**
 * The profile of `userId` from their summaries (newest first), deterministically, with no
 * model: the key points they said themselves (a point another speaker made is about them,
 * not the user) as facts or, when they say what the user likes, prefers, avoids or is,
 * preferences; every decision, with its rationale; action items and open questions as open
 * items. A point made in several conversations is one item citing all of them; each section
 * keeps its newest {@link PROFILE_ITEMS}.
 */
export function buildLocalProfile(
  userId: string,
  inputs: readonly ProfileInput[],
): UserProfileSections {
  const profile = new ProfileAccumulator();
  for (const input of inputs) {
    const { sections, conversationId } = input;
    for (const point of listOf(sections, 'keyPoints')) {
      const said = SPEAKER.exec(point);
      if (said && said[1] !== userId) continue;
      const text = said ? said[2] : point;
      profile.add(PREFERENCE.test(text) ? 'preferences' : 'facts', text, conversationId);
    }
    // Decisions and tasks are the conversation's, whoever said them: kept without the speaker.
    for (const decision of sections.decisions) {
      const why = sections.rationales?.[decision];
      const text = `${unspoken(decision)}${why ? ` (why: ${why})` : ''}`;
      profile.add('decisions', text, conversationId);
    }
    for (const item of [...sections.actionItems, ...sections.openQuestions])
      profile.add('openItems', unspoken(item), conversationId);
  }
  return profile.sections();
}

/** A local summary's item without its `speaker: ` prefix. */
export function unspoken(item: string): string {
  return SPEAKER.exec(item)?.[2] ?? item;
}

/**
 * A profile from sections a model made of the user's summaries (see `UserProfileBuilder`):
 * sorted into the profile's sections as {@link buildLocalProfile} does, each item citing the
 * summary it shares the most content words with (the newest on a tie, or when it shares none).
 */
export function profileFromSections(
  sections: SummarySections,
  inputs: readonly ProfileInput[],
): UserProfileSections {
  const sources = inputs.map((input) => ({
    id: input.conversationId,
    terms: contentTerms(renderSummaryText(input.sections)),
  }));
  const cite = (text: string): string => {
    const terms = contentTerms(text);
    let best = sources[0];
    let bestScore = 0;
    for (const source of sources) {
      const score = jaccard(terms, source.terms);
      if (score > bestScore) {
        best = source;
        bestScore = score;
      }
    }
    return best?.id ?? '';
  };
  const profile = new ProfileAccumulator();
  for (const point of sections.keyPoints)
    profile.add(PREFERENCE.test(point) ? 'preferences' : 'facts', point, cite(point));
  for (const decision of sections.decisions) {
    const text = decisionText(sections, decision);
    profile.add('decisions', text, cite(text));
  }
  for (const item of [...sections.actionItems, ...sections.openQuestions])
    profile.add('openItems', item, cite(item));
  return profile.sections();
}

/** Items per section a context answer shows of a profile. */
export const PROFILE_CONTEXT_ITEMS = 5;

const LINE_LABELS: Record<ProfileSection, string> = {
  facts: 'Fact',
  preferences: 'Preference',
  decisions: 'Decision',
  openItems: 'Open',
};

/**
 * A profile as lines for a prompt: the first `perSection` items of each section, preferences
 * first, each with the conversations it came from: `Preference: likes tea (conv-1, conv-4)`.
 */
export function profileLines(
  profile: UserProfileSections,
  perSection: number = PROFILE_CONTEXT_ITEMS,
): string[] {
  const order: ProfileSection[] = ['preferences', 'facts', 'decisions', 'openItems'];
  return order.flatMap((section) =>
    profile[section]
      .slice(0, perSection)
      .map((item) => `${LINE_LABELS[section]}: ${item.text} (${item.conversations.join(', ')})`),
  );
}

/** Items by section, merged by their normalized text, in the order first seen. */
class ProfileAccumulator {
  private readonly items = new Map<ProfileSection, Map<string, ProfileItem>>(
    PROFILE_SECTIONS.map((section) => [section, new Map()]),
  );

  add(section: ProfileSection, raw: string, conversationId: string): void {
    const text = clip(raw.replace(/\s+/g, ' ').trim());
    if (text === '' || conversationId === '') return;
    const key = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim();
    const items = this.items.get(section)!;
    const known = items.get(key);
    if (known) {
      if (!known.conversations.includes(conversationId)) known.conversations.push(conversationId);
      return;
    }
    if (items.size < PROFILE_ITEMS) items.set(key, { text, conversations: [conversationId] });
  }

  sections(): UserProfileSections {
    return Object.fromEntries(
      PROFILE_SECTIONS.map((section) => [section, [...this.items.get(section)!.values()]]),
    ) as UserProfileSections;
  }
}

function clip(text: string): string {
  return text.length <= ITEM_CHARS ? text : `${text.slice(0, ITEM_CHARS - 1).trimEnd()}…`;
}
