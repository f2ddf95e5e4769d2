import {
  ChatRole,
  SummaryBackendName,
  SummaryCost,
  SummarySections,
  SummaryTier,
} from '@memory/contracts';
import {
  ConversationRepository,
  MessageRepository,
  SummaryRecordRow,
  SummaryRepository,
  SummaryVersionRepository,
} from '@memory/persistence';
import { DataSource, EntityManager } from 'typeorm';
import { MissingFacts } from './missing-messages';
import { DEFAULT_HISTORY_VERSIONS } from './summarization.settings';
import { SummaryInputMessage } from './summarizer-backend';

/** Why a fold ran. */
export type FoldTrigger = 'count' | 'milestone' | 'idle' | 'backfill' | 'llm_catchup';

/** The last LLM-made summary, kept while local folds stand in for an unreachable LLM. */
export interface LlmBase {
  sections: SummarySections | null;
  throughSeq: number;
}

/** What the update that made the current version folded, and what it cost. */
export interface LastUpdate {
  fromSeq: number;
  trigger: FoldTrigger;
  cost: SummaryCost;
}

/** One row of `conversation_summaries`. */
export interface SummaryRow {
  tenantId: string;
  conversationId: string;
  userId: string;
  version: number;
  throughSeq: number;
  seenSeq: number;
  tier: SummaryTier;
  text: string;
  sections: SummarySections | null;
  /** The full summary while `sections` holds a compressed tier's cut of it; null at `full`. */
  fullSections: SummarySections | null;
  memo: unknown;
  backend: SummaryBackendName;
  llmPending: boolean;
  llmBase: LlmBase | null;
  lastUpdate: LastUpdate | null;
  totalCost: SummaryCost;
  publishedVersion: number;
  firstMessageAt: Date | null;
  lastMessageAt: Date | null;
  /** When a message with a new seq last arrived (the idle trigger counts from here). */
  lastReceivedAt: Date;
  updatedAt: Date;
}

/** A conversation seen in a batch of `memory.messages.v1`. */
export interface SeenConversation {
  tenantId: string;
  conversationId: string;
  userId: string;
  seenSeq: number;
  firstMessageAt: Date;
  lastMessageAt: Date;
}

/** A new version of a summary, with its lineage. */
export interface FoldedVersion {
  version: number;
  fromSeq: number;
  throughSeq: number;
  text: string;
  sections: SummarySections;
  memo: unknown;
  backend: SummaryBackendName;
  llmPending: boolean;
  llmBase: LlmBase | null;
  trigger: FoldTrigger;
  messageCount: number;
  cost: SummaryCost;
  totalCost: SummaryCost;
}

/**
 * An unambiguous in-memory key of a conversation (ids may contain `:`, so the Kafka key
 * `tenantId:conversationId` can be the same for two different conversations).
 */
export function summaryKey(tenantId: string, conversationId: string): string {
  return JSON.stringify([tenantId, conversationId]);
}

/** Someone else (another instance, the sweeper, a backfill) changed the row first. */
export class SummaryConflictError extends Error {
  constructor(tenantId: string, conversationId: string, expectedVersion: number) {
    super(`summary of ${tenantId}:${conversationId} is no longer at version ${expectedVersion}`);
    this.name = 'SummaryConflictError';
  }
}

function toRow(raw: SummaryRecordRow): SummaryRow {
  return {
    tenantId: raw.tenant_id,
    conversationId: raw.conversation_id,
    userId: raw.user_id,
    version: raw.version,
    throughSeq: Number(raw.through_seq),
    seenSeq: Number(raw.seen_seq),
    tier: raw.tier as SummaryTier,
    text: raw.text,
    sections: raw.sections as SummarySections | null,
    fullSections: raw.full_sections as SummarySections | null,
    memo: raw.memo,
    backend: raw.backend as SummaryBackendName,
    llmPending: raw.llm_pending,
    llmBase: raw.llm_base as LlmBase | null,
    lastUpdate: raw.last_update as LastUpdate | null,
    totalCost: {
      inputTokens: Number(raw.input_tokens),
      outputTokens: Number(raw.output_tokens),
      inputChars: Number(raw.input_chars),
      outputChars: Number(raw.output_chars),
      durationMs: raw.duration_ms,
    },
    publishedVersion: raw.published_version,
    firstMessageAt: raw.first_message_at,
    lastMessageAt: raw.last_message_at,
    lastReceivedAt: raw.last_received_at,
    updatedAt: raw.updated_at,
  };
}

