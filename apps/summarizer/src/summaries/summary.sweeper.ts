import {
  ConversationSummarizer,
  SummarizationSettings,
  SummaryRow,
  SummaryStore,
  triggersFor,
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
/** A summary saved this long ago and still unpublished was left by a crash, not in flight. */
const UNPUBLISHED_GRACE_MS = 10_000;

/**
 * The time-based side of the summarizer, every `SUMMARY_SWEEP_INTERVAL_MS`:
 * - folds what waits in conversations that went quiet (the idle trigger);
 * - publishes versions a crash left unpublished;
 * - once the LLM answers again, redoes with it the summaries made locally meanwhile.
 * Every write is conditional on the version it read, so it never undoes the consumer's work.
 */
@Injectable()
export class SummarySweeper implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(SummarySweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly store: SummaryStore,
    private readonly summarizer: ConversationSummarizer,
    private readonly publisher: SummaryPublisher,
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
  }

  private async foldIdle(): Promise<void> {
    const idleTimes = [
      this.settings.triggers.idleMs,
      ...Object.values(this.settings.tenantTriggers).map((t) => t.idleMs ?? 0),
    ].filter((ms) => ms > 0);
    if (idleTimes.length === 0) return;
    const now = Date.now();
    const candidates = await this.store.waiting(
      new Date(now - Math.min(...idleTimes)),
      SWEEP_LIMIT,
    );
    const updated: SummaryRow[] = [];
    for (const row of candidates) {
      if (this.stopped) break;
      const { idleMs } = triggersFor(this.settings, row.tenantId);
      if (idleMs <= 0 || row.lastReceivedAt.getTime() > now - idleMs) continue;
      updated.push(await this.summarizer.bringUpToDate(row, 'idle'));
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
    for (const row of pending) {
      if (this.stopped) break;
      const updated = await this.summarizer.catchUpLlm(row);
      if (!updated) {
        if (!this.summarizer.llmAvailable()) break;
        continue;
      }
      caughtUp.push(updated);
    }
    await this.publisher.publish(caughtUp);
    if (caughtUp.length > 0)
      this.logger.log({ msg: 'LLM pass done for summaries made locally', count: caughtUp.length });
  }
}
