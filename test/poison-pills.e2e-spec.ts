import { randomBytes } from 'node:crypto';
import { DLQ_HEADERS, TOPICS } from '@memory/contracts';
import { createApiKey } from './support/cli';
import { IngestHarness } from './support/ingest-harness';
import { ConsumedRecord, consumeUntil, endOffsets } from './support/kafka';

/**
 * One bad record must never stop ingest for anyone: a message Postgres cannot take (U+0000),
 * refused over HTTP and dead-lettered over Kafka; a record that passes validation but fails in
 * Postgres (a fault injected with a trigger of this test's tenant), isolated by splitting the
 * batch; oversized headers and values, dead-lettered within the broker's limit.
 */
describe('poison pills: the bad record is refused or dead-lettered, the partition moves on', () => {
  const harness = new IngestHarness();
  let key = '';
  const trigger = `e2e_poison_${harness.tenantId.replace(/[^a-z0-9]/g, '_')}`;

  const letters = (conversation: string, count: number): Promise<ConsumedRecord[]> =>
    consumeUntil(harness.kafka, TOPICS.chatMessagesDlq, {
      keep: (letter) => letter.key?.toString() === `${harness.tenantId}:${conversation}`,
      done: (kept) => kept.length >= count,
      from: harness.deadLettersFrom,
      timeoutMs: 60_000,
    });
  const header = (record: ConsumedRecord, name: string): string | undefined =>
    record.headers?.[name]?.toString();

  beforeAll(async () => {
    await harness.setUp();
    await harness.start();
    key = createApiKey(harness.tenantId, 'ingest');
    // A fault only this test's records meet: Postgres refuses them with a data exception (22023).
    await harness.dataSource.query(`
      CREATE OR REPLACE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.tenant_id = '${harness.tenantId}' AND NEW.content LIKE '%poison-in-postgres%' THEN
          RAISE EXCEPTION 'injected data exception' USING ERRCODE = '22023';
        END IF;
        RETURN NEW;
      END $$`);
    await harness.dataSource.query(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON messages FOR EACH ROW EXECUTE FUNCTION ${trigger}()`,
    );
  });

  afterAll(async () => {
    await harness.dataSource.query(`DROP TRIGGER IF EXISTS ${trigger} ON messages`);
    await harness.dataSource.query(`DROP FUNCTION IF EXISTS ${trigger}()`);
    await harness.tearDown();
  });

  it('refuses U+0000 over HTTP, dead-letters it over Kafka, and stores the next 100 messages', async () => {
    const nul = harness.message('nul-conv', 'nul-http', 'before\u0000after');
    delete nul.tenantId;
    const response = await fetch(`${harness.ingest.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(nul),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      errors: [{ index: 0, field: 'content', code: 'INVALID_CHARACTERS' }],
    });

    const bad = harness.record(harness.message('nul-conv', 'nul-kafka', 'before\u0000after'));
    const valid = Array.from({ length: 100 }, (_, i) =>
      harness.record(harness.message(`after-nul-${i % 10}`, `after-${i}`, `valid message ${i}`)),
    );
    const produced = Date.now();
    await harness.produce([bad, ...valid]);
    await harness.waitForStored(100, 60_000);
    process.stdout.write(
      `[poison-pills] 100 valid messages stored ${Date.now() - produced} ms after a U+0000 record\n`,
    );
    const [letter] = await letters('nul-conv', 1);
    expect(header(letter, DLQ_HEADERS.errorCode)).toBe('INVALID_CHARACTERS');
    expect(letter.value?.toString()).toBe(String(bad.value));
    await harness.waitCaughtUp();
  });

  it('splits a batch that Postgres refuses for two records, stores the rest in order and dead-letters those two', async () => {
    const records = Array.from({ length: 40 }, (_, i) =>
      harness.record(
        harness.message(
          `split-${i % 4}`,
          `split-${i}`,
          i === 13 || i === 26 ? `poison-in-postgres ${i}` : `fine ${i}`,
        ),
      ),
    );
    await harness.produce(records);
    await harness.waitCaughtUp();
    const conversations = await harness.conversations();
    for (let c = 0; c < 4; c++) {
      const expected = Array.from({ length: 40 }, (_, i) => i)
        .filter((i) => i % 4 === c && i !== 13 && i !== 26)
        .map((i) => `split-${i}`);
      expect(conversations.get(`split-${c}`)).toEqual({ ids: expected, gapFree: true });
    }
    const dead = [...(await letters('split-1', 1)), ...(await letters('split-2', 1))];
    expect(
      dead.map((letter) => (JSON.parse(String(letter.value)) as { messageId: string }).messageId),
    ).toEqual(['split-13', 'split-26']);
    for (const letter of dead) {
      expect(header(letter, DLQ_HEADERS.errorCode)).toBe('DB_DATA_EXCEPTION');
      expect(header(letter, DLQ_HEADERS.errorReason)).toContain('injected data exception');
    }
  });

  it('carries only the trace context on, and dead-letters a record too large for its dead letter cut to fit', async () => {
    const from = await endOffsets(harness.kafka, TOPICS.memoryMessages);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
    await harness.produce([
      {
        ...harness.record(harness.message('headers-conv', 'big-header', 'has a big header')),
        headers: { traceparent, 'x-big': Buffer.alloc(400_000, 1) },
      },
    ]);
    const [published] = await consumeUntil(harness.kafka, TOPICS.memoryMessages, {
      keep: (record) => record.key?.toString() === `${harness.tenantId}:headers-conv`,
      done: (kept) => kept.length >= 1,
      from,
    });
    expect(Object.keys(published?.headers ?? {})).toEqual(['traceparent']);
    expect(header(published, 'traceparent')).toBe(traceparent);

    // Incompressible bytes near the broker's limit, with headers: the letter cannot keep them all.
    const value = randomBytes(1_030_000);
    await harness.produce([
      {
        key: `${harness.tenantId}:huge-conv`,
        value,
        headers: { 'x-one': Buffer.alloc(8_000, 2), 'x-two': 'small' },
      },
    ]);
    const [letter] = await letters('huge-conv', 1);
    expect(header(letter, DLQ_HEADERS.errorCode)).toBe('RECORD_TOO_LARGE');
    expect(header(letter, DLQ_HEADERS.note)).toMatch(/header x-one dropped \(8000 bytes\)/);
    const kept = letter.value ?? Buffer.alloc(0);
    expect(value.subarray(0, kept.length).equals(kept)).toBe(true);
    await harness.waitCaughtUp();
  });
});
