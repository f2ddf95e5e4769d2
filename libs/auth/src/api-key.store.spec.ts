import { ApiKeyEntity } from '@memory/persistence';
import { DataSource } from 'typeorm';
import {
  ApiKeyStore,
  ApiKeyStoreOptions,
  hashApiKey,
  KeyLookupsThrottledError,
} from './api-key.store';
import { TokenBuckets } from './token-buckets';

const KEY = `mk_${'a'.repeat(43)}`;
const randomKey = (n: number): string => `mk_${String(n).padStart(43, 'x')}`;

function setup(options: Partial<ApiKeyStoreOptions> = {}) {
  const clock = { now: 1_000 };
  const rows = new Map<string, ApiKeyEntity>();
  const marker = { keys: '1', revoked: '0', latest: '' };
  let gate: Promise<void> | undefined;
  const repository = {
    findOne: jest.fn(
      async ({ where }: { where: { keyHash: string } }): Promise<ApiKeyEntity | null> => {
        await (gate ?? Promise.resolve());
        const row = rows.get(where.keyHash);
        return row && !row.revokedAt ? row : null;
      },
    ),
    update: jest.fn(() => Promise.resolve({ affected: 1 })),
  };
  const query = jest.fn((sql: string, parameters?: unknown[]): Promise<unknown[]> => {
    if (sql.includes('count(*)')) return Promise.resolve([{ ...marker }]);
    const ids = (parameters?.[0] ?? []) as string[];
    return Promise.resolve(
      [...rows.values()].filter((row) => ids.includes(row.id) && !row.revokedAt),
    );
  });
  const dataSource = { getRepository: () => repository, query } as unknown as DataSource;
  const lookups: string[] = [];
  const store = new ApiKeyStore(dataSource, {
    now: () => clock.now,
    onLookup: (result) => lookups.push(result),
    ...options,
  });
  const add = (key: string, revokedAt: Date | null = null): ApiKeyEntity => {
    const row = {
      id: `id-${key.slice(-4)}`,
      tenantId: 'acme',
      scopes: ['search'],
      keyHash: hashApiKey(key),
      revokedAt,
    } as ApiKeyEntity;
    rows.set(row.keyHash, row);
    return row;
  };
  /** Holds the next look-ups until `go()`. */
  const hold = () => {
    let open = (): void => undefined;
    gate = new Promise<void>((resolve) => (open = resolve));
    return {
      go: () => {
        gate = undefined;
        open();
      },
    };
  };
  return { store, clock, repository, query, marker, lookups, add, hold, rows };
}

