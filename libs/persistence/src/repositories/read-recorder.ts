import { deleteConversationRows } from './affected-rows';
import { DataSource, EntityManager } from 'typeorm';

/**
 * Counts reads of conversations (a summary or messages fetched), one row per day. The owner of
 * `conversation_reads`: the only code that holds SQL for it (importance reads it in the
 * summaries' statement, see docs/architecture.md, "one owner per table").
 */
export class ReadRecorder {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Counts a read without waiting: a read answers at once, and a failure to count it is only
   * worth a warning (it weighs on importance, nothing else).
   */
  count(tenantId: string, conversationId: string, logger: { warn(message: unknown): void }): void {
    this.record(tenantId, conversationId).catch((error: unknown) => {
      logger.warn({
        msg: 'could not count a read',
        tenantId,
        conversationId,
        error: String(error),
      });
    });
  }

  async record(tenantId: string, conversationId: string, at: Date = new Date()): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO conversation_reads AS r (tenant_id, conversation_id, day, reads)
       VALUES ($1, $2, ($3::timestamptz AT TIME ZONE 'UTC')::date, 1)
       ON CONFLICT (tenant_id, conversation_id, day) DO UPDATE SET reads = r.reads + 1`,
      [tenantId, conversationId, at],
    );
  }

  /** Deletes a conversation's reads in `manager`'s transaction; returns how many rows. */
  deleteConversation(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    const statement = `DELETE FROM conversation_reads WHERE tenant_id = $1 AND conversation_id = $2
         RETURNING 1`;
    return deleteConversationRows(manager, statement, tenantId, conversationId);
  }
}
