import { backoffDelay } from '@memory/config';
import { EmbeddingBackend } from '@memory/embeddings';
import {
  conversationKeyOf,
  PassageIndex,
  PendingPassage,
  PendingSummary,
  PendingVector,
  SearchSettings,
  SummaryIndex,
  VectorTarget,
} from '@memory/search-index';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import { EMBEDDER, SEARCH_SETTINGS } from '../core/tokens';
import { IndexingMetrics, VectorKind } from './indexing.metrics';
import { TextBacklog } from './text-backlog';

/** How a filler paces itself: small batches, a pause when idle, a count now and then. */
export const FILLER_PACE = {
  /** Documents embedded per round: one model run or two, short enough to stop quickly. */
  batch: 16,
  /**
   * Passages embedded per round while summaries wait for theirs: one summary vector makes a
   * whole conversation findable by meaning, a passage vector four of its messages, so under a
   * backlog the model goes mostly to summaries, and passages still move.
   */
  yieldingBatch: 4,
  /**
   * Of a round, how many are the documents written last: under a backlog, what was just said
   * becomes findable by paraphrase within a round or two, and the rest of the round drains
   * the backlog oldest first, so no document waits forever.
   */
  newest: 12,
  /** Wait when no document needs a vector. */
  idleMs: 1_000,
  /** Wait between two rounds of a backlog, so a filler never holds a core alone. */
  betweenMs: 50,
  /** How often the pending documents are counted for the gauge. */
  countEveryMs: 15_000,
  /**
   * How long a document just given its vector is left out of the next rounds: the index shows
   * the change at its next refresh (1 s), and embedding it again before would be wasted.
   */
  recentMs: 5_000,
  /** Backoff after failed rounds. */
  backoff: { baseMs: 1_000, maxMs: 60_000 },
  /**
   * While the text indexers are behind ({@link TextBacklog}), a filler checks again this often
   * instead of running a round...
   */
  yieldCheckMs: 250,
  /** ...but runs one at least this often, so vectors still move under a long backlog. */
  yieldMaxMs: 10_000,
} as const;

/**
 * Gives documents their vectors in the background (two-phase indexing: a document is written
 * searchable by keyword at once, its vector follows): takes a few documents owed one (most of
 * them the newest, the rest the oldest: {@link FILLER_PACE}), embeds their texts as documents
 * and sets the vectors, each only on the version of the document it was made from. A round
 * that fails is logged and retried with backoff; the loop never ends the service. It starts
 * once the application is up and stops before the embedding model is closed, after its round
 * in progress (a round is one small model run). One filler per index: the summaries' and the
 * passages' run side by side, and the embedder takes their runs in turn. Text comes first:
 * while the text indexers are behind ({@link TextBacklog}), rounds are put off (one at least
 * every {@link FILLER_PACE.yieldMaxMs}).
 */
