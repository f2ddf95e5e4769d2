import { emptySections, MemorySummary, zeroCost } from '@memory/contracts';
import { SummaryRow } from '@memory/summarization';

/** A valid `memory.summary.v1` value for unit tests. */
export function summaryFixture(patch: Partial<MemorySummary> = {}): MemorySummary {
  return {
    schema: 'memory.summary.v1',
    tenantId: 'acme',
    conversationId: 'conv-1',
    userId: 'u-1',
    version: 1,
    throughSeq: 10,
    tier: 'full',
    text: 'Moving the review to 12 May.',
    sections: { ...emptySections(), context: 'Moving the review to 12 May.' },
    stats: {
      messageCount: 10,
      firstMessageAt: '2026-05-01T10:00:00.000Z',
      lastMessageAt: '2026-05-01T10:05:00.000Z',
      backend: 'local',
      llmPending: false,
      fromSeq: 1,
      cost: zeroCost(),
      totalCost: zeroCost(),
      updatedAt: '2026-05-01T10:05:01.000Z',
    },
    ...patch,
  };
}

/** A summary row as Postgres holds it, for unit tests. */
export function summaryRowFixture(
  tenantId: string,
  conversationId: string,
  version: number,
): SummaryRow {
  return {
    tenantId,
    conversationId,
    userId: 'user-7',
    version,
    throughSeq: 8,
    seenSeq: 8,
    tier: 'full',
    text: 'The user moved the appointment.',
    sections: null,
    fullSections: null,
    memo: null,
    backend: 'local',
    llmPending: false,
    llmBase: null,
    lastUpdate: null,
    totalCost: { inputTokens: 0, outputTokens: 0, inputChars: 1, outputChars: 1, durationMs: 1 },
    publishedVersion: version,
    firstMessageAt: new Date('2026-05-01T10:00:00Z'),
    lastMessageAt: new Date('2026-05-01T10:04:00Z'),
    lastReceivedAt: new Date('2026-05-01T10:04:00Z'),
    updatedAt: new Date('2026-05-01T10:05:00Z'),
  };
}
