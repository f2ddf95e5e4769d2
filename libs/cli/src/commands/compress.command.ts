import { KafkaConfig } from '@memory/config';
import { createKafkaClient, KafkaProducerService } from '@memory/kafka';
import {
  CompressionPublisher,
  CompressionSettings,
  CompressionStore,
  PassReport,
  runCompressionPass,
} from '@memory/lifecycle';
import { DataSource } from 'typeorm';
import { ParsedArgs, passOptions } from '../args';

export const COMPRESS_USAGE = `compress [--tenant <id>] [--as-of <ISO date>] [--dry-run]
      moves every conversation due for a colder tier (by the age of its last message, its
      importance and its tenant's TIER_* policy) to that tier now, publishes the new summary
      versions and memory.lifecycle.v1 events; --dry-run reports what would move; --as-of
      judges ages at another time (for a test or a what-if). The compressor service runs the
      same pass every COMPRESSOR_INTERVAL_MS`;

export async function compressCommand(
  dataSource: DataSource,
  kafka: KafkaConfig,
  settings: CompressionSettings,
  args: ParsedArgs,
): Promise<void> {
  const { tenantId, now, dryRun } = passOptions(args);
  const label = dryRun ? 'compress (dry run)' : 'compress';

  const producer = dryRun ? undefined : new KafkaProducerService(createKafkaClient(kafka));
  const store = new CompressionStore(dataSource);
  const publisher = producer
    ? new CompressionPublisher(
        (topic, messages) => producer.send(topic, messages),
        dataSource,
        store,
      )
    : undefined;
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const started = Date.now();
  let lastLine = 0;
  let report: PassReport;
  try {
    report = await runCompressionPass(store, publisher, {
      now,
      settings,
      tenantId,
      dryRun,
      signal: stop.signal,
      onProgress: (progress) => {
        if (Date.now() - lastLine < 2_000) return;
        lastLine = Date.now();
        process.stderr.write(
          `${label}: ${progress.examined} examined, ${progress.compressed} ` +
            `${dryRun ? 'due' : 'compressed'}\n`,
        );
      },
    });
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await producer?.onApplicationShutdown();
  }
  const seconds = Math.round((Date.now() - started) / 100) / 10;
  const tiers = Object.entries(report.byTier)
    .filter(([, count]) => count > 0)
    .map(([tier, count]) => `${tier} ${count}`)
    .join(', ');
  process.stderr.write(
    `${label}: ${report.examined} examined, ${report.compressed} ` +
      `${dryRun ? 'due' : 'compressed'}${tiers ? ` (${tiers})` : ''}, ${report.notDue} not due, ` +
      `${report.busy} busy, ${report.eventsPublished} lifecycle events sent, in ${seconds} s` +
      `${report.stopped ? '; stopped early, the next pass resumes' : ''}\n`,
  );
  process.stdout.write(`${JSON.stringify({ ...report, asOf: now.toISOString(), seconds })}\n`);
}
