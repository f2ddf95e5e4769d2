import { KafkaConfig, OpenSearchConfig } from '@memory/config';
import { createKafkaClient, KafkaProducerService } from '@memory/kafka';
import {
  Archiver,
  ArchiveRepository,
  ArchiveVerificationError,
  Eraser,
  LifecycleOutbox,
  listArchives,
  resummarize,
  RetentionReport,
  RetentionSettings,
  RetentionStep,
  runRetentionPass,
  SendRecords,
  toRecord,
} from '@memory/lifecycle';
import { createOpenSearchClient } from '@memory/opensearch';
import { removeFromSearch } from '@memory/search-index';
import { createConversationSummarizer, SummarizationSettings } from '@memory/summarization';
import { DataSource } from 'typeorm';
import { optionalOption, ParsedArgs, passOptions, requireOption, UsageError } from '../args';
import { Progress } from '../progress';

export const ARCHIVE_USAGE = `archive [--tenant <id>] [--as-of <ISO date>] [--dry-run]
      archives the raw messages of summarized conversations past their tenant's archive age
      (RETENTION_ARCHIVE_AFTER_DAYS, RETENTION_TENANT_POLICIES) into RETENTION_ARCHIVE_ROOT and
      removes them from Postgres; --dry-run reports per tenant what would be archived and, by
      the tenants' maximum ages, erased. The retention service runs this every
      RETENTION_INTERVAL_MS, with policy erasure`;
export const IMPORTANCE_USAGE = `importance [--tenant <id>] [--as-of <ISO date>]
      recomputes the importance of conversations whose inputs changed (summary, reads, a pin,
      or a day old) and sends an importance_changed event for each score that changed (search
      keeps it for minImportance and its boost). The retention service does this first in each
      pass`;
export const RESTORE_USAGE = `restore --tenant <id> --conversation <id>
      verifies a conversation's archive, puts its messages back into Postgres, re-summarizes
      it and publishes the summary (search re-indexes it)`;
export const ERASE_USAGE = `erase --tenant <id> (--conversation <id> | --user <id>) --yes
      erases a conversation, or every conversation of a user, everywhere: Postgres, the
      archive, the search index, a tombstone on memory.summaries.v1, an audit event`;
export const ARCHIVES_USAGE = `archives --tenant <id> [--user <id>]
      lists a tenant's archived conversations (or those holding a user's messages), one JSON
      line each: counts, seq range, when archived and restored, the file`;
export const VERIFY_ARCHIVES_USAGE = `verify-archives [--tenant <id>]
      reads every archive back and checks it against its manifest and recorded sha256; lists
      archive files no record points at; exits 1 when anything fails`;

/** What the retention commands need besides their arguments. */
export interface RetentionContext {
  dataSource: DataSource;
  kafka: KafkaConfig;
  opensearch: OpenSearchConfig;
  settings: RetentionSettings;
  summarization: SummarizationSettings;
}

export async function archiveCommand(context: RetentionContext, args: ParsedArgs): Promise<void> {
  const { dryRun } = passOptions(args);
  // A dry run also reports what the tenants' maximum ages would erase.
  await passCommand(context, args, dryRun ? ['erase', 'archive'] : ['archive']);
}

export async function importanceCommand(
  context: RetentionContext,
  args: ParsedArgs,
): Promise<void> {
  if (args.options.has('dry-run')) throw new UsageError('importance has no --dry-run');
  await passCommand(context, args, ['importance']);
}

