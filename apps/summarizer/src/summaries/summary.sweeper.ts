import { backoffDelay } from '@memory/config';
import {
  ConversationSummarizer,
  MessagesNotYetStoredError,
  SummarizationSettings,
  SummaryRow,
  SummaryStore,
  summaryKey,
  UserProfileBuilder,
} from '@memory/summarization';
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import { SUMMARIZATION_SETTINGS } from './summarization.tokens';
import { SummarizerMetrics } from './summarizer.metrics';
import { SummaryPublisher } from './summary.publisher';

/** Conversations looked at per sweep and task; the next sweep takes the rest. */
const SWEEP_LIMIT = 200;
/** Longest wait before an LLM pass that failed for one conversation is tried again. */
const CATCH_UP_BACKOFF_MAX_MS = 10 * 60_000;
/** Longest time between two looks for due user profiles. */
const PROFILE_LOOK_MAX_MS = 60_000;
/** A summary saved this long ago and still unpublished was left by a crash, not in flight. */
const UNPUBLISHED_GRACE_MS = 10_000;

/**
 * The time-based side of the summarizer, every `SUMMARY_SWEEP_INTERVAL_MS`:
 * - folds what waits in conversations that went quiet (the idle trigger);
 * - publishes versions a crash left unpublished;
 * - once the LLM answers again, redoes with it the summaries made locally meanwhile;
 * - builds again the user profiles whose summaries changed (`UserProfileBuilder`).
 * Every write is conditional on the version it read, so it never undoes the consumer's work.
 */
@Injectable()
export class SummarySweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SummarySweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** When the sweep last looked for due profiles (ms since the epoch). */
  private profilesLookedAt = 0;
  /** Conversations whose LLM pass failed, and when to try again. */
  private readonly catchUpBackoff = new Map<string, { attempts: number; nextAt: number }>();

  constructor(
    private readonly store: SummaryStore,
    private readonly summarizer: ConversationSummarizer,
    private readonly publisher: SummaryPublisher,
    private readonly profiles: UserProfileBuilder,
    private readonly metrics: SummarizerMetrics,
    @Inject(SUMMARIZATION_SETTINGS) private readonly settings: SummarizationSettings,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .catch((error: unknown) => {
          this.metrics.failed('sweep');
          this.logger.warn({ msg: 'sweep failed; trying again next time', error: String(error) });
        })
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.settings.sweepIntervalMs);
  }

  /** One pass over the three tasks. */
  async sweep(): Promise<void> {
    await this.foldIdle();
    if (this.stopped) return;
    await this.publishLeftovers();
    if (this.stopped) return;
    await this.catchUpLlm();
    if (this.stopped) return;
    await this.refreshProfiles();
  }

  /**
   * Builds again the user profiles and roll-ups whose summaries changed (at most every interval
   * each). Looks at most once a minute (or once per interval, when shorter): finding the due
   * users reads every summary's user and update time.
   */
  private async refreshProfiles(): Promise<void> {
    const every = Math.min(this.settings.profiles.intervalMs, PROFILE_LOOK_MAX_MS);
    if (this.settings.profiles.intervalMs <= 0 || Date.now() - this.profilesLookedAt < every)
      return;
    this.profilesLookedAt = Date.now();
    const counts = await this.profiles.refreshDue();
    if (counts.built + counts.dropped + counts.empty + counts.rollups > 0)
      this.logger.log({ msg: 'user profiles refreshed', ...counts });
  }

  private async foldIdle(): Promise<void> {
    const overrides = new Map<string, number>();
    for (const [tenantId, triggers] of Object.entries(this.settings.tenantTriggers))
      if (triggers.idleMs !== undefined) overrides.set(tenantId, triggers.idleMs);
    const candidates = await this.store.waiting(
      this.settings.triggers.idleMs,
      overrides,
      SWEEP_LIMIT,
    );
    const updated: SummaryRow[] = [];
    for (const row of candidates) {
      if (this.stopped) break;
      // One conversation that cannot be folded now must not hold up the others.
      await this.summarizer
        .bringUpToDate(row, 'idle', {
          throughSeq: row.seenSeq,
          // Stops between pieces of a long backlog when the service stops (saved pieces stay).
          onChunk: () => (this.stopped ? Promise.reject(new Error('stopping')) : Promise.resolve()),
        })
        .then((summary) => updated.push(summary))
        .catch((error: unknown) => this.failed('idle', row, error));
    }
    await this.publisher.publish(updated);
    if (updated.length > 0)
      this.logger.log({ msg: 'idle conversations summarized', count: updated.length });
  }

  private async publishLeftovers(): Promise<void> {
    const rows = await this.store.unpublished(
      new Date(Date.now() - UNPUBLISHED_GRACE_MS),
      SWEEP_LIMIT,
    );
    await this.publisher.publish(rows);
    if (rows.length > 0)
      this.logger.warn({
        msg: 'published summaries a crash had left unpublished',
        count: rows.length,
      });
  }

  private async catchUpLlm(): Promise<void> {
    if (!this.settings.llm) return;
    const pending = await this.store.llmPending(SWEEP_LIMIT);
    this.metrics.setPendingLlm(
      pending.length < SWEEP_LIMIT ? pending.length : await this.store.countLlmPending(),
    );
    const caughtUp: SummaryRow[] = [];
    const now = Date.now();
    for (const row of pending) {
      if (this.stopped || !this.summarizer.llmAvailable()) break;
      const key = summaryKey(row.tenantId, row.conversationId);
      const backoff = this.catchUpBackoff.get(key);
      if (backoff && backoff.nextAt > now) continue;
      const updated = await this.summarizer
        .catchUpLlm(row)
        .catch((error: unknown) => this.failed('llm_catchup', row, error));
      if (updated) {
        this.catchUpBackoff.delete(key);
        caughtUp.push(updated);
      } else if (this.summarizer.llmAvailable()) {
        // The LLM refused this one (bad output, a request error) while answering others, or it
        // lost a race: try it again later, less and less often, without blocking the rest.
        const attempts = (backoff?.attempts ?? 0) + 1;
        this.catchUpBackoff.set(key, {
          attempts,
          nextAt:
            now +
            backoffDelay(attempts + 1, {
              baseMs: this.settings.sweepIntervalMs,
              maxMs: CATCH_UP_BACKOFF_MAX_MS,
              jitter: 'none',
            }),
        });
      }
    }
    await this.publisher.publish(caughtUp);
    if (caughtUp.length > 0)
      this.logger.log({ msg: 'LLM pass done for summaries made locally', count: caughtUp.length });
  }

  private failed(task: 'idle' | 'llm_catchup', row: SummaryRow, error: unknown): undefined {
    if (error instanceof MessagesNotYetStoredError) {
      // Waiting, not failing: the summarizer skips them once they have been waited for long enough.
      if (task === 'idle') this.metrics.foldDeferred('idle');
      this.logger.debug({
        msg: `${task}: messages not in the database yet; trying again on a later sweep`,
        tenantId: row.tenantId,
        conversationId: row.conversationId,
        error: error.message,
      });
      return undefined;
    }
    this.metrics.failed(task);
    this.logger.warn({
      msg: `${task} failed; trying again on a later sweep`,
      tenantId: row.tenantId,
      conversationId: row.conversationId,
      error: String(error),
    });
    return undefined;
  }
}
