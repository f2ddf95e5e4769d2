import { RestoredEvent } from '@memory/contracts';
import { ArchivedMessageRow, MessageRepository, SummaryRepository } from '@memory/persistence';
import { DataSource, QueryRunner } from 'typeorm';
import {
  ArchivedMessage,
  ArchiveDocument,
  archiveRelativePath,
  ArchiveVerificationError,
  buildManifest,
  canonicalMessagesJson,
  mergeMessages,
  readArchive,
  writeArchive,
} from '../archive';
import { ArchiveRepository, ArchiveRow, ArchiveWrite } from './archive.repository';
import { withConversationLock } from './conversation-lock';
import { LifecycleOutbox } from './lifecycle-outbox';
import { RetentionPausePoint, RetentionPolicy } from '../retention.settings';
import { createHash } from 'node:crypto';

/** A conversation as retention sees it. */
export interface RetainedConversation {
  tenantId: string;
  conversationId: string;
  userId: string;
  firstMessageAt: Date;
  lastMessageAt: Date;
  /** The last seq the summary covers: only summarized messages are archived. */
  throughSeq: number;
}

/** What archiving one conversation did. */
export type ArchiveOutcome =
  | {
      kind: 'archived';
      relativePath: string;
      revision: number;
      sha256: string;
      bytes: number;
      archivedMessages: number;
      keptMessages: number;
      messageCount: number;
    }
  | { kind: 'nothing'; keptMessages: number }
  | { kind: 'busy' };

/** The conversation_archives row of a conversation. */
export interface ArchiveRecord extends ArchiveWrite {
  tenantId: string;
  conversationId: string;
  verifiedAt: Date;
  restoredAt: Date | null;
}

export interface RestoreOutcome {
  relativePath: string;
  revision: number;
  sha256: string;
  /** Messages put back into Postgres (those still there are not counted). */
  restoredMessages: number;
  /** Messages of the archive, all now in Postgres. */
  messageCount: number;
  firstSeq: number;
  lastSeq: number;
}

/** Thrown by restore when the conversation has no archive. */
export class NoArchiveError extends Error {
  constructor(tenantId: string, conversationId: string) {
    super(`conversation ${tenantId}:${conversationId} has no archive`);
    this.name = 'NoArchiveError';
  }
}

/** How long a request waits for a conversation another process is working on. */
const REQUEST_LOCK_WAIT_MS = 30_000;

/**
 * Archives raw messages and restores them. Archiving one conversation:
 *
 * 1. reads the messages to archive (summarized, past the newest `keepLastMessages`);
 * 2. merges them with what the conversation's archive already holds, read back and verified;
 * 3. writes the new archive revision: temp file, fsync, rename, fsync of the directory, read
 *    back and verified against its manifest;
 * 4. in one transaction records the archive (path, sha256, seq range), keeps the ids of the
 *    archived messages (a replay must not store them again), deletes exactly those rows and
 *    queues an `archived` event; commit.
 *
 * A crash anywhere leaves every message in Postgres, or in a verified archive, or both: the
 * rows go only in the commit that also records the archive holding them. An archive written
 * without its commit is a newer revision than its record; it holds everything the record says
 * plus messages still in Postgres, and the next attempt merges on from it.
 */
export class Archiver {
  private readonly messages: MessageRepository;
  private readonly archives: ArchiveRepository;
  private readonly summaries: SummaryRepository;

  constructor(
    private readonly dataSource: DataSource,
    private readonly root: string,
    private readonly pause: (point: RetentionPausePoint) => Promise<void> = async () => {},
  ) {
    this.messages = new MessageRepository(dataSource);
    this.archives = new ArchiveRepository(dataSource);
    this.summaries = new SummaryRepository(dataSource);
  }

  /** Archives what policy says of one conversation; 'busy' when another process has it. */
  archive(
    conversation: RetainedConversation,
    policy: RetentionPolicy,
    now: Date,
  ): Promise<ArchiveOutcome> {
    return withConversationLock(
      this.dataSource,
      conversation.tenantId,
      conversation.conversationId,
      0,
      (runner) => this.archiveLocked(runner, conversation, policy, now),
    ).catch((error: unknown) => {
      if (error instanceof Error && error.name === 'ConversationBusyError')
        return { kind: 'busy' } as const;
      throw error;
    });
  }

