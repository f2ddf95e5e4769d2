import { DataSource, EntityManager } from 'typeorm';
import { updatedCount } from './affected-rows';

/** A stored monthly roll-up. */
export interface UserRollupRecord {
  tenantId: string;
  userId: string;
  /** `YYYY-MM` (UTC). */
  month: string;
  version: number;
  text: string;
  /** Summary sections (`memory.summary.v1`'s shape). */
  sections: unknown;
  sourceConversations: string[];
  inputHash: string;
  backend: string;
  builtAt: Date;
}

interface RollupRow {
  tenant_id: string;
  user_id: string;
  month: string;
  version: number;
  text: string;
  sections: unknown;
  source_conversations: string[];
  input_hash: string;
  backend: string;
  built_at: Date;
}

/** The owner of `user_rollups` (docs/architecture.md, "one owner per table"). */
export class UserRollupRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** The input hash of each of a user's roll-ups, by month. */
  async hashes(tenantId: string, userId: string): Promise<Map<string, string>> {
    const rows = await this.dataSource.query<Array<{ month: string; input_hash: string }>>(
      `SELECT month, input_hash FROM user_rollups WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    );
    return new Map(rows.map((row) => [row.month, row.input_hash]));
  }

  /** Writes a month's roll-up (a new version, or the first). */
  async save(rollup: Omit<UserRollupRecord, 'version'>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO user_rollups (tenant_id, user_id, month, version, text, sections,
                                 source_conversations, input_hash, backend, built_at)
       VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (tenant_id, user_id, month) DO UPDATE
         SET version = user_rollups.version + 1, text = EXCLUDED.text,
             sections = EXCLUDED.sections, source_conversations = EXCLUDED.source_conversations,
             input_hash = EXCLUDED.input_hash, backend = EXCLUDED.backend,
             built_at = EXCLUDED.built_at`,
      [
        rollup.tenantId,
        rollup.userId,
        rollup.month,
        rollup.text,
        JSON.stringify(rollup.sections),
        rollup.sourceConversations,
        rollup.inputHash,
        rollup.backend,
        rollup.builtAt,
      ],
    );
  }

  /** Deletes a user's roll-ups of months not in `keep` (their conversations are gone). */
  async deleteOtherMonths(
    tenantId: string,
    userId: string,
    keep: readonly string[],
  ): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM user_rollups
        WHERE tenant_id = $1 AND user_id = $2 AND NOT (month = ANY($3::text[]))`,
      [tenantId, userId, keep],
    );
  }

  /**
   * A user's roll-ups, newest month first, within `from`..`to` (months, inclusive) and, with
   * `query`, only those whose text matches it (Postgres full-text search, English; best match
   * first).
   */
  async list(
    tenantId: string,
    userId: string,
    filter: { from?: string; to?: string; query?: string; limit: number },
  ): Promise<UserRollupRecord[]> {
    const rows = await this.dataSource.query<RollupRow[]>(
      `SELECT tenant_id, user_id, month, version, text, sections, source_conversations,
              input_hash, backend, built_at
         FROM user_rollups
        WHERE tenant_id = $1 AND user_id = $2
          AND ($3::text IS NULL OR month >= $3) AND ($4::text IS NULL OR month <= $4)
          AND ($5::text IS NULL OR search_text @@ websearch_to_tsquery('english', $5))
        ORDER BY CASE WHEN $5::text IS NULL THEN 0
                      ELSE ts_rank(search_text, websearch_to_tsquery('english', $5)) END DESC,
                 month DESC
        LIMIT $6`,
      [
        tenantId,
        userId,
        filter.from ?? null,
        filter.to ?? null,
        filter.query ?? null,
        filter.limit,
      ],
    );
    return rows.map(toRecord);
  }

  /** Deletes the roll-ups built from a conversation, in `manager`'s transaction. */
  async deleteCiting(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    const result = await manager.query<unknown[]>(
      `DELETE FROM user_rollups
        WHERE tenant_id = $1 AND source_conversations @> ARRAY[$2]::text[]
        RETURNING 1`,
      [tenantId, conversationId],
    );
    return updatedCount(result);
  }

  /** Deletes a user's roll-ups. */
  async deleteUser(tenantId: string, userId: string): Promise<number> {
    const result = await this.dataSource.query<unknown[]>(
      `DELETE FROM user_rollups WHERE tenant_id = $1 AND user_id = $2 RETURNING 1`,
      [tenantId, userId],
    );
    return updatedCount(result);
  }
}

function toRecord(row: RollupRow): UserRollupRecord {
  return {
    tenantId: row.tenant_id,
    userId: row.user_id,
    month: row.month,
    version: row.version,
    text: row.text,
    sections: row.sections,
    sourceConversations: row.source_conversations,
    inputHash: row.input_hash,
    backend: row.backend,
    builtAt: row.built_at,
  };
}
