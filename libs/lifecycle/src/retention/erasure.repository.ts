import { DataSource, EntityManager } from 'typeorm';

/**
 * The owner of `erasures` (hashed subjects of erased conversations and users, and the steps an
 * erasure still owes): the only code that holds SQL for it. Ingest and the summarizer read it
 * inside their own statements, which live with `messages` and `conversation_summaries`. See
 * docs/architecture.md, "one owner per table".
 */
export class ErasureRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records a completed user erasure. */
  async recordUser(
    tenantId: string,
    subjectHash: string,
    counts: string,
    erasedAt: Date,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO erasures (tenant_id, subject_kind, subject_hash, reason, counts, pending,
                             erased_at, completed_at)
       VALUES ($1, 'user', $2, 'request', $3, '{}', $4, now())`,
      [tenantId, subjectHash, counts, erasedAt],
    );
  }

  /** Records a conversation's erasure in `manager`'s transaction; returns its id. */
  async recordConversation(
    manager: EntityManager,
    tenantId: string,
    subjectHash: string,
    reason: string,
    erasedAt: Date,
  ): Promise<string> {
    const [row] = await manager.query<Array<{ id: string }>>(
      `INSERT INTO erasures (tenant_id, subject_kind, subject_hash, reason, counts, pending, erased_at)
       VALUES ($1, 'conversation', $2, $3, '{}', '{}', $4) RETURNING id`,
      [tenantId, subjectHash, reason, erasedAt],
    );
    if (!row) throw new Error('recording the erasure returned no id');
    return row.id;
  }

  /** Notes the steps left and the counts, in `manager`'s transaction (JSON text). */
  async setPending(
    manager: EntityManager,
    id: string,
    pending: string,
    counts: string,
  ): Promise<void> {
    await manager.query(`UPDATE erasures SET pending = $2, counts = $3 WHERE id = $1`, [
      id,
      pending,
      counts,
    ]);
  }

  /** Up to 100 erasures interrupted after their commit, oldest first. */
  unfinished<P>(): Promise<Array<{ id: string; pending: P }>> {
    return this.dataSource.query<Array<{ id: string; pending: P }>>(
      `SELECT id, pending FROM erasures WHERE completed_at IS NULL ORDER BY erased_at LIMIT 100`,
    );
  }

  /** Marks an erasure complete and drops its pending steps (the last copy of the ids). */
  async complete(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE erasures SET completed_at = now(), pending = '{}' WHERE id = $1`,
      [id],
    );
  }
}
