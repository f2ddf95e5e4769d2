import { Controller, DynamicModule, Get, Inject, Module, Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  TerminusModule,
} from '@nestjs/terminus';
import { KafkaHealthIndicator } from './kafka.health';
import { MetricsController } from './metrics.controller';
import { OpenSearchHealthIndicator } from './opensearch.health';
import { PostgresHealthIndicator } from './postgres.health';

export type Dependency = 'kafka' | 'postgres' | 'opensearch';

interface Indicator {
  check(timeoutMs: number): Promise<HealthIndicatorResult>;
}

const INDICATORS: Record<Dependency, Type<Indicator>> = {
  kafka: KafkaHealthIndicator,
  postgres: PostgresHealthIndicator,
  opensearch: OpenSearchHealthIndicator,
};

const READINESS_CHECKS = Symbol('READINESS_CHECKS');
const CHECK_TIMEOUT_MS = 3_000;

type ReadinessCheck = () => Promise<HealthIndicatorResult>;

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    @Inject(READINESS_CHECKS) private readonly readiness: ReadinessCheck[],
  ) {}

  /** The process is up and its event loop answers. */
  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /** Every engine this service depends on answers; 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check(this.readiness);
  }
}

/**
 * `/health/live` and `/health/ready` (each service names the engines its readiness depends on),
 * and `/metrics` for Prometheus.
 */
@Module({})
export class HealthModule {
  static forRoot(dependencies: readonly Dependency[]): DynamicModule {
    const indicators = dependencies.map((dependency) => INDICATORS[dependency]);
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'json', gracefulShutdownTimeoutMs: 0 })],
      controllers: [HealthController, MetricsController],
      providers: [
        ...indicators,
        {
          provide: READINESS_CHECKS,
          inject: [ModuleRef],
          useFactory: (moduleRef: ModuleRef): ReadinessCheck[] =>
            indicators.map((indicator) => () => moduleRef.get(indicator).check(CHECK_TIMEOUT_MS)),
        },
      ],
    };
  }
}
