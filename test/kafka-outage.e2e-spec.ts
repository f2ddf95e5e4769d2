import { Message } from 'kafkajs';
import { IngestHarness } from './support/ingest-harness';
import { stack } from './support/stack';

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/**
 * A service rides out a broker restart on its own, at start-up as well as while consuming:
 * kafkajs gives up for good on some of what a restart looks like (a join that finds no
 * coordinator, connecting for longer than its retries), and a service that exited then would
 * wait for its supervisor. The join that finds no coordinator cannot be timed from here (the
 * broker must stop during a join of a few milliseconds): batch-consumer.rejoin.spec.ts has it.
 */
describe('ingest while the Kafka broker is away', () => {
  const harness = new IngestHarness();
  let produced = 0;
  const batch = (count: number): Message[] =>
    Array.from({ length: count }, () => {
      const n = produced++;
      return harness.record(harness.message(`away-${n % 5}`, `away-m${n}`, `message ${n}`));
    });

  beforeAll(async () => {
    await harness.setUp();
  });

  afterAll(async () => {
    // The broker is back even when a test failed half-way: the files after this one need it.
    stack('up');
    await harness.tearDown();
  });

  it('starts while the broker is down for 25 s: it waits, joins and consumes, without exiting', async () => {
    stack('down', 'kafka');
    harness.ingest = harness.newProcess().start();
    // Longer than kafkajs' own retries at connecting: without waiting for the broker, the
    // service would fail its start-up here.
    await sleep(25_000);
    stack('up');
    await harness.ingest.waitReady(180_000);
    await harness.produce(batch(20));
    await harness.waitForStored(20, 180_000);
    expect(harness.ingest.exited).toBe(false);
    expect(harness.ingest.output.join('\n')).toMatch(/Kafka not reachable; trying again/);
  });

  it('a broker away for 20 s while it consumes: nothing lost, nothing doubled, no exit', async () => {
    await harness.produce(batch(50));
    await harness.waitForStored(70);

    stack('down', 'kafka');
    await sleep(20_000);
    stack('up');
    await harness.produce(batch(50));

    await harness.waitForStored(120, 180_000);
    await harness.waitCaughtUp(120_000);
    expect(await harness.storedCount()).toBe(120);
    expect(harness.ingest.exited).toBe(false);
    // The outage reached the consumer: what this test checks is what happens after it.
    expect(harness.ingest.output.join('\n')).toMatch(/consumer crashed/);
  });
});
