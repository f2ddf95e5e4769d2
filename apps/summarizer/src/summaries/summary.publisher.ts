import { TOPICS } from '@memory/contracts';
import { KafkaProducerService } from '@memory/kafka';
import { SummaryRow, SummaryStore, toSummaryRecord } from '@memory/summarization';
import { Injectable } from '@nestjs/common';
import { IHeaders } from 'kafkajs';

/**
 * Publishes the current version of summaries to `memory.summaries.v1`, then notes it as
 * published. A crash between the two leaves `published_version < version`; the sweeper
 * publishes those again, and consumers keep the highest version, so a repeat is harmless.
 *
 * The topic is compacted: the *last* record of a key survives, not the highest version. So
 * publications of this process go one at a time, and each sends the row as it is in Postgres at
 * that moment (re-read), never an older copy a caller still holds: a slow publication of an
 * old version can then not land after a newer one.
 */
@Injectable()
export class SummaryPublisher {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly producer: KafkaProducerService,
    private readonly store: SummaryStore,
  ) {}

  /** `traceOf` gives the trace headers a summary's record carries (the fold's span). */
  publish(
    rows: readonly SummaryRow[],
    traceOf: (row: SummaryRow) => IHeaders | undefined = () => undefined,
  ): Promise<void> {
    const keys = rows
      .filter((row) => row.version > row.publishedVersion)
      .map(({ tenantId, conversationId }) => ({ tenantId, conversationId }));
    if (keys.length === 0) return Promise.resolve();
    const run = this.queue.then(() => this.publishCurrent(keys, traceOf));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async publishCurrent(
    keys: ReadonlyArray<{ tenantId: string; conversationId: string }>,
    traceOf: (row: SummaryRow) => IHeaders | undefined,
  ): Promise<void> {
    const due = (await this.store.loadMany(keys)).filter(
      (row) => row.version > row.publishedVersion,
    );
    if (due.length === 0) return;
    await this.producer.send(
      TOPICS.memorySummaries,
      due.map((row) => toSummaryRecord(row, traceOf(row))),
    );
    for (const row of due)
      await this.store.markPublished(row.tenantId, row.conversationId, row.version);
  }
}