  private async archiveLocked(
    runner: QueryRunner,
    conversation: RetainedConversation,
    policy: RetentionPolicy,
    now: Date,
  ): Promise<ArchiveOutcome> {
    const { tenantId, conversationId } = conversation;
    const rows = await this.messages.archivable(
      runner.manager,
      tenantId,
      conversationId,
      conversation.throughSeq,
      policy.keepLastMessages,
    );
    const stored = await this.messages.countStored(runner.manager, tenantId, conversationId);
    if (rows.length === 0) return { kind: 'nothing', keptMessages: stored };
    const adding = rows.map(toArchived);

    const record = await this.record(runner, tenantId, conversationId);
    const existing = record ? await this.loadVerified(runner, record) : undefined;
    const messages = existing ? mergeMessages(existing.messages, adding) : adding;
    const revision = Math.max(record?.revision ?? 0, existing?.manifest.revision ?? 0) + 1;
    const document: ArchiveDocument = {
      manifest: buildManifest(tenantId, conversationId, messages, revision, now),
      messages,
    };
    const relativePath =
      record?.relativePath ??
      archiveRelativePath(tenantId, conversationId, conversation.firstMessageAt);
    const written = await writeArchive(this.root, document, relativePath);
    await this.pause('archive-written');

    await runner.startTransaction();
    await this.archives.keepIds(runner.manager, tenantId, conversationId, adding);
    const manifest = written.manifest;
    await this.archives.record(runner.manager, tenantId, conversationId, {
      relativePath: written.relativePath,
      revision: manifest.revision,
      sha256: written.sha256,
      bytes: written.bytes,
      messageCount: manifest.messageCount,
      firstSeq: manifest.firstSeq,
      lastSeq: manifest.lastSeq,
      userIds: manifest.userIds,
      archivedAt: now,
    });
    const deleted = await this.messages.deleteSeqs(
      runner.manager,
      tenantId,
      conversationId,
      adding.map((m) => m.seq),
    );
    if (deleted.length !== adding.length)
      throw new Error(
        `archiving ${tenantId}:${conversationId}: deleted ${deleted.length} rows, expected ` +
          `${adding.length}; rolled back`,
      );
    await LifecycleOutbox.add(runner, {
      schema: 'memory.lifecycle.v1',
      type: 'archived',
      tenantId,
      conversationId,
      occurredAt: now.toISOString(),
      archive: written.relativePath,
      revision: manifest.revision,
      sha256: written.sha256,
      messageCount: manifest.messageCount,
      firstSeq: manifest.firstSeq,
      lastSeq: manifest.lastSeq,
      archivedMessages: adding.length,
      keptMessages: stored - adding.length,
    });
    await this.pause('rows-deleted');
    await runner.commitTransaction();
    return {
      kind: 'archived',
      relativePath: written.relativePath,
      revision: manifest.revision,
      sha256: written.sha256,
      bytes: written.bytes,
      archivedMessages: adding.length,
      keptMessages: stored - adding.length,
      messageCount: manifest.messageCount,
    };
  }

  /**
   * Brings a conversation's archived messages back into Postgres (same ids, seqs, contents and
   * times), checks what Postgres then holds against the archive's checksum, holds the
   * conversation out of archiving for `holdDays`, and queues a `restored` event. The archive
   * stays where it is; the caller re-summarizes.
   */
  restore(
    tenantId: string,
    conversationId: string,
    holdDays: number,
    now: Date = new Date(),
  ): Promise<RestoreOutcome> {
    return withConversationLock(
      this.dataSource,
      tenantId,
      conversationId,
      REQUEST_LOCK_WAIT_MS,
      async (runner) => {
        const record = await this.record(runner, tenantId, conversationId);
        if (!record) throw new NoArchiveError(tenantId, conversationId);
        const document = await this.loadVerified(runner, record);
        const messages = document.messages;
        await runner.startTransaction();
        const inserted = await this.messages.restore(
          runner.manager,
          tenantId,
          conversationId,
          messages,
        );
        const back = await this.messages.bySeqs(
          runner.manager,
          tenantId,
          conversationId,
          messages.map((m) => m.seq),
        );
        const expected = sha256(canonicalMessagesJson(messages));
        const actual = sha256(canonicalMessagesJson(back.map(toArchived)));
        if (back.length !== messages.length || actual !== expected)
          throw new ArchiveVerificationError(record.relativePath, [
            `after restore Postgres holds ${back.length} of the archive's ${messages.length} ` +
              'messages, or different contents (a message with the same seq differs); rolled back',
          ]);
        await this.archives.markRestored(runner.manager, tenantId, conversationId, now);
        await this.summaries.holdArchive(runner.manager, tenantId, conversationId, now, holdDays);
        const event: RestoredEvent = {
          schema: 'memory.lifecycle.v1',
          type: 'restored',
          tenantId,
          conversationId,
          occurredAt: now.toISOString(),
          archive: record.relativePath,
          revision: document.manifest.revision,
          sha256: record.sha256,
          restoredMessages: inserted.length,
          firstSeq: document.manifest.firstSeq,
          lastSeq: document.manifest.lastSeq,
        };
        await LifecycleOutbox.add(runner, event);
        await runner.commitTransaction();
        return {
          relativePath: record.relativePath,
          revision: document.manifest.revision,
          sha256: record.sha256,
          restoredMessages: inserted.length,
          messageCount: messages.length,
          firstSeq: document.manifest.firstSeq,
          lastSeq: document.manifest.lastSeq,
        };
      },
    );
  }

