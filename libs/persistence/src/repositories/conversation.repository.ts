import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { ConversationEntity } from '../entities/conversation.entity';
import { deleteConversationRows } from './affected-rows';

/** Which conversations a walk covers: a tenant's, a list of ids, or all. */
export interface ConversationSelection {
  tenantId?: string;
  conversationIds?: readonly string[];
}

/** A conversation with the counters ingest keeps. */
export interface ConversationCountersRow {
  tenant_id: string;
  conversation_id: string;
  user_id: string;
  last_seq: string;
  first_message_at: Date | null;
  last_message_at: Date | null;
}

/** A conversation retention may archive or erase. */
export interface RetentionCandidateRow {
  tenant_id: string;
  conversation_id: string;
  user_id: string;
  first_message_at: Date;
  last_message_at: Date;
  through_seq: string;
  archivable: number;
  /** The summary's importance (0 without a summary) and pin: what the keep policy reads. */
  importance: number;
  pinned: boolean;
}

/** What Postgres says about seqs of a conversation that are not in `messages`. */
export interface MissingMessageFacts {
  /** An erasure of the conversation is recorded. */
  erased: boolean;
  /** Of the seqs, those archived (an archived id, or inside an archive's seq range). */
  archivedSeqs: ReadonlySet<number>;
  /** `conversations.last_seq`, undefined when there is no such conversation. */
  storedLastSeq: number | undefined;
}

/**
 * The owner of `conversations`: the only code that holds SQL for it, including the statements
 * whose main table it is (retention's candidates, a user's conversations, the facts about
 * missing messages). See docs/architecture.md, "one owner per table". Methods that take an
 * `EntityManager` run in the caller's transaction.
 */
