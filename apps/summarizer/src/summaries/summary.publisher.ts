import { TOPICS } from '@memory/contracts';
import { KafkaProducerService } from '@memory/kafka';
import { SummaryRow, SummaryStore, toSummaryRecord } from '@memory/summarization';
import { Injectable } from '@nestjs/common';

/**
 * Publishes the current version of summaries to `memory.summaries.v1`, then notes it as
 * published. A crash between the two leaves `published_version < version`; the sweeper
 * publishes those again, and consumers keep the highest version, so a repeat is harmless.
 */
@Injectable()
export class SummaryPublisher {
  constructor(
    private readonly producer: KafkaProducerService,
    private readonly store: SummaryStore,
  ) {}

  async publish(rows: readonly SummaryRow[]): Promise<void> {
    const due = rows.filter((row) => row.version > row.publishedVersion);
    if (due.length === 0) return;
    await this.producer.send(
      TOPICS.memorySummaries,
      due.map((row) => toSummaryRecord(row)),
    );
    for (const row of due)
      await this.store.markPublished(row.tenantId, row.conversationId, row.version);
  }
}
