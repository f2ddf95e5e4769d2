import { conversationsToRebuild } from './lifecycle.consumer';

const event = (type: string, conversationId: string, extra: Record<string, unknown> = {}) =>
  Buffer.from(
    JSON.stringify({
      schema: 'memory.lifecycle.v1',
      type,
      tenantId: 'acme',
      conversationId,
      occurredAt: '2026-05-01T10:00:00.000Z',
      archive: `acme/2026/05/${conversationId}.json.gz`,
      revision: 1,
      sha256: 'a'.repeat(64),
      firstSeq: 1,
      lastSeq: 10,
      ...extra,
    }),
  );

describe(conversationsToRebuild.name, () => {
  it('rebuilds each archived, restored or erased conversation once, and ignores tier changes', () => {
    const archived = event('archived', 'c1', {
      messageCount: 10,
      archivedMessages: 8,
      keptMessages: 2,
    });
    const restored = event('restored', 'c2', { restoredMessages: 10 });
    const tier = Buffer.from(
      JSON.stringify({
        schema: 'memory.lifecycle.v1',
        type: 'tier_changed',
        tenantId: 'acme',
        conversationId: 'c3',
        occurredAt: '2026-05-01T10:00:00.000Z',
        fromTier: 'full',
        toTier: 'brief',
        version: 3,
        ratio: 0.2,
        retention: 0.5,
      }),
    );
    const erased = Buffer.from(
      JSON.stringify({
        schema: 'memory.lifecycle.v1',
        type: 'erased',
        tenantId: 'acme',
        conversationId: 'c4',
        occurredAt: '2026-05-01T10:00:00.000Z',
        erasureId: '9b2f6a57-4a8e-4c53-9d1e-2f0e8c1b7a10',
        reason: 'request',
        subject: { kind: 'conversation', id: 'c4' },
        counts: {
          messages: 1,
          archivedMessages: 0,
          archives: 0,
          summaries: 0,
          summaryVersions: 0,
          compressions: 0,
        },
      }),
    );
    expect(conversationsToRebuild([archived, restored, tier, archived, erased])).toEqual({
      conversations: [
        { tenantId: 'acme', conversationId: 'c1' },
        { tenantId: 'acme', conversationId: 'c2' },
        { tenantId: 'acme', conversationId: 'c4' },
      ],
      importance: [],
      undecodable: 0,
    });
  });

  it('keeps the last importance of each conversation in the batch', () => {
    const importance = (conversationId: string, value: number) =>
      Buffer.from(
        JSON.stringify({
          schema: 'memory.lifecycle.v1',
          type: 'importance_changed',
          tenantId: 'acme',
          conversationId,
          occurredAt: '2026-05-01T10:00:00.000Z',
          importance: value,
          previous: null,
          pinned: false,
        }),
      );
    expect(
      conversationsToRebuild([importance('c1', 0.2), importance('c2', 0.5), importance('c1', 0.9)]),
    ).toEqual({
      conversations: [],
      importance: [
        { tenantId: 'acme', conversationId: 'c2', importance: 0.5 },
        { tenantId: 'acme', conversationId: 'c1', importance: 0.9 },
      ],
      undecodable: 0,
    });
  });

  it('counts what it cannot read', () => {
    expect(conversationsToRebuild([null, Buffer.from('{'), event('archived', 'c1')])).toEqual({
      conversations: [],
      importance: [],
      undecodable: 3,
    });
  });
});
