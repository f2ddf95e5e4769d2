import { emptySections, MemorySummary, renderSummaryText, SummaryTier } from '@memory/contracts';
import { SummaryStore, toSummaryEvent } from '@memory/summarization';
import {
  deleteConversationRows,
  SummaryRepository,
  SummaryVersionRepository,
} from '@memory/persistence';
import { DataSource, EntityManager } from 'typeorm';
import { compressSummary, metadataTitle } from './tier-compression';
import { DEFAULT_KEEP_POLICY, KeepPolicy, keptTier } from './keep-policy';
import { dueTier, isColder, TierPolicy } from './tier-policy';

export interface ConversationKey {
  tenantId: string;
  conversationId: string;
}

/** A conversation a compression pass looks at. */
export interface CompressionCandidate extends ConversationKey {
  tier: SummaryTier;
  lastMessageAt: Date;
  importance: number;
  pinned: boolean;
}

/** What a compression did, for the lifecycle event and the pass's report. */
export interface TierChange extends ConversationKey {
  fromTier: SummaryTier;
  toTier: SummaryTier;
  /** The summary version the compression made. */
  version: number;
  ratio: number;
  retention: number;
  occurredAt: Date;
}

export type CompressionOutcome =
  | { status: 'compressed'; summary: MemorySummary; change: TierChange }
  /** Not due for a colder tier (or messages are waiting to be folded: it is active). */
  | { status: 'not_due' }
  /** Another transaction holds the row (a summarizer fold, another compressor): next pass. */
  | { status: 'busy' }
  | { status: 'gone' };

const DAY_MS = 86_400_000;

/**
 * Compression in Postgres, and the owner of `summary_compressions` (the only code that holds
 * SQL for it; the summary row and its lineage are written through their owners in the same
 * transaction). Each conversation is compressed in its own transaction that locks
 * its summary row (SKIP LOCKED: two compressors, or a compressor and a summarizer fold, never
 * wait on nor overwrite each other), re-checks that it is due, writes the next summary version
 * with the compressed sections (the full ones kept in `full_sections`), its lineage row and a
 * `summary_compressions` row, which is also the outbox of the lifecycle event it owes.
 */
export class CompressionStore {
  private readonly summaries: SummaryStore;
  private readonly summaryRows: SummaryRepository;
  private readonly lineage: SummaryVersionRepository;

  constructor(private readonly dataSource: DataSource) {
    this.summaries = new SummaryStore(dataSource);
    this.summaryRows = new SummaryRepository(dataSource);
    this.lineage = new SummaryVersionRepository(dataSource);
  }

