import {
  emptySections,
  renderSummaryText,
  SummarySections,
  summarySectionsSchema,
} from '@memory/contracts';
import {
  ProfileInputRow,
  SummaryRepository,
  UserProfileRepository,
  UserRollupRecord,
  UserRollupRepository,
} from '@memory/persistence';
import { DataSource } from 'typeorm';
import { SummarizerBackend, SummaryInputMessage } from '../summarizer-backend';
import {
  buildLocalProfile,
  ProfileInput,
  profileFromSections,
  profileInputHash,
  UserProfileSections,
} from './user-profile';
import { buildLocalRollup, monthOf } from './user-rollup';

export interface UserProfileSettings {
  /** Least time between two looks at one user's profile (`SUMMARY_PROFILE_INTERVAL_MS`; 0: off). */
  intervalMs: number;
  /** The newest summaries of a user a profile is built from (`SUMMARY_PROFILE_CONVERSATIONS`). */
  conversations: number;
  /** Bound on what the LLM makes of them, in characters (`SUMMARY_MAX_CHARS`). */
  maxChars: number;
}

/** A user's profile as the API serves it. */
export interface UserProfile {
  tenantId: string;
  userId: string;
  version: number;
  backend: string;
  builtAt: string;
  sections: UserProfileSections;
  /** Every conversation the profile was built from (each item names those it came from). */
  conversations: string[];
}

export type ProfileOutcome = 'built' | 'unchanged' | 'dropped' | 'empty';

/** Conversations of a user (newest first) grouped into monthly roll-ups. */
const ROLLUP_CONVERSATIONS = 5_000;

/** Users looked at per sweep; the next sweep takes the rest. */
const DUE_LIMIT = 50;

/**
 * Keeps user profiles: per (tenant, user), a profile built from the newest summaries of the
 * user's conversations. A profile is looked at only when a summary of the user changed since,
 * and at most every `intervalMs` (the clock); it is built again only when what it is built from
 * changed (the content hash of the conversations and their summary versions). Built with the
 * LLM when one is configured and answering (the summaries, one per message, folded into one
 * summary and sorted into the profile's sections), otherwise, or when it fails, locally
 * ({@link buildLocalProfile}). A profile that cites a conversation erased while it was being
 * built is dropped; erasing a conversation drops the profiles citing it (the eraser).
 */
export class UserProfileBuilder {
  private readonly profiles: UserProfileRepository;
  private readonly rollups: UserRollupRepository;
  private readonly summaries: SummaryRepository;

  constructor(
    dataSource: DataSource,
    private readonly settings: UserProfileSettings,
    private readonly llm?: SummarizerBackend & { isAvailable(): boolean },
  ) {
    this.profiles = new UserProfileRepository(dataSource);
    this.rollups = new UserRollupRepository(dataSource);
    this.summaries = new SummaryRepository(dataSource);
  }

  /** Looks at the profiles that are due; counts what it did with them. */
  async refreshDue(now = new Date()): Promise<Record<ProfileOutcome | 'rollups', number>> {
    const counts: Record<ProfileOutcome | 'rollups', number> = {
      built: 0,
      unchanged: 0,
      dropped: 0,
      empty: 0,
      rollups: 0,
    };
    if (this.settings.intervalMs <= 0) return counts;
    for (const { tenantId, userId } of await this.profiles.due(
      now,
      this.settings.intervalMs,
      DUE_LIMIT,
    )) {
      counts[await this.refresh(tenantId, userId, now)]++;
      counts.rollups += await this.refreshRollups(tenantId, userId, now);
    }
    return counts;
  }

  /**
   * Builds again the user's monthly roll-ups whose input changed (each month's conversations
   * and their summary versions, hashed), drops those of months left without a conversation;
   * returns how many it built.
   */
  async refreshRollups(tenantId: string, userId: string, now = new Date()): Promise<number> {
    const keys = await this.summaries.userSummaryKeys(tenantId, userId, ROLLUP_CONVERSATIONS);
    const months = new Map<string, typeof keys>();
    for (const key of keys) {
      const month = monthOf(key.last_message_at);
      if (month) months.set(month, [...(months.get(month) ?? []), key]);
    }
    await this.rollups.deleteOtherMonths(tenantId, userId, [...months.keys()]);
    const stored = await this.rollups.hashes(tenantId, userId);
    let built = 0;
    for (const [month, monthKeys] of months) {
      const hash = profileInputHash(
        monthKeys.map((key) => ({
          conversationId: key.conversation_id,
          version: key.version,
          sections: emptySectionsForHash,
          lastMessageAt: key.last_message_at,
        })),
      );
      if (stored.get(month) === hash) continue;
      const ids = monthKeys.map((key) => key.conversation_id);
      const inputs = (await this.summaries.summariesOf(tenantId, ids)).flatMap(toInput);
      if (inputs.length === 0) continue;
      const { sections, backend } = await this.buildRollup(userId, month, inputs);
      const rollup: Omit<UserRollupRecord, 'version'> = {
        tenantId,
        userId,
        month,
        text: renderSummaryText(sections),
        sections,
        sourceConversations: [...ids].sort(),
        inputHash: hash,
        backend,
        builtAt: now,
      };
      await this.rollups.save(rollup);
      // Erased while this was built: the month goes (the next look builds it from the rest).
      if (!(await this.summaries.allSummarized(tenantId, ids)))
        await this.rollups.deleteOtherMonths(
          tenantId,
          userId,
          [...months.keys()].filter((other) => other !== month),
        );
      else built++;
    }
    return built;
  }

