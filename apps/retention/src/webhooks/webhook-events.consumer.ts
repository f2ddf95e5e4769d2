import { CONSUMER_GROUPS } from '@memory/contracts';
import { BatchConsumerFactory, ConsumedBatch } from '@memory/kafka';
import { WebhookEvent, WebhookRepository } from '@memory/persistence';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { readEvent } from './webhook-events';
import { WebhookMetrics } from './webhook.metrics';
import { WebhookTenants } from './webhook-tenants';

/**
 * Turns `memory.summaries.v1` and `memory.lifecycle.v1` into webhook deliveries (groups
 * `webhooks-summaries` and `webhooks-lifecycle`, from the end of the topics when new: webhooks
 * take events from when they are registered). It only writes rows: sending is the sender's, so
 * a slow or dead endpoint never holds a partition. Offsets commit after the rows are written;
 * a replay adds nothing (one delivery per webhook and event id). A summary tombstone deletes
 * the conversation's deliveries, which hold its summaries (erasure).
 */
@Injectable()
export class WebhookEventsConsumer implements OnModuleInit {
  private readonly logger = new Logger(WebhookEventsConsumer.name);

  constructor(
    private readonly consumers: BatchConsumerFactory,
    private readonly deliveries: WebhookRepository,
    private readonly tenants: WebhookTenants,
    private readonly metrics: WebhookMetrics,
  ) {}

  onModuleInit(): void {
    for (const { group, topic } of [
      CONSUMER_GROUPS.webhookSummaries,
      CONSUMER_GROUPS.webhookLifecycle,
    ])
      this.consumers.create({
        groupId: group,
        topics: [topic],
        handler: (batch) => this.handle(batch),
        deadLetterTopic: undefined,
        fromBeginning: false,
        partitionsConsumedConcurrently: 1,
      });
  }

  async handle(batch: ConsumedBatch): Promise<void> {
    const tenants = await this.tenants.current();
    if (tenants.size === 0) return;
    let pending: WebhookEvent[] = [];
    let undecodable = 0;
    let enqueued = 0;
    for (const record of batch.messages) {
      const read = readEvent({ topic: batch.topic, partition: batch.partition, ...record });
      if (read.kind === 'undecodable') undecodable++;
      if (read.kind === 'event' && tenants.has(read.event.tenantId)) pending.push(read.event);
      if (read.kind === 'tombstone' && tenants.has(read.tenantId)) {
        enqueued += await this.deliveries.enqueue(pending);
        pending = [];
        await this.deliveries.forgetConversation(read.tenantId, read.conversationId);
      }
    }
    enqueued += await this.deliveries.enqueue(pending);
    this.metrics.enqueue(enqueued);
    this.metrics.skipped(batch.topic, undecodable);
    if (enqueued > 0)
      this.logger.debug({ msg: 'webhook deliveries queued', topic: batch.topic, enqueued });
  }
}
