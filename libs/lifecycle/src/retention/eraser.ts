import {
  conversationKey,
  ErasedEvent,
  ErasureCounts,
  MEMORY_LIFECYCLE_SCHEMA,
  TOMBSTONE_HEADERS,
  TOPICS,
} from '@memory/contracts';
import { createHash } from 'node:crypto';
import { DataSource, QueryRunner } from 'typeorm';
import { removeArchive } from '../archive';
import { isolateConversation, OnConversationFailure } from '../conversation-failure';
import type { SendRecords } from '../compression-pass';
import { affectedRows, withConversationLock } from './conversation-lock';

export type ErasureReason = ErasedEvent['reason'];
export type ErasureSubject = ErasedEvent['subject'];

/** Removes conversations from the search index (the search library's SummaryIndex.write). */
export type RemoveFromIndex = (
  conversations: ReadonlyArray<{ tenantId: string; conversationId: string }>,
) => Promise<unknown>;

/** What is left to do after an erasure's commit; kept (with the ids) only until it is done. */
interface PendingErasure {
  tenantId: string;
  conversationId: string;
  archive: string | null;
  event: ErasedEvent;
}

export interface ErasureResult {
  erasureId: string;
  conversationId: string;
  counts: ErasureCounts;
}

export interface UserErasureResult {
  userId: string;
  conversations: ErasureResult[];
  counts: ErasureCounts;
}

/** How long an erase request waits for a conversation another process is working on. */
const LOCK_WAIT_MS = 30_000;

/**
 * Erases conversations everywhere. One conversation: in one transaction every row of it goes
 * (messages, archived ids, summaries and their lineage, compressions, reads, the archive
 * record, the conversation) and an erasure is recorded: the hash of the id (a replay of an old
 * message must not bring it back; the list keeps no id), counts, and what is left to do. Then,
 * outside the database: the archive file, the search index document, a tombstone on the
 * compacted `memory.summaries.v1`, and the `erased` audit event. The erasure is complete once
 * those are done, and its ids are dropped; an erasure interrupted after its commit is finished
 * by {@link completePending} (every step can be repeated).
 */
export class Eraser {
  constructor(
    private readonly dataSource: DataSource,
    private readonly archiveRoot: string,
    private readonly send: SendRecords,
    private readonly removeFromIndex: RemoveFromIndex,
  ) {}

  /** Erases one conversation of a tenant. Erasing a conversation that has no data records the erasure all the same. */
  async eraseConversation(
    tenantId: string,
    conversationId: string,
    reason: ErasureReason,
    now: Date = new Date(),
  ): Promise<ErasureResult> {
    const pending = await this.commitConversation(
      tenantId,
      conversationId,
      reason,
      { kind: 'conversation', id: conversationId },
      now,
    );
    await this.complete(pending.erasureId, pending.work);
    return { erasureId: pending.erasureId, conversationId, counts: pending.work.event.counts };
  }

  /**
   * Erases a user: every conversation holding a message of theirs, or owned by them, then
   * records the user's erasure, so that a replayed message of theirs from before now is
   * dropped too.
   */
  async eraseUser(
    tenantId: string,
    userId: string,
    now: Date = new Date(),
    onConversation?: (done: number, total: number) => void,
  ): Promise<UserErasureResult> {
    const conversations = await this.conversationsOf(tenantId, userId);
    const results: ErasureResult[] = [];
    for (const conversationId of conversations) {
      const pending = await this.commitConversation(
        tenantId,
        conversationId,
        'request',
        { kind: 'user', idSha256: subjectHash('user', userId) },
        now,
      );
      await this.complete(pending.erasureId, pending.work);
      results.push({
        erasureId: pending.erasureId,
        conversationId,
        counts: pending.work.event.counts,
      });
      onConversation?.(results.length, conversations.length);
    }
    const counts = sumCounts(results.map((result) => result.counts));
    await this.dataSource.query(
      `INSERT INTO erasures (tenant_id, subject_kind, subject_hash, reason, counts, pending,
                             erased_at, completed_at)
       VALUES ($1, 'user', $2, 'request', $3, '{}', $4, now())`,
      [tenantId, subjectHash('user', userId), JSON.stringify(counts), now],
    );
    return { userId, conversations: results, counts };
  }

  /**
   * Finishes erasures interrupted after their commit; returns how many it finished. With
   * `onFailure`, one that fails again (its archive cannot be removed, say) is handed to it and
   * the others are finished all the same; without, the first failure is thrown.
   */
  async completePending(onFailure?: OnConversationFailure): Promise<number> {
    const rows = await this.dataSource.query<Array<{ id: string; pending: PendingErasure }>>(
      `SELECT id, pending FROM erasures WHERE completed_at IS NULL ORDER BY erased_at LIMIT 100`,
    );
    if (!onFailure) {
      for (const row of rows) await this.complete(row.id, row.pending);
      return rows.length;
    }
    let completed = 0;
    for (const row of rows) {
      const done = await isolateConversation(
        'erase-completion',
        row.pending,
        () => this.dataSource.query('SELECT 1'),
        onFailure,
        async () => {
          await this.complete(row.id, row.pending);
          return true;
        },
      );
      if (done) completed++;
    }
    return completed;
  }

