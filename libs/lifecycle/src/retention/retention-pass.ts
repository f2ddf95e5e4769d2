import type { SendRecords } from '../compression-pass';
import {
  earliestArchiveDays,
  earliestEraseDays,
  RetentionSettings,
  retentionPolicyFor,
} from '../retention.settings';
import { ConversationRepository, RetentionCandidateRow } from '@memory/persistence';
import { isKept, keepPolicyFor } from '../keep-policy';
import { DataSource } from 'typeorm';
import {
  ConversationFailure,
  DatabaseProbe,
  isolateConversation,
  OnConversationFailure,
  recordFailure,
} from '../conversation-failure';
import { Archiver, RetainedConversation } from './archiver';
import { Eraser } from './eraser';
import { refreshImportance } from './importance-refresh';
import { LifecycleOutbox } from './lifecycle-outbox';

const DAY_MS = 86_400_000;
/** Conversation ids listed per tenant in a report (the counts are always complete). */
const LISTED = 20;

/** Conversations the keep policy left alone at one step: pinned or important enough. */
export interface KeptReport {
  conversations: number;
  sample: string[];
}

/** What a pass did, or in a dry run would do, for one tenant. */
export interface TenantRetentionReport {
  archive: { conversations: number; messages: number; sample: string[]; kept: KeptReport };
  erase: { conversations: number; sample: string[]; kept: KeptReport };
}

export interface RetentionReport {
  dryRun: boolean;
  /** Conversations old enough for some tenant's archive age, looked at. */
  examined: number;
  archived: number;
  archivedMessages: number;
  /** Size of the archive files written (each rewrite counts whole). */
  archiveBytes: number;
  /** Messages left in Postgres by keepLastMessages. */
  keptMessages: number;
  /** Locked by another process (archiving, restoring or erasing it): left for the next pass. */
  busy: number;
  /** Old enough to archive or erase, but kept (pinned or important: the keep policy). */
  kept: { archive: number; erase: number };
  /** Erased by the tenant's maximum age. */
  erased: number;
  erasedMessages: number;
  /** Erasures interrupted after their commit, finished now. */
  erasuresCompleted: number;
  importanceUpdated: number;
  eventsPublished: number;
  /** Conversations skipped because working on them failed (they are tried again next pass). */
  failed: number;
  /** The first few of those, with the step and the error. */
  failures: ConversationFailure[];
  tenants: Record<string, TenantRetentionReport>;
  stopped: boolean;
}

export interface RetentionPassOptions {
  now: Date;
  settings: RetentionSettings;
  tenantId?: string;
  dryRun?: boolean;
  /** What to do; all of it by default (the `archive` command does only `archive`). */
  steps?: ReadonlyArray<RetentionStep>;
  signal?: AbortSignal;
  onProgress?: (report: RetentionReport) => void;
  /** Told of each conversation skipped because working on it failed (to log and count it). */
  onConversationFailed?: OnConversationFailure;
}

export type RetentionStep = 'erase' | 'importance' | 'archive';

/** The collaborators of a pass; a dry run needs only `dataSource`. */
export interface RetentionParts {
  dataSource: DataSource;
  archiver?: Archiver;
  eraser?: Eraser;
  outbox?: LifecycleOutbox;
  send?: SendRecords;
}

interface Candidate extends RetainedConversation {
  /** Summarized messages still in Postgres. */
  archivable: number;
  importance: number;
  pinned: boolean;
}

/**
 * One retention pass: finishes interrupted erasures, refreshes importance, erases conversations
 * past their tenant's maximum age, archives the raw messages of summarized conversations past
 * their tenant's archive age, and sends the lifecycle events it owes. Conversations the keep
 * policy keeps (pinned, or important enough) are neither erased nor archived by age, and are
 * counted in `kept`. A dry run changes nothing
 * and reports, per tenant, what would be archived and erased. Safe on two replicas at once:
 * each conversation is worked on under its lock, and a locked one is left for the next pass.
 * A conversation whose step fails (an archive directory that cannot be written, a row that
 * breaks a step) is reported to `onConversationFailed` and skipped; the conversations after it
 * are worked on all the same. Only a database that does not answer ends the pass.
 */