describe(ApiKeyStore.name, () => {
  it('finds a key, then answers from the cache', async () => {
    const { store, add, lookups } = setup();
    add(KEY);
    const identity = { keyId: 'id-aaaa', tenantId: 'acme', scopes: ['search'] };
    expect(await store.verify(KEY)).toEqual(identity);
    expect(await store.verify(KEY)).toEqual(identity);
    expect(lookups).toEqual(['found']);
  });

  it('refuses keys of the wrong shape without a query', async () => {
    const { store, repository } = setup();
    for (const key of [
      '',
      'mk_short',
      `mk_${'a'.repeat(44)}`,
      `xx_${'a'.repeat(43)}`,
      `mk_${'a'.repeat(42)}!`,
    ])
      expect(await store.verify(key)).toBeNull();
    expect(repository.findOne).not.toHaveBeenCalled();
  });

  it('looks an unknown key up once per interval', async () => {
    const { store, clock, lookups } = setup({ unknownKeyTtlMs: 60_000 });
    for (let i = 0; i < 5; i++) expect(await store.verify(KEY)).toBeNull();
    expect(lookups).toEqual(['unknown']);
    clock.now += 60_001;
    expect(await store.verify(KEY)).toBeNull();
    expect(lookups).toEqual(['unknown', 'unknown']);
  });

  it('shares one query among concurrent look-ups of a key', async () => {
    const { store, add, hold, repository } = setup();
    add(KEY);
    const held = hold();
    const answers = Promise.all(Array.from({ length: 20 }, () => store.verify(KEY)));
    await Promise.resolve();
    held.go();
    expect(new Set((await answers).map((identity) => identity?.keyId))).toEqual(
      new Set(['id-aaaa']),
    );
    expect(repository.findOne).toHaveBeenCalledTimes(1);
  });

  it('holds at most cacheSize keys, dropping the least recently used', async () => {
    const { store, lookups } = setup({ cacheSize: 3 });
    for (const n of [1, 2, 3]) await store.verify(randomKey(n));
    await store.verify(randomKey(1)); // cached, now the most recently used
    await store.verify(randomKey(4)); // drops 2
    expect(store.cacheSize).toBe(3);
    expect(lookups).toHaveLength(4);
    await store.verify(randomKey(1));
    expect(lookups).toHaveLength(4);
    await store.verify(randomKey(2));
    expect(lookups).toHaveLength(5);
  });

  it('spends the look-up budget on keys it does not know, and refuses over it', async () => {
    const clock = { now: 0 };
    const budget = new TokenBuckets({ ratePerSecond: 1, burst: 2, now: () => clock.now });
    const { store, add, lookups } = setup({ lookupBudget: budget, now: () => clock.now });
    add(KEY);
    expect(await store.verify(KEY)).not.toBeNull();
    expect(await store.verify(randomKey(1))).toBeNull();
    await expect(store.verify(randomKey(2))).rejects.toEqual(new KeyLookupsThrottledError(1));
    // cached keys, known or unknown, cost nothing
    expect(await store.verify(KEY)).not.toBeNull();
    expect(await store.verify(randomKey(1))).toBeNull();
    expect(lookups).toEqual(['found', 'unknown']);
    clock.now += 1_000;
    expect(await store.verify(randomKey(2))).toBeNull();
  });

  it('drops a revoked key when the revocation marker changes, keeping the others', async () => {
    const { store, add, marker, lookups } = setup({ revocationWindowMs: 2_000 });
    const OTHER = `mk_${'b'.repeat(43)}`;
    const row = add(KEY);
    add(OTHER);
    await store.checkRevocations();
    expect(await store.verify(KEY)).not.toBeNull();
    expect(await store.verify(OTHER)).not.toBeNull();
    expect(await store.checkRevocations()).toBe(0);
    expect(lookups).toEqual(['found', 'found']);

    row.revokedAt = new Date();
    Object.assign(marker, { revoked: '1', latest: '2026-12-06 07:00:00+00' });
    expect(await store.checkRevocations()).toBe(1);
    expect(await store.verify(KEY)).toBeNull();
    expect(await store.verify(OTHER)).not.toBeNull();
    expect(lookups).toEqual(['found', 'found', 'unknown']);
  });

  it('drops a deleted key too, and nothing when a key was only created', async () => {
    const { store, add, marker, lookups, rows } = setup({ revocationWindowMs: 2_000 });
    add(KEY);
    await store.checkRevocations();
    await store.verify(KEY);
    add(`mk_${'c'.repeat(43)}`);
    marker.keys = '2';
    expect(await store.checkRevocations()).toBe(0);
    await store.verify(KEY);
    expect(lookups).toEqual(['found']);
    rows.delete(hashApiKey(KEY));
    marker.keys = '1';
    expect(await store.checkRevocations()).toBe(1);
    expect(await store.verify(KEY)).toBeNull();
  });

  it('does not trust cached keys once revocations went unchecked for the window', async () => {
    const { store, add, clock, query, lookups } = setup({ revocationWindowMs: 2_000 });
    add(KEY);
    await store.checkRevocations();
    await store.verify(KEY);
    clock.now += 1_500;
    await store.verify(KEY);
    expect(lookups).toEqual(['found']);
    query.mockRejectedValueOnce(new Error('connection refused'));
    await expect(store.checkRevocations()).rejects.toThrow('connection refused');
    clock.now += 1_000; // 2.5 s since the last check that worked
    await store.verify(KEY);
    expect(lookups).toEqual(['found', 'found']);
    await store.verify(KEY); // just looked up: trusted again for the window
    expect(lookups).toEqual(['found', 'found']);
  });

  it('does not cache a look-up that began before the cache was dropped', async () => {
    const { store, add, hold, lookups } = setup();
    const row = add(KEY);
    const held = hold();
    const first = store.verify(KEY);
    await Promise.resolve();
    row.revokedAt = new Date(); // revoked while the look-up is under way...
    store.invalidate(); // ...and noticed before it returns
    held.go();
    await first;
    expect(await store.verify(KEY)).toBeNull();
    expect(lookups).toHaveLength(2);
  });

  it('revoke() forgets the cached keys of this process at once', async () => {
    const { store, add, repository } = setup();
    const row = add(KEY);
    await store.verify(KEY);
    repository.update.mockImplementationOnce(() => {
      row.revokedAt = new Date();
      return Promise.resolve({ affected: 1 });
    });
    expect(await store.revoke(row.id)).toBe(true);
    expect(await store.verify(KEY)).toBeNull();
  });
});
