import { MemoryMessage } from '@memory/contracts';
import { planPassages } from './passage-plan';

const message = (conversationId: string, seq: number, tenantId = 'acme'): MemoryMessage => ({
  schema: 'memory.message.v1',
  messageId: `${conversationId}-m${seq}`,
  tenantId,
  conversationId,
  userId: 'u-1',
  role: 'user',
  content: `message ${seq}`,
  createdAt: '2026-05-01T10:00:00.000Z',
  metadata: {},
  seq,
  ingestedAt: '2026-05-01T10:00:01.000Z',
});

describe(planPassages.name, () => {
  it('collects per conversation the windows of its messages and the seqs that make them', () => {
    expect(planPassages([message('a', 5), message('b', 1), message('a', 6)])).toEqual([
      { tenantId: 'acme', conversationId: 'a', windows: [3, 5], seqFrom: 3, seqTo: 8 },
      { tenantId: 'acme', conversationId: 'b', windows: [1], seqFrom: 1, seqTo: 4 },
    ]);
  });

  it('plans a message delivered twice once', () => {
    expect(planPassages([message('a', 2), message('a', 2)])).toEqual([
      { tenantId: 'acme', conversationId: 'a', windows: [1], seqFrom: 1, seqTo: 4 },
    ]);
  });

  it('tells apart conversations of the same id in two tenants', () => {
    expect(
      planPassages([message('a', 1), message('a', 1, 'other')]).map((p) => p.tenantId),
    ).toEqual(['acme', 'other']);
  });
});
