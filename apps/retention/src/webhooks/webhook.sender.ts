import { signWebhook, WEBHOOK_HEADERS } from '@memory/client';
import { DueDelivery, WebhookRepository } from '@memory/persistence';
import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { WebhookMetrics } from './webhook.metrics';
import { WEBHOOK_SETTINGS, WebhookSettings } from './webhook.settings';

/** Deliveries claimed per endpoint per round, and in all. */
const PER_WEBHOOK = 5;
const PER_ROUND = 50;
const MAX_BACKOFF_S = 600;

/**
 * Sends due webhook deliveries: every `WEBHOOK_POLL_MS`, claims what is due (a few per
 * endpoint, so one endpoint never fills a round), sends each endpoint's in order and the
 * endpoints side by side, each POST signed (Standard Webhooks: `webhook-id` is the event id,
 * the same on every attempt, for the receiver to dedupe) and timed out after
 * `WEBHOOK_TIMEOUT_MS`. A 2xx is delivered; anything else (a redirect too) is retried after
 * `WEBHOOK_BACKOFF_MS` doubled per attempt (at most 10 min), and the endpoint's other claimed
 * deliveries wait as long; after `WEBHOOK_MAX_ATTEMPTS` the delivery is `failed`, and can be
 * replayed. Nothing here touches the consumers: a dead endpoint only delays its own deliveries.
 */
@Injectable()
export class WebhookSender implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookSender.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly deliveries: WebhookRepository,
    private readonly metrics: WebhookMetrics,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
  ) {}

  onModuleInit(): void {
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.round()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.logger.error({ msg: 'webhook round failed', error: String(error) }),
        )
        .finally(() => this.schedule());
    }, this.settings.pollMs);
    this.timer.unref();
  }

  /** One round: claim what is due and send it. Returns how many were attempted. */
  async round(): Promise<number> {
    const lease = Math.ceil((PER_WEBHOOK * this.settings.timeoutMs) / 1000) + 30;
    const due = await this.deliveries.claim(PER_WEBHOOK, PER_ROUND, lease);
    const byWebhook = new Map<string, DueDelivery[]>();
    for (const delivery of due) {
      const queue = byWebhook.get(delivery.webhookId);
      if (queue) queue.push(delivery);
      else byWebhook.set(delivery.webhookId, [delivery]);
    }
    await Promise.all([...byWebhook.values()].map((queue) => this.sendInOrder(queue)));
    return due.length;
  }

  private async sendInOrder(queue: readonly DueDelivery[]): Promise<void> {
    for (const [index, delivery] of queue.entries()) {
      const retryIn = await this.send(delivery);
      if (retryIn === undefined) continue;
      // The endpoint failed: its other claimed deliveries wait as long as this one.
      await this.deliveries.postpone(
        queue.slice(index + 1).map((rest) => rest.id),
        retryIn ?? this.backoffSeconds(delivery.attempts),
      );
      return;
    }
  }

  /** Sends one delivery; undefined when delivered, else the seconds until it is due again. */
  private async send(delivery: DueDelivery): Promise<number | null | undefined> {
    const body = JSON.stringify(delivery.payload);
    const timestamp = Math.floor(Date.now() / 1000);
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    let statusCode: number | null = null;
    let error: string;
    try {
      const response = await fetch(delivery.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'conversation-memory-webhooks/0.1',
          [WEBHOOK_HEADERS.id]: delivery.eventId,
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signWebhook(
            delivery.secret,
            delivery.eventId,
            timestamp,
            body,
          ),
        },
        body,
      });
      await response.body?.cancel();
      statusCode = response.status;
      if (response.status >= 200 && response.status < 300) {
        await this.deliveries.delivered(delivery.id, response.status);
        this.metrics.attempt('delivered', seconds());
        return undefined;
      }
      error = `answered ${response.status}`;
    } catch (failure) {
      error =
        failure instanceof Error && failure.name === 'TimeoutError'
          ? `no answer within ${this.settings.timeoutMs} ms`
          : failure instanceof Error
            ? failure.cause instanceof Error
              ? failure.cause.message
              : failure.message
            : String(failure);
    }
    const last = delivery.attempts + 1 >= this.settings.maxAttempts;
    const retryIn = last ? null : this.backoffSeconds(delivery.attempts);
    await this.deliveries.attemptFailed(delivery.id, { statusCode, error }, retryIn);
    this.metrics.attempt(last ? 'failed' : 'retry', seconds());
    this.logger.warn({
      msg: last ? 'webhook delivery failed for good' : 'webhook delivery failed, will retry',
      deliveryId: delivery.id,
      webhookId: delivery.webhookId,
      attempts: delivery.attempts + 1,
      statusCode,
      error,
    });
    return retryIn ?? this.backoffSeconds(delivery.attempts);
  }

  private backoffSeconds(attemptsBefore: number): number {
    return Math.min(MAX_BACKOFF_S, (this.settings.backoffMs / 1000) * 2 ** attemptsBefore);
  }
}
