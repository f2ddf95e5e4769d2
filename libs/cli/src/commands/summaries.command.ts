import { KafkaConfig } from '@memory/config';
import { TOPICS } from '@memory/contracts';
import { createKafkaClient, KafkaProducerService } from '@memory/kafka';
import {
  createConversationSummarizer,
  SummarizationSettings,
  SummaryBackfill,
  toSummaryRecord,
} from '@memory/summarization';
import { DataSource } from 'typeorm';
import { intOption, optionalOption, ParsedArgs, UsageError } from '../args';
import { Progress } from '../progress';

export const SUMMARIES_USAGE = `summaries backfill [--tenant <id>] [--conversations <id,id,...>] [--rebuild] [--restart] [--workers <n>] [--limit <n>]
      brings the summaries of stored conversations up to date from Postgres and publishes them
      (--rebuild: re-summarizes from the first message, e.g. after changing SUMMARY_BACKEND);
      --workers: conversations at once (1-32, default 1; one is never folded twice at once);
      --limit: stop after that many conversations; resumable: run it again and it continues
      after the last conversation it finished (--restart: start the selection over instead)`;

export async function summariesCommand(
  dataSource: DataSource,
  kafkaConfig: KafkaConfig,
  settings: SummarizationSettings,
  args: ParsedArgs,
): Promise<void> {
  if (args.positional[1] !== 'backfill') throw new UsageError(SUMMARIES_USAGE);
  const conversations = optionalOption(args, 'conversations');
  const conversationIds = conversations
    ?.split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (conversationIds !== undefined && conversationIds.length === 0)
    throw new UsageError('--conversations needs at least one id');
  const tenantId = optionalOption(args, 'tenant');
  if (conversationIds && !tenantId)
    throw new UsageError('--conversations needs --tenant (ids are unique within a tenant)');
  const workers = intOption(args, 'workers', 1, 1, 32);
  const limit = args.options.has('limit') ? intOption(args, 'limit', 0, 1, 1e12) : undefined;

  const producer = new KafkaProducerService(createKafkaClient(kafkaConfig));
  const { store, summarizer } = createConversationSummarizer(dataSource, settings);
  const backfill = new SummaryBackfill(dataSource, store, summarizer);
  const label = args.options.has('rebuild') ? 'summaries rebuild' : 'summaries backfill';
  const progress = new Progress(label, 0);
  try {
    const report = await backfill.run(
      { tenantId, conversationIds, rebuild: args.options.has('rebuild') },
      {
        onStart: (total, alreadyDone) => {
          progress.setTotal(total);
          if (alreadyDone > 0) {
            process.stderr.write(`${label}: resuming after ${alreadyDone} conversations\n`);
            progress.advance(alreadyDone);
          }
        },
        onConversation: () => progress.advance(),
        publish: async (rows) => {
          // As they are now: the live summarizer may have moved them on meanwhile.
          const current = await store.loadMany(rows);
          await producer.send(
            TOPICS.memorySummaries,
            current.map((row) => toSummaryRecord(row)),
          );
          for (const row of current)
            await store.markPublished(row.tenantId, row.conversationId, row.version);
        },
      },
      { restart: args.options.has('restart'), workers, limit },
    );
    progress.finish(
      `${report.done} done, ${report.failed} failed, ${report.skipped} skipped ` +
        `of ${report.total}${report.resumed ? ' (resumed)' : ''}` +
        `${report.limited ? `; stopped at --limit ${limit}, run it again to continue` : ''}`,
    );
    for (const failure of report.failures)
      process.stderr.write(
        `  failed: ${failure.tenantId}:${failure.conversationId}: ${failure.error}\n`,
      );
    process.stdout.write(
      `${JSON.stringify({
        runId: report.runId,
        resumed: report.resumed,
        total: report.total,
        done: report.done,
        failed: report.failed,
        skipped: report.skipped,
        limited: report.limited,
      })}\n`,
    );
    if (report.failed > 0) process.exitCode = 1;
  } finally {
    await producer.onApplicationShutdown();
  }
}
