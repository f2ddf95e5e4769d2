import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS } from '@memory/contracts';
import { createApiKey, runCli } from './support/cli';
import { eventually } from './support/eventually';
import { IngestHarness } from './support/ingest-harness';
import { consumeUntil, endOffsets, readToEnd, setGroupOffsets } from './support/kafka';

describe('ingest over HTTP, with tenant API keys', () => {
  const harness = new IngestHarness();
  let key = '';
  let otherTenantKey = '';
  let searchOnlyKey = '';

  const post = (body: unknown, apiKey = key): Promise<Response> =>
    fetch(`${harness.ingest.baseUrl}/v1/messages`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const get = (path: string, apiKey = key): Promise<Response> =>
    fetch(`${harness.ingest.baseUrl}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  const http = (n: number): Record<string, unknown> => {
    const message = harness.message('http-conv', `http-m${n}`, `sent over HTTP ${n}`);
    delete message.tenantId;
    return message;
  };

  beforeAll(async () => {
    await harness.setUp();
    await harness.start();
    key = createApiKey(harness.tenantId, 'ingest');
    otherTenantKey = createApiKey(`${harness.tenantId}-other`, 'ingest');
    searchOnlyKey = createApiKey(harness.tenantId, 'search');
  });

  afterAll(() => harness.tearDown());

  it('accepts one message or a batch with 202 once Kafka has them, then stores them', async () => {
    const single = await post(http(0));
    expect(single.status).toBe(202);
    expect(await single.json()).toEqual({ accepted: 1, messageIds: ['http-m0'] });
    const batch = await post({ messages: [http(1), http(2), http(3)] });
    expect(batch.status).toBe(202);
    await harness.waitForStored(4);
    expect((await harness.conversations()).get('http-conv')).toEqual({
      ids: ['http-m0', 'http-m1', 'http-m2', 'http-m3'],
      gapFree: true,
    });
  });

  it('pages through stored messages of the caller’s tenant only', async () => {
    const first = await get('/v1/conversations/http-conv/messages?limit=3');
    expect(first.status).toBe(200);
    const page = (await first.json()) as {
      items: Array<{ messageId: string; seq: number }>;
      nextAfterSeq: number;
    };
    expect(page.items.map((item) => item.seq)).toEqual([1, 2, 3]);
    expect(page.nextAfterSeq).toBe(3);
    const second = (await (
      await get(`/v1/conversations/http-conv/messages?afterSeq=3`)
    ).json()) as {
      items: Array<{ messageId: string }>;
      nextAfterSeq: number | null;
    };
    expect(second).toMatchObject({ items: [{ messageId: 'http-m3' }], nextAfterSeq: null });
    expect((await get('/v1/conversations/http-conv/messages', otherTenantKey)).status).toBe(404);
    expect((await get('/v1/conversations/no-such-conversation/messages')).status).toBe(404);
    const badQuery = await get('/v1/conversations/http-conv/messages?limit=9999');
    expect(badQuery.status).toBe(400);
    expect(await badQuery.json()).toMatchObject({ errors: [{ field: 'limit' }] });
  });

  it('answers bad input with field-level 400s, oversize with 413, and never produces it', async () => {
    const invalid = await post({
      messages: [http(10), { ...http(11), role: 'robot', messageId: 'has space' }],
    });
    expect(invalid.status).toBe(400);
    const body = (await invalid.json()) as {
      errors: Array<{ index: number; field: string; code: string }>;
    };
    expect(body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 1, field: 'role', code: 'INVALID_FIELDS' }),
        expect.objectContaining({ index: 1, field: 'messageId', code: 'INVALID_FIELDS' }),
      ]),
    );
    expect((await post({ ...http(12), tenantId: 'someone-else' })).status).toBe(400);
    expect((await post('{not json')).status).toBe(400);
    const oversize = await post({ ...http(13), content: 'z'.repeat(64 * 1024 + 10) });
    expect(oversize.status).toBe(413);
    expect(await oversize.json()).toMatchObject({
      errors: [{ field: 'content', code: 'CONTENT_TOO_LARGE' }],
    });
    expect(
      (await post({ messages: Array.from({ length: 501 }, (_, n) => http(100 + n)) })).status,
    ).toBe(413);

    // A valid message after them in the same conversation (same partition): once it is stored,
    // anything refused above would have been stored before it.
    expect((await post(http(14))).status).toBe(202);
    const ids = await eventually(async () => {
      const stored = (await harness.conversations()).get('http-conv')?.ids ?? [];
      return stored.includes('http-m14') ? stored : undefined;
    }, 60_000);
    expect(ids).toEqual(['http-m0', 'http-m1', 'http-m2', 'http-m3', 'http-m14']);
  });

  it('refuses missing, unknown, revoked and under-scoped keys', async () => {
    expect((await post(http(20), '')).status).toBe(401);
    expect((await post(http(20), 'mk_not-a-real-key')).status).toBe(401);
    expect((await post(http(20), searchOnlyKey)).status).toBe(403);
    const listed = runCli(['api-keys', 'list', '--tenant', `${harness.tenantId}-other`]);
    const id = listed.stdout.split(/\s+/)[0] ?? '';
    expect(runCli(['api-keys', 'revoke', id]).stdout).toContain('revoked');
    // the running process sees the revocation within two seconds (it polls the keys table)
    const refused = await eventually(async () => {
      const status = (await post(http(21), otherTenantKey)).status;
      return status === 401 ? status : undefined;
    }, 10_000);
    expect(refused).toBe(401);
  });

  it('re-submits corrected dead letters with the CLI', async () => {
    const broken = { ...harness.message('dlq-conv', 'dlq-m1', 'fixed later'), role: 'robot' };
    await harness.produce([harness.record(broken)]);
    await consumeUntil(harness.kafka, TOPICS.chatMessagesDlq, {
      keep: (letter) => letter.key?.toString() === `${harness.tenantId}:dlq-conv`,
      done: (letters) => letters.length >= 1,
      from: harness.deadLettersFrom,
    });
    const file = join(tmpdir(), `corrections-${harness.tenantId}.jsonl`);
    writeFileSync(file, `${JSON.stringify({ ...broken, role: 'user' })}\n`);
    const submitted = runCli(['dlq', 'submit', '--file', file]);
    expect(submitted.code).toBe(0);
    expect(submitted.stderr).toContain('submitted 1 corrected record');
    await harness.waitForStored(6);
    expect((await harness.conversations()).get('dlq-conv')?.ids).toEqual(['dlq-m1']);

    writeFileSync(file, `${JSON.stringify(broken)}\n`);
    const refused = runCli(['dlq', 'submit', '--file', file]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('INVALID_FIELDS');
  });

  it('replays dead letters with their original bytes, once, remembering what it replayed', async () => {
    // a record dead-lettered by an older, stricter release: valid today, so a replay stores it
    const letter = harness.record(harness.message('replay-conv', 'replay-m1', 'valid after all'));
    await setGroupOffsets(
      harness.kafka,
      `${harness.groupPrefix}.dlq-replay`,
      TOPICS.chatMessagesDlq,
      harness.deadLettersFrom,
    );
    const producer = harness.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: TOPICS.chatMessagesDlq,
      messages: [
        {
          ...letter,
          headers: { 'dlq.error.code': 'INVALID_FIELDS', 'dlq.error.reason': 'older rule' },
        },
      ],
    });
    await producer.disconnect();
    const env = { KAFKA_GROUP_PREFIX: harness.groupPrefix };

    const dryRun = runCli(['dlq', 'replay', '--dry-run'], env);
    expect(dryRun.code).toBe(0);
    expect(dryRun.stderr).toMatch(/would re-submit \d+ of \d+ record\(s\)/);

    const beforeReplay = await endOffsets(harness.kafka, TOPICS.chatMessagesDlq);
    const replay = runCli(['dlq', 'replay', '--code', 'INVALID_FIELDS'], env);
    expect(replay.code).toBe(0);
    expect(replay.stderr).toMatch(/re-submitted \d+ of \d+ record\(s\)/);
    await harness.waitForStored(7);
    expect((await harness.conversations()).get('replay-conv')?.ids).toEqual(['replay-m1']);

    // A second replay resumes where the first ended: it re-submits only what was dead-lettered
    // since (the first replay's still-invalid records, dead-lettered again), never replay-m1.
    await harness.waitCaughtUp();
    const since = await readToEnd(harness.kafka, TOPICS.chatMessagesDlq, { from: beforeReplay });
    const sinceInvalid = since.filter(
      (record) => record.headers?.['dlq.error.code']?.toString() === 'INVALID_FIELDS',
    );
    expect(since.map((record) => record.key?.toString())).not.toContain(
      `${harness.tenantId}:replay-conv`,
    );
    const again = runCli(['dlq', 'replay', '--code', 'INVALID_FIELDS'], env);
    expect(again.code).toBe(0);
    if (since.length === 0) expect(again.stdout).toContain('nothing new on the dead-letter topic');
    else
      expect(again.stderr).toContain(
        `re-submitted ${sinceInvalid.length} of ${since.length} record(s)`,
      );
    // and a message after it in the same conversation is the next one stored
    await harness.produce([
      harness.record(harness.message('replay-conv', 'replay-m2', 'after the replays')),
    ]);
    const ids = await eventually(async () => {
      const stored = (await harness.conversations()).get('replay-conv')?.ids ?? [];
      return stored.includes('replay-m2') ? stored : undefined;
    }, 60_000);
    expect(ids).toEqual(['replay-m1', 'replay-m2']);
  });
});
