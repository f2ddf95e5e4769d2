import { emptySections, MemorySummary, zeroCost } from '@memory/contracts';

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
