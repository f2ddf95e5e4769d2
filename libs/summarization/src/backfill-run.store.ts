import { DataSource, EntityManager } from 'typeorm';

/** A backfill run as `summary_backfills` keeps it. */
export interface BackfillRunRow {
  id: string;
  total: number;
  cursor_tenant: string | null;
  cursor_conversation: string | null;
  done: number;
  failed: number;
  skipped: number;
  failures: Array<{ tenantId: string; conversationId: string; error: string }>;
}

/** Where a run stands after a conversation. */
export interface BackfillProgress {
  cursor: readonly [string, string];
  done: number;
  failed: number;
  skipped: number;
  failures: BackfillRunRow['failures'];
}

const RUN_COLUMNS =
  'id, total, cursor_tenant, cursor_conversation, done, failed, skipped, failures';

/**
 * The owner of `summary_backfills` (backfill runs and their cursors): the only code that holds
 * SQL for it. See docs/architecture.md, "one owner per table".
 */
export class BackfillRunStore {
  constructor(private readonly dataSource: DataSource) {}

  /** The newest unfinished run of a selection (its canonical JSON), if any. */
  async unfinished(selection: string): Promise<BackfillRunRow | undefined> {
    const rows = await this.dataSource.query<BackfillRunRow[]>(
      `SELECT ${RUN_COLUMNS}
         FROM summary_backfills WHERE status = 'running' AND selection = $1::jsonb
        ORDER BY started_at DESC LIMIT 1`,
      [selection],
    );
    return rows[0];
  }

  async create(selection: string, total: number): Promise<BackfillRunRow> {
    const [row] = await this.dataSource.query<BackfillRunRow[]>(
      `INSERT INTO summary_backfills (selection, total) VALUES ($1::jsonb, $2)
       RETURNING ${RUN_COLUMNS}`,
      [selection, total],
    );
    return row;
  }

  async abandon(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE summary_backfills SET status = 'abandoned', updated_at = now() WHERE id = $1`,
      [id],
    );
  }

  async progress(id: string, progress: BackfillProgress): Promise<void> {
    await this.dataSource.query(
      `UPDATE summary_backfills SET cursor_tenant = $2, cursor_conversation = $3,
         done = $4, failed = $5, skipped = $6, failures = $7::jsonb, updated_at = now()
       WHERE id = $1`,
      [
        id,
        progress.cursor[0],
        progress.cursor[1],
        progress.done,
        progress.failed,
        progress.skipped,
        JSON.stringify(progress.failures),
      ],
    );
  }

  async finish(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE summary_backfills SET status = 'finished', finished_at = now(), updated_at = now()
        WHERE id = $1`,
      [id],
    );
  }

  /**
   * Takes a conversation out of the runs that name it, in `manager`'s transaction (an
   * erasure's): its failure entries go, a cursor resting on it is cleared (a resumed run
   * starts over; what it did already is skipped) and it leaves an explicit list of
   * conversations (the run then no longer matches its selection, so running that selection
   * again starts a new run).
   */
  static async forgetConversation(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<void> {
    await manager.query(
      `UPDATE summary_backfills b SET
         failures = COALESCE((SELECT jsonb_agg(f) FROM jsonb_array_elements(b.failures) f
                               WHERE NOT (f->>'tenantId' = $1 AND f->>'conversationId' = $2)),
                             '[]'::jsonb),
         cursor_tenant = CASE WHEN b.cursor_tenant = $1 AND b.cursor_conversation = $2
                              THEN NULL ELSE b.cursor_tenant END,
         cursor_conversation = CASE WHEN b.cursor_tenant = $1 AND b.cursor_conversation = $2
                                    THEN NULL ELSE b.cursor_conversation END,
         selection = CASE WHEN jsonb_typeof(b.selection->'conversationIds') = 'array'
                            AND COALESCE(b.selection->>'tenantId', $1) = $1
                          THEN jsonb_set(b.selection, '{conversationIds}',
                                         (b.selection->'conversationIds') - $2::text)
                          ELSE b.selection END,
         updated_at = now()
       WHERE (b.cursor_tenant = $1 AND b.cursor_conversation = $2)
          OR b.failures @> jsonb_build_array(
               jsonb_build_object('tenantId', $1::text, 'conversationId', $2::text))
          OR (jsonb_typeof(b.selection->'conversationIds') = 'array'
              AND b.selection->'conversationIds' @> to_jsonb($2::text)
              AND COALESCE(b.selection->>'tenantId', $1) = $1)`,
      [tenantId, conversationId],
    );
  }
}
