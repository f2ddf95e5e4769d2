/** Why messages a fold needs are gone for good: they are skipped, and counted by reason. */
export type MissingReason = 'erased' | 'archived' | 'not_stored';

export const MISSING_REASONS: readonly MissingReason[] = ['erased', 'archived', 'not_stored'];

/** What Postgres says about a conversation whose messages a fold needs and cannot read. */
export interface MissingFacts {
  /** An erasure of the conversation is recorded (its rows were deleted on purpose). */
  erased: boolean;
  /** Of the missing seqs, those retention archived (moved out of `messages`). */
  archivedSeqs: ReadonlySet<number>;
  /** `conversations.last_seq`, undefined when this database has no such conversation. */
  storedLastSeq: number | undefined;
}

/**
 * Sorts missing seqs into those gone for good and those that may still come ('late').
 * A seq at or below the conversation's `last_seq` was stored (ingest writes the message and the
 * counter in one transaction), so its row was removed since: gone. A seq above it, or of a
 * conversation with no row, is either late (a replica that lags, a message still in flight) or
 * was never stored in this database (records produced against another one): only time tells,
 * see {@link MissingMessageWaits}.
 */
export function classifyMissing(
  seqs: readonly number[],
  facts: MissingFacts,
): Map<number, MissingReason | 'late'> {
  const reasons = new Map<number, MissingReason | 'late'>();
  for (const seq of seqs) {
    if (facts.erased) reasons.set(seq, 'erased');
    else if (facts.archivedSeqs.has(seq)) reasons.set(seq, 'archived');
    else if (facts.storedLastSeq !== undefined && seq <= facts.storedLastSeq)
      reasons.set(seq, 'not_stored');
    else reasons.set(seq, 'late');
  }
  return reasons;
}

/** Messages of one conversation skipped as gone for good, for logs and metrics. */
export interface SkippedMessages {
  tenantId: string;
  conversationId: string;
  reason: MissingReason;
  seqs: number[];
}

/**
 * Messages a fold needs are not in the database yet and have not been waited for long
 * enough: the conversation is left for a later fold (the next trigger or the idle sweep), the
 * rest of the batch goes on.
 */
export class MessagesNotYetStoredError extends Error {
  constructor(
    readonly tenantId: string,
    readonly conversationId: string,
    readonly seqs: readonly number[],
    readonly waitedMs: number,
  ) {
    super(
      `messages ${describeSeqs(seqs)} of ${tenantId}:${conversationId} are not in the database ` +
        `yet (waited ${Math.round(waitedMs / 1000)} s); the conversation is folded later`,
    );
    this.name = 'MessagesNotYetStoredError';
  }
}

/** Most conversations remembered as waiting; the oldest are forgotten first (they wait anew). */
const MAX_WAITING = 10_000;

/**
 * Since when each conversation has waited for messages missing from the database, in memory:
 * after a restart a conversation waits once more, which is still bounded.
 */
export class MissingMessageWaits {
  private readonly since = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** How long `key` has waited, starting the clock on the first call. */
  waited(key: string): number {
    const started = this.since.get(key);
    if (started !== undefined) return this.now() - started;
    if (this.since.size >= MAX_WAITING) {
      const oldest = this.since.keys().next().value;
      if (oldest !== undefined) this.since.delete(oldest);
    }
    this.since.set(key, this.now());
    return 0;
  }

  /** The conversation's messages are all there (or skipped): it waits for nothing now. */
  forget(key: string): void {
    this.since.delete(key);
  }
}

/** `3..5, 9` for [3, 4, 5, 9] (seqs sorted ascending). */
export function describeSeqs(seqs: readonly number[]): string {
  const runs: string[] = [];
  let start: number | undefined;
  let previous: number | undefined;
  for (const seq of [...seqs, Number.NaN]) {
    if (previous !== undefined && seq === previous + 1) {
      previous = seq;
      continue;
    }
    if (start !== undefined && previous !== undefined)
      runs.push(start === previous ? String(start) : `${start}..${previous}`);
    start = seq;
    previous = seq;
  }
  return runs.join(', ');
}