  /** Resolves when Postgres answers: tells a failing conversation from a database that is down. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  /**
   * Up to `limit` conversations that may be due at `now`: summarized, not at `metadata`, last
   * message more than `olderThanDays` ago (the smallest first threshold of any policy); in key
   * order after `after`, so a pass pages through them and can resume. Whether each is really
   * due (its policy, importance, current tier) is decided by {@link compress}. A conversation
   * restored from its archive is left alone until its hold ends.
   */
  async candidates(
    now: Date,
    olderThanDays: number,
    limit: number,
    after?: ConversationKey,
    tenantId?: string,
  ): Promise<CompressionCandidate[]> {
    const rows = await this.summaryRows.tierCandidates(
      new Date(now.getTime() - olderThanDays * DAY_MS),
      now,
      limit,
      after,
      tenantId,
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      conversationId: row.conversation_id,
      tier: row.tier as SummaryTier,
      lastMessageAt: row.last_message_at,
      importance: row.importance,
      pinned: row.pinned,
    }));
  }

  /** Compresses one conversation to the tier it is due for at `now`, if that is colder. */
  async compress(
    key: ConversationKey,
    now: Date,
    policy: TierPolicy,
    keep: KeepPolicy = DEFAULT_KEEP_POLICY,
  ): Promise<CompressionOutcome> {
    return this.dataSource.transaction(async (manager): Promise<CompressionOutcome> => {
      const row = await this.summaries.lockRow(manager, key.tenantId, key.conversationId);
      if (row === undefined) return { status: 'gone' };
      if (row === 'locked') return { status: 'busy' };
      if (row.version === 0 || !row.lastMessageAt || row.seenSeq > row.throughSeq)
        return { status: 'not_due' };
      const weights = await this.summaryRows.weights(manager, key.tenantId, key.conversationId);
      const importance = weights?.importance ?? 0;
      const pinned = weights?.pinned ?? false;
      const target = keptTier(
        dueTier(row.lastMessageAt, now, policy, effectiveImportance(importance, pinned)),
        keep,
        importance,
        pinned,
      );
      if (!isColder(target, row.tier)) return { status: 'not_due' };

      const full = row.fullSections ?? row.sections ?? emptySections();
      const fullText = renderSummaryText(full);
      const compression = compressSummary(
        full,
        target,
        metadataTitle({
          userId: row.userId,
          messageCount: row.throughSeq,
          firstMessageAt: row.firstMessageAt,
          lastMessageAt: row.lastMessageAt,
        }),
      );
      const version = row.version + 1;
      await this.summaryRows.writeTier(manager, key, {
        version,
        tier: target,
        sections: JSON.stringify(compression.sections),
        text: compression.text,
        at: now,
      });
      await this.lineage.insert(
        {
          ...key,
          version,
          fromSeq: row.throughSeq,
          throughSeq: row.throughSeq,
          backend: row.backend,
          trigger: 'compress',
          // What the tier keeps; the next fold bounds the history (SUMMARY_HISTORY_VERSIONS).
          sections: compression.sections,
          tier: target,
          messageCount: 0,
          cost: {
            inputTokens: 0,
            outputTokens: 0,
            inputChars: fullText.length,
            outputChars: compression.text.length,
            durationMs: 0,
          },
        },
        manager,
      );
      await manager.query(
        `INSERT INTO summary_compressions (tenant_id, conversation_id, version, from_tier, to_tier,
           ratio, retention, full_chars, compressed_chars, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          key.tenantId,
          key.conversationId,
          version,
          row.tier,
          target,
          compression.ratio,
          compression.retention,
          fullText.length,
          compression.text.length,
          now,
        ],
      );
      const saved = await this.summaries.lockRow(manager, key.tenantId, key.conversationId);
      if (!saved || saved === 'locked') throw new Error('the compressed row vanished');
      return {
        status: 'compressed',
        summary: toSummaryEvent(saved),
        change: {
          ...key,
          fromTier: row.tier,
          toTier: target,
          version,
          ratio: compression.ratio,
          retention: compression.retention,
          occurredAt: now,
        },
      };
    });
  }

  /** Tier changes whose lifecycle event is not on the topic yet, oldest first. */
  async unpublishedChanges(limit: number): Promise<TierChange[]> {
    const rows = await this.dataSource.query<
      Array<{
        tenant_id: string;
        conversation_id: string;
        version: number;
        from_tier: SummaryTier;
        to_tier: SummaryTier;
        ratio: number;
        retention: number;
        created_at: Date;
      }>
    >(
      `SELECT tenant_id, conversation_id, version, from_tier, to_tier, ratio, retention, created_at
         FROM summary_compressions WHERE NOT published ORDER BY created_at LIMIT $1`,
      [limit],
    );
    return rows.map((row) => ({
      tenantId: row.tenant_id,
      conversationId: row.conversation_id,
      version: row.version,
      fromTier: row.from_tier,
      toTier: row.to_tier,
      ratio: row.ratio,
      retention: row.retention,
      occurredAt: row.created_at,
    }));
  }

  /** Notes the lifecycle events of these tier changes as published. */
  async markChangesPublished(changes: readonly TierChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.dataSource.query(
      `UPDATE summary_compressions c SET published = true
         FROM unnest($1::varchar[], $2::varchar[], $3::int[]) AS k(tenant_id, conversation_id, version)
        WHERE c.tenant_id = k.tenant_id AND c.conversation_id = k.conversation_id
          AND c.version = k.version`,
      [
        changes.map((change) => change.tenantId),
        changes.map((change) => change.conversationId),
        changes.map((change) => change.version),
      ],
    );
  }

  /** Deletes a conversation's compressions in `manager`'s transaction; returns how many. */
  deleteConversation(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    const statement = `DELETE FROM summary_compressions WHERE tenant_id = $1 AND conversation_id = $2
         RETURNING 1`;
    return deleteConversationRows(manager, statement, tenantId, conversationId);
  }
}

/** A pin counts as the highest importance. */
export function effectiveImportance(importance: number, pinned: boolean): number {
  return pinned ? 1 : importance;
}