/** One retention pass of `steps`, with a progress line, a summary line and the JSON report. */
async function passCommand(
  context: RetentionContext,
  args: ParsedArgs,
  steps: RetentionStep[],
): Promise<void> {
  const { tenantId, now, dryRun } = passOptions(args);
  const name = steps.includes('importance') ? 'importance' : 'archive';
  const label = dryRun ? `${name} (dry run)` : name;
  const started = Date.now();
  const report = await withKafka(context, !dryRun, async (send) => {
    const stop = new AbortController();
    const onSignal = (): void => stop.abort();
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
    let lastLine = 0;
    try {
      return await runRetentionPass(
        {
          dataSource: context.dataSource,
          archiver: new Archiver(context.dataSource, context.settings.archiveRoot),
          eraser: send ? eraser(context, send) : undefined,
          outbox: new LifecycleOutbox(context.dataSource),
          send,
        },
        {
          now,
          settings: context.settings,
          tenantId,
          dryRun,
          steps,
          signal: stop.signal,
          onProgress: (progress) => {
            if (Date.now() - lastLine < 2_000) return;
            lastLine = Date.now();
            process.stderr.write(
              `${label}: ${progress.examined} examined, ${progress.archived} archived ` +
                `(${progress.archivedMessages} messages)\n`,
            );
          },
        },
      );
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    }
  });
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  process.stderr.write(`${label}: ${summaryLine(report)} in ${seconds} s\n`);
  process.stdout.write(`${JSON.stringify({ ...report, asOf: now.toISOString(), seconds })}\n`);
}

export async function restoreCommand(context: RetentionContext, args: ParsedArgs): Promise<void> {
  const tenantId = requireOption(args, 'tenant');
  const conversationId = requireOption(args, 'conversation');
  await withKafka(context, true, async (send) => {
    const archiver = new Archiver(context.dataSource, context.settings.archiveRoot);
    process.stderr.write(`restore: verifying and restoring ${tenantId}:${conversationId}\n`);
    const outcome = await archiver.restore(
      tenantId,
      conversationId,
      context.settings.restoreHoldDays,
    );
    process.stderr.write(
      `restore: ${outcome.restoredMessages} of ${outcome.messageCount} messages put back ` +
        `(seq ${outcome.firstSeq}..${outcome.lastSeq}); re-summarizing\n`,
    );
    const { store, summarizer } = createConversationSummarizer(
      context.dataSource,
      context.summarization,
    );
    const version = await resummarize(
      store,
      summarizer,
      send!,
      tenantId,
      conversationId,
      outcome.lastSeq,
    );
    await new LifecycleOutbox(context.dataSource).drain(send!);
    process.stderr.write(
      `restore: done; summary version ${version ?? '(none)'} published for search\n`,
    );
    process.stdout.write(`${JSON.stringify({ ...outcome, summaryVersion: version ?? null })}\n`);
  });
}

