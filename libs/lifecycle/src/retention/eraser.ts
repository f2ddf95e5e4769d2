import { ApiKeyStore } from '@memory/auth';
import {
  conversationKey,
  ErasedEvent,
  ErasureCounts,
  MEMORY_LIFECYCLE_SCHEMA,
  TOMBSTONE_HEADERS,
  TOPICS,
} from '@memory/contracts';
import {
  ConversationRepository,
  MessageRepository,
  ReadRecorder,
  SummaryRepository,
  SummaryVersionRepository,
  UserProfileRepository,
  UserRollupRepository,
  WebhookRepository,
} from '@memory/persistence';
import { BackfillRunStore } from '@memory/summarization';
import { createHash } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { removeArchive } from '../archive';
import { isolateConversation, OnConversationFailure } from '../conversation-failure';
import type { SendRecords } from '../compression-pass';
import { CompressionStore } from '../compression-store';
import { ArchiveRepository } from './archive.repository';
import { withConversationLock } from './conversation-lock';
import { ErasureRepository } from './erasure.repository';
import { LifecycleOutbox } from './lifecycle-outbox';

export type ErasureReason = ErasedEvent['reason'];
export type ErasureSubject = ErasedEvent['subject'];

/**
 * Removes conversations from the search indices: their summary documents and their passages
 * (the search library's `SummaryIndex.write` and `PassageIndex.deleteConversations`; see
 * `removeFromSearch` there), visible to searches once it resolves.
 */
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
  private readonly erasures: ErasureRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly archiveRoot: string,
    private readonly send: SendRecords,
    private readonly removeFromIndex: RemoveFromIndex,
  ) {
    this.erasures = new ErasureRepository(dataSource);
  }

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
    // Their profile and roll-ups go too (those built from the erased conversations already went).
    await new UserProfileRepository(this.dataSource).deleteUser(tenantId, userId);
    await new UserRollupRepository(this.dataSource).deleteUser(tenantId, userId);
    // Keys bound to them are revoked and forget them.
    await new ApiKeyStore(this.dataSource).forgetUser(tenantId, userId);
    await this.erasures.recordUser(
      tenantId,
      subjectHash('user', userId),
      JSON.stringify(counts),
      now,
    );
    return { userId, conversations: results, counts };
  }

  /**
   * Finishes erasures interrupted after their commit; returns how many it finished. With
   * `onFailure`, one that fails again (its archive cannot be removed, say) is handed to it and
   * the others are finished all the same; without, the first failure is thrown.
   */
  async completePending(onFailure?: OnConversationFailure): Promise<number> {
    const rows = await this.erasures.unfinished<PendingErasure>();
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
  conversationsOf(tenantId: string, userId: string): Promise<string[]> {
    return new ConversationRepository(this.dataSource).idsOfUser(tenantId, userId);
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
        const deleted = await deleteConversationRows(
          this.dataSource,
          runner.manager,
          tenantId,
          conversationId,
        );
        const erasureId = await this.erasures.recordConversation(
          runner.manager,
          tenantId,
          subjectHash('conversation', conversationId),
          reason,
          now,
        );
        const work: PendingErasure = {
          tenantId,
          conversationId,
          archive: deleted.archive,
          event: {
            schema: MEMORY_LIFECYCLE_SCHEMA,
            type: 'erased',
            tenantId,
            conversationId,
            occurredAt: now.toISOString(),
            erasureId,
            reason,
            subject,
            counts: deleted.counts,
          },
        };
        await this.erasures.setPending(
          runner.manager,
          erasureId,
          JSON.stringify(work),
          JSON.stringify(deleted.counts),
        );
        await runner.commitTransaction();
        return { erasureId, work };
      },
    );
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
    await this.erasures.complete(erasureId);
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
 * Deletes every row of a conversation in `manager`'s transaction, each table through its owner
 * and in this order (the archive record, messages, archived ids, summary, lineage,
 * compressions, reads, backfill runs, queued events, profiles citing it, webhook deliveries about
 * it, the conversation), and
 * counts them.
 */
async function deleteConversationRows(
  dataSource: DataSource,
  manager: EntityManager,
  tenantId: string,
  conversationId: string,
): Promise<{ counts: ErasureCounts; archive: string | null }> {
  const ids = [manager, tenantId, conversationId] as const;
  const archives = await new ArchiveRepository(dataSource).deleteRecord(...ids);
  const counts: ErasureCounts = {
    messages: await new MessageRepository(dataSource).deleteConversation(...ids),
    archivedMessages: await new ArchiveRepository(dataSource).deleteIds(...ids),
    archives: archives.length,
    summaries: await new SummaryRepository(dataSource).deleteConversation(...ids),
    summaryVersions: await new SummaryVersionRepository(dataSource).deleteConversation(...ids),
    compressions: await new CompressionStore(dataSource).deleteConversation(...ids),
  };
  await new ReadRecorder(dataSource).deleteConversation(...ids);
  // Its failure entries, a cursor resting on it, explicit lists of conversations naming it.
  await BackfillRunStore.forgetConversation(...ids);
  // Events not sent yet about it (archived, restored): the erased event stands for them.
  await LifecycleOutbox.discard(...ids);
  // Profiles and roll-ups built from it: built again from what is left by the next sweep.
  await new UserProfileRepository(dataSource).deleteCiting(...ids);
  await new UserRollupRepository(dataSource).deleteCiting(...ids);
  // Webhook deliveries about it (their payloads hold its summaries); the erased event follows.
  await new WebhookRepository(dataSource).deleteConversation(...ids);
  await new ConversationRepository(dataSource).deleteConversation(...ids);
  return { counts, archive: archives[0]?.relative_path ?? null };
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
