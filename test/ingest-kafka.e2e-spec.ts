import { DLQ_HEADERS, TOPICS } from '@memory/contracts';
import { KafkaMessage, Message } from 'kafkajs';
import { IngestHarness } from './support/ingest-harness';
import { consumeUntil, setGroupOffsets } from './support/kafka';

describe('ingest from Kafka (effectively once, in order, bad input dead-lettered)', () => {
  const harness = new IngestHarness();

  beforeAll(async () => {
    await harness.setUp();
    await harness.start();
  });

  afterAll(() => harness.tearDown());

  it('stores a re-sent message once and keeps seq gap-free in produce order', async () => {
    const messages: Message[] = [];
    for (let i = 0; i < 30; i++) {
      const conversation = `order-${i % 3}`;
      messages.push(
        harness.record(harness.message(conversation, `order-m${i}`, `message number ${i}`)),
      );
      if (i % 7 === 0)
        messages.push(
          harness.record(harness.message(conversation, `order-m${i}`, `message number ${i}`)),
        );
    }
    await harness.produce(messages);
    await harness.waitForStored(30);
    await harness.waitCaughtUp();

    expect(await harness.storedCount()).toBe(30);
    const conversations = await harness.conversations();
    for (let c = 0; c < 3; c++) {
      const expected = Array.from({ length: 30 }, (_, i) => i)
        .filter((i) => i % 3 === c)
        .map((i) => `order-m${i}`);
      expect(conversations.get(`order-${c}`)).toEqual({ ids: expected, gapFree: true });
    }
    const counters = await harness.dataSource.query<
      Array<{ message_count: number; last_seq: string }>
    >(
      'SELECT message_count, last_seq FROM conversations WHERE tenant_id = $1 ORDER BY conversation_id',
      [harness.tenantId],
    );
    expect(counters.map((row) => [row.message_count, Number(row.last_seq)])).toEqual([
      [10, 10],
      [10, 10],
      [10, 10],
    ]);
  });

  it('publishes every stored message to memory.messages.v1 with its seq', async () => {
    const published = await consumeUntil(harness.kafka, TOPICS.memoryMessages, {
      keep: (record) => ofTenant([record], harness.tenantId).length > 0,
      done: (records) => records.length >= 30,
      from: harness.publishedFrom,
    });
    const events = published.map(
      (record) => JSON.parse(String(record.value)) as Record<string, unknown>,
    );
    const first = events.find((event) => event.messageId === 'order-m0');
    expect(first).toMatchObject({ schema: 'memory.message.v1', conversationId: 'order-0', seq: 1 });
    expect(typeof first?.ingestedAt).toBe('string');
  });

  it('leaves the database unchanged when a whole batch is replayed by resetting offsets', async () => {
    const before = await harness.conversations();
    await harness.ingest.stop();
    await setGroupOffsets(
      harness.kafka,
      harness.groupId,
      TOPICS.chatMessages,
      harness.startOffsets,
    );
    await harness.start();
    await harness.waitCaughtUp();
    expect(await harness.storedCount()).toBe(30);
    expect(await harness.conversations()).toEqual(before);
  });

  it('dead-letters each kind of malformed record with its reason and bytes, storing the valid ones around it', async () => {
    const tenant = harness.tenantId;
    const ok = (n: number): Message =>
      harness.record(harness.message('mixed', `mixed-ok-${n}`, `valid ${n}`));
    const keyed = (value: Buffer | string, key = `${tenant}:mixed`): Message => ({ key, value });
    const bad = (patch: Record<string, unknown>, n: number): Message =>
      harness.record(harness.message('mixed', `mixed-bad-${n}`, 'text', patch));
    const withoutUser = harness.message('mixed', 'mixed-bad-nouser', 'text');
    delete withoutUser.userId;

    const malformed: Array<[string, Message]> = [
      ['NOT_UTF8', keyed(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x7d]))],
      ['NOT_JSON', keyed('this is not json')],
      ['EMPTY_VALUE', keyed(Buffer.alloc(0))],
      ['NOT_AN_OBJECT', keyed('[1,2,3]')],
      ['NOT_AN_OBJECT', keyed('"just a string"')],
      ['UNKNOWN_SCHEMA', bad({ schema: 'chat.message.v9' }, 1)],
      ['INVALID_FIELDS', harness.record(withoutUser)],
      ['INVALID_FIELDS', bad({ role: 'robot' }, 2)],
      ['INVALID_FIELDS', bad({ messageId: 'has spaces in it' }, 3)],
      ['INVALID_FIELDS', bad({ conversationId: 'c'.repeat(129) }, 4)],
      ['INVALID_FIELDS', bad({ createdAt: 'last tuesday' }, 5)],
      ['INVALID_FIELDS', bad({ surprise: true }, 6)],
      ['CONTENT_TOO_LARGE', bad({ content: 'x'.repeat(64 * 1024 + 1) }, 7)],
      ['METADATA_TOO_LARGE', bad({ metadata: { blob: 'y'.repeat(9000) } }, 8)],
      ['CREATED_AT_IN_FUTURE', bad({ createdAt: '2999-01-01T00:00:00Z' }, 9)],
      ['KEY_MISMATCH', { ...bad({}, 10), key: `${tenant}:another-conversation` }],
      ['KEY_MISMATCH', { ...bad({}, 11), key: null }],
    ];
    const records: Message[] = [];
    malformed.forEach(([, record], index) => records.push(ok(index), record));
    records.push(ok(malformed.length));
    await harness.produce(records);

    await harness.waitForStored(30 + malformed.length + 1);
    const mixed = (await harness.conversations()).get('mixed');
    expect(mixed).toEqual({
      ids: Array.from({ length: malformed.length + 1 }, (_, n) => `mixed-ok-${n}`),
      gapFree: true,
    });

    const bytesOf = (message: Message): string =>
      Buffer.from(message.value as Buffer | string).toString('base64');
    const expected = new Set(malformed.map(([, record]) => bytesOf(record)));
    const dead = await consumeUntil(harness.kafka, TOPICS.chatMessagesDlq, {
      keep: (letter) => expected.has((letter.value ?? Buffer.alloc(0)).toString('base64')),
      done: (letters) =>
        new Set(letters.map((l) => (l.value ?? Buffer.alloc(0)).toString('base64'))).size >=
        expected.size,
      from: harness.deadLettersFrom,
    });
    for (const [code, record] of malformed) {
      const letter = dead.find(
        (candidate) => (candidate.value ?? Buffer.alloc(0)).toString('base64') === bytesOf(record),
      );
      expect({ code, found: Boolean(letter) }).toEqual({ code, found: true });
      expect(header(letter, DLQ_HEADERS.errorCode)).toBe(code);
      expect(header(letter, DLQ_HEADERS.errorReason)?.length).toBeGreaterThan(10);
      expect(header(letter, DLQ_HEADERS.sourceTopic)).toBe(TOPICS.chatMessages);
      expect(header(letter, DLQ_HEADERS.sourceOffset)).toMatch(/^\d+$/);
    }
    expect(await harness.storedCount()).toBe(30 + malformed.length + 1);
  });

  it("stores records framed by a schema registry and wrapped in Kafka Connect's envelope", async () => {
    const before = await harness.storedCount();
    const framed = harness.record(
      harness.message('formats', 'formats-framed', 'framed by a registry'),
    );
    const enveloped = harness.record(harness.message('formats', 'formats-connect', 'from Connect'));
    await harness.produce([
      {
        ...framed,
        // Magic byte 0 and a 4-byte schema id, as Confluent's JSON Schema serializer writes.
        value: Buffer.concat([Buffer.from([0, 0, 0, 0, 42]), Buffer.from(String(framed.value))]),
      },
      {
        ...enveloped,
        value: JSON.stringify({
          schema: { type: 'struct', optional: false, name: 'chat.message.v1' },
          payload: JSON.parse(String(enveloped.value)) as unknown,
        }),
      },
    ]);
    await harness.waitForStored(before + 2);
    const formats = (await harness.conversations()).get('formats');
    expect(formats).toEqual({ ids: ['formats-framed', 'formats-connect'], gapFree: true });
  });
});

