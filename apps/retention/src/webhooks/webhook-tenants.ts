import { WebhookRepository } from '@memory/persistence';
import { Injectable } from '@nestjs/common';

const REFRESH_MS = 2_000;

/**
 * The tenants that have webhooks, read at most every 2 s (most events are of tenants without
 * any: they cost no query). Registering or deleting a webhook here refreshes it at once; other
 * replicas see it within 2 s.
 */
@Injectable()
export class WebhookTenants {
  private tenants: Set<string> | undefined;
  private readAt = 0;

  constructor(private readonly webhooks: WebhookRepository) {}

  async current(now = Date.now()): Promise<ReadonlySet<string>> {
    if (!this.tenants || now - this.readAt >= REFRESH_MS) {
      this.tenants = new Set(await this.webhooks.tenants());
      this.readAt = now;
    }
    return this.tenants;
  }

  invalidate(): void {
    this.tenants = undefined;
  }
}
