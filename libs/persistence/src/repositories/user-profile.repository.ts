import { DataSource, EntityManager } from 'typeorm';
import { updatedCount } from './affected-rows';

/** A stored user profile, as the repository reads and writes it. */
export interface UserProfileRecord {
  tenantId: string;
  userId: string;
  version: number;
  /** The profile's sections (see `UserProfileSections` in libs/summarization). */
  sections: unknown;
  sourceConversations: string[];
  inputHash: string;
  backend: string;
  builtAt: Date;
  checkedAt: Date;
}

interface ProfileRow {
  tenant_id: string;
  user_id: string;
  version: number;
  sections: unknown;
  source_conversations: string[];
  input_hash: string;
  backend: string;
  built_at: Date;
  checked_at: Date;
}

/**
 * The owner of `user_profiles` (docs/architecture.md, "one owner per table"): the only code
 * that holds SQL for it. The summaries a profile is built from are read by their owner,
 * `SummaryRepository` (`profileInputs`).
 */
export class UserProfileRepository {
  constructor(private readonly dataSource: DataSource) {}

  async load(tenantId: string, userId: string): Promise<UserProfileRecord | undefined> {
    const [row] = await this.dataSource.query<ProfileRow[]>(
      `SELECT * FROM user_profiles WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId],
    );
    return row ? toRecord(row) : undefined;
  }

  /**
   * Users whose profile is due: none yet, or one checked at least `intervalMs` before `now`
   * while a summary of theirs changed since; up to `limit`, the longest waiting first.
   */
  async due(
    now: Date,
    intervalMs: number,
    limit: number,
  ): Promise<Array<{ tenantId: string; userId: string }>> {
    const rows = await this.dataSource.query<Array<{ tenant_id: string; user_id: string }>>(
      `SELECT s.tenant_id, s.user_id
         FROM conversation_summaries s
         LEFT JOIN user_profiles p ON p.tenant_id = s.tenant_id AND p.user_id = s.user_id
        WHERE s.version > 0
        GROUP BY s.tenant_id, s.user_id, p.checked_at
       HAVING p.checked_at IS NULL
           OR (max(s.updated_at) > p.checked_at
               AND p.checked_at <= $1::timestamptz - make_interval(secs => $2::double precision / 1000))
        ORDER BY p.checked_at NULLS FIRST, s.tenant_id, s.user_id
        LIMIT $3`,
      [now, intervalMs, limit],
    );
    return rows.map((row) => ({ tenantId: row.tenant_id, userId: row.user_id }));
  }

  /** Writes a profile (a new version, or the first). */
  async save(profile: Omit<UserProfileRecord, 'version'>): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ version: number }>>(
      `INSERT INTO user_profiles (tenant_id, user_id, version, sections, source_conversations,
                                  input_hash, backend, built_at, checked_at)
       VALUES ($1, $2, 1, $3, $4, $5, $6, $7, $7)
       ON CONFLICT (tenant_id, user_id) DO UPDATE
         SET version = user_profiles.version + 1, sections = EXCLUDED.sections,
             source_conversations = EXCLUDED.source_conversations,
             input_hash = EXCLUDED.input_hash, backend = EXCLUDED.backend,
             built_at = EXCLUDED.built_at, checked_at = EXCLUDED.checked_at
       RETURNING version`,
      [
        profile.tenantId,
        profile.userId,
        JSON.stringify(profile.sections),
        profile.sourceConversations,
        profile.inputHash,
        profile.backend,
        profile.builtAt,
      ],
    );
    return row.version;
  }

  /** Records that the profile was looked at and its input had not changed. */
  async checked(tenantId: string, userId: string, at: Date): Promise<void> {
    await this.dataSource.query(
      `UPDATE user_profiles SET checked_at = $3 WHERE tenant_id = $1 AND user_id = $2`,
      [tenantId, userId, at],
    );
  }

  /**
   * Deletes the profiles that cite a conversation (in `manager`'s transaction when given): an
   * erased conversation leaves no trace in them; the next sweep builds them again from what is
   * left.
   */
  async deleteCiting(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    const result = await manager.query<unknown[]>(
      `DELETE FROM user_profiles
        WHERE tenant_id = $1 AND source_conversations @> ARRAY[$2]::text[]
        RETURNING 1`,
      [tenantId, conversationId],
    );
    return updatedCount(result);
  }

  /** Deletes a user's profile. */
  async deleteUser(tenantId: string, userId: string): Promise<number> {
    const result = await this.dataSource.query<unknown[]>(
      `DELETE FROM user_profiles WHERE tenant_id = $1 AND user_id = $2 RETURNING 1`,
      [tenantId, userId],
    );
    return updatedCount(result);
  }
}

function toRecord(row: ProfileRow): UserProfileRecord {
  return {
    tenantId: row.tenant_id,
    userId: row.user_id,
    version: row.version,
    sections: row.sections,
    sourceConversations: row.source_conversations,
    inputHash: row.input_hash,
    backend: row.backend,
    builtAt: row.built_at,
    checkedAt: row.checked_at,
  };
}
