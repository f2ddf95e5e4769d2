import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryClient, verifyWebhook } from '@memory/client';
import { CONSUMER_GROUPS } from '@memory/contracts';
import { createApiKey } from './support/cli';
import { eventually } from './support/eventually';
import { GARDEN, RENT } from './fixtures/conversations/chats';
import { committedOffsets, endOffsets, setGroupOffsets } from './support/kafka';
import { SummarizerHarness } from './support/summarizer-harness';
import { ServiceProcess } from './support/service-process';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  event: {
    id: string;
    type: string;
    tenantId: string;
    conversationId: string;
    data: Record<string, unknown>;
  };
}

/** An in-test endpoint: answers as `answer` says (or never), and keeps what it received. */
class Receiver {
  readonly received: Received[] = [];
  answer: (count: number) => number | 'hang' = () => 204;
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        this.received.push({
          headers: request.headers,
          body,
          event: JSON.parse(body) as Received['event'],
        });
        const status = this.answer(this.received.length);
        if (status === 'hang') return;
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((done) => this.server?.listen(port, '127.0.0.1', done));
    this.port = (this.server?.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  types(conversationId?: string): string[] {
    return this.received
      .filter((r) => conversationId === undefined || r.event.conversationId === conversationId)
      .map((r) => r.event.type);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((done) => this.server?.close(done));
  }
}

/*
 * Signed webhooks through the real pipeline: summaries from the summarizer and lifecycle events
 * from retention (archive, restore, erase) are delivered by the retention service to in-test
 * endpoints, signed, retried with backoff, recorded and replayable; an endpoint that hangs or
 * is down delays only its own deliveries; a replayed topic delivers nothing twice; erasing a
 * conversation leaves no delivery holding its content.
 */
describe('webhooks', () => {
  const harness = new SummarizerHarness();
  const otherTenant = `${harness.tenantId}-b`;
  const good = new Receiver();
  const flaky = new Receiver();
  const hanging = new Receiver();
  const down = new Receiver();
  const others = new Receiver();
  let root = '';
  let retention: ServiceProcess;
  let admin: MemoryClient;
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};

  const startRetention = () => {
    retention = new ServiceProcess('retention', {
      KAFKA_GROUP_PREFIX: harness.groupPrefix,
      RETENTION_ARCHIVE_ROOT: root,
      RETENTION_KEEP_LAST_MESSAGES: '0',
      RETENTION_INTERVAL_MS: '3600000',
      WEBHOOK_POLL_MS: '100',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_MAX_ATTEMPTS: '3',
      WEBHOOK_BACKOFF_MS: '200',
    }).start();
    return retention.waitReady();
  };
  const startedAt: Record<string, Array<{ partition: number; offset: string }>> = {};
  const groupsAtEnd = async () => {
    for (const { group, topic } of [
      CONSUMER_GROUPS.webhookSummaries,
      CONSUMER_GROUPS.webhookLifecycle,
    ]) {
      startedAt[topic] = await endOffsets(harness.kafka, topic);
      await setGroupOffsets(
        harness.kafka,
        `${harness.groupPrefix}.${group}`,
        topic,
        startedAt[topic],
      );
    }
  };

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'memory-webhooks-'));
    for (const receiver of [good, flaky, hanging, others]) await receiver.start();
    await down.start();
    await down.stop(); // its port is closed until the test opens it again
    flaky.answer = (count) => (count <= 2 ? 500 : 200);
    hanging.answer = () => 'hang';
    await harness.setUp();
    await harness.start({ RETENTION_ARCHIVE_ROOT: root });
    await harness.startSummarizer();
    await groupsAtEnd();
    await startRetention();
    const urls = { retention: retention.baseUrl, ingest: harness.ingest.baseUrl };
    admin = new MemoryClient({ apiKey: createApiKey(harness.tenantId, 'admin'), urls });
    for (const [name, receiver, events] of [
      ['good', good, undefined],
      ['flaky', flaky, ['summary.updated' as const]],
      ['hanging', hanging, undefined],
      ['down', down, ['summary.updated' as const]],
    ] as const) {
      const created = await admin.admin.createWebhook({
        url: receiver.url,
        events: events && [...events],
      });
      secrets[name] = created.secret;
      ids[name] = created.id;
    }
    const other = new MemoryClient({ apiKey: createApiKey(otherTenant, 'admin'), urls });
    await other.admin.createWebhook({ url: others.url });
  }, 300_000);

  afterAll(async () => {
    await retention?.stop('SIGKILL');
    await harness.tearDown();
    for (const receiver of [good, flaky, hanging, down, others])
      await receiver.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  it('refuses a webhook that is no http(s) URL or takes unknown events', async () => {
    const bad = await admin.admin
      .createWebhook({ url: 'ftp://example.com', events: ['summary.updated'] })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 400 });
    const unknown = await admin.admin
      .createWebhook({ url: 'https://example.com', events: ['everything' as never] })
      .catch((e: unknown) => e);
    expect(unknown).toMatchObject({ status: 400, code: 'INVALID_VALUE' });
    expect((await admin.admin.webhooks()).map((w) => w.id).sort()).toEqual(
      Object.values(ids).sort(),
    );
  });

  it('delivers summary updates signed, retries a failing endpoint, and a hung one delays only itself', async () => {
    await harness.say('rent', RENT);
    await eventually(
      () => Promise.resolve(good.types('rent').includes('summary.updated') || undefined),
      60_000,
    );
    const first = good.received.find((r) => r.event.conversationId === 'rent');
    expect(first?.event).toMatchObject({
      type: 'summary.updated',
      tenantId: harness.tenantId,
      data: { userId: 'user-1', tier: 'full' },
    });
    expect(typeof first?.event.data.text).toBe('string');
    expect(verifyWebhook(secrets.good ?? '', first?.headers ?? {}, first?.body ?? '')).toEqual({
      ok: true,
    });
    expect(first?.headers['webhook-id']).toBe(first?.event.id);
    // Signed with another webhook's secret, or the body changed: refused.
    expect(verifyWebhook(secrets.flaky ?? '', first?.headers ?? {}, first?.body ?? '').ok).toBe(
      false,
    );
    expect(verifyWebhook(secrets.good ?? '', first?.headers ?? {}, `${first?.body} `).ok).toBe(
      false,
    );

    // The flaky endpoint answered 500 twice, then took it: same event id each time.
    await eventually(() => Promise.resolve(flaky.received.length >= 3 || undefined), 30_000);
    expect(new Set(flaky.received.slice(0, 3).map((r) => r.headers['webhook-id'])).size).toBe(1);
    const flakyLog = await admin.admin.webhookDeliveries(ids.flaky ?? '');
    expect(flakyLog[0]).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200 });

    // The hanging endpoint timed out; the others were not held up by it.
    await eventually(async () => {
      const log = await admin.admin.webhookDeliveries(ids.hanging ?? '');
      return log.some((d) => (d.lastError ?? '').includes('no answer within 1000 ms')) || undefined;
    }, 30_000);
    await harness.say('garden', GARDEN);
    await eventually(
      () => Promise.resolve(good.types('garden').includes('summary.updated') || undefined),
      60_000,
    );
    // Another tenant's webhook hears nothing of this tenant.
    expect(others.received).toEqual([]);
  });

  it('marks deliveries to a dead endpoint failed after its attempts, and replays them', async () => {
    await eventually(async () => {
      const log = await admin.admin.webhookDeliveries(ids.down ?? '', { status: 'failed' });
      return log.length >= 2 || undefined;
    }, 30_000);
    const failed = await admin.admin.webhookDeliveries(ids.down ?? '', { status: 'failed' });
    expect(failed.every((d) => d.attempts === 3 && d.lastError)).toBe(true);
    await down.start(down.port);
    expect((await admin.admin.replayWebhook(ids.down ?? '')).replayed).toBe(failed.length);
    await eventually(
      () => Promise.resolve(down.received.length >= failed.length || undefined),
      30_000,
    );
    expect(new Set(down.received.map((r) => r.event.conversationId))).toEqual(
      new Set(['rent', 'garden']),
    );
    const after = await admin.admin.webhookDeliveries(ids.down ?? '');
    expect(after.every((d) => d.status === 'delivered')).toBe(true);
  });

  it('delivers archive, restore and erase, and erasing leaves no delivery with content', async () => {
    await admin.admin.retention();
    await eventually(
      () => Promise.resolve(good.types('rent').includes('conversation.archived') || undefined),
      30_000,
    );
    await admin.admin.restore('rent');
    await eventually(
      () => Promise.resolve(good.types('rent').includes('conversation.restored') || undefined),
      30_000,
    );
    await admin.admin.eraseConversation('garden');
    await eventually(
      () => Promise.resolve(good.types('garden').includes('conversation.erased') || undefined),
      30_000,
    );
    const erased = good.received.find((r) => r.event.type === 'conversation.erased');
    expect(JSON.stringify(erased?.event)).not.toContain('tomato');
    // Deliveries about the erased conversation: only its erased event, no summary content.
    await eventually(async () => {
      const rows = await harness.dataSource.query<Array<{ event_type: string }>>(
        `SELECT event_type FROM webhook_deliveries WHERE tenant_id = $1 AND conversation_id = 'garden'`,
        [harness.tenantId],
      );
      return rows.every((row) => row.event_type === 'conversation.erased') || undefined;
    }, 30_000);
  });

  it('delivers nothing twice when the topics are read again', async () => {
    const count = async () => {
      const [row] = await harness.dataSource.query<Array<{ n: number }>>(
        'SELECT count(*)::int AS n FROM webhook_deliveries WHERE tenant_id = $1',
        [harness.tenantId],
      );
      return row?.n ?? 0;
    };
    const before = await count();
    await retention.stop();
    // Every webhook group back to where this test began.
    for (const { group, topic } of [
      CONSUMER_GROUPS.webhookSummaries,
      CONSUMER_GROUPS.webhookLifecycle,
    ])
      await setGroupOffsets(
        harness.kafka,
        `${harness.groupPrefix}.${group}`,
        topic,
        startedAt[topic] ?? [],
      );
    await startRetention();
    // Read again to the end of both topics (the groups' commits reach the ends), then count.
    const caughtUp = async () => {
      for (const { group, topic } of [
        CONSUMER_GROUPS.webhookSummaries,
        CONSUMER_GROUPS.webhookLifecycle,
      ]) {
        const committed = await committedOffsets(
          harness.kafka,
          `${harness.groupPrefix}.${group}`,
          topic,
        );
        for (const { partition, offset } of await endOffsets(harness.kafka, topic))
          if (committed.get(partition) !== offset) return false;
      }
      return true;
    };
    await eventually(async () => (await caughtUp()) || undefined, 60_000, 500);
    expect(await count()).toBe(before);
  });
});
