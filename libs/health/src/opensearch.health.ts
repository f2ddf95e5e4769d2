import { Inject, Injectable } from '@nestjs/common';
import { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { Client } from '@opensearch-project/opensearch';

/** Up when the cluster answers and is not red. */
@Injectable()
export class OpenSearchHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(Client) private readonly client: Client,
  ) {}

  async check(timeoutMs: number): Promise<HealthIndicatorResult> {
    return this.health
      .check('opensearch')
      .attempt(async () => {
        const { body } = await this.client.cluster.health({ timeout: `${timeoutMs}ms` });
        if (body.status === 'red') throw new Error('cluster status is red');
        return { clusterStatus: body.status, nodes: body.number_of_nodes };
      })
      .withTimeout(timeoutMs);
  }
}