/**
 * The summarizer's view of its tables: summary rows as {@link SummaryRow}, conditional writes
 * that throw {@link SummaryConflictError}, and a version saved with its lineage in one
 * transaction. The SQL is in the tables' owners (`SummaryRepository`,
 * `SummaryVersionRepository`, `MessageRepository`, `ConversationRepository`).
 */
export class SummaryStore {
  private readonly summaries: SummaryRepository;
  private readonly lineage: SummaryVersionRepository;
  private readonly messageRows: MessageRepository;
  private readonly conversations: ConversationRepository;

  /**
   * `historyVersions`: how many versions per conversation keep their sections in the history
   * (`SUMMARY_HISTORY_VERSIONS`).
   */
  constructor(
    private readonly dataSource: DataSource,
    private readonly historyVersions: number = DEFAULT_HISTORY_VERSIONS,
  ) {
    this.summaries = new SummaryRepository(dataSource);
    this.lineage = new SummaryVersionRepository(dataSource);
    this.messageRows = new MessageRepository(dataSource);
    this.conversations = new ConversationRepository(dataSource);
  }

  async load(tenantId: string, conversationId: string): Promise<SummaryRow | undefined> {
    const row = await this.summaries.load(tenantId, conversationId);
    return row ? toRow(row) : undefined;
  }

  /** Each conversation's stored importance (0 until computed), by `summaryKey`. */
  async importanceOf(
    keys: ReadonlyArray<{ tenantId: string; conversationId: string }>,
  ): Promise<Map<string, number>> {
    const rows = await this.summaries.importanceOf(keys);
    return new Map(
      rows.map((row) => [summaryKey(row.tenantId, row.conversationId), row.importance]),
    );
  }

  /** The seen seq of each conversation before this batch (0 for a new one), by key. */
  async seenBefore(
    conversations: readonly SeenConversation[],
  ): Promise<Map<string, { seenSeq: number; throughSeq: number }>> {
    const rows = await this.summaries.seenBefore(conversations);
    return new Map(
      rows.map((row) => [
        summaryKey(row.tenant_id, row.conversation_id),
        { seenSeq: Number(row.seen_seq), throughSeq: Number(row.through_seq) },
      ]),
    );
  }

  /**
   * Records what a batch brought (highest seq, message times) for each conversation, in one
   * statement, and returns the rows as they are now. A conversation erased after its last
   * message here is left out (a replay of messages that no longer exist): it gets no row.
   */
  async recordSeen(conversations: readonly SeenConversation[]): Promise<SummaryRow[]> {
    if (conversations.length === 0) return [];
    return (await this.summaries.recordSeen(conversations)).map(toRow);
  }

