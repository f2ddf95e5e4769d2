import { Logger } from '@nestjs/common';
import {
  Kafka,
  KafkaJSConnectionError,
  KafkaJSGroupCoordinatorNotFound,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { BatchConsumer } from './batch-consumer';
import { BROKER_AWAY_RETRIES, brokerAway } from './broker-away';

type Listener = (event: { payload: Record<string, unknown> }) => void;

/**
 * A kafkajs consumer stand-in whose joins succeed or crash as the test says, the way kafkajs
 * reports them: `run` resolves either way, a failed join emits CRASH (after kafkajs has
 * disconnected), a good one emits GROUP_JOIN.
 */
function setup(joins: Array<Error | 'ok'>, subscribes: Error[] = []) {
  const listeners = new Map<string, Listener>();
  const calls = { connect: 0, subscribe: 0, run: 0, disconnect: 0 };
  const crashes: string[] = [];
  const fake = {
    events: { CRASH: 'crash', GROUP_JOIN: 'join' },
    on: (name: string, listener: Listener) => listeners.set(name, listener),
    connect: () => (calls.connect++, Promise.resolve()),
    subscribe: () => {
      calls.subscribe++;
      const error = subscribes.shift();
      return error ? Promise.reject(error) : Promise.resolve();
    },
    disconnect: () => (calls.disconnect++, Promise.resolve()),
    run: () => {
      calls.run++;
      const outcome = joins.shift() ?? 'ok';
      if (outcome === 'ok') listeners.get('join')?.({ payload: { memberAssignment: {} } });
      else listeners.get('crash')?.({ payload: { error: outcome, restart: false } });
      return Promise.resolve();
    },
  };
  const consumer = new BatchConsumer({ consumer: () => fake } as unknown as Kafka, {
    groupId: 'rejoin-test',
    topics: ['t'],
    handler: () => Promise.resolve(),
    onCrash: (error) => crashes.push(error),
    rejoinDelay: () => 5,
  });
  return { consumer, calls, crashes };
}

/** As kafkajs throws it (its typings leave out the message). */
const NotFound = KafkaJSGroupCoordinatorNotFound as unknown as new (message: string) => Error;
const notFound = (): Error => new NotFound('Failed to find group coordinator');
const refused = (): Error => new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092');
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await sleep(5);
  expect(condition()).toBe(true);
}

describe('BatchConsumer when the broker is away', () => {
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('rejoins by itself after a join kafkajs gave up on (no coordinator), without exiting', async () => {
    const { consumer, calls, crashes } = setup([notFound(), 'ok']);
    await consumer.start();
    expect(consumer.state).toBe('rejoining');
    await until(() => consumer.state === 'running');
    expect(calls.run).toBe(2);
    expect(calls.connect).toBe(2);
    expect(crashes).toEqual([]);
  });

  it('crashes (for its supervisor) on an error no wait changes, without rejoining', async () => {
    const refusedForGood = new KafkaJSProtocolError({
      message: 'Not authorized to access group',
      type: 'GROUP_AUTHORIZATION_FAILED',
      code: 30,
      retriable: false,
    } as unknown as Error);
    const { consumer, calls, crashes } = setup([refusedForGood]);
    await consumer.start();
    expect(consumer.state).toBe('crashed');
    expect(crashes).toHaveLength(1);
    await sleep(30);
    expect(calls.run).toBe(1);
  });

  it('gives up after its rejoins while the broker stays away, and counts again after a join', async () => {
    const away = Array.from({ length: BROKER_AWAY_RETRIES + 1 }, notFound);
    const { consumer, calls, crashes } = setup(away);
    await consumer.start();
    await until(() => consumer.state === 'crashed');
    expect(calls.run).toBe(BROKER_AWAY_RETRIES + 1);
    expect(crashes).toEqual([String(notFound())]);

    // A join in between starts the count again: as many failures again are waited out.
    const again = setup([...Array.from({ length: BROKER_AWAY_RETRIES }, notFound), 'ok']);
    await again.consumer.start();
    await until(() => again.consumer.state === 'running');
    expect(again.crashes).toEqual([]);
  });

  it('tries a start again, from a clean disconnect, when subscribing meets no broker', async () => {
    const { consumer, calls, crashes } = setup(['ok'], [refused(), refused()]);
    await consumer.start();
    expect(consumer.state).toBe('running');
    expect(calls.subscribe).toBe(3);
    expect(calls.disconnect).toBe(2);
    expect(crashes).toEqual([]);
  });

  it('a stop while a start waits for the broker: no connection after the stop', async () => {
    const { consumer, calls } = setup(['ok'], [refused()]);
    const slow = consumer as unknown as { options: { rejoinDelay: () => number } };
    slow.options.rejoinDelay = () => 50;
    const started = consumer.start();
    await until(() => calls.subscribe === 1);
    await consumer.stop();
    await started;
    expect(calls.connect).toBe(1);
    expect(calls.run).toBe(0);
    expect(consumer.state).toBe('stopped');
  });

  it('a stop during the wait before a rejoin ends it: no join after the stop', async () => {
    const { consumer, calls } = setup([notFound()]);
    const slow = consumer as unknown as { options: { rejoinDelay: () => number } };
    slow.options.rejoinDelay = () => 60_000;
    await consumer.start();
    expect(consumer.state).toBe('rejoining');
    const stopped = Date.now();
    await consumer.stop();
    expect(Date.now() - stopped).toBeLessThan(2_000);
    await sleep(20);
    expect(calls.run).toBe(1);
    expect(consumer.state).toBe('stopped');
  });
});

describe(brokerAway.name, () => {
  it('tells a broker that is away or handing over from a refusal', () => {
    expect(brokerAway(notFound())).toBe(true);
    expect(brokerAway(refused())).toBe(true);
    const exhausted = new KafkaJSNumberOfRetriesExceeded(refused(), {
      retryCount: 5,
      retryTime: 100,
    });
    expect(brokerAway(exhausted)).toBe(true);
    const election = new KafkaJSProtocolError({
      message: 'There is no leader for this topic-partition',
      type: 'LEADER_NOT_AVAILABLE',
      code: 5,
      retriable: true,
    } as unknown as Error);
    expect(brokerAway(election)).toBe(true);

    expect(brokerAway(new Error('Topic authorization failed'))).toBe(false);
    expect(brokerAway(new TypeError('x is undefined'))).toBe(false);
    expect(brokerAway('ECONNREFUSED')).toBe(false);
  });
});
