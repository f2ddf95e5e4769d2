import { BatchConsumerFactory, KafkaAdminService } from '@memory/kafka';
import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

/** Up when the cluster answers metadata requests and none of this service's consumers crashed. */
@Injectable()
export class KafkaHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly admin: KafkaAdminService,
    private readonly consumers: BatchConsumerFactory,
  ) {}

  async check(timeoutMs: number): Promise<HealthIndicatorResult> {
    return this.health
      .check('kafka')
      .attempt(async () => {
        const crashed = this.consumers.all.filter((consumer) => consumer.state === 'crashed');
        if (crashed.length > 0)
          throw new Error(`consumer crashed: ${crashed[0]?.error ?? 'unknown error'}`);
        const cluster = await this.admin.describeCluster();
        return {
          brokers: cluster.brokers,
          consumers: this.consumers.all.map((consumer) => consumer.state),
        };
      })
      .withTimeout(timeoutMs);
  }
}
