import { AuthConfig } from '@memory/config';
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiKeyRateLimiter } from './api-key-rate-limiter';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyStore } from './api-key.store';
import { AuthMetrics } from './auth.metrics';
import { JwtKeyStore } from './jwt-key.store';
import { UserAccess } from './user-scope';
import { ConversationRepository } from '@memory/persistence';
import { RevocationPoller } from './revocation.poller';
import { TokenBuckets } from './token-buckets';

/**
 * API-key authentication for HTTP services, with per-key rate limits and a revocation poller;
 * needs the PersistenceModule's data source and the ConfigModule's {@link AuthConfig}.
 */
@Module({
  providers: [
    AuthMetrics,
    {
      provide: ApiKeyStore,
      inject: [DataSource, AuthConfig, AuthMetrics],
      useFactory: (dataSource: DataSource, config: AuthConfig, metrics: AuthMetrics) =>
        new ApiKeyStore(dataSource, {
          cacheSize: config.keyCacheSize,
          unknownKeyTtlMs: config.unknownKeyTtlMs,
          // Two intervals: a check may take up to one interval to come round, plus its query.
          revocationWindowMs: 2 * config.revocationPollMs,
          lookupBudget: new TokenBuckets({
            ratePerSecond: config.keyLookupsPerSecond,
            burst: 2 * config.keyLookupsPerSecond,
            maxKeys: 1,
          }),
          onLookup: (result) => metrics.lookup(result),
        }),
    },
    {
      provide: RevocationPoller,
      inject: [ApiKeyStore, AuthMetrics, AuthConfig],
      useFactory: (store: ApiKeyStore, metrics: AuthMetrics, config: AuthConfig) =>
        new RevocationPoller(store, metrics, config.revocationPollMs),
    },
    {
      // One set of buckets per process: a key's rate covers all its requests to the service.
      provide: ApiKeyRateLimiter,
      inject: [AuthConfig, AuthMetrics],
      useFactory: (config: AuthConfig, metrics: AuthMetrics) =>
        new ApiKeyRateLimiter(
          new TokenBuckets({
            ratePerSecond: config.rateLimit.perSecond,
            burst: config.rateLimit.burst,
            maxKeys: config.rateLimitMaxKeys,
          }),
          metrics,
        ),
    },
    {
      provide: JwtKeyStore,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) => new JwtKeyStore(dataSource),
    },
    {
      provide: UserAccess,
      inject: [DataSource],
      useFactory: (dataSource: DataSource) =>
        new UserAccess(new ConversationRepository(dataSource)),
    },
    ApiKeyGuard,
  ],
  exports: [ApiKeyStore, ApiKeyGuard, ApiKeyRateLimiter, AuthMetrics, JwtKeyStore, UserAccess],
})
export class AuthModule {}