export async function runRetentionPass(
  parts: RetentionParts,
  options: RetentionPassOptions,
): Promise<RetentionReport> {
  const { now, settings, tenantId, signal } = options;
  const dryRun = options.dryRun ?? false;
  const report: RetentionReport = {
    dryRun,
    examined: 0,
    archived: 0,
    archivedMessages: 0,
    archiveBytes: 0,
    keptMessages: 0,
    busy: 0,
    kept: { archive: 0, erase: 0 },
    erased: 0,
    erasedMessages: 0,
    erasuresCompleted: 0,
    importanceUpdated: 0,
    eventsPublished: 0,
    failed: 0,
    failures: [],
    tenants: {},
    stopped: false,
  };
  const tenant = (id: string): TenantRetentionReport =>
    (report.tenants[id] ??= {
      archive: {
        conversations: 0,
        messages: 0,
        sample: [],
        kept: { conversations: 0, sample: [] },
      },
      erase: { conversations: 0, sample: [], kept: { conversations: 0, sample: [] } },
    });
  /** Whether the keep policy leaves `conversation` alone at `step`; counted when it does. */
  const kept = (conversation: Candidate, step: 'archive' | 'erase'): boolean => {
    const policy = keepPolicyFor(settings.keep, conversation.tenantId);
    if (!isKept(policy, conversation.importance, conversation.pinned)) return false;
    report.kept[step]++;
    const entry = tenant(conversation.tenantId)[step].kept;
    entry.conversations++;
    if (entry.sample.length < LISTED) entry.sample.push(conversation.conversationId);
    return true;
  };
  const live = !dryRun && parts.archiver && parts.eraser;
  const steps = new Set(options.steps ?? ['erase', 'importance', 'archive']);
  const failed = recordFailure(report, options.onConversationFailed);
  const probe: DatabaseProbe = () => parts.dataSource.query('SELECT 1');

  if (live) report.erasuresCompleted = await parts.eraser!.completePending(failed);

  // Importance first: what the keep policy reads when the steps after it decide.
  if (!dryRun && steps.has('importance'))
    report.importanceUpdated = await refreshImportance(
      parts.dataSource,
      now,
      settings.batchSize,
      tenantId,
      signal,
      failed,
    );

  const eraseDays = steps.has('erase') ? earliestEraseDays(settings) : undefined;
  if (eraseDays !== undefined) {
    for await (const page of pages(
      parts.dataSource,
      eraseCandidates,
      now,
      eraseDays,
      settings,
      tenantId,
    )) {
      for (const conversation of page) {
        if (signal?.aborted) return stopped(report);
        const policy = retentionPolicyFor(settings, conversation.tenantId);
        if (policy.eraseAfterDays === undefined) continue;
        if (ageDays(conversation.lastMessageAt, now) < policy.eraseAfterDays) continue;
        if (kept(conversation, 'erase')) continue;
        const entry = tenant(conversation.tenantId).erase;
        if (live) {
          const result = await isolateConversation('erase', conversation, probe, failed, () =>
            parts.eraser!.eraseConversation(
              conversation.tenantId,
              conversation.conversationId,
              'policy',
              now,
            ),
          );
          if (!result) continue;
          report.erased++;
          report.erasedMessages += result.counts.messages + result.counts.archivedMessages;
        }
        entry.conversations++;
        if (entry.sample.length < LISTED) entry.sample.push(conversation.conversationId);
      }
      options.onProgress?.(report);
    }
  }

  const archiveDays = steps.has('archive') ? earliestArchiveDays(settings) : undefined;
  if (archiveDays === undefined) return finish(report, parts, live);
  for await (const page of pages(
    parts.dataSource,
    archiveCandidates,
    now,
    archiveDays,
    settings,
    tenantId,
  )) {
    for (const conversation of page) {
      if (signal?.aborted) return stopped(report);
      const policy = retentionPolicyFor(settings, conversation.tenantId);
      if (ageDays(conversation.lastMessageAt, now) < policy.archiveAfterDays) continue;
      report.examined++;
      if (kept(conversation, 'archive')) continue;
      const entry = tenant(conversation.tenantId).archive;
      if (!live) {
        const messages = Math.max(0, conversation.archivable - policy.keepLastMessages);
        if (messages === 0) continue;
        entry.conversations++;
        entry.messages += messages;
        if (entry.sample.length < LISTED) entry.sample.push(conversation.conversationId);
        continue;
      }
      const outcome = await isolateConversation('archive', conversation, probe, failed, () =>
        parts.archiver!.archive(conversation, policy, now),
      );
      if (!outcome) continue;
      if (outcome.kind === 'busy') report.busy++;
      else if (outcome.kind === 'nothing') report.keptMessages += outcome.keptMessages;
      else {
        report.archived++;
        report.archivedMessages += outcome.archivedMessages;
        report.archiveBytes += outcome.bytes;
        report.keptMessages += outcome.keptMessages;
        entry.conversations++;
        entry.messages += outcome.archivedMessages;
        if (entry.sample.length < LISTED) entry.sample.push(conversation.conversationId);
      }
    }
    options.onProgress?.(report);
  }

  return finish(report, parts, live);
}