export async function eraseCommand(context: RetentionContext, args: ParsedArgs): Promise<void> {
  const tenantId = requireOption(args, 'tenant');
  const conversationId = optionalOption(args, 'conversation');
  const userId = optionalOption(args, 'user');
  if ((conversationId === undefined) === (userId === undefined))
    throw new UsageError(`erase needs exactly one of --conversation and --user\n${ERASE_USAGE}`);
  if (!args.options.has('yes'))
    throw new UsageError('erase cannot be undone: add --yes to confirm');
  await withKafka(context, true, async (send) => {
    const erase = eraser(context, send!);
    if (conversationId !== undefined) {
      const result = await erase.eraseConversation(tenantId, conversationId, 'request');
      process.stderr.write(
        `erase: ${tenantId}:${conversationId} erased (${countsLine(result.counts)})\n`,
      );
      process.stdout.write(`${JSON.stringify(result)}\n`);
      return;
    }
    const total = (await erase.conversationsOf(tenantId, userId!)).length;
    const progress = new Progress(`erase user ${userId}`, total);
    const result = await erase.eraseUser(tenantId, userId!, new Date(), () => progress.advance());
    progress.finish(
      `${result.conversations.length} conversations erased (${countsLine(result.counts)})`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  });
}

export async function archivesCommand(context: RetentionContext, args: ParsedArgs): Promise<void> {
  const tenantId = requireOption(args, 'tenant');
  const userId = optionalOption(args, 'user');
  const archiver = new Archiver(context.dataSource, context.settings.archiveRoot);
  let listed = 0;
  let after: string | null = '';
  while (after !== null) {
    const page = await archiver.list(tenantId, { userId, after, limit: 500 });
    for (const record of page.items) process.stdout.write(`${JSON.stringify(record)}\n`);
    listed += page.items.length;
    after = page.next;
  }
  process.stderr.write(
    `archives: ${listed} archived conversations of ${tenantId}` +
      `${userId === undefined ? '' : ` holding messages of user ${userId}`}\n`,
  );
}

export async function verifyArchivesCommand(
  context: RetentionContext,
  args: ParsedArgs,
): Promise<void> {
  const tenantId = optionalOption(args, 'tenant');
  const rows = await new ArchiveRepository(context.dataSource).list(tenantId);
  const archiver = new Archiver(context.dataSource, context.settings.archiveRoot);
  const progress = new Progress('verify-archives', rows.length);
  const failures: Array<{ tenantId: string; conversationId: string; problems: string[] }> = [];
  const runner = context.dataSource.createQueryRunner();
  const recorded = new Set<string>();
  let messages = 0;
  try {
    for (const row of rows) {
      const record = toRecord(row);
      recorded.add(record.relativePath);
      try {
        const document = await archiver.loadVerified(runner, record);
        messages += document.manifest.messageCount;
      } catch (error) {
        failures.push({
          tenantId: record.tenantId,
          conversationId: record.conversationId,
          problems:
            error instanceof ArchiveVerificationError
              ? error.problems
              : [error instanceof Error ? error.message : String(error)],
        });
      }
      progress.advance();
    }
  } finally {
    await runner.release();
  }
  const orphans: string[] = [];
  if (tenantId === undefined)
    for await (const path of listArchives(context.settings.archiveRoot))
      if (!recorded.has(path)) orphans.push(path);
  progress.finish(
    `${rows.length - failures.length} of ${rows.length} archives verified (${messages} messages)` +
      `, ${failures.length} failed${tenantId === undefined ? `, ${orphans.length} files without a record` : ''}`,
  );
  for (const failure of failures)
    process.stderr.write(
      `  failed: ${failure.tenantId}:${failure.conversationId}: ${failure.problems.join('; ')}\n`,
    );
  for (const orphan of orphans) process.stderr.write(`  no record: ${orphan}\n`);
  process.stdout.write(
    `${JSON.stringify({ archives: rows.length, verified: rows.length - failures.length, messages, failures, orphans })}\n`,
  );
  if (failures.length > 0 || orphans.length > 0) process.exitCode = 1;
}

function eraser(context: RetentionContext, send: SendRecords): Eraser {
  return new Eraser(
    context.dataSource,
    context.settings.archiveRoot,
    send,
    removeFromSearch(createOpenSearchClient(context.opensearch), context.opensearch.indexPrefix),
  );
}

/** Runs `work` with a Kafka sender (none when `needed` is false), closing the producer after. */
async function withKafka<T>(
  context: RetentionContext,
  needed: boolean,
  work: (send: SendRecords | undefined) => Promise<T>,
): Promise<T> {
  if (!needed) return work(undefined);
  const producer = new KafkaProducerService(createKafkaClient(context.kafka));
  try {
    return await work((topic, messages) => producer.send(topic, messages));
  } finally {
    await producer.onApplicationShutdown();
  }
}

function summaryLine(report: RetentionReport): string {
  const tenants = Object.entries(report.tenants).map(
    ([tenant, entry]) =>
      `${tenant}: archive ${entry.archive.conversations} conversations ` +
      `(${entry.archive.messages} messages), erase ${entry.erase.conversations}` +
      keptNote(entry.archive.kept.conversations, entry.erase.kept.conversations),
  );
  const head = report.dryRun
    ? `${report.examined} examined; would ${tenants.length > 0 ? tenants.join('; ') : 'do nothing'}`
    : `${report.examined} examined, ${report.archived} archived (${report.archivedMessages} ` +
      `messages, ${report.keptMessages} kept), ${report.busy} busy, ` +
      `${report.kept.archive + report.kept.erase} left alone by the keep policy, ` +
      `${report.importanceUpdated} importance scores computed, ` +
      `${report.eventsPublished} lifecycle events sent`;
  return `${head}${report.stopped ? '; stopped early, the next run resumes' : ''}`;
}

/** The conversations the keep policy left alone, when there are any. */
function keptNote(archive: number, erase: number): string {
  if (archive === 0 && erase === 0) return '';
  return ` (kept, pinned or important: ${archive} from archiving, ${erase} from erasing)`;
}

function countsLine(counts: Record<string, number>): string {
  return Object.entries(counts)
    .map(([name, count]) => `${count} ${name}`)
    .join(', ');
}