  /** Conversation ids of a user: owned, written in, summarized or archived as theirs. */
  async conversationsOf(tenantId: string, userId: string): Promise<string[]> {
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

  private commitConversation(
    tenantId: string,
    conversationId: string,
    reason: ErasureReason,
    subject: ErasureSubject,
    now: Date,
  ): Promise<{ erasureId: string; work: PendingErasure }> {
    return withConversationLock(
      this.dataSource,
      tenantId,
      conversationId,
      LOCK_WAIT_MS,
      async (runner) => {
        await runner.startTransaction();
        const ids = [tenantId, conversationId];
        const count = async (table: string): Promise<number> =>
          affectedRows(
            await runner.manager.query(
              `DELETE FROM ${table} WHERE tenant_id = $1 AND conversation_id = $2 RETURNING 1`,
              ids,
            ),
          ).length;
        const archives = affectedRows<{ relative_path: string; message_count: number }>(
          await runner.manager.query(
            `DELETE FROM conversation_archives WHERE tenant_id = $1 AND conversation_id = $2
             RETURNING relative_path, message_count`,
            ids,
          ),
        );
        const counts: ErasureCounts = {
          messages: await count('messages'),
          archivedMessages: await count('archived_message_ids'),
          archives: archives.length,
          summaries: await count('conversation_summaries'),
          summaryVersions: await count('summary_versions'),
          compressions: await count('summary_compressions'),
        };
        await count('conversation_reads');
        await scrubBackfills(runner, tenantId, conversationId);
        // Events not sent yet about it (archived, restored): the erased event stands for them.
        await runner.manager.query(`DELETE FROM lifecycle_outbox WHERE record_key = $1`, [
          conversationKey(tenantId, conversationId),
        ]);
        await count('conversations');
        const erasureId = await this.record(runner, tenantId, conversationId, reason, now);
        const work: PendingErasure = {
          tenantId,
          conversationId,
          archive: archives[0]?.relative_path ?? null,
          event: {
            schema: MEMORY_LIFECYCLE_SCHEMA,
            type: 'erased',
            tenantId,
            conversationId,
            occurredAt: now.toISOString(),
            erasureId,
            reason,
            subject,
            counts,
          },
        };
        await runner.manager.query(`UPDATE erasures SET pending = $2, counts = $3 WHERE id = $1`, [
          erasureId,
          JSON.stringify(work),
          JSON.stringify(counts),
        ]);
        await runner.commitTransaction();
        return { erasureId, work };
      },
    );
  }

  private async record(
    runner: QueryRunner,
    tenantId: string,
    conversationId: string,
    reason: ErasureReason,
    now: Date,
  ): Promise<string> {
    const [row] = await runner.manager.query<Array<{ id: string }>>(
      `INSERT INTO erasures (tenant_id, subject_kind, subject_hash, reason, counts, pending, erased_at)
       VALUES ($1, 'conversation', $2, $3, '{}', '{}', $4) RETURNING id`,
      [tenantId, subjectHash('conversation', conversationId), reason, now],
    );
    if (!row) throw new Error('recording the erasure returned no id');
    return row.id;
  }

  /** The steps after the commit; each may run again. */
  private async complete(erasureId: string, work: PendingErasure): Promise<void> {
    work = withHashedSubject(work);
    if (work.archive) await removeArchive(this.archiveRoot, work.archive);
    const ref = { tenantId: work.tenantId, conversationId: work.conversationId };
    await this.removeFromIndex([ref]);
    const key = conversationKey(work.tenantId, work.conversationId);
    await this.send(TOPICS.memorySummaries, [
      {
        key,
        value: null,
        headers: {
          [TOMBSTONE_HEADERS.tenantId]: work.tenantId,
          [TOMBSTONE_HEADERS.conversationId]: work.conversationId,
        },
      },
    ]);
    await this.send(TOPICS.memoryLifecycle, [{ key, value: JSON.stringify(work.event) }]);
    await this.dataSource.query(
      `UPDATE erasures SET completed_at = now(), pending = '{}' WHERE id = $1`,
      [erasureId],
    );
  }
}

/**
 * An erasure left pending by a version that named a user by plain id in the event: the event
 * goes out with the user's hash, as every event now does.
 */
function withHashedSubject(work: PendingErasure): PendingErasure {
  const subject = work.event.subject as ErasureSubject | { kind: 'user'; id: string };
  if (subject.kind !== 'user' || !('id' in subject)) return work;
  return {
    ...work,
    event: { ...work.event, subject: { kind: 'user', idSha256: subjectHash('user', subject.id) } },
  };
}

/**
 * Takes a conversation out of the summary backfill runs that name it: its failure entries go,
 * a cursor resting on it is cleared (a resumed run starts over; what it did already is skipped)
 * and it leaves an explicit list of conversations (the run then no longer matches its
 * selection, so running that selection again starts a new run).
 */
async function scrubBackfills(
  runner: QueryRunner,
  tenantId: string,
  conversationId: string,
): Promise<void> {
  await runner.manager.query(
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

/**
 * The hash an erasure is recorded by: the kind and the id, SHA-256. Ingest and the summarizer
 * compute it for what they receive and drop what an erasure covers; the id itself is not kept.
 */
export function subjectHash(kind: ErasureSubject['kind'], id: string): string {
  return createHash('sha256').update(`${kind}:${id}`, 'utf8').digest('hex');
}

function sumCounts(all: readonly ErasureCounts[]): ErasureCounts {
  const total: ErasureCounts = {
    messages: 0,
    archivedMessages: 0,
    archives: 0,
    summaries: 0,
    summaryVersions: 0,
    compressions: 0,
  };
  for (const counts of all)
    for (const key of Object.keys(total) as Array<keyof ErasureCounts>) total[key] += counts[key];
  return total;
}
