import { TOPICS } from '@memory/contracts';
import { Message } from 'kafkajs';
import { IngestHarness } from './support/ingest-harness';
import { eventually } from './support/eventually';
import { readToEnd } from './support/kafka';
import { ServiceProcess } from './support/service-process';
import { TcpProxy } from './support/tcp-proxy';
import { TEST_DATABASE_URL } from './support/test-database';

describe('ingest while PostgreSQL refuses connections', () => {
  const harness = new IngestHarness();
  const database = new URL(TEST_DATABASE_URL);
  const proxy = new TcpProxy(database.hostname, Number(database.port || 5432));

  beforeAll(async () => {
    await harness.setUp();
    const port = await proxy.start();
    const throughProxy = new URL(TEST_DATABASE_URL);
    throughProxy.port = String(port);
    harness.newProcess = () =>
      new ServiceProcess('ingest', {
        KAFKA_GROUP_PREFIX: harness.groupPrefix,
        DATABASE_URL: throughProxy.toString(),
      });
    await harness.start();
  });

  afterAll(async () => {
    await harness.tearDown();
    await proxy.stop();
  });

  it('retries the batch until the database is back: nothing skipped, nothing dead-lettered', async () => {
    const batch = (from: number, count: number): Message[] =>
      Array.from({ length: count }, (_, i) =>
        harness.record(
          harness.message(`outage-${(from + i) % 5}`, `outage-m${from + i}`, `message ${from + i}`),
        ),
      );
    await harness.produce(batch(0, 50));
    await harness.waitForStored(50);

    await proxy.cut();
    await harness.produce(batch(50, 50));
    // the outage is seen: this ingest's batch fails and is kept for a retry
    // this ingest hit the outage and kept the batch (its committed offsets stay behind until
    // the database is back); the row count is not checked here because any other ingest
    // running against the same test database may store the same records meanwhile
    await eventually(
      () =>
        Promise.resolve(
          harness.ingest.output.join('\n').includes('batch failed, retrying') ? true : undefined,
        ),
      60_000,
    );

    await proxy.restore();
    await harness.waitForStored(100, 90_000);
    await harness.waitCaughtUp();
    expect(await harness.storedCount()).toBe(100);
    for (const { gapFree } of (await harness.conversations()).values()) expect(gapFree).toBe(true);

    // caught up: whatever ingest dead-lettered for these records is in the DLQ by now
    const dead = await readToEnd(harness.kafka, TOPICS.chatMessagesDlq, {
      keep: (letter) => Boolean(letter.key?.toString().startsWith(`${harness.tenantId}:`)),
      from: harness.deadLettersFrom,
    });
    expect(dead).toHaveLength(0);
  });
});
