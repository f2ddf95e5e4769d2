import { KafkaProducerService } from '@memory/kafka';
import { ConversationRepository } from '@memory/persistence';
import { Message } from 'kafkajs';
import { HttpIngestService } from './http-ingest.service';

describe(HttpIngestService.name, () => {
  const setup = () => {
    const sent: Array<{ topic: string; messages: Message[] }> = [];
    const producer = {
      send: (topic: string, messages: Message[]) => {
        sent.push({ topic, messages });
        return Promise.resolve([]);
      },
    } as unknown as KafkaProducerService;
    // Conversation c-2 is bob's; the others are new.
    const conversations = {
      find: (_tenantId: string, conversationId: string) =>
        Promise.resolve(conversationId === 'c-2' ? { userId: 'bob' } : null),
    } as unknown as ConversationRepository;
    return { service: new HttpIngestService(producer, conversations), sent };
  };
  const message = (patch: Record<string, unknown> = {}) => ({
    schema: 'chat.message.v1',
    messageId: 'm-1',
    conversationId: 'c-1',
    userId: 'u-1',
    role: 'user',
    content: 'hello',
    createdAt: '2026-05-01T10:00:00Z',
    ...patch,
  });

  it("fills a missing tenantId with the key's tenant and keys the record by conversation", async () => {
    const { service, sent } = setup();
    const result = await service.submit('acme', [message()]);
    expect(result).toEqual({ ok: true, accepted: 1, messageIds: ['m-1'] });
    expect(sent[0]?.topic).toBe('chat.messages.v1');
    expect(sent[0]?.messages[0]?.key).toBe('acme:c-1');
    expect(JSON.parse(String(sent[0]?.messages[0]?.value))).toMatchObject({ tenantId: 'acme' });
  });

  it('produces nothing when any message is invalid, and says which and why', async () => {
    const { service, sent } = setup();
    const result = await service.submit('acme', [
      message(),
      message({ messageId: 'm-2', role: 'robot' }),
    ]);
    expect(result).toMatchObject({
      ok: false,
      oversize: false,
      errors: [{ index: 1, field: 'role', code: 'INVALID_FIELDS' }],
    });
    expect(sent).toHaveLength(0);
  });

  it("refuses another tenant's message", async () => {
    const { service } = setup();
    expect(await service.submit('acme', [message({ tenantId: 'globex' })])).toMatchObject({
      ok: false,
      errors: [{ code: 'TENANT_MISMATCH', field: 'tenantId' }],
    });
  });

  it('flags oversize content so the controller answers 413', async () => {
    const { service } = setup();
    expect(await service.submit('acme', [message({ content: 'x'.repeat(70_000) })])).toMatchObject({
      ok: false,
      oversize: true,
    });
  });

  it("takes only the bound user's messages, in conversations no other user owns", async () => {
    const { service, sent } = setup();
    expect(await service.submit('acme', [message({ userId: 'ana' })], 'ana')).toMatchObject({
      ok: true,
    });
    const refused = await service.submit(
      'acme',
      [message({ userId: 'bob' }), message({ userId: 'ana', messageId: 'm-2' })],
      'ana',
    );
    expect(refused).toMatchObject({
      ok: false,
      errors: [{ index: 0, field: 'userId', code: 'USER_MISMATCH' }],
    });
    const theirs = await service.submit(
      'acme',
      [message({ userId: 'ana', conversationId: 'c-2' })],
      'ana',
    );
    expect(theirs).toMatchObject({
      ok: false,
      errors: [{ index: 0, field: 'conversationId', code: 'USER_MISMATCH' }],
    });
    expect(sent).toHaveLength(1);
  });
});
