import { backoffDelay } from '@memory/config';
import { EmbeddingBackend } from '@memory/embeddings';
import { PassageIndex, PendingPassage, SearchSettings } from '@memory/search-index';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { EMBEDDER, SEARCH_SETTINGS } from '../core/tokens';
import { IndexingMetrics } from './indexing.metrics';

/** How the filler paces itself: small batches, a pause when idle, a count now and then. */
export const FILLER_PACE = {
  /** Passages embedded per round: one model run, short enough to stop quickly. */
  batch: 16,
  /**
   * Of a round, how many are the passages written last: under a backlog, what was just said
   * becomes findable by paraphrase within a round or two, and the rest of the round drains
   * the backlog oldest first, so no passage waits forever.
   */
  newest: 12,
  /** Wait when no passage needs a vector. */
  idleMs: 1_000,
  /** Wait between two rounds of a backlog, so the filler never holds a core alone. */
  betweenMs: 50,
  /** How often the pending passages are counted for the gauge. */
  countEveryMs: 15_000,
  /**
   * How long a passage just given its vector is left out of the next rounds: the index shows
   * the change at its next refresh (1 s), and embedding it again before would be wasted.
   */
  recentMs: 5_000,
  /** Backoff after failed rounds. */
  backoff: { baseMs: 1_000, maxMs: 60_000 },
} as const;

/** The passage index as the filler uses it. */
export type FillerIndex = Pick<PassageIndex, 'needingVectors' | 'setVectors' | 'pendingVectors'>;

/**
 * Gives passages their vectors in the background: takes a few passages without one (most of
 * them the newest, the rest the oldest: {@link FILLER_PACE}), embeds their texts as documents
 * and sets the vectors, each only on the version of the passage it was made from. A round that fails is logged and retried with backoff; the loop
 * never ends the service. It starts once the application is up and stops before the embedding
 * model is closed, after its round in progress (a round is one small model run).
 */
@Injectable()
export class PassageVectorFiller implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PassageVectorFiller.name);
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  /** Ids given a vector lately, with when (see {@link FILLER_PACE.recentMs}). */
  private readonly recent = new Map<string, number>();
  private lastCount = 0;

  constructor(
    private readonly index: PassageIndex,
    @Inject(EMBEDDER) private readonly embedder: EmbeddingBackend,
    @Inject(SEARCH_SETTINGS) private readonly settings: SearchSettings,
    private readonly metrics: IndexingMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.settings.passageVectors) {
      this.logger.log({ msg: 'passage vectors off (SEARCH_PASSAGE_VECTORS=false)' });
      return;
    }
    this.loop = this.run(this.index);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** Runs rounds until the service stops. */
  async run(index: FillerIndex): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      let wait: number;
      try {
        const filled = await this.fillOnce(index);
        failures = 0;
        wait = filled === 0 ? FILLER_PACE.idleMs : FILLER_PACE.betweenMs;
      } catch (error) {
        failures++;
        this.metrics.vectorFillFailed();
        wait = backoffDelay(failures, FILLER_PACE.backoff);
        this.logger.warn({
          msg: 'passage vectors not filled; retrying',
          attempt: failures,
          retryInMs: wait,
          error: String(error),
        });
      }
      await sleep(wait, this.stopping.signal);
    }
  }

  /** One round: returns how many passages it embedded (0 when none was waiting). */
  async fillOnce(index: FillerIndex, now: number = Date.now()): Promise<number> {
    for (const [id, at] of this.recent) if (now - at > FILLER_PACE.recentMs) this.recent.delete(id);
    if (now - this.lastCount >= FILLER_PACE.countEveryMs) {
      this.metrics.pending(await index.pendingVectors());
      this.lastCount = now;
    }
    const asked = FILLER_PACE.newest + this.recent.size;
    const found = await index.needingVectors(asked, 'newest');
    const fresh = (passages: PendingPassage[]) => passages.filter((p) => !this.recent.has(p.id));
    const newest = fresh(found).slice(0, FILLER_PACE.newest);
    // Fewer than asked: every passage waiting is in `found`, so there is no older one to add.
    const oldest =
      found.length < asked
        ? fresh(found).slice(FILLER_PACE.newest)
        : fresh(await index.needingVectors(FILLER_PACE.batch + this.recent.size, 'oldest'));
    const taken = new Set(newest.map((passage) => passage.id));
    const pending = [...newest, ...oldest.filter((passage) => !taken.has(passage.id))].slice(
      0,
      FILLER_PACE.batch,
    );
    if (pending.length === 0) return 0;
    const vectors = await this.embedder.embed(
      pending.map((passage) => passage.text),
      'document',
    );
    if (vectors.length !== pending.length)
      throw new Error(`embeddings: ${vectors.length} vectors for ${pending.length} texts`);
    const outcome = await index.setVectors(
      pending.map((passage, i) => ({ passage, embedding: vectors[i] ?? [] })),
    );
    for (const passage of pending) this.recent.set(passage.id, now);
    this.metrics.vectorsFilled(outcome.updated, outcome.stale);
    return pending.length;
  }
}

/** Waits `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
