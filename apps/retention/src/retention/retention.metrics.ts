import { ConversationFailure, PassTrigger, RetentionReport } from '@memory/lifecycle';
import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';

const meter = metrics.getMeter('memory-retention');

/** OpenTelemetry instruments of the retention service. */
@Injectable()
export class RetentionMetrics {
  private readonly duration = meter.createHistogram('retention.pass.duration', {
    description: 'Time of one retention pass',
    unit: 's',
  });
  private readonly archived = meter.createCounter('retention.archived.messages', {
    description: 'Raw messages archived and removed from Postgres',
  });
  private readonly archiveBytes = meter.createCounter('retention.archive.bytes', {
    description: 'Bytes of archive files written (gzip JSON; a rewrite counts whole)',
    unit: 'By',
  });
  private readonly erased = meter.createCounter('retention.erased.conversations', {
    description: 'Conversations erased, by reason (request, policy)',
  });
  private readonly restored = meter.createCounter('retention.restored.messages', {
    description: 'Messages restored from archives into Postgres',
  });
  private readonly failures = meter.createCounter('retention.failures', {
    description: 'Failed passes and requests (the next pass resumes), by operation',
  });

  private readonly skipped = meter.createCounter('retention.conversation.failures', {
    description:
      'Conversations a pass skipped because their step failed (tried again next pass), by step ' +
      'and reason (filesystem, archive-verification, database, other)',
  });
  private readonly refused = meter.createCounter('retention.pass.refused', {
    description: 'Pass requests refused because the queue of waiting passes was full',
  });

  passed(report: RetentionReport, seconds: number, trigger: PassTrigger): void {
    this.duration.record(seconds, { trigger });
    if (report.archivedMessages > 0) this.archived.add(report.archivedMessages);
    if (report.archiveBytes > 0) this.archiveBytes.add(report.archiveBytes);
    if (report.erased > 0) this.erased.add(report.erased, { reason: 'policy' });
  }

  erasedOnRequest(conversations: number): void {
    if (conversations > 0) this.erased.add(conversations, { reason: 'request' });
  }

  restoredMessages(count: number): void {
    this.restored.add(count);
  }

  conversationFailed(failure: ConversationFailure): void {
    this.skipped.add(1, { step: failure.step, reason: failure.reason });
  }

  passRefused(): void {
    this.refused.add(1);
  }

  failed(operation: 'pass' | 'restore' | 'erase'): void {
    this.failures.add(1, { operation });
  }
}