  /** Builds a user's profile again if what it is built from changed. */
  async refresh(tenantId: string, userId: string, now = new Date()): Promise<ProfileOutcome> {
    const inputs = (
      await this.summaries.profileInputs(tenantId, userId, this.settings.conversations)
    ).flatMap(toInput);
    if (inputs.length === 0) {
      await this.profiles.deleteUser(tenantId, userId);
      return 'empty';
    }
    const hash = profileInputHash(inputs);
    const existing = await this.profiles.load(tenantId, userId);
    if (existing?.inputHash === hash) {
      await this.profiles.checked(tenantId, userId, now);
      return 'unchanged';
    }
    const { sections, backend } = await this.build(userId, inputs);
    // Every conversation it was built from, cited or not: erasing any of them drops it.
    const sourceConversations = [...new Set(inputs.map((input) => input.conversationId))].sort();
    await this.profiles.save({
      tenantId,
      userId,
      sections,
      sourceConversations,
      inputHash: hash,
      backend,
      builtAt: now,
      checkedAt: now,
    });
    // Erased while this was built: its summary is gone, and so must the profile citing it be.
    if (!(await this.summaries.allSummarized(tenantId, sourceConversations))) {
      await this.profiles.deleteUser(tenantId, userId);
      return 'dropped';
    }
    return 'built';
  }

  private async build(
    userId: string,
    inputs: readonly ProfileInput[],
  ): Promise<{ sections: UserProfileSections; backend: string }> {
    const folded = await this.foldWithLlm(userId, inputs);
    return folded
      ? { sections: profileFromSections(folded, inputs), backend: 'openai' }
      : { sections: buildLocalProfile(userId, inputs), backend: 'local' };
  }

  private async buildRollup(
    userId: string,
    month: string,
    inputs: readonly ProfileInput[],
  ): Promise<{ sections: SummarySections; backend: string }> {
    const folded = await this.foldWithLlm(userId, inputs);
    return folded
      ? { sections: folded, backend: 'openai' }
      : { sections: buildLocalRollup(month, inputs, this.settings.maxChars), backend: 'local' };
  }

  /**
   * The summaries (oldest first, one per message) folded by the LLM into one set of sections;
   * undefined without an LLM, while its circuit is open, or when it fails (the local builders
   * stand in; the next change of the user's summaries tries again).
   */
  private async foldWithLlm(
    userId: string,
    inputs: readonly ProfileInput[],
  ): Promise<SummarySections | undefined> {
    if (!this.llm?.isAvailable()) return undefined;
    try {
      const messages: SummaryInputMessage[] = [...inputs].reverse().map((input, i) => ({
        seq: i + 1,
        role: 'user',
        userId,
        content: renderSummaryText(input.sections),
        createdAt: (input.lastMessageAt ?? new Date(0)).toISOString(),
      }));
      const result = await this.llm.fold(null, messages, {
        maxSummaryChars: this.settings.maxChars,
      });
      return result.sections;
    } catch {
      return undefined;
    }
  }
}

/** A summary row as a profile input; a row whose sections do not read is left out. */
function toInput(row: ProfileInputRow): ProfileInput[] {
  const parsed = summarySectionsSchema.safeParse(row.full_sections ?? row.sections);
  if (!parsed.success) return [];
  return [
    {
      conversationId: row.conversation_id,
      version: row.version,
      sections: parsed.data,
      lastMessageAt: row.last_message_at,
    },
  ];
}

/** Sections stand-in for hashing: the hash reads conversation ids and versions only. */
const emptySectionsForHash: SummarySections = emptySections();

/** A month's roll-up as the API serves it. */
export interface UserRollup {
  /** `YYYY-MM` (UTC), by the month of each conversation's last message. */
  month: string;
  version: number;
  backend: string;
  builtAt: string;
  text: string;
  sections: SummarySections;
  /** The conversations it was built from. */
  conversations: string[];
}

/** Reads user profiles and roll-ups for the API and the context answer. */
export class UserProfileReader {
  private readonly profiles: UserProfileRepository;
  private readonly rollupRows: UserRollupRepository;

  constructor(dataSource: DataSource) {
    this.profiles = new UserProfileRepository(dataSource);
    this.rollupRows = new UserRollupRepository(dataSource);
  }

  /** A user's monthly roll-ups, newest first (best match first with `query`). */
  async rollups(
    tenantId: string,
    userId: string,
    filter: { from?: string; to?: string; query?: string; limit: number },
  ): Promise<UserRollup[]> {
    return (await this.rollupRows.list(tenantId, userId, filter)).map((record) => ({
      month: record.month,
      version: record.version,
      backend: record.backend,
      builtAt: record.builtAt.toISOString(),
      text: record.text,
      sections: record.sections as SummarySections,
      conversations: record.sourceConversations,
    }));
  }

  /** The stored profile of a user, as the API serves it; undefined when there is none. */
  async load(tenantId: string, userId: string): Promise<UserProfile | undefined> {
    const record = await this.profiles.load(tenantId, userId);
    if (!record) return undefined;
    return {
      tenantId,
      userId,
      version: record.version,
      backend: record.backend,
      builtAt: record.builtAt.toISOString(),
      sections: record.sections as UserProfileSections,
      conversations: record.sourceConversations,
    };
  }
}