  /** The archive record of a conversation, if it was ever archived. */
  /**
   * A page of the tenant's archives (of one user's conversations when `userId` is given), in
   * conversation order after `after`; `next` continues, null on the last page.
   */
  async list(
    tenantId: string,
    options: { userId?: string; after?: string; limit: number },
  ): Promise<{ items: ArchiveRecord[]; next: string | null }> {
    const rows = await this.archives.page(
      tenantId,
      options.userId,
      options.after ?? '',
      options.limit + 1,
    );
    const items = rows.slice(0, options.limit).map(toRecord);
    const last = items[items.length - 1];
    return { items, next: rows.length > options.limit && last ? last.conversationId : null };
  }

  async find(tenantId: string, conversationId: string): Promise<ArchiveRecord | undefined> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await this.record(runner, tenantId, conversationId);
    } finally {
      await runner.release();
    }
  }

  /**
   * Reads a conversation's archive and checks it: its own manifest always; its sha256 against
   * the record when they are the same revision. A newer revision than the record is one whose
   * commit never happened (a crash after the write); it is accepted when it holds every message
   * the database says is archived.
   */
  async loadVerified(runner: QueryRunner, record: ArchiveRecord): Promise<ArchiveDocument> {
    const read = await readArchive(this.root, record.relativePath);
    const { manifest } = read.document;
    if (read.sha256 === record.sha256) return read.document;
    if (manifest.revision <= record.revision)
      throw new ArchiveVerificationError(record.relativePath, [
        `sha256 is ${read.sha256}, the archive record says ${record.sha256} ` +
          `(revision ${manifest.revision}, recorded ${record.revision})`,
      ]);
    const archivedIds = await this.archives.archivedIds(
      runner.manager,
      record.tenantId,
      record.conversationId,
    );
    const held = new Map(read.document.messages.map((m) => [m.seq, m.messageId]));
    const missing = archivedIds.filter((row) => held.get(Number(row.seq)) !== row.message_id);
    if (missing.length > 0)
      throw new ArchiveVerificationError(record.relativePath, [
        `revision ${manifest.revision} (newer than the recorded ${record.revision}) lacks ` +
          `${missing.length} archived messages`,
      ]);
    return read.document;
  }

  private async record(
    runner: QueryRunner,
    tenantId: string,
    conversationId: string,
  ): Promise<ArchiveRecord | undefined> {
    const row = await this.archives.find(runner.manager, tenantId, conversationId);
    return row ? toRecord(row) : undefined;
  }
}

export function toRecord(row: ArchiveRow): ArchiveRecord {
  return {
    tenantId: row.tenant_id,
    conversationId: row.conversation_id,
    relativePath: row.relative_path,
    revision: row.revision,
    sha256: row.sha256,
    bytes: Number(row.bytes),
    messageCount: row.message_count,
    firstSeq: Number(row.first_seq),
    lastSeq: Number(row.last_seq),
    userIds: row.user_ids,
    archivedAt: row.archived_at,
    verifiedAt: row.verified_at,
    restoredAt: row.restored_at,
  };
}

function toArchived(row: ArchivedMessageRow): ArchivedMessage {
  return {
    messageId: row.message_id,
    seq: Number(row.seq),
    userId: row.user_id,
    role: row.role,
    content: row.content,
    metadata: row.metadata,
    createdAt: row.created_at,
    ingestedAt: row.ingested_at,
  };
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
