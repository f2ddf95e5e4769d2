import { ArchiveRepository } from '@memory/lifecycle';
import { Injectable } from '@nestjs/common';
import { SearchUnavailableError } from './search.errors';

/** Which conversations have their raw messages archived (the archives table's owner tells). */
@Injectable()
export class ArchiveStatus {
  constructor(private readonly archives: ArchiveRepository) {}

  /** Of these conversations of a tenant, the archived ones; throws {@link SearchUnavailableError}. */
  async archivedAmong(tenantId: string, conversationIds: readonly string[]): Promise<Set<string>> {
    if (conversationIds.length === 0) return new Set();
    try {
      return await this.archives.archivedAmong(tenantId, conversationIds);
    } catch (error) {
      throw new SearchUnavailableError('database', error);
    }
  }
}