  /**
   * Up to `limit` stored messages of a conversation after `afterSeq` and at most `throughSeq`,
   * in seq order.
   */
  async messages(
    tenantId: string,
    conversationId: string,
    afterSeq: number,
    throughSeq: number,
    limit: number,
  ): Promise<SummaryInputMessage[]> {
    const rows = await this.messageRows.foldInput(
      tenantId,
      conversationId,
      afterSeq,
      throughSeq,
      limit,
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      role: row.role as ChatRole,
      userId: row.user_id,
      content: row.content,
      createdAt: row.created_at.toISOString(),
    }));
  }

  /**
   * Why messages `seqs` of a conversation are not in `messages`: an erasure, an archive, or
   * what the conversation's counter says was stored. One round trip.
   */
  missingFacts(
    tenantId: string,
    conversationId: string,
    seqs: readonly number[],
  ): Promise<MissingFacts> {
    return this.conversations.missingMessageFacts(tenantId, conversationId, seqs);
  }

  /**
   * Moves `through_seq` past messages skipped as gone for good, without a new version (nothing
   * was folded, so there is nothing new to publish). Conditional like every write.
   */
  async skipThrough(row: SummaryRow, throughSeq: number): Promise<SummaryRow> {
    return this.orConflict(
      row,
      await this.summaries.skipThrough(row, throughSeq, row.version, row.throughSeq),
    );
  }

  /**
   * Stores a new version if the row is still at `expectedVersion`, with its lineage, in one
   * transaction; throws {@link SummaryConflictError} otherwise.
   */
  async saveVersion(row: SummaryRow, next: FoldedVersion): Promise<SummaryRow> {
    return this.dataSource.transaction(async (manager) => {
      const saved = await this.updateIfAt(manager, row, next);
      await this.lineage.insert(
        {
          tenantId: row.tenantId,
          conversationId: row.conversationId,
          version: next.version,
          fromSeq: next.fromSeq,
          throughSeq: next.throughSeq,
          backend: next.backend,
          trigger: next.trigger,
          messageCount: next.messageCount,
          cost: next.cost,
          sections: next.sections,
          tier: 'full',
        },
        manager,
        this.historyVersions,
      );
      return saved;
    });
  }

  private async updateIfAt(
    manager: EntityManager,
    row: SummaryRow,
    next: FoldedVersion,
  ): Promise<SummaryRow> {
    const lastUpdate: LastUpdate = {
      fromSeq: next.fromSeq,
      trigger: next.trigger,
      cost: next.cost,
    };
    const updated = await this.summaries.updateIfAt(manager, row, row.version, row.throughSeq, {
      version: next.version,
      throughSeq: next.throughSeq,
      text: next.text,
      sections: JSON.stringify(next.sections),
      memo: next.memo === undefined ? null : JSON.stringify(next.memo),
      backend: next.backend,
      llmPending: next.llmPending,
      llmBase: next.llmBase === null ? null : JSON.stringify(next.llmBase),
      lastUpdate: JSON.stringify(lastUpdate),
      totals: next.totalCost,
    });
    return this.orConflict(row, updated);
  }

  /**
   * Starts a summary over (for a rebuild): nothing folded yet, the version kept so the rebuilt
   * versions supersede the old ones downstream. Conditional on version and `through_seq`, like
   * every write: a writer that read the row before the reset then fails instead of undoing it.
   */
  async resetForRebuild(row: SummaryRow): Promise<SummaryRow> {
    return this.orConflict(
      row,
      await this.summaries.resetForRebuild(row, row.version, row.throughSeq),
    );
  }

  /** Notes that `version` (or a later one) is on the summaries topic. */
  markPublished(tenantId: string, conversationId: string, version: number): Promise<void> {
    return this.summaries.markPublished(tenantId, conversationId, version);
  }

  /**
   * Conversations with messages waiting that have been quiet for their tenant's idle time
   * (`idleMs` by default, `overrides` per tenant; 0 turns the rule off), oldest first.
   */
  async waiting(
    idleMs: number,
    overrides: ReadonlyMap<string, number>,
    limit: number,
  ): Promise<SummaryRow[]> {
    return (await this.summaries.waiting(idleMs, overrides, limit)).map(toRow);
  }

  /** The current rows of some conversations (those that exist). */
  async loadMany(
    keys: ReadonlyArray<{ tenantId: string; conversationId: string }>,
  ): Promise<SummaryRow[]> {
    if (keys.length === 0) return [];
    return (await this.summaries.loadMany(keys)).map(toRow);
  }

  /**
   * Locks a summary row for the rest of `manager`'s transaction. 'locked' when another
   * transaction holds it (SKIP LOCKED: the caller moves on instead of waiting), undefined when
   * there is no such row.
   */
  async lockRow(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<SummaryRow | 'locked' | undefined> {
    const row = await this.summaries.lockRow(manager, tenantId, conversationId);
    return row === undefined || row === 'locked' ? row : toRow(row);
  }

  /** Summaries whose latest version is not on the topic yet (a crash between save and send). */
  async unpublished(olderThan: Date, limit: number): Promise<SummaryRow[]> {
    return (await this.summaries.unpublished(olderThan, limit)).map(toRow);
  }

  /** Summaries made locally while the LLM was unreachable, oldest first. */
  async llmPending(limit: number): Promise<SummaryRow[]> {
    return (await this.summaries.llmPending(limit)).map(toRow);
  }

  countLlmPending(): Promise<number> {
    return this.summaries.countLlmPending();
  }

  private orConflict(row: SummaryRow, updated: SummaryRecordRow | undefined): SummaryRow {
    if (updated === undefined)
      throw new SummaryConflictError(row.tenantId, row.conversationId, row.version);
    return toRow(updated);
  }
}
