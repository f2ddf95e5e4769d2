import {
  conversationKey,
  emptySections,
  MEMORY_SUMMARY_SCHEMA,
  MemorySummary,
  zeroCost,
} from '@memory/contracts';
import { Message } from 'kafkajs';
import { SummaryRow } from './summary-store';

/** The `memory.summaries.v1` value for the current version of a summary. */
export function toSummaryEvent(row: SummaryRow): MemorySummary {
  return {
    schema: MEMORY_SUMMARY_SCHEMA,
    tenantId: row.tenantId,
    conversationId: row.conversationId,
    userId: row.userId,
    version: row.version,
    throughSeq: row.throughSeq,
    tier: row.tier,
    text: row.text,
    sections: row.sections ?? emptySections(),
    stats: {
      messageCount: row.throughSeq,
      firstMessageAt: row.firstMessageAt?.toISOString() ?? null,
      lastMessageAt: row.lastMessageAt?.toISOString() ?? null,
      backend: row.backend,
      llmPending: row.llmPending,
      fromSeq: row.lastUpdate?.fromSeq ?? 0,
      cost: row.lastUpdate?.cost ?? zeroCost(),
      totalCost: row.totalCost,
      updatedAt: row.updatedAt.toISOString(),
    },
  };
}

/** The Kafka record of a summary: keyed by conversation, so compaction keeps the latest. */
export function toSummaryRecord(row: SummaryRow, headers?: Message['headers']): Message {
  return {
    key: conversationKey(row.tenantId, row.conversationId),
    value: JSON.stringify(toSummaryEvent(row)),
    ...(headers ? { headers } : {}),
  };
}
