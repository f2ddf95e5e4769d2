import { affectedRows, deleteConversationRows } from '@memory/persistence';
import { DataSource, EntityManager } from 'typeorm';

/** A `conversation_archives` row as Postgres returns it. */
export interface ArchiveRow {
  tenant_id: string;
  conversation_id: string;
  relative_path: string;
  revision: number;
  sha256: string;
  bytes: string;
  message_count: number;
  first_seq: string;
  last_seq: string;
  user_ids: string[];
  archived_at: Date;
  verified_at: Date;
  restored_at: Date | null;
}

/** What a written archive revision records. */
export interface ArchiveWrite {
  relativePath: string;
  revision: number;
  sha256: string;
  bytes: number;
  messageCount: number;
  firstSeq: number;
  lastSeq: number;
  userIds: string[];
  archivedAt: Date;
}

/**
 * The owner of `conversation_archives` and `archived_message_ids` (an archive's record and the
 * ids it took out of `messages`, always written together): the only code that holds SQL for
 * them. Methods that take an `EntityManager` run in the caller's transaction or on the
 * caller's locked connection (`queryRunner.manager`). See docs/architecture.md, "one owner
 * per table".
 */
export class ArchiveRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The archive record of a conversation, if it was ever archived. */
  async find(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<ArchiveRow | undefined> {
    const [row] = await manager.query<ArchiveRow[]>(
      `SELECT * FROM conversation_archives WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId],
    );
    return row;
  }

  /** Every archive record (of a tenant, when given), in key order. */
  list(tenantId: string | undefined): Promise<ArchiveRow[]> {
    return this.dataSource.query<ArchiveRow[]>(
      `SELECT * FROM conversation_archives WHERE $1::varchar IS NULL OR tenant_id = $1
        ORDER BY tenant_id, conversation_id`,
      [tenantId ?? null],
    );
  }

  /**
   * A page of a tenant's archive records, of one user's conversations when `userId` is given
   * (a conversation belongs to every user its archive holds messages of), in conversation order
   * after `after`.
   */
  page(
    tenantId: string,
    userId: string | undefined,
    after: string,
    limit: number,
  ): Promise<ArchiveRow[]> {
    return this.dataSource.query<ArchiveRow[]>(
      `SELECT * FROM conversation_archives
        WHERE tenant_id = $1 AND conversation_id > $2
          AND ($3::varchar IS NULL OR $3 = ANY(user_ids))
        ORDER BY conversation_id
        LIMIT $4`,
      [tenantId, after, userId ?? null, limit],
    );
  }

  /**
   * Of these conversations of a tenant, the ones whose raw messages are archived now: a record
   * whose last archive came after its last restore, if any. Search shows their summary as
   * evidence, as they have no passages.
   */
  async archivedAmong(tenantId: string, conversationIds: readonly string[]): Promise<Set<string>> {
    if (conversationIds.length === 0) return new Set();
    const rows = await this.dataSource.query<Array<{ conversation_id: string }>>(
      `SELECT conversation_id FROM conversation_archives
        WHERE tenant_id = $1 AND conversation_id = ANY($2::varchar[])
          AND (restored_at IS NULL OR archived_at > restored_at)`,
      [tenantId, [...conversationIds]],
    );
    return new Set(rows.map((row) => row.conversation_id));
  }

  /** Keeps the ids of archived messages, so a replay does not store them again. */
  async keepIds(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
    messages: ReadonlyArray<{ messageId: string; seq: number }>,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO archived_message_ids (tenant_id, message_id, conversation_id, seq)
       SELECT $1, unnest($3::varchar[]), $2, unnest($4::bigint[])
       ON CONFLICT DO NOTHING`,
      [tenantId, conversationId, messages.map((m) => m.messageId), messages.map((m) => m.seq)],
    );
  }

  /** The archived ids of a conversation. */
  archivedIds(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<Array<{ message_id: string; seq: string }>> {
    return manager.query<Array<{ message_id: string; seq: string }>>(
      `SELECT message_id, seq FROM archived_message_ids WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId],
    );
  }

  /** Records (or moves on) a conversation's archive to a written revision, verified now. */
  async record(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
    archive: ArchiveWrite,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO conversation_archives AS a (tenant_id, conversation_id, relative_path, revision,
              sha256, bytes, message_count, first_seq, last_seq, user_ids, archived_at, verified_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now())
       ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
         relative_path = EXCLUDED.relative_path, revision = EXCLUDED.revision,
         sha256 = EXCLUDED.sha256, bytes = EXCLUDED.bytes, message_count = EXCLUDED.message_count,
         first_seq = EXCLUDED.first_seq, last_seq = EXCLUDED.last_seq, user_ids = EXCLUDED.user_ids,
         archived_at = EXCLUDED.archived_at, verified_at = now()`,
      [
        tenantId,
        conversationId,
        archive.relativePath,
        archive.revision,
        archive.sha256,
        archive.bytes,
        archive.messageCount,
        archive.firstSeq,
        archive.lastSeq,
        archive.userIds,
        archive.archivedAt,
      ],
    );
  }

  /** After a restore: the ids are dropped and the record notes when (verified now). */
  async markRestored(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
    at: Date,
  ): Promise<void> {
    await manager.query(
      `DELETE FROM archived_message_ids WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId],
    );
    await manager.query(
      `UPDATE conversation_archives SET restored_at = $3, verified_at = now()
        WHERE tenant_id = $1 AND conversation_id = $2`,
      [tenantId, conversationId, at],
    );
  }

  /** Deletes a conversation's archive record; returns what it pointed at. */
  async deleteRecord(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<Array<{ relative_path: string; message_count: number }>> {
    return affectedRows<{ relative_path: string; message_count: number }>(
      await manager.query(
        `DELETE FROM conversation_archives WHERE tenant_id = $1 AND conversation_id = $2
         RETURNING relative_path, message_count`,
        [tenantId, conversationId],
      ),
    );
  }

  /** Deletes a conversation's archived ids; returns how many. */
  deleteIds(manager: EntityManager, tenantId: string, conversationId: string): Promise<number> {
    const statement = `DELETE FROM archived_message_ids WHERE tenant_id = $1 AND conversation_id = $2
         RETURNING 1`;
    return deleteConversationRows(manager, statement, tenantId, conversationId);
  }
}
