import {
  conversationKey,
  MEMORY_LIFECYCLE_SCHEMA,
  SUMMARY_TIERS,
  SummaryTier,
  TierChangedEvent,
  TOPICS,
} from '@memory/contracts';
import { SummaryStore, toSummaryRecord } from '@memory/summarization';
import { Message } from 'kafkajs';
import { DataSource } from 'typeorm';
import {
  CompressionStore,
  ConversationKey,
  effectiveImportance,
  TierChange,
} from './compression-store';
import { CompressionSettings, earliestThresholdDays, policyFor } from './compression.settings';
import {
  ConversationFailure,
  isolateConversation,
  OnConversationFailure,
  recordFailure,
} from './conversation-failure';
import { keepPolicyFor, keptTier } from './keep-policy';
import { dueTier, isColder } from './tier-policy';

/** Sends records to a topic and resolves once the brokers acknowledged them. */
export type SendRecords = (topic: string, messages: Message[]) => Promise<unknown>;

/** Lifecycle events sent per request when the outbox is drained. */
const OUTBOX_PAGE = 500;

/**
 * Publishes what compressions made: the current summary rows (re-read, so a row a fold
 * changed meanwhile goes out as it is now) to `memory.summaries.v1`, then the pending
 * `tier_changed` events (the `summary_compressions` outbox) to `memory.lifecycle.v1`, each
 * noted as published only after the brokers acknowledged it. A crash in between leaves them
 * pending; the next pass sends them again (consumers keep the highest summary version, and a
 * lifecycle event carries the version it is about).
 */
export class CompressionPublisher {
  private readonly summaries: SummaryStore;

  constructor(
    private readonly send: SendRecords,
    dataSource: DataSource,
    private readonly store: CompressionStore = new CompressionStore(dataSource),
  ) {
    this.summaries = new SummaryStore(dataSource);
  }

  /** Returns how many lifecycle events it sent. */
  async publish(keys: readonly ConversationKey[]): Promise<number> {
    const rows = (await this.summaries.loadMany(keys)).filter(
      (row) => row.version > row.publishedVersion,
    );
    if (rows.length > 0) {
      await this.send(
        TOPICS.memorySummaries,
        rows.map((row) => toSummaryRecord(row)),
      );
      for (const row of rows)
        await this.summaries.markPublished(row.tenantId, row.conversationId, row.version);
    }
    return this.drainOutbox();
  }

  /** Sends every pending lifecycle event, oldest first. */
  async drainOutbox(): Promise<number> {
    let sent = 0;
    for (;;) {
      const changes = await this.store.unpublishedChanges(OUTBOX_PAGE);
      if (changes.length === 0) return sent;
      await this.send(TOPICS.memoryLifecycle, changes.map(lifecycleRecord));
      await this.store.markChangesPublished(changes);
      sent += changes.length;
      if (changes.length < OUTBOX_PAGE) return sent;
    }
  }
}

export function tierChangedEvent(change: TierChange): TierChangedEvent {
  return {
    schema: MEMORY_LIFECYCLE_SCHEMA,
    type: 'tier_changed',
    tenantId: change.tenantId,
    conversationId: change.conversationId,
    occurredAt: change.occurredAt.toISOString(),
    fromTier: change.fromTier,
    toTier: change.toTier,
    version: change.version,
    ratio: change.ratio,
    retention: change.retention,
  };
}

function lifecycleRecord(change: TierChange): Message {
  return {
    key: conversationKey(change.tenantId, change.conversationId),
    value: JSON.stringify(tierChangedEvent(change)),
  };
}

export interface PassOptions {
  now: Date;
  settings: CompressionSettings;
  /** Only this tenant's conversations. */
  tenantId?: string;
  /** Report what would change, change nothing. */
  dryRun?: boolean;
  /** Checked between conversations: a stopping service ends its pass early (it resumes next time). */
  signal?: AbortSignal;
  onProgress?: (report: PassReport) => void;
  /** Told of each conversation skipped because compressing it failed (to log and count it). */
  onConversationFailed?: OnConversationFailure;
}

