import {
  PassQueueFullError,
  PassRequest,
  passRequestKey,
  PassScheduler,
  PassTrigger,
} from './pass-scheduler';

interface Gate {
  promise: Promise<void>;
  open: () => void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A scheduler whose passes wait for their gate; `runs` lists the requests as passes start. */
function setup(maxQueued = 4) {
  const runs: Array<{ request: PassRequest; trigger: PassTrigger }> = [];
  const gates: Gate[] = [];
  const scheduler = new PassScheduler<PassRequest, number>(
    60_000,
    async (request, trigger) => {
      runs.push({ request, trigger });
      const next = gate();
      gates.push(next);
      await next.promise;
      return runs.length;
    },
    {},
    { keyOf: passRequestKey, maxQueued },
  );
  const started = async (count: number): Promise<void> => {
    while (gates.length < count) await new Promise((resolve) => setImmediate(resolve));
  };
  return { scheduler, runs, gates, started };
}

describe(PassScheduler.name, () => {
  it('coalesces requests for the same tenant made while a pass runs into one queued pass', async () => {
    const { scheduler, runs, gates, started } = setup();
    const first = scheduler.run({ tenantId: 'acme' });
    await started(1);
    const waiting = Array.from({ length: 10 }, () => scheduler.run({ tenantId: 'acme' }));
    expect(scheduler.queued).toBe(1);
    expect(scheduler.waitingRequests).toBe(10);
    gates[0].open();
    expect(await first).toBe(1);
    await started(2);
    gates[1].open();
    expect(new Set(await Promise.all(waiting))).toEqual(new Set([2]));
    expect(runs).toHaveLength(2);
  });

  it('queues different tenants, and a dry run apart from a real pass', async () => {
    const { scheduler, runs, gates, started } = setup();
    const passes = [
      scheduler.run({ tenantId: 'acme' }),
      scheduler.run({ tenantId: 'globex' }),
      scheduler.run({ tenantId: 'globex', dryRun: true }),
      scheduler.run({ tenantId: 'globex' }),
    ];
    for (let index = 0; index < 3; index += 1) {
      await started(index + 1);
      gates[index].open();
    }
    expect(await Promise.all(passes)).toEqual([1, 2, 3, 2]);
    expect(runs.map((run) => run.request)).toEqual([
      { tenantId: 'acme' },
      { tenantId: 'globex' },
      { tenantId: 'globex', dryRun: true },
    ]);
  });

  it('refuses a new pass when the queue is full, and takes one again once it drains', async () => {
    const { scheduler, gates, started } = setup(2);
    const running = scheduler.run({ tenantId: 't0' });
    await started(1);
    const queued = [scheduler.run({ tenantId: 't1' }), scheduler.run({ tenantId: 't2' })];
    await expect(scheduler.run({ tenantId: 't3' })).rejects.toBeInstanceOf(PassQueueFullError);
    await expect(scheduler.run({ tenantId: 't3' })).rejects.toMatchObject({
      code: 'PASS_QUEUE_FULL',
    });
    // Joining a pass already waiting is still fine when the queue is full.
    const joined = scheduler.run({ tenantId: 't1' });
    gates[0].open();
    await running;
    await started(2);
    const later = scheduler.run({ tenantId: 't3' });
    gates[1].open();
    await started(3);
    gates[2].open();
    await started(4);
    gates[3].open();
    expect(await Promise.all([...queued, joined, later])).toEqual([2, 3, 2, 4]);
  });

  it('goes on after a failed pass', async () => {
    let calls = 0;
    const scheduler = new PassScheduler<PassRequest, number>(
      60_000,
      () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve(calls);
      },
      {},
    );
    await expect(scheduler.run({ tenantId: 'a' })).rejects.toThrow('boom');
    expect(await scheduler.run({ tenantId: 'a' })).toBe(2);
  });
});