export abstract class VectorFiller<Pending extends PendingVector>
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  protected readonly logger = new Logger(this.constructor.name);
  private loop: Promise<void> | undefined;
  private readonly stopping = new AbortController();
  /** Ids given a vector lately, with when (see {@link FILLER_PACE.recentMs}). */
  private readonly recent = new Map<string, number>();
  private lastCount = 0;
  /** Whether the last round found more documents waiting than it took. */
  private behind = false;
  private lastRound = 0;
  /** Whether it is holding rounds back for the text indexers now. */
  private yielding = false;

  protected constructor(
    private readonly target: VectorTarget<Pending>,
    private readonly kind: VectorKind,
    private readonly embedder: EmbeddingBackend,
    private readonly metrics: IndexingMetrics,
    private readonly text?: Pick<TextBacklog, 'behind'>,
  ) {}

  /** Whether this filler runs (a setting may turn it off); logs why not. */
  protected enabled(): boolean {
    return true;
  }

  /** Documents to take this round. */
  protected roundSize(): number {
    return FILLER_PACE.batch;
  }

  /**
   * The round's candidates in the order to take them: as found (the newest, then the oldest)
   * unless a filler knows better.
   */
  protected firstOf(candidates: Pending[]): Promise<Pending[]> {
    return Promise.resolve(candidates);
  }

  /** Whether documents wait beyond what the last round took (a backlog). */
  get backlogged(): boolean {
    return this.behind;
  }

  onApplicationBootstrap(): void {
    if (this.enabled()) this.loop = this.run(this.target);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  /** Runs rounds until the service stops. */
  async run(target: VectorTarget<Pending>): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      if (this.text?.behind && Date.now() - this.lastRound < FILLER_PACE.yieldMaxMs) {
        if (!this.yielding) this.metrics.yielded(this.kind);
        this.yielding = true;
        await sleep(FILLER_PACE.yieldCheckMs, this.stopping.signal);
        continue;
      }
      this.yielding = false;
      this.lastRound = Date.now();
      let wait: number;
      try {
        const filled = await this.fillOnce(target);
        failures = 0;
        wait = filled === 0 ? FILLER_PACE.idleMs : FILLER_PACE.betweenMs;
      } catch (error) {
        failures++;
        this.metrics.vectorFillFailed(this.kind);
        wait = backoffDelay(failures, FILLER_PACE.backoff);
        this.logger.warn({
          msg: `${this.kind} vectors not filled; retrying`,
          attempt: failures,
          retryInMs: wait,
          error: String(error),
        });
      }
      await sleep(wait, this.stopping.signal);
    }
  }

  /** One round: returns how many documents it embedded (0 when none was waiting). */
  async fillOnce(target: VectorTarget<Pending>, now: number = Date.now()): Promise<number> {
    for (const [id, at] of this.recent) if (now - at > FILLER_PACE.recentMs) this.recent.delete(id);
    if (now - this.lastCount >= FILLER_PACE.countEveryMs) {
      this.metrics.pending(this.kind, await target.pendingVectors());
      this.lastCount = now;
    }
    const batch = this.roundSize();
    const newestShare = Math.round((batch * FILLER_PACE.newest) / FILLER_PACE.batch);
    const asked = newestShare + this.recent.size;
    const found = await target.needingVectors(asked, 'newest');
    const fresh = (documents: Pending[]) => documents.filter((d) => !this.recent.has(d.id));
    const newest = fresh(found).slice(0, newestShare);
    // Fewer than asked: every document waiting is in `found`, so there is no older one to add.
    const oldest =
      found.length < asked
        ? fresh(found).slice(newestShare)
        : fresh(await target.needingVectors(batch + this.recent.size, 'oldest'));
    const taken = new Set(newest.map((document) => document.id));
    const candidates = [...newest, ...oldest.filter((document) => !taken.has(document.id))];
    const pending = (await this.firstOf(candidates)).slice(0, batch);
    this.behind = candidates.length > batch;
    if (pending.length === 0) return 0;
    const started = performance.now();
    const vectors = await this.embedder.embed(
      pending.map((document) => document.text),
      'document',
    );
    if (vectors.length !== pending.length)
      throw new Error(`embeddings: ${vectors.length} vectors for ${pending.length} texts`);
    this.metrics.embedded(this.kind, pending.length, (performance.now() - started) / 1000);
    const outcome = await target.setVectors(
      pending.map((document, i) => ({ pending: document, embedding: vectors[i] ?? [] })),
    );
    // Left out from when the write is done, however long the round took.
    const doneAt = now + (performance.now() - started);
    for (const document of pending) this.recent.set(document.id, doneAt);
    this.metrics.vectorsFilled(this.kind, outcome.updated, outcome.stale);
    return pending.length;
  }
}

/**
 * Fills the vectors of summary documents (the indexer writes them without). Summaries that
 * reach their conversation's last message (as its passages show it) go first: one that does not
 * is likely to be replaced by the next version soon, and under a backlog embedding it is often
 * wasted (in a 2,000-conversation backlog, one summary embedding in ten went to a version
 * replaced within the minute). The others follow in the same round when fewer wait.
 */
@Injectable()
export class SummaryVectorFiller extends VectorFiller<PendingSummary> {
  constructor(
    index: SummaryIndex,
    @Inject(EMBEDDER) embedder: EmbeddingBackend,
    metrics: IndexingMetrics,
    @Optional() text?: TextBacklog,
    @Optional() private readonly passages?: PassageIndex,
  ) {
    super(index, 'summaries', embedder, metrics, text);
  }

  protected override async firstOf(candidates: PendingSummary[]): Promise<PendingSummary[]> {
    if (!this.passages || candidates.length <= this.roundSize()) return candidates;
    let last: Map<string, number>;
    try {
      last = await this.passages.lastSeqs(candidates.map((pending) => pending.source));
    } catch (error) {
      // Only an order: the round goes on as found.
      this.logger.debug({ msg: 'last seqs not read', error: String(error) });
      return candidates;
    }
    const behind = (pending: PendingSummary) =>
      pending.source.throughSeq < (last.get(conversationKeyOf(pending.source)) ?? 0);
    return [...candidates.filter((pending) => !behind(pending)), ...candidates.filter(behind)];
  }
}

/**
 * Fills the vectors of passages (`SEARCH_PASSAGE_VECTORS`, on by default); takes smaller rounds
 * while the summaries' filler is behind ({@link FILLER_PACE.yieldingBatch}).
 */
@Injectable()
export class PassageVectorFiller extends VectorFiller<PendingPassage> {
  constructor(
    index: PassageIndex,
    @Inject(EMBEDDER) embedder: EmbeddingBackend,
    @Inject(SEARCH_SETTINGS) private readonly settings: SearchSettings,
    metrics: IndexingMetrics,
    @Optional() private readonly summaries?: SummaryVectorFiller,
    @Optional() text?: TextBacklog,
  ) {
    super(index, 'passages', embedder, metrics, text);
  }

  protected override roundSize(): number {
    return this.summaries?.backlogged ? FILLER_PACE.yieldingBatch : FILLER_PACE.batch;
  }

  protected override enabled(): boolean {
    if (!this.settings.passageVectors)
      this.logger.log({ msg: 'passage vectors off (SEARCH_PASSAGE_VECTORS=false)' });
    return this.settings.passageVectors;
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
