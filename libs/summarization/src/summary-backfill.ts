import { DataSource } from 'typeorm';
import { ConversationSummarizer } from './conversation-summarizer';
import { SummaryConflictError, SummaryRow, SummaryStore } from './summary-store';

/** Which conversations a backfill covers, and how. */
export interface BackfillSelection {
  tenantId?: string;
  conversationIds?: string[];
  /** Re-summarize from the first message instead of folding only what is not folded yet. */
  rebuild: boolean;
}

export interface BackfillReport {
  runId: string;
  resumed: boolean;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  failures: Array<{ tenantId: string; conversationId: string; error: string }>;
}

export interface BackfillCallbacks {
  /** Called once the total is known, and after each conversation. */
  onStart?(total: number, alreadyDone: number): void;
  onConversation?(outcome: 'done' | 'failed' | 'skipped'): void;
  /** Called with each conversation's new summary, to publish it. */
  publish(rows: SummaryRow[]): Promise<void>;
}

/** A conversation as ingest keeps it in `conversations`. */
interface StoredConversation {
  tenantId: string;
  conversationId: string;
  userId: string;
  lastSeq: number;
  firstMessageAt: Date;
  lastMessageAt: Date;
}

interface RunRow {
  id: string;
  total: number;
  cursor_tenant: string | null;
  cursor_conversation: string | null;
  done: number;
  failed: number;
  skipped: number;
  failures: BackfillReport['failures'];
}

/** Failures a run remembers (for the report of a resumed run); the count is always exact. */
const MAX_FAILURES_KEPT = 100;
/** Conversations read per query while walking the selection. */
const PAGE = 200;

/**
 * (Re)summarizes stored conversations from Postgres, in (tenant, conversation) order, recording
 * its position after each one in `summary_backfills`: run again with the same selection, it
 * resumes after the last conversation it finished. Catching up is idempotent (a conversation
 * already up to date is skipped); a rebuild starts the conversation over from its first message
 * with a higher version, so repeating it only repeats work.
 */