export interface PassReport {
  dryRun: boolean;
  /** Conversations looked at (summarized, old enough for some tier, not at metadata). */
  examined: number;
  /** Compressed (or, in a dry run, due). */
  compressed: number;
  notDue: number;
  /** Locked by another writer: left for the next pass. */
  busy: number;
  /** Compressions by the tier they went to. */
  byTier: Record<SummaryTier, number>;
  /** Lifecycle events sent from the outbox (earlier passes' included). */
  eventsPublished: number;
  /** Conversations skipped because compressing them failed (tried again next pass). */
  failed: number;
  /** The first few of those, with the error. */
  failures: ConversationFailure[];
  /** True when the pass stopped at `signal`. */
  stopped: boolean;
}

/**
 * One compression pass: pages through the candidates in key order, compresses each that is
 * due for a colder tier (its tenant's policy), publishes each page's results, and finally
 * drains the lifecycle outbox. Safe to run twice or on two replicas at once: every
 * compression re-checks under a row lock, and a repeat publication is harmless. A conversation
 * whose compression fails (a row that breaks it) is reported to `onConversationFailed` and
 * skipped; only a database that does not answer, or Kafka refusing the page's records, ends
 * the pass.
 */
export async function runCompressionPass(
  store: CompressionStore,
  publisher: CompressionPublisher | undefined,
  options: PassOptions,
): Promise<PassReport> {
  const { now, settings, tenantId, signal } = options;
  const dryRun = options.dryRun ?? false;
  const report: PassReport = {
    dryRun,
    examined: 0,
    compressed: 0,
    notDue: 0,
    busy: 0,
    byTier: Object.fromEntries(SUMMARY_TIERS.map((tier) => [tier, 0])) as PassReport['byTier'],
    eventsPublished: 0,
    failed: 0,
    failures: [],
    stopped: false,
  };
  const failed = recordFailure(report, options.onConversationFailed);
  const probe = (): Promise<unknown> => store.ping();
  const olderThanDays = earliestThresholdDays(settings);
  let after: ConversationKey | undefined;
  for (;;) {
    const page = await store.candidates(now, olderThanDays, settings.batchSize, after, tenantId);
    if (page.length === 0) break;
    after = page[page.length - 1];
    const compressed: ConversationKey[] = [];
    for (const candidate of page) {
      if (signal?.aborted) {
        report.stopped = true;
        break;
      }
      report.examined++;
      const policy = policyFor(settings, candidate.tenantId);
      const keep = keepPolicyFor(settings.keep, candidate.tenantId);
      if (dryRun) {
        const target = keptTier(
          dueTier(
            candidate.lastMessageAt,
            now,
            policy,
            effectiveImportance(candidate.importance, candidate.pinned),
          ),
          keep,
          candidate.importance,
          candidate.pinned,
        );
        if (isColder(target, candidate.tier)) {
          report.compressed++;
          report.byTier[target]++;
        } else report.notDue++;
        continue;
      }
      const outcome = await isolateConversation('compress', candidate, probe, failed, () =>
        store.compress(candidate, now, policy, keep),
      );
      if (!outcome) continue;
      switch (outcome.status) {
        case 'compressed':
          report.compressed++;
          report.byTier[outcome.change.toTier]++;
          compressed.push(candidate);
          break;
        case 'busy':
          report.busy++;
          break;
        case 'not_due':
        case 'gone':
          report.notDue++;
          break;
      }
    }
    if (compressed.length > 0 && publisher)
      report.eventsPublished += await publisher.publish(compressed);
    options.onProgress?.(report);
    if (report.stopped || page.length < settings.batchSize) break;
  }
  if (!dryRun && publisher && !report.stopped)
    report.eventsPublished += await publisher.drainOutbox();
  return report;
}
