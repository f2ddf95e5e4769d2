import { Injectable } from '@nestjs/common';
import { HealthIndicatorResult, TypeOrmHealthIndicator } from '@nestjs/terminus';

/** Up when PostgreSQL answers a ping through the service's TypeORM data source. */
@Injectable()
export class PostgresHealthIndicator {
  constructor(private readonly typeorm: TypeOrmHealthIndicator) {}

  async check(timeoutMs: number): Promise<HealthIndicatorResult> {
    return this.typeorm.pingCheck('postgres').withTimeout(timeoutMs);
  }
}