export class SummaryBackfill {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: SummaryStore,
    private readonly summarizer: ConversationSummarizer,
  ) {}

  async run(
    selection: BackfillSelection,
    callbacks: BackfillCallbacks,
    options: { restart?: boolean } = {},
  ): Promise<BackfillReport> {
    const key = JSON.stringify({
      tenantId: selection.tenantId ?? null,
      conversationIds: selection.conversationIds ? [...selection.conversationIds].sort() : null,
      rebuild: selection.rebuild,
    });
    let run = await this.unfinishedRun(key);
    if (run && options.restart) {
      await this.dataSource.query(
        `UPDATE summary_backfills SET status = 'abandoned', updated_at = now() WHERE id = $1`,
        [run.id],
      );
      run = undefined;
    }
    const resumed = run !== undefined;
    run ??= await this.newRun(key, await this.count(selection));
    const report: BackfillReport = {
      runId: run.id,
      resumed,
      total: run.total,
      done: run.done,
      failed: run.failed,
      skipped: run.skipped,
      failures: [...run.failures],
    };
    callbacks.onStart?.(run.total, run.done + run.failed + run.skipped);
    let cursor: [string, string] | undefined =
      run.cursor_tenant !== null && run.cursor_conversation !== null
        ? [run.cursor_tenant, run.cursor_conversation]
        : undefined;
    for (;;) {
      const page = await this.page(selection, cursor);
      if (page.length === 0) break;
      for (const conversation of page) {
        const outcome = await this.one(conversation, selection.rebuild, callbacks).catch(
          (error: unknown) => {
            report.failures.push({
              tenantId: conversation.tenantId,
              conversationId: conversation.conversationId,
              error: String(error),
            });
            return 'failed' as const;
          },
        );
        report[outcome]++;
        cursor = [conversation.tenantId, conversation.conversationId];
        await this.dataSource.query(
          `UPDATE summary_backfills SET cursor_tenant = $2, cursor_conversation = $3,
             done = $4, failed = $5, skipped = $6, failures = $7::jsonb, updated_at = now()
           WHERE id = $1`,
          [
            run.id,
            cursor[0],
            cursor[1],
            report.done,
            report.failed,
            report.skipped,
            JSON.stringify(report.failures.slice(-MAX_FAILURES_KEPT)),
          ],
        );
        callbacks.onConversation?.(outcome);
      }
    }
    await this.dataSource.query(
      `UPDATE summary_backfills SET status = 'finished', finished_at = now(), updated_at = now()
        WHERE id = $1`,
      [run.id],
    );
    return report;
  }

  private async one(
    conversation: StoredConversation,
    rebuild: boolean,
    callbacks: BackfillCallbacks,
  ): Promise<'done' | 'skipped'> {
    if (conversation.lastSeq === 0) return 'skipped';
    const [seen] = await this.store.recordSeen([
      {
        tenantId: conversation.tenantId,
        conversationId: conversation.conversationId,
        userId: conversation.userId,
        seenSeq: conversation.lastSeq,
        firstMessageAt: conversation.firstMessageAt,
        lastMessageAt: conversation.lastMessageAt,
      },
    ]);
    let row = seen;
    if (rebuild) row = await this.reset(row);
    else if (row.throughSeq >= conversation.lastSeq) return 'skipped';
    const updated = await this.summarizer.bringUpToDate(row, 'backfill', {
      throughSeq: conversation.lastSeq,
    });
    await callbacks.publish([updated]);
    return 'done';
  }

  /** Starts the summary over; a concurrent fold that wins the race is simply reset again. */
  private async reset(row: SummaryRow): Promise<SummaryRow> {
    let current = row;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.resetForRebuild(current);
      } catch (error) {
        if (!(error instanceof SummaryConflictError) || attempt >= 5) throw error;
        current = (await this.store.load(row.tenantId, row.conversationId)) ?? current;
      }
    }
  }

  private async unfinishedRun(key: string): Promise<RunRow | undefined> {
    const rows = await this.dataSource.query<RunRow[]>(
      `SELECT id, total, cursor_tenant, cursor_conversation, done, failed, skipped, failures
         FROM summary_backfills WHERE status = 'running' AND selection = $1::jsonb
        ORDER BY started_at DESC LIMIT 1`,
      [key],
    );
    return rows[0];
  }

  private async newRun(key: string, total: number): Promise<RunRow> {
    const [row] = await this.dataSource.query<RunRow[]>(
      `INSERT INTO summary_backfills (selection, total) VALUES ($1::jsonb, $2)
       RETURNING id, total, cursor_tenant, cursor_conversation, done, failed, skipped, failures`,
      [key, total],
    );
    return row;
  }

  private filter(selection: BackfillSelection, params: unknown[]): string {
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

  private async count(selection: BackfillSelection): Promise<number> {
    const params: unknown[] = [];
    const [row] = await this.dataSource.query<Array<{ count: string }>>(
      `SELECT count(*) FROM conversations WHERE ${this.filter(selection, params)}`,
      params,
    );
    return Number(row?.count ?? 0);
  }

  private async page(
    selection: BackfillSelection,
    after: [string, string] | undefined,
  ): Promise<StoredConversation[]> {
    const params: unknown[] = [];
    let where = this.filter(selection, params);
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (tenant_id, conversation_id) > ($${params.length - 1}, $${params.length})`;
    }
    params.push(PAGE);
    const rows = await this.dataSource.query<
      Array<{
        tenant_id: string;
        conversation_id: string;
        user_id: string;
        last_seq: string;
        first_message_at: Date | null;
        last_message_at: Date | null;
      }>
    >(
      `SELECT tenant_id, conversation_id, user_id, last_seq, first_message_at, last_message_at
         FROM conversations WHERE ${where}
        ORDER BY tenant_id, conversation_id LIMIT $${params.length}`,
      params,
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      conversationId: row.conversation_id,
      userId: row.user_id,
      lastSeq: Number(row.last_seq),
      firstMessageAt: row.first_message_at ?? new Date(0),
      lastMessageAt: row.last_message_at ?? new Date(0),
    }));
  }
}
