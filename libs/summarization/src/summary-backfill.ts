import { ConversationRepository } from '@memory/persistence';
import { DataSource } from 'typeorm';
import { BackfillRunStore } from './backfill-run.store';
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
  /** Stopped at `limit` with conversations left: running it again continues. */
  limited: boolean;
}

export interface BackfillOptions {
  /** Start the selection over instead of resuming an unfinished run. */
  restart?: boolean;
  /** Conversations worked on at once (default 1); one conversation is never worked on twice. */
  workers?: number;
  /** Stop after this many conversations in this invocation (resumable). */
  limit?: number;
}

type Outcome = 'done' | 'failed' | 'skipped';

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
  private readonly runs: BackfillRunStore;
  private readonly conversations: ConversationRepository;

  constructor(
    dataSource: DataSource,
    private readonly store: SummaryStore,
    private readonly summarizer: ConversationSummarizer,
  ) {
    this.runs = new BackfillRunStore(dataSource);
    this.conversations = new ConversationRepository(dataSource);
  }

  async run(
    selection: BackfillSelection,
    callbacks: BackfillCallbacks,
    options: BackfillOptions = {},
  ): Promise<BackfillReport> {
    const workers = Math.max(1, Math.floor(options.workers ?? 1));
    const limit = options.limit ?? Infinity;
    const key = JSON.stringify({
      tenantId: selection.tenantId ?? null,
      conversationIds: selection.conversationIds ? [...selection.conversationIds].sort() : null,
      rebuild: selection.rebuild,
    });
    let run = await this.runs.unfinished(key);
    if (run && options.restart) {
      await this.runs.abandon(run.id);
      run = undefined;
    }
    const resumed = run !== undefined;
    run ??= await this.runs.create(key, await this.conversations.count(selection));
    const runId = run.id;
    const report: BackfillReport = {
      runId: run.id,
      resumed,
      total: run.total,
      done: run.done,
      failed: run.failed,
      skipped: run.skipped,
      failures: [...run.failures],
      limited: false,
    };
    callbacks.onStart?.(run.total, run.done + run.failed + run.skipped);
    let cursor: [string, string] | undefined =
      run.cursor_tenant !== null && run.cursor_conversation !== null
        ? [run.cursor_tenant, run.cursor_conversation]
        : undefined;
    let worked = 0;
    for (;;) {
      if (worked >= limit) {
        report.limited = (await this.page(selection, cursor)).length > 0;
        if (report.limited) return report;
        break;
      }
      const page = (await this.page(selection, cursor)).slice(0, limit - worked);
      if (page.length === 0) break;
      worked += page.length;
      // Up to `workers` conversations at once; the cursor moves only past a finished prefix, so
      // a run stopped anywhere resumes without skipping one that was still being worked on.
      const outcomes: Array<Outcome | undefined> = page.map(() => undefined);
      let next = 0;
      let finished = 0;
      let saving: Promise<void> = Promise.resolve();
      const settle = (): Promise<void> => {
        let last: [string, string] | undefined;
        for (let outcome = outcomes[finished]; outcome !== undefined;) {
          const conversation = page[finished];
          report[outcome]++;
          last = [conversation.tenantId, conversation.conversationId];
          finished++;
          outcome = finished < page.length ? outcomes[finished] : undefined;
        }
        if (!last) return saving;
        cursor = last;
        const progress = {
          cursor: last,
          done: report.done,
          failed: report.failed,
          skipped: report.skipped,
          failures: report.failures.slice(-MAX_FAILURES_KEPT),
        };
        saving = saving.then(() => this.runs.progress(runId, progress));
        return saving;
      };
      const worker = async (): Promise<void> => {
        while (next < page.length) {
          const index = next++;
          const conversation = page[index];
          outcomes[index] = await this.one(conversation, selection.rebuild, callbacks).catch(
            (error: unknown) => {
              report.failures.push({
                tenantId: conversation.tenantId,
                conversationId: conversation.conversationId,
                error: String(error),
              });
              return 'failed' as const;
            },
          );
          callbacks.onConversation?.(outcomes[index]);
          await settle();
        }
      };
      await Promise.all(Array.from({ length: Math.min(workers, page.length) }, worker));
      await saving;
    }
    await this.runs.finish(run.id);
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

  private async page(
    selection: BackfillSelection,
    after: [string, string] | undefined,
  ): Promise<StoredConversation[]> {
    const rows = await this.conversations.page(selection, after, PAGE);
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