@Injectable()
export class ConversationRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The conversation, or null when the tenant has none of that id. */
  find(tenantId: string, conversationId: string): Promise<ConversationEntity | null> {
    return this.dataSource
      .getRepository(ConversationEntity)
      .findOneBy({ tenantId, conversationId });
  }

  /** How many conversations the selection covers. */
  async count(selection: ConversationSelection): Promise<number> {
    const params: unknown[] = [];
    const [row] = await this.dataSource.query<Array<{ count: string }>>(
      `SELECT count(*) FROM conversations WHERE ${filter(selection, params)}`,
      params,
    );
    return Number(row?.count ?? 0);
  }

  /** How many conversations these tenants have. */
  async countForTenants(tenantIds: readonly string[]): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      'SELECT count(*)::int AS n FROM conversations WHERE tenant_id = ANY($1)',
      [tenantIds],
    );
    return row.n;
  }

  /**
   * How many messages these tenants' conversations count (their `message_count` summed): what
   * ingest has stored for them, read from the counters without touching `messages`, so cheap
   * enough to poll while ingest runs.
   */
  async messageCountForTenants(tenantIds: readonly string[]): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ n: number }>>(
      'SELECT coalesce(sum(message_count), 0)::int AS n FROM conversations WHERE tenant_id = ANY($1)',
      [tenantIds],
    );
    return row.n;
  }

  /** Up to `limit` conversations of the selection after `after`, in (tenant, id) order. */
  page(
    selection: ConversationSelection,
    after: readonly [string, string] | undefined,
    limit: number,
  ): Promise<ConversationCountersRow[]> {
    const params: unknown[] = [];
    let where = filter(selection, params);
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (tenant_id, conversation_id) > ($${params.length - 1}, $${params.length})`;
    }
    params.push(limit);
    return this.dataSource.query<ConversationCountersRow[]>(
      `SELECT tenant_id, conversation_id, user_id, last_seq, first_message_at, last_message_at
         FROM conversations WHERE ${where}
        ORDER BY tenant_id, conversation_id LIMIT $${params.length}`,
      params,
    );
  }

  /**
   * Why messages `seqs` of a conversation are not in `messages`: an erasure, an archive, or
   * what the conversation's counter says was stored. One round trip.
   */
  async missingMessageFacts(
    tenantId: string,
    conversationId: string,
    seqs: readonly number[],
  ): Promise<MissingMessageFacts> {
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

  /** Conversation ids of a user: owned, written in, summarized or archived as theirs. */
  async idsOfUser(tenantId: string, userId: string): Promise<string[]> {
    const rows = await this.dataSource.query<Array<{ conversation_id: string }>>(
      `SELECT conversation_id FROM conversations WHERE tenant_id = $1 AND user_id = $2
       UNION SELECT DISTINCT conversation_id FROM messages WHERE tenant_id = $1 AND user_id = $2
       UNION SELECT conversation_id FROM conversation_summaries WHERE tenant_id = $1 AND user_id = $2
       UNION SELECT conversation_id FROM conversation_archives
              WHERE tenant_id = $1 AND $2 = ANY(user_ids)
       ORDER BY conversation_id`,
      [tenantId, userId],
    );
    return rows.map((row) => row.conversation_id);
  }

  /**
   * Summarized conversations whose last message is older than `cutoff`, not held after a
   * restore, with summarized messages still in Postgres. A summary still folding, or marked for
   * a later LLM pass (which re-reads messages from its last LLM-made state), waits.
   */
  archiveCandidates(
    cutoff: Date,
    now: Date,
    after: readonly [string, string],
    limit: number,
    tenantId: string | undefined,
  ): Promise<RetentionCandidateRow[]> {
    return this.dataSource.query<RetentionCandidateRow[]>(
      `SELECT c.tenant_id, c.conversation_id, c.user_id, c.first_message_at, c.last_message_at,
              s.through_seq, a.archivable, s.importance, s.pinned
         FROM conversations c
         JOIN conversation_summaries s USING (tenant_id, conversation_id)
         CROSS JOIN LATERAL (
           SELECT count(*)::int AS archivable FROM messages m
            WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.conversation_id
              AND m.seq <= s.through_seq) a
        WHERE c.last_message_at < $1 AND s.version > 0
          -- Folded through everything seen, and not waiting for an LLM pass that re-reads them.
          AND s.seen_seq <= s.through_seq AND NOT s.llm_pending
          AND (s.archive_hold_until IS NULL OR s.archive_hold_until <= $2)
          AND (c.tenant_id, c.conversation_id) > ($3, $4)
          AND ($6::varchar IS NULL OR c.tenant_id = $6)
          AND a.archivable > 0
        ORDER BY c.tenant_id, c.conversation_id
        LIMIT $5`,
      [cutoff, now, after[0], after[1], limit, tenantId ?? null],
    );
  }

  /** Conversations whose last message is older than `cutoff`. */
  eraseCandidates(
    cutoff: Date,
    after: readonly [string, string],
    limit: number,
    tenantId: string | undefined,
  ): Promise<RetentionCandidateRow[]> {
    return this.dataSource.query<RetentionCandidateRow[]>(
      `SELECT c.tenant_id, c.conversation_id, c.user_id, c.first_message_at, c.last_message_at,
              0 AS through_seq, 0 AS archivable,
              COALESCE(s.importance, 0) AS importance, COALESCE(s.pinned, false) AS pinned
         FROM conversations c
         LEFT JOIN conversation_summaries s USING (tenant_id, conversation_id)
        WHERE c.last_message_at < $1
          AND (c.tenant_id, c.conversation_id) > ($2, $3)
          AND ($5::varchar IS NULL OR c.tenant_id = $5)
        ORDER BY c.tenant_id, c.conversation_id
        LIMIT $4`,
      [cutoff, after[0], after[1], limit, tenantId ?? null],
    );
  }

  /** Deletes the conversation's row; returns how many (0 or 1). */
  deleteConversation(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    const statement = `DELETE FROM conversations WHERE tenant_id = $1 AND conversation_id = $2 RETURNING 1`;
    return deleteConversationRows(manager, statement, tenantId, conversationId);
  }
}

function filter(selection: ConversationSelection, params: unknown[]): string {
  const clauses: string[] = [];
  if (selection.tenantId !== undefined) {
    params.push(selection.tenantId);
    clauses.push(`tenant_id = $${params.length}`);
  }
  if (selection.conversationIds !== undefined) {
    params.push(selection.conversationIds);
    clauses.push(`conversation_id = ANY($${params.length}::varchar[])`);
  }
  return clauses.length > 0 ? clauses.join(' AND ') : 'true';
}
