import { DataSource } from 'typeorm';
import { readArchive } from '../archive/archive-file';
import { ArchivedMessage, ArchiveVerificationError } from '../archive/archive-format';
import { ArchiveRepository, ArchiveRow } from './archive.repository';

/** Where a conversation's archive is and what it holds, as a reader of its messages sees it. */
export interface ArchiveInfo {
  messageCount: number;
  firstSeq: number;
  lastSeq: number;
  archivedAt: string;
  /** Set while the archived messages are back in Postgres (restored since the last archive). */
  restoredAt: string | null;
}

/** Archived messages of one conversation after a seq, with what the archive is. */
export interface ArchivedPage {
  archive: ArchiveInfo;
  /** In seq order, at most the asked number, each as the archive holds it. */
  messages: ArchivedMessage[];
}

/** Parsed archives kept in memory, by the sha256 of their file (a revision never changes). */
const CACHED_ARCHIVES = 8;

/**
 * Reads archived messages for the API: the conversation's archive record gives the file and
 * its sha256, and the file is read and verified against both (as restore does) before any of
 * its messages is served. A file replaced by a newer revision between the record and the read
 * is read again under the new record. Verified archives are kept by sha256 (the last few), so
 * paging through one reads its file once. Throws {@link ArchiveVerificationError} when the file
 * is missing, changed or not a valid archive.
 */
export class ArchivedMessageReader {
  private readonly archives: ArchiveRepository;
  private readonly cache = new Map<string, ArchivedMessage[]>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly root: string,
  ) {
    this.archives = new ArchiveRepository(dataSource);
  }

  /** What the conversation's archive is; undefined when it was never archived. */
  async info(tenantId: string, conversationId: string): Promise<ArchiveInfo | undefined> {
    const record = await this.archives.find(this.dataSource.manager, tenantId, conversationId);
    return record ? toInfo(record) : undefined;
  }

  /**
   * Up to `limit` archived messages with a seq over `afterSeq`; undefined when the conversation
   * was never archived.
   */
  async after(
    tenantId: string,
    conversationId: string,
    afterSeq: number,
    limit: number,
  ): Promise<ArchivedPage | undefined> {
    for (let attempt = 0; ; attempt++) {
      const record = await this.archives.find(this.dataSource.manager, tenantId, conversationId);
      if (!record) return undefined;
      const archive = toInfo(record);
      if (archive.lastSeq <= afterSeq) return { archive, messages: [] };
      try {
        const messages = await this.messages(record);
        const from = messages.findIndex((message) => message.seq > afterSeq);
        return { archive, messages: from < 0 ? [] : messages.slice(from, from + limit) };
      } catch (error) {
        // Archiving again renames a new revision over the file: read the record once more.
        if (!(error instanceof ArchiveVerificationError) || attempt > 0) throw error;
      }
    }
  }

  private async messages(record: ArchiveRow): Promise<ArchivedMessage[]> {
    const cached = this.cache.get(record.sha256);
    if (cached) {
      this.cache.delete(record.sha256);
      this.cache.set(record.sha256, cached);
      return cached;
    }
    const { document } = await readArchive(this.root, record.relative_path, {
      sha256: record.sha256,
    });
    const messages = document.messages;
    this.cache.set(record.sha256, messages);
    if (this.cache.size > CACHED_ARCHIVES) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return messages;
  }
}

function toInfo(record: ArchiveRow): ArchiveInfo {
  return {
    messageCount: record.message_count,
    firstSeq: Number(record.first_seq),
    lastSeq: Number(record.last_seq),
    archivedAt: record.archived_at.toISOString(),
    restoredAt: record.restored_at ? record.restored_at.toISOString() : null,
  };
}
