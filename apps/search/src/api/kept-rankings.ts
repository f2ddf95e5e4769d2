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
  bytes: number;
}

/**
 * Heap bytes a kept ranking takes, estimated from what it holds: measured at about 470 bytes a
 * conversation or passage of the ranking (ids, scores, ranks and the maps over them).
 */
export function keptBytes(kept: KeptRanking): number {
  return 1_024 + 512 * (kept.ranking.length + kept.passages.fused.length);
}

/**
 * Rankings kept in this process, most recently used last, together at most `capacityBytes` (by
 * {@link keptBytes}) and each for `ttlMs` after it was last used; the least recently used make
 * room. A cursor whose ranking is gone (expired, made room for, or kept by another replica of
 * the service) pages as before: it ranks the query again, the results its earlier pages showed
 * kept first. A first page's ranking, its passages cut to the evidence of the later pages, takes
 * up to about 75 KB (measured): 64 MB hold 700 or more.
 */
export class KeptRankings {
  private readonly entries = new Map<string, Entry>();
  private held = 0;

  constructor(
    private readonly capacityBytes: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Estimated bytes held. */
  get bytes(): number {
    return this.held;
  }

  /** Keeps a ranking under a new random key (none when it does not fit the capacity). */
  keep(kept: KeptRanking): string | undefined {
    if (keptBytes(kept) > this.capacityBytes) return undefined;
    const key = randomBytes(12).toString('base64url');
    this.put(key, kept);
    return key;
  }

  /** Replaces what a key holds (a page past the first pages' depth extends its ranking). */
  replace(key: string, kept: KeptRanking): void {
    this.drop(key);
    if (keptBytes(kept) <= this.capacityBytes) this.put(key, kept);
  }

  /**
   * The ranking kept under `key` for this tenant and query, or undefined: unknown, expired, or
   * another tenant's or query's (a cursor cannot read a ranking it was not given).
   */
  find(key: string, tenantId: string, queryHash: string): KeptRanking | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expires <= this.now()) {
      this.held -= entry.bytes;
      return undefined;
    }
    if (entry.kept.tenantId !== tenantId || entry.kept.queryHash !== queryHash) {
      this.entries.set(key, entry);
      return undefined;
    }
    entry.expires = this.now() + this.ttlMs;
    this.entries.set(key, entry);
    return entry.kept;
  }

  private put(key: string, kept: KeptRanking): void {
    const bytes = keptBytes(kept);
    this.entries.set(key, { kept, expires: this.now() + this.ttlMs, bytes });
    this.held += bytes;
    const now = this.now();
    for (const [oldest, entry] of this.entries) {
      if (this.held <= this.capacityBytes && entry.expires > now) break;
      this.drop(oldest);
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.held -= entry.bytes;
  }
}