/** Sends the lifecycle events the pass (or an earlier one) owes. */
async function finish(
  report: RetentionReport,
  parts: RetentionParts,
  live: unknown,
): Promise<RetentionReport> {
  if (live && parts.outbox && parts.send)
    report.eventsPublished = await parts.outbox.drain(parts.send);
  return report;
}

function stopped(report: RetentionReport): RetentionReport {
  report.stopped = true;
  return report;
}

function ageDays(lastMessageAt: Date, now: Date): number {
  return (now.getTime() - lastMessageAt.getTime()) / DAY_MS;
}

type CandidateQuery = (
  dataSource: DataSource,
  cutoff: Date,
  now: Date,
  after: [string, string],
  limit: number,
  tenantId: string | undefined,
) => Promise<Candidate[]>;

/** Pages of candidates in key order, read after the previous page's last key. */
async function* pages(
  dataSource: DataSource,
  query: CandidateQuery,
  now: Date,
  olderThanDays: number,
  settings: RetentionSettings,
  tenantId: string | undefined,
): AsyncGenerator<Candidate[]> {
  const cutoff = new Date(now.getTime() - olderThanDays * DAY_MS);
  let after: [string, string] = ['', ''];
  for (;;) {
    const page = await query(dataSource, cutoff, now, after, settings.batchSize, tenantId);
    if (page.length === 0) return;
    yield page;
    const last = page[page.length - 1];
    after = [last.tenantId, last.conversationId];
    if (page.length < settings.batchSize) return;
  }
}

function toCandidate(row: RetentionCandidateRow): Candidate {
  return {
    tenantId: row.tenant_id,
    conversationId: row.conversation_id,
    userId: row.user_id,
    firstMessageAt: row.first_message_at,
    lastMessageAt: row.last_message_at,
    throughSeq: Number(row.through_seq),
    archivable: row.archivable,
    importance: Number(row.importance),
    pinned: row.pinned,
  };
}

/** Conversations retention may archive (see `ConversationRepository.archiveCandidates`). */
const archiveCandidates: CandidateQuery = async (
  dataSource,
  cutoff,
  now,
  after,
  limit,
  tenantId,
) => {
  const rows = await new ConversationRepository(dataSource).archiveCandidates(
    cutoff,
    now,
    after,
    limit,
    tenantId,
  );
  return rows.map(toCandidate);
};

/** Conversations whose last message is older than `cutoff`. */
const eraseCandidates: CandidateQuery = async (
  dataSource,
  cutoff,
  _now,
  after,
  limit,
  tenantId,
) => {
  const rows = await new ConversationRepository(dataSource).eraseCandidates(
    cutoff,
    after,
    limit,
    tenantId,
  );
  return rows.map(toCandidate);
};
