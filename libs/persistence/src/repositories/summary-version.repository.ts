import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { deleteConversationRows } from './affected-rows';

/** One lineage row: what made a summary version. */
export interface SummaryLineage {
  tenantId: string;
  conversationId: string;
  version: number;
  fromSeq: number;
  throughSeq: number;
  backend: string;
  trigger: string;
  messageCount: number;
  cost: {
    inputTokens: number;
    outputTokens: number;
    inputChars: number;
    outputChars: number;
    durationMs: number;
  };
  /** The sections the version holds (JSON-serializable) and its tier; kept for the history. */
  sections?: unknown;
  tier?: string;
}

/** A `summary_versions` row as the history reads it. */
export interface SummaryVersionRow {
  version: number;
  from_seq: string;
  through_seq: string;
  backend: string;
  trigger: string;
  tier: string | null;
  message_count: number;
  input_tokens: number;
  output_tokens: number;
  input_chars: number;
  output_chars: number;
  duration_ms: number;
  created_at: Date;
  sections: unknown;
}

/**
 * The owner of `summary_versions` (the lineage of every summary version): the only code that
 * holds SQL for it. A version and its lineage are written in one transaction, so its methods
 * take the caller's `EntityManager`. See docs/architecture.md, "one owner per table".
 */
@Injectable()
export class SummaryVersionRepository {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Adds a lineage row in `manager`'s transaction (the data source's pool by default). With
   * `keepSections`, only the newest that many versions of the conversation keep their sections
   * (older rows keep their counts).
   */
  async insert(
    lineage: SummaryLineage,
    manager: EntityManager = this.dataSource.manager,
    keepSections?: number,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO summary_versions (tenant_id, conversation_id, version, from_seq, through_seq,
         backend, trigger, message_count, input_tokens, output_tokens, input_chars,
         output_chars, duration_ms, sections, tier)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::jsonb, $15)`,
      [
        lineage.tenantId,
        lineage.conversationId,
        lineage.version,
        lineage.fromSeq,
        lineage.throughSeq,
        lineage.backend,
        lineage.trigger,
        lineage.messageCount,
        lineage.cost.inputTokens,
        lineage.cost.outputTokens,
        lineage.cost.inputChars,
        lineage.cost.outputChars,
        lineage.cost.durationMs,
        lineage.sections === undefined ? null : JSON.stringify(lineage.sections),
        lineage.tier ?? null,
      ],
    );
    if (keepSections !== undefined)
      await manager.query(
        `UPDATE summary_versions SET sections = NULL
          WHERE tenant_id = $1 AND conversation_id = $2 AND version <= $3
            AND sections IS NOT NULL`,
        [lineage.tenantId, lineage.conversationId, lineage.version - keepSections],
      );
  }

  /**
   * Up to `limit` versions of a conversation, newest first, below `before` (exclusive) when
   * given.
   */
  history(
    tenantId: string,
    conversationId: string,
    before: number | undefined,
    limit: number,
  ): Promise<SummaryVersionRow[]> {
    return this.dataSource.query<SummaryVersionRow[]>(
      `SELECT version, from_seq, through_seq, backend, trigger, tier, message_count,
              input_tokens, output_tokens, input_chars, output_chars, duration_ms, created_at,
              sections
         FROM summary_versions
        WHERE tenant_id = $1 AND conversation_id = $2 AND ($3::int IS NULL OR version < $3)
        ORDER BY version DESC
        LIMIT $4`,
      [tenantId, conversationId, before ?? null, limit],
    );
  }

  /** The tenant's lineage as the seq each version was folded through, in (conversation, version) order. */
  throughSeqsOfTenant(
    tenantId: string,
  ): Promise<Array<{ conversation_id: string; through_seq: string }>> {
    return this.dataSource.query(
      `SELECT conversation_id, through_seq FROM summary_versions WHERE tenant_id = $1
        ORDER BY conversation_id, version`,
      [tenantId],
    );
  }

  /** Deletes a conversation's lineage; returns how many rows. */
  deleteConversation(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    const statement = `DELETE FROM summary_versions WHERE tenant_id = $1 AND conversation_id = $2 RETURNING 1`;
    return deleteConversationRows(manager, statement, tenantId, conversationId);
  }
}
