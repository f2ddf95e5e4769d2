import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ApiKeyEntity, ApiKeyScope } from '@memory/persistence';
import { DataSource, IsNull, Repository } from 'typeorm';
import { TakeResult } from './token-buckets';

export interface ApiKeyIdentity {
  /** The API key's id, or `jwt:<verification key id>` for a token. */
  keyId: string;
  tenantId: string;
  scopes: readonly ApiKeyScope[];
  /** Set for a credential of one end user: every call sees only that user's conversations. */
  userId?: string;
}

export interface CreatedApiKey {
  id: string;
  /** The secret itself: shown once, never stored. */
  key: string;
}

/** Outcome of one database look-up of a presented key. */
export type KeyLookupResult = 'found' | 'unknown' | 'failed';

export interface ApiKeyStoreOptions {
  /** Most presented keys remembered, found and unknown together (least recently used go first). */
  cacheSize?: number;
  /** How long a found key is used without looking it up again. */
  knownKeyTtlMs?: number;
  /** How long an unknown (or revoked) key is remembered: one look-up per key per this interval. */
  unknownKeyTtlMs?: number;
  /**
   * When set, a cached key is trusted only if revocations were checked ({@link
   * ApiKeyStore.checkRevocations}) or the key itself was looked up within this many ms; otherwise
   * it is looked up again. Unset (the CLI), cached keys live for their whole TTL.
   */
  revocationWindowMs?: number;
  /**
   * Budget of look-ups of keys the cache does not know, shared by all of them (a flood of random
   * keys costs the database at most this); over it, verify() throws {@link KeyLookupsThrottledError}.
   */
  lookupBudget?: { take(key: string): TakeResult };
  /** Called once per database look-up (for the `auth_key_lookups_total` metric). */
  onLookup?: (result: KeyLookupResult) => void;
  /** Milliseconds from a monotonic clock (tests pass their own). */
  now?: () => number;
}

/** Too many keys unknown to the cache were presented: the look-up was not made. */
export class KeyLookupsThrottledError extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many look-ups of unknown API keys');
    this.name = 'KeyLookupsThrottledError';
  }
}

interface CacheEntry {
  identity: ApiKeyIdentity | null;
  /** Until when the entry may be used at all. */
  until: number;
  /** When the look-up that produced it started: it proves the key was valid then. */
  loadedAt: number;
}

const KEY_PREFIX = 'mk_';
/** `mk_` and 32 random bytes in base64url: anything else is refused without a query. */
const KEY_FORMAT = /^mk_[A-Za-z0-9_-]{43}$/;
const DEFAULTS = { cacheSize: 10_000, knownKeyTtlMs: 30_000, unknownKeyTtlMs: 60_000 };

const REVOCATION_MARKER_SQL = `SELECT count(*)::text AS keys, count(revoked_at)::text AS revoked,
  coalesce(max(revoked_at)::text, '') AS latest FROM api_keys`;
const ACTIVE_KEYS_SQL = 'SELECT id FROM api_keys WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL';

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * API keys of tenants. A key is 32 random bytes, so a plain SHA-256 is enough to store it
 * safely (no dictionary to guess from); lookups are by that hash.
 *
 * Presented keys are cached, found or not, in a bounded LRU map; concurrent look-ups of one key
 * share one query, and keys the cache does not know spend a shared look-up budget, so strangers
 * sending random keys cost the database a bounded number of queries. A revocation (or a deleted
 * key) is noticed through {@link checkRevocations}, which a poller runs every second in each
 * service.
 */
