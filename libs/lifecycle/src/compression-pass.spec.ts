import { CompressionCandidate, CompressionOutcome, CompressionStore } from './compression-store';
import { runCompressionPass } from './compression-pass';
import { CompressionSettings } from './compression.settings';
import { ConversationFailure } from './conversation-failure';
import { DEFAULT_KEEP_POLICY } from './keep-policy';

const NOW = new Date('2025-06-01T00:00:00Z');

function candidate(conversationId: string): CompressionCandidate {
  return {
    tenantId: 'acme',
    conversationId,
    tier: 'full',
    lastMessageAt: new Date('2024-01-01T00:00:00Z'),
    importance: 0,
    pinned: false,
  };
}

/** A store whose `compress` fails for the ids in `broken`; `ping` fails when `down`. */
function setup(broken: string[], down = false) {
  const compressed: string[] = [];
  const store = {
    candidates: jest.fn(() => Promise.resolve(['a', 'b', 'c'].map(candidate))),
    ping: jest.fn(() =>
      down ? Promise.reject(new Error('connection refused')) : Promise.resolve(),
    ),
    compress: jest.fn((conversation: CompressionCandidate): Promise<CompressionOutcome> => {
      if (broken.includes(conversation.conversationId))
        return Promise.reject(
          new TypeError(`cannot read sections of ${conversation.conversationId}`),
        );
      compressed.push(conversation.conversationId);
      return Promise.resolve({ status: 'not_due' });
    }),
  } as unknown as CompressionStore;
  const settings: CompressionSettings = {
    batchSize: 10,
    intervalMs: 60_000,
    policy: {
      keyPointsAfterDays: 1,
      briefAfterDays: 2,
      metadataAfterDays: 3,
      importanceStretch: 0,
    },
    tenantPolicies: {},
    keep: { policy: DEFAULT_KEEP_POLICY, tenantPolicies: {} },
  };
  return { store, settings, compressed };
}

describe(runCompressionPass.name, () => {
  it('skips a conversation whose compression fails, reports it and goes on', async () => {
    const { store, settings, compressed } = setup(['b']);
    const failures: ConversationFailure[] = [];
    const report = await runCompressionPass(store, undefined, {
      now: NOW,
      settings,
      onConversationFailed: (failure) => failures.push(failure),
    });
    expect(compressed).toEqual(['a', 'c']);
    expect(report.failed).toBe(1);
    expect(report.notDue).toBe(2);
    expect(failures).toEqual([
      {
        step: 'compress',
        tenantId: 'acme',
        conversationId: 'b',
        reason: 'other',
        error: 'TypeError: cannot read sections of b',
      },
    ]);
    expect(report.failures).toEqual(failures);
  });

  it('ends the pass when the database does not answer', async () => {
    const { store, settings, compressed } = setup(['a'], true);
    await expect(runCompressionPass(store, undefined, { now: NOW, settings })).rejects.toThrow(
      'cannot read sections of a',
    );
    expect(compressed).toEqual([]);
  });
});
