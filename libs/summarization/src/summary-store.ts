import {
  ChatRole,
  SummaryBackendName,
  SummaryCost,
  SummarySections,
  SummaryTier,
} from '@memory/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { MissingFacts } from './missing-messages';
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

interface RawRow {
  tenant_id: string;
  conversation_id: string;
  user_id: string;
  version: number;
  through_seq: string;
  seen_seq: string;
  tier: SummaryTier;
  text: string;
  sections: SummarySections | null;
  full_sections: SummarySections | null;
  memo: unknown;
  backend: SummaryBackendName;
  llm_pending: boolean;
  llm_base: LlmBase | null;
  last_update: LastUpdate | null;
  input_tokens: string;
  output_tokens: string;
  input_chars: string;
  output_chars: string;
  duration_ms: number;
  published_version: number;
  first_message_at: Date | null;
  last_message_at: Date | null;
  last_received_at: Date;
  updated_at: Date;
}

const COLUMNS = `tenant_id, conversation_id, user_id, version, through_seq, seen_seq, tier, text,
  sections, full_sections, memo, backend, llm_pending, llm_base, last_update, input_tokens, output_tokens,
  input_chars, output_chars, duration_ms, published_version, first_message_at, last_message_at,
  last_received_at, updated_at`;

function toRow(raw: RawRow): SummaryRow {
  return {
    tenantId: raw.tenant_id,
    conversationId: raw.conversation_id,
    userId: raw.user_id,
    version: raw.version,
    throughSeq: Number(raw.through_seq),
    seenSeq: Number(raw.seen_seq),
    tier: raw.tier,
    text: raw.text,
    sections: raw.sections,
    fullSections: raw.full_sections,
    memo: raw.memo,
    backend: raw.backend,
    llmPending: raw.llm_pending,
    llmBase: raw.llm_base,
    lastUpdate: raw.last_update,
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

/** The summarizer's tables, in plain SQL (conditional updates and batch upserts). */
export class SummaryStore {
  constructor(private readonly dataSource: DataSource) {}

  async load(tenantId: string, conversationId: string): Promise<SummaryRow | undefined> {
    const rows = await this.dataSource.query<RawRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId],
    );
    return rows[0] ? toRow(rows[0]) : undefined;
  }

  /** The seen seq of each conversation before this batch (0 for a new one), by key. */
  async seenBefore(
    conversations: readonly SeenConversation[],
  ): Promise<Map<string, { seenSeq: number; throughSeq: number }>> {
    const rows = await this.dataSource.query<
      Array<{ tenant_id: string; conversation_id: string; seen_seq: string; through_seq: string }>
    >(
      `SELECT s.tenant_id, s.conversation_id, s.seen_seq, s.through_seq
         FROM conversation_summaries s
         JOIN unnest($1::varchar[], $2::varchar[]) AS c(tenant_id, conversation_id)
           USING (tenant_id, conversation_id)`,
      [conversations.map((c) => c.tenantId), conversations.map((c) => c.conversationId)],
    );
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
    const rows = await this.dataSource.query<RawRow[]>(
      `INSERT INTO conversation_summaries AS s
         (tenant_id, conversation_id, user_id, seen_seq, first_message_at, last_message_at)
       SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::bigint[],
                            $5::timestamptz[], $6::timestamptz[])
                AS seen (tenant_id, conversation_id, user_id, seen_seq, first_at, last_at)
        WHERE NOT EXISTS (
          SELECT 1 FROM erasures e
           WHERE e.tenant_id = seen.tenant_id AND e.erased_at >= seen.last_at
             AND e.subject_hash =
                 encode(sha256(convert_to('conversation:' || seen.conversation_id, 'UTF8')), 'hex'))
       ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
         seen_seq = GREATEST(s.seen_seq, EXCLUDED.seen_seq),
         first_message_at = LEAST(s.first_message_at, EXCLUDED.first_message_at),
         last_message_at = GREATEST(s.last_message_at, EXCLUDED.last_message_at),
         last_received_at = CASE WHEN EXCLUDED.seen_seq > s.seen_seq THEN now()
                                 ELSE s.last_received_at END
       RETURNING ${COLUMNS}`,
      [
        conversations.map((c) => c.tenantId),
        conversations.map((c) => c.conversationId),
        conversations.map((c) => c.userId),
        conversations.map((c) => c.seenSeq),
        conversations.map((c) => c.firstMessageAt),
        conversations.map((c) => c.lastMessageAt),
      ],
    );
    return rows.map(toRow);
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
    const rows = await this.dataSource.query<
      Array<{ seq: string; role: ChatRole; user_id: string; content: string; created_at: Date }>
    >(
      `SELECT seq, role, user_id, content, created_at FROM messages
        WHERE tenant_id = $1 AND conversation_id = $2 AND seq > $3 AND seq <= $4
        ORDER BY seq LIMIT $5`,
      [tenantId, conversationId, afterSeq, throughSeq, limit],
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      role: row.role,
      userId: row.user_id,
      content: row.content,
      createdAt: row.created_at.toISOString(),
    }));
  }

  /**
   * Why messages `seqs` of a conversation are not in `messages`: an erasure, an archive, or
   * what the conversation's counter says was stored. One round trip.
   */
  async missingFacts(
    tenantId: string,
    conversationId: string,
    seqs: readonly number[],
  ): Promise<MissingFacts> {
    const [row] = await this.dataSource.query<
      Array<{ erased: boolean; archived: string[] | null; last_seq: string | null }>
    >(
      `SELECT
         EXISTS (SELECT 1 FROM erasures e
                  WHERE e.tenant_id = $1 AND e.subject_kind = 'conversation'
                    AND e.subject_hash =
                        encode(sha256(convert_to('conversation:' || $2, 'UTF8')), 'hex'))
           AS erased,
         ARRAY(SELECT s.seq::text FROM unnest($3::bigint[]) AS s(seq)
                WHERE EXISTS (SELECT 1 FROM archived_message_ids a
                               WHERE a.tenant_id = $1 AND a.conversation_id = $2 AND a.seq = s.seq)
                   OR EXISTS (SELECT 1 FROM conversation_archives c
                               WHERE c.tenant_id = $1 AND c.conversation_id = $2
                                 AND s.seq BETWEEN c.first_seq AND c.last_seq))
           AS archived,
         (SELECT last_seq FROM conversations WHERE tenant_id = $1 AND conversation_id = $2)
           AS last_seq`,
      [tenantId, conversationId, seqs],
    );
    return {
      erased: row?.erased ?? false,
      archivedSeqs: new Set((row?.archived ?? []).map(Number)),
      storedLastSeq: row?.last_seq == null ? undefined : Number(row.last_seq),
    };
  }

  /**
   * Moves `through_seq` past messages skipped as gone for good, without a new version (nothing
   * was folded, so there is nothing new to publish). Conditional like every write.
   */
  async skipThrough(row: SummaryRow, throughSeq: number): Promise<SummaryRow> {
    const result = await this.dataSource.query<[RawRow[], number]>(
      `UPDATE conversation_summaries SET through_seq = $3, seen_seq = GREATEST(seen_seq, $3),
         updated_at = now()
       WHERE tenant_id = $1 AND conversation_id = $2 AND version = $4 AND through_seq = $5
       RETURNING ${COLUMNS}`,
      [row.tenantId, row.conversationId, throughSeq, row.version, row.throughSeq],
    );
    const updated = result[0];
    if (updated.length === 0)
      throw new SummaryConflictError(row.tenantId, row.conversationId, row.version);
    return toRow(updated[0]);
  }

  /**
   * Stores a new version if the row is still at `expectedVersion`, with its lineage, in one
   * transaction; throws {@link SummaryConflictError} otherwise.
   */
  async saveVersion(row: SummaryRow, next: FoldedVersion): Promise<SummaryRow> {
    return this.dataSource.transaction(async (manager) => {
      const saved = await this.updateIfAt(manager, row, next);
      await manager.query(
        `INSERT INTO summary_versions (tenant_id, conversation_id, version, from_seq, through_seq,
           backend, trigger, message_count, input_tokens, output_tokens, input_chars,
           output_chars, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          row.tenantId,
          row.conversationId,
          next.version,
          next.fromSeq,
          next.throughSeq,
          next.backend,
          next.trigger,
          next.messageCount,
          next.cost.inputTokens,
          next.cost.outputTokens,
          next.cost.inputChars,
          next.cost.outputChars,
          next.cost.durationMs,
        ],
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
    const rows = await manager.query<RawRow[]>(
      `UPDATE conversation_summaries SET
         version = $3, through_seq = $4, seen_seq = GREATEST(seen_seq, $4), text = $5,
         sections = $6, memo = $7, backend = $8, llm_pending = $9, llm_base = $10,
         last_update = $11, input_tokens = $12, output_tokens = $13, input_chars = $14,
         output_chars = $15, duration_ms = $16, updated_at = now(),
         tier = 'full', full_sections = NULL,
         tier_changed_at = CASE WHEN tier = 'full' THEN tier_changed_at ELSE now() END
       WHERE tenant_id = $1 AND conversation_id = $2 AND version = $17 AND through_seq = $18
       RETURNING ${COLUMNS}`,
      [
        row.tenantId,
        row.conversationId,
        next.version,
        next.throughSeq,
        next.text,
        JSON.stringify(next.sections),
        next.memo === undefined ? null : JSON.stringify(next.memo),
        next.backend,
        next.llmPending,
        next.llmBase === null ? null : JSON.stringify(next.llmBase),
        JSON.stringify(lastUpdate),
        next.totalCost.inputTokens,
        next.totalCost.outputTokens,
        next.totalCost.inputChars,
        next.totalCost.outputChars,
        next.totalCost.durationMs,
        row.version,
        row.throughSeq,
      ],
    );
    // TypeORM returns [rows, affected] for UPDATE ... RETURNING on postgres.
    const updated = (Array.isArray(rows[0]) ? rows[0] : rows) as RawRow[];
    if (updated.length === 0)
      throw new SummaryConflictError(row.tenantId, row.conversationId, row.version);
    return toRow(updated[0]);
  }

  /**
   * Starts a summary over (for a rebuild): nothing folded yet, the version kept so the rebuilt
   * versions supersede the old ones downstream. Conditional on version and `through_seq`, like
   * every write: a writer that read the row before the reset then fails instead of undoing it.
   */
  async resetForRebuild(row: SummaryRow): Promise<SummaryRow> {
    const result = await this.dataSource.query<[RawRow[], number]>(
      `UPDATE conversation_summaries SET through_seq = 0, text = '', sections = NULL,
         full_sections = NULL, memo = NULL,
         llm_pending = false, llm_base = NULL, updated_at = now()
       WHERE tenant_id = $1 AND conversation_id = $2 AND version = $3 AND through_seq = $4
       RETURNING ${COLUMNS}`,
      [row.tenantId, row.conversationId, row.version, row.throughSeq],
    );
    const updated = result[0];
    if (updated.length === 0)
      throw new SummaryConflictError(row.tenantId, row.conversationId, row.version);
    return toRow(updated[0]);
  }

  /** Notes that `version` (or a later one) is on the summaries topic. */
  async markPublished(tenantId: string, conversationId: string, version: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE conversation_summaries SET published_version = GREATEST(published_version, $3)
        WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId, version],
    );
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
    const rows = await this.dataSource.query<RawRow[]>(
      `WITH idle AS (
         SELECT s.tenant_id, s.conversation_id, COALESCE(o.idle_ms, $3::bigint) AS idle_ms
           FROM conversation_summaries s
           LEFT JOIN unnest($1::varchar[], $2::bigint[]) AS o(tenant_id, idle_ms)
             ON o.tenant_id = s.tenant_id
          WHERE s.seen_seq > s.through_seq)
       SELECT ${COLUMNS} FROM conversation_summaries
         JOIN idle USING (tenant_id, conversation_id)
        WHERE idle.idle_ms > 0
          AND last_received_at < now() - idle.idle_ms * interval '1 millisecond'
        ORDER BY last_received_at LIMIT $4`,
      [[...overrides.keys()], [...overrides.values()], idleMs, limit],
    );
    return rows.map(toRow);
  }

  /** The current rows of some conversations (those that exist). */
  async loadMany(
    keys: ReadonlyArray<{ tenantId: string; conversationId: string }>,
  ): Promise<SummaryRow[]> {
    if (keys.length === 0) return [];
    const rows = await this.dataSource.query<RawRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries
         JOIN unnest($1::varchar[], $2::varchar[]) AS k(tenant_id, conversation_id)
           USING (tenant_id, conversation_id)`,
      [keys.map((k) => k.tenantId), keys.map((k) => k.conversationId)],
    );
    return rows.map(toRow);
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
    const rows = await manager.query<RawRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries
        WHERE tenant_id = $1 AND conversation_id = $2 FOR UPDATE SKIP LOCKED`,
      [tenantId, conversationId],
    );
    if (rows[0]) return toRow(rows[0]);
    const exists = await manager.query<unknown[]>(
      'SELECT 1 FROM conversation_summaries WHERE tenant_id = $1 AND conversation_id = $2',
      [tenantId, conversationId],
    );
    return exists.length > 0 ? 'locked' : undefined;
  }

  /** Summaries whose latest version is not on the topic yet (a crash between save and send). */
  async unpublished(olderThan: Date, limit: number): Promise<SummaryRow[]> {
    const rows = await this.dataSource.query<RawRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries
        WHERE published_version < version AND updated_at < $1
        ORDER BY updated_at LIMIT $2`,
      [olderThan, limit],
    );
    return rows.map(toRow);
  }

  /** Summaries made locally while the LLM was unreachable, oldest first. */
  async llmPending(limit: number): Promise<SummaryRow[]> {
    const rows = await this.dataSource.query<RawRow[]>(
      `SELECT ${COLUMNS} FROM conversation_summaries WHERE llm_pending
        ORDER BY updated_at LIMIT $1`,
      [limit],
    );
    return rows.map(toRow);
  }

  async countLlmPending(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ count: string }>>(
      `SELECT count(*) FROM conversation_summaries WHERE llm_pending`,
    );
    return Number(row?.count ?? 0);
  }
}
