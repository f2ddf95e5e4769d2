import { OpenSearchConfig } from '@memory/config';
import { KafkaProducerService } from '@memory/kafka';
import {
  Archiver,
  ConversationBusyError,
  Eraser,
  LifecycleOutbox,
  NoArchiveError,
  ConversationFailure,
  PassRequest,
  PassTrigger,
  RestoreOutcome,
  resummarize,
  RetentionPausePoint,
  RetentionReport,
  runRetentionPass,
  SendRecords,
  subjectHash,
  UserErasureResult,
  ErasureResult,
  ScheduledPasses,
} from '@memory/lifecycle';
import { removeFromSearch } from '@memory/search-index';
import { createConversationSummarizer } from '@memory/summarization';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Client } from '@opensearch-project/opensearch';
import { DataSource } from 'typeorm';
import { RetentionMetrics } from './retention.metrics';
import { RETENTION_SETTINGS, RetentionServiceSettings } from './retention.tokens';

export interface RestoreResult extends RestoreOutcome {
  /** The summary version made from the restored messages (published for search). */
  summaryVersion: number | null;
}

/**
 * The retention service's work: passes every `RETENTION_INTERVAL_MS` (the first at start-up)
 * and on request, one at a time in this process; restore and erase on request. A failed pass
 * is logged and counted; the next one resumes, as nothing is skipped for good (what was not
 * archived is still due, an erasure not finished is finished first).
 */
@Injectable()
export class RetentionService extends ScheduledPasses<RetentionReport> {
  private readonly logger = new Logger(RetentionService.name);
  private readonly send: SendRecords;
  readonly archiver: Archiver;
  readonly eraser: Eraser;
  private readonly outbox: LifecycleOutbox;
  /** Restore re-summarizes with the summarizer's backends, made once. */
  private readonly summaries: ReturnType<typeof createConversationSummarizer>;

  constructor(
    private readonly dataSource: DataSource,
    producer: KafkaProducerService,
    client: Client,
    opensearch: OpenSearchConfig,
    private readonly metrics: RetentionMetrics,
    @Inject(RETENTION_SETTINGS) private readonly settings: RetentionServiceSettings,
  ) {
    super(settings.retention.intervalMs);
    this.send = (topic, messages) => producer.send(topic, messages);
    this.archiver = new Archiver(dataSource, settings.retention.archiveRoot, (point) =>
      this.pause(point),
    );
    this.eraser = new Eraser(
      dataSource,
      settings.retention.archiveRoot,
      this.send,
      removeFromSearch(client, opensearch.indexPrefix),
    );
    this.outbox = new LifecycleOutbox(dataSource);
    this.summaries = createConversationSummarizer(dataSource, settings.summarization);
  }

  protected refused(): void {
    this.metrics.passRefused();
  }

  /** Passes waiting behind the one in progress, and the requests waiting for them. */
  passQueue(): { queued: number; waitingRequests: number } {
    return { queued: this.scheduler.queued, waitingRequests: this.scheduler.waitingRequests };
  }

  /** Restores a conversation from its archive, re-summarizes it and publishes the summary. */
  async restore(tenantId: string, conversationId: string): Promise<RestoreResult> {
    try {
      const outcome = await this.archiver.restore(
        tenantId,
        conversationId,
        this.settings.retention.restoreHoldDays,
      );
      const summaryVersion = await resummarize(
        this.summaries.store,
        this.summaries.summarizer,
        this.send,
        tenantId,
        conversationId,
        outcome.lastSeq,
      );
      await this.outbox.drain(this.send);
      this.metrics.restoredMessages(outcome.restoredMessages);
      this.logger.log({ msg: 'restored', tenantId, conversationId, ...outcome, summaryVersion });
      return { ...outcome, summaryVersion: summaryVersion ?? null };
    } catch (error) {
      throw this.failed('restore', error, { tenantId, conversationId });
    }
  }

  async eraseConversation(tenantId: string, conversationId: string): Promise<ErasureResult> {
    try {
      const result = await this.eraser.eraseConversation(tenantId, conversationId, 'request');
      this.metrics.erasedOnRequest(1);
      this.logger.log({ msg: 'erased conversation', tenantId, ...result });
      return result;
    } catch (error) {
      throw this.failed('erase', error, { tenantId, conversationId });
    }
  }

  async eraseUser(tenantId: string, userId: string): Promise<UserErasureResult> {
    try {
      const result = await this.eraser.eraseUser(tenantId, userId);
      this.metrics.erasedOnRequest(result.conversations.length);
      // The user is named by the hash the erasure list keeps (logs outlive the erasure), and
      // the log keeps counts, not the conversations.
      this.logger.log({
        msg: 'erased user',
        tenantId,
        userIdSha256: subjectHash('user', userId),
        conversations: result.conversations.length,
        counts: result.counts,
      });
      return result;
    } catch (error) {
      throw this.failed('erase', error, { tenantId, userIdSha256: subjectHash('user', userId) });
    }
  }

  /**
   * Counts and logs a failed request, and gives the error back to rethrow: the HTTP answer
   * (503 for an engine failure) does not say why, the log line does.
   */
  private failed(
    operation: 'restore' | 'erase',
    error: unknown,
    subject: Record<string, string>,
  ): unknown {
    // A request for a conversation without archive, or one busy elsewhere, is answered 4xx.
    if (error instanceof NoArchiveError || error instanceof ConversationBusyError) return error;
    this.metrics.failed(operation);
    this.logger.error({
      msg: `${operation} failed`,
      ...subject,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    return error;
  }

  private skipped(failure: ConversationFailure): void {
    this.metrics.conversationFailed(failure);
    this.logger.warn({ msg: `conversation skipped: its ${failure.step} step failed`, ...failure });
  }

  protected async pass(request: PassRequest, trigger: PassTrigger): Promise<RetentionReport> {
    const started = performance.now();
    try {
      const report = await runRetentionPass(
        {
          dataSource: this.dataSource,
          archiver: this.archiver,
          eraser: this.eraser,
          outbox: this.outbox,
          send: this.send,
        },
        {
          now: new Date(),
          settings: this.settings.retention,
          tenantId: request.tenantId,
          dryRun: request.dryRun,
          signal: this.scheduler.signal,
          onConversationFailed: (failure) => this.skipped(failure),
        },
      );
      const seconds = (performance.now() - started) / 1000;
      if (!report.dryRun) this.metrics.passed(report, seconds, trigger);
      const { tenants, ...totals } = report;
      this.logger.log({
        msg: 'retention pass',
        trigger,
        ...request,
        ...totals,
        tenants: Object.keys(tenants).length,
        seconds,
      });
      return report;
    } catch (error) {
      this.metrics.failed('pass');
      this.logger.error({
        msg: 'retention pass failed; the next one resumes',
        trigger,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
      throw error;
    }
  }

  /** Test-only fault point: waits forever where RETENTION_PAUSE_AT says, to be killed there. */
  private async pause(point: RetentionPausePoint): Promise<void> {
    if (this.settings.retention.pauseAt !== point) return;
    this.logger.warn({ msg: `paused at ${point}`, point });
    await new Promise<never>(() => undefined);
  }
}