describe('ingest from Kafka with INGEST_KEY_MODE=from-value (keys the producer chose)', () => {
  const harness = new IngestHarness();

  beforeAll(async () => {
    await harness.setUp();
    await harness.start({ INGEST_KEY_MODE: 'from-value' });
  });

  afterAll(() => harness.tearDown());

  it('stores records keyed anyhow, on any partition, once, and re-keys them on memory.messages.v1', async () => {
    // One conversation spread the way such producers spread it: no key, a user id as key,
    // another system's id, each on a partition of its own.
    const keys = [null, 'user-42', 'crm:ticket-9'];
    const records: Message[] = Array.from({ length: 12 }, (_, i) => {
      const { value } = harness.record(harness.message('loose', `loose-m${i}`, `message ${i}`));
      return { key: keys[i % 3], partition: i % 3, value };
    });
    // Sent again under other keys: still stored once.
    const again = records.slice(0, 4).map((record) => ({ ...record, key: 'retry', partition: 0 }));
    await harness.produce([...records, ...again]);
    await harness.waitForStored(12);
    await harness.waitCaughtUp();
    expect(await harness.storedCount()).toBe(12);
    const loose = (await harness.conversations()).get('loose');
    expect(loose?.gapFree).toBe(true);
    expect([...(loose?.ids ?? [])].sort()).toEqual(records.map((_, i) => `loose-m${i}`).sort());
    // Within one source partition the produce order holds.
    for (let partition = 0; partition < 3; partition++) {
      const sent = records
        .filter((_, i) => i % 3 === partition)
        .map((_, j) => `loose-m${j * 3 + partition}`);
      expect(loose?.ids.filter((id) => sent.includes(id))).toEqual(sent);
    }

    const published = await consumeUntil(harness.kafka, TOPICS.memoryMessages, {
      keep: (record) => ofTenant([record], harness.tenantId).length > 0,
      done: (kept) => kept.length >= 12,
      from: harness.publishedFrom,
    });
    // A duplicate is published again with the seq it was stored under (consumers ignore it).
    const seqs = new Map(
      published.map((record) => {
        const event = JSON.parse(String(record.value)) as { messageId: string; seq: number };
        return [event.messageId, event.seq];
      }),
    );
    expect(seqs.size).toBe(12);
    expect([...seqs.values()].sort((a, b) => a - b)).toEqual(records.map((_, i) => i + 1));
    expect(new Set(published.map((record) => record.key?.toString()))).toEqual(
      new Set([`${harness.tenantId}:loose`]),
    );
    expect(new Set(published.map((record) => record.partition)).size).toBe(1);
  });
});

function ofTenant(records: KafkaMessage[], tenantId: string): KafkaMessage[] {
  return records.filter((record) => record.key?.toString().startsWith(`${tenantId}:`));
}

function header(message: KafkaMessage | undefined, name: string): string | undefined {
  const value = message?.headers?.[name];
  return value === undefined ? undefined : String(value);
}