export class ApiKeyStore {
  private readonly repository: Repository<ApiKeyEntity>;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<ApiKeyIdentity | null>>();
  private readonly options: Required<
    Pick<ApiKeyStoreOptions, 'cacheSize' | 'knownKeyTtlMs' | 'unknownKeyTtlMs' | 'now'>
  > &
    ApiKeyStoreOptions;
  /** Bumped whenever the cache is dropped: a look-up begun before does not refill it. */
  private generation = 0;
  private revocationMarker: { keys: number; revocations: string } | undefined;
  private revocationsCheckedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly dataSource: DataSource,
    options: ApiKeyStoreOptions = {},
  ) {
    this.repository = dataSource.getRepository(ApiKeyEntity);
    this.options = { ...DEFAULTS, now: () => performance.now(), ...options };
  }

  async create(
    tenantId: string,
    name: string,
    scopes: readonly ApiKeyScope[],
    userId: string | null = null,
  ): Promise<CreatedApiKey> {
    if (userId !== null && scopes.includes('admin'))
      throw new Error('a key bound to a user cannot have the admin scope');
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const saved = await this.repository.save({
      tenantId,
      name,
      scopes: [...scopes],
      userId,
      keyHash: hashApiKey(key),
      keyPrefix: key.slice(0, 10),
      revokedAt: null,
    });
    return { id: saved.id, key };
  }

  list(tenantId?: string): Promise<ApiKeyEntity[]> {
    return this.repository.find({
      where: tenantId ? { tenantId } : {},
      order: { createdAt: 'ASC' },
    });
  }

  /** Revokes a key; this process forgets it at once, the others at their next revocation check. */
  async revoke(id: string): Promise<boolean> {
    const result = await this.repository.update(
      { id, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
    this.invalidate();
    return (result.affected ?? 0) > 0;
  }

  /**
   * Erasure of a user: the keys bound to them are revoked and no longer name them (a revoked
   * key never verifies, so clearing the user cannot widen it). Returns how many keys.
   */
  async forgetUser(tenantId: string, userId: string): Promise<number> {
    const rows = await this.dataSource.query<unknown>(
      `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), user_id = NULL
        WHERE tenant_id = $1 AND user_id = $2 RETURNING id`,
      [tenantId, userId],
    );
    this.invalidate();
    return Array.isArray(rows) && Array.isArray(rows[0]) ? rows[0].length : 0;
  }

  /**
   * The identity behind a presented key, or null when it is unknown or revoked. Throws
   * {@link KeyLookupsThrottledError} when the key would need a look-up over the budget, and
   * the database's error when the look-up fails.
   */
  async verify(key: string): Promise<ApiKeyIdentity | null> {
    if (!KEY_FORMAT.test(key)) return null;
    const hash = hashApiKey(key);
    const now = this.options.now();
    const cached = this.cache.get(hash);
    if (cached) {
      this.cache.delete(hash);
      if (cached.until > now) {
        if (!cached.identity || this.trusted(cached, now)) {
          this.cache.set(hash, cached); // most recently used
          return cached.identity;
        }
      }
    }
    const pending = this.inFlight.get(hash);
    if (pending) return pending;
    // A known key whose trust lapsed is looked up again outside the budget: known keys are few.
    if (!cached?.identity && this.options.lookupBudget) {
      const decision = this.options.lookupBudget.take('lookups');
      if (!decision.allowed) throw new KeyLookupsThrottledError(decision.retryAfterSeconds);
    }
    const lookup: Promise<ApiKeyIdentity | null> = this.lookUp(hash, now).finally(() => {
      if (this.inFlight.get(hash) === lookup) this.inFlight.delete(hash);
    });
    this.inFlight.set(hash, lookup);
    return lookup;
  }

  /**
   * Reads a cheap marker of the keys table (how many keys, how many revoked, the latest
   * revocation); when it changed since the last check, looks up which cached keys are still
   * active, by id in one query, and drops the others. Creating a key changes the marker too but
   * drops nothing. Returns how many cached keys were dropped.
   */
  async checkRevocations(): Promise<number> {
    const startedAt = this.options.now();
    const rows =
      await this.dataSource.query<Array<{ keys: string; revoked: string; latest: string }>>(
        REVOCATION_MARKER_SQL,
      );
    const row = rows[0] ?? { keys: '0', revoked: '0', latest: '' };
    const marker = { keys: Number(row.keys), revocations: `${row.revoked}/${row.latest}` };
    const previous = this.revocationMarker;
    let dropped = 0;
    if (marker.keys !== previous?.keys || marker.revocations !== previous.revocations) {
      // A look-up under way may have read a key just revoked or deleted: its answer is not
      // cached. Keys only created cannot make it wrong, so they leave it be.
      if (!previous || marker.revocations !== previous.revocations || marker.keys < previous.keys)
        this.generation += 1;
      const known = [...this.cache].filter(([, entry]) => entry.identity !== null);
      if (known.length > 0) {
        const ids = [...new Set(known.map(([, entry]) => entry.identity?.keyId))];
        const active = await this.dataSource.query<Array<{ id: string }>>(ACTIVE_KEYS_SQL, [ids]);
        const stillActive = new Set(active.map((key) => key.id));
        for (const [hash, entry] of known) {
          if (entry.identity && stillActive.has(entry.identity.keyId)) continue;
          if (this.cache.delete(hash)) dropped += 1;
        }
      }
    }
    this.revocationMarker = marker;
    this.revocationsCheckedAt = startedAt;
    return dropped;
  }

  /** Forgets every cached key (found and unknown) and any look-up in flight. */
  invalidate(): void {
    this.generation += 1;
    this.cache.clear();
    this.inFlight.clear();
  }

  /** Keys cached now. */
  get cacheSize(): number {
    return this.cache.size;
  }

  private trusted(entry: CacheEntry, now: number): boolean {
    const window = this.options.revocationWindowMs;
    if (window === undefined) return true;
    return now - Math.max(entry.loadedAt, this.revocationsCheckedAt) <= window;
  }

  private async lookUp(hash: string, startedAt: number): Promise<ApiKeyIdentity | null> {
    const generation = this.generation;
    let found: ApiKeyEntity | null;
    try {
      found = await this.repository.findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
    } catch (error) {
      this.options.onLookup?.('failed');
      throw error;
    }
    this.options.onLookup?.(found ? 'found' : 'unknown');
    const identity: ApiKeyIdentity | null = found
      ? {
          keyId: found.id,
          tenantId: found.tenantId,
          scopes: found.scopes,
          ...(found.userId ? { userId: found.userId } : {}),
        }
      : null;
    if (generation === this.generation) {
      const ttl = identity ? this.options.knownKeyTtlMs : this.options.unknownKeyTtlMs;
      this.cache.set(hash, { identity, until: startedAt + ttl, loadedAt: startedAt });
      for (const oldest of this.cache.keys()) {
        if (this.cache.size <= this.options.cacheSize) break;
        this.cache.delete(oldest);
      }
    }
    return identity;
  }
}
