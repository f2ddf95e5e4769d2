import { randomBytes } from 'node:crypto';
import type { FusedConversation } from '@memory/search-index';
import type { PassageRanking } from './evidence.finder';

/**
 * A search's fused ranking as its pages showed it, kept so that its later pages slice the same
 * ranking instead of ranking the query again: what changes in between (a vector that lands, a
 * new message) then moves no conversation across a page break.
 */
export interface KeptRanking {
  tenantId: string;
  /** The query it belongs to (`queryHash`): a cursor only continues its own query. */
  queryHash: string;
  ranking: readonly FusedConversation[];
  /** Conversations of the ranking a period the query names raised (for `matchedBy`). */
  inPeriod: ReadonlySet<string>;
  /** The passage lists fused, for the evidence of later pages. */
  passages: PassageRanking & { userOf: ReadonlyMap<string, string> };
  /** `first` while it is the first pages' ranking; `full` once a page went past it. */
  depth: 'first' | 'full';
  /** Whether a list was cut at its depth: a `first` ranking may go on at full depth. */
  truncated: boolean;
}

interface Entry {
  kept: KeptRanking;
  expires: number;
}

/**
 * Rankings kept in this process, most recently used last, at most `capacity` of them and each
 * for `ttlMs` after it was last used; the oldest make room. A cursor whose ranking is gone
 * (expired, made room for, or kept by another replica of the service) pages as before: it ranks
 * the query again, the results its earlier pages showed kept first. A ranking of 200
 * conversations with its passages is some tens of kilobytes, so the default 2,000 hold well
 * under 100 MB at the worst.
 */
export class KeptRankings {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly capacity: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Keeps a ranking under a new random key (none when the capacity is 0). */
  keep(kept: KeptRanking): string | undefined {
    if (this.capacity <= 0) return undefined;
    const key = randomBytes(12).toString('base64url');
    this.put(key, kept);
    return key;
  }

  /** Replaces what a key holds (a page past the first pages' depth extends its ranking). */
  replace(key: string, kept: KeptRanking): void {
    if (this.capacity <= 0) return;
    this.entries.delete(key);
    this.put(key, kept);
  }

  /**
   * The ranking kept under `key` for this tenant and query, or undefined: unknown, expired, or
   * another tenant's or query's (a cursor cannot read a ranking it was not given).
   */
  find(key: string, tenantId: string, queryHash: string): KeptRanking | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.now()) return undefined;
    if (entry.kept.tenantId !== tenantId || entry.kept.queryHash !== queryHash) {
      this.entries.set(key, entry);
      return undefined;
    }
    entry.expires = this.now() + this.ttlMs;
    this.entries.set(key, entry);
    return entry.kept;
  }

  private put(key: string, kept: KeptRanking): void {
    this.entries.set(key, { kept, expires: this.now() + this.ttlMs });
    const now = this.now();
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.capacity && entry.expires > now) break;
      this.entries.delete(oldest);
    }
  }
}
