import { DataSource } from 'typeorm';

/** User pins: a pinned conversation counts as the most important (it stays richer longer). */
export class PinStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Pins or unpins a conversation of a tenant; false when the tenant has no summary of it
   * (not yet summarized, or another tenant's).
   */
  async setPinned(tenantId: string, conversationId: string, pinned: boolean): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      `UPDATE conversation_summaries SET pinned = $3
        WHERE tenant_id = $1 AND conversation_id = $2 AND version > 0
        RETURNING 1`,
      [tenantId, conversationId, pinned],
    );
    return rowCount(rows) > 0;
  }
}

/** TypeORM's `query` returns `[rows, count]` for an UPDATE … RETURNING on Postgres. */
function rowCount(result: unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[1];
  return result.length;
}
