import { DatabaseConfig } from '@memory/config';
import { DataSourceOptions } from 'typeorm';
import { ApiKeyEntity } from './entities/api-key.entity';
import { ConversationEntity } from './entities/conversation.entity';
import { MessageEntity } from './entities/message.entity';
import { InitialSchema1763700000000 } from './migrations/1763700000000-initial-schema';
import { ApiKeys1763800000000 } from './migrations/1763800000000-api-keys';
import { Summaries1763900000000 } from './migrations/1763900000000-summaries';
import { Lifecycle1764000000000 } from './migrations/1764000000000-lifecycle';
import { Retention1764100000000 } from './migrations/1764100000000-retention';
import { SummaryHistory1764200000000 } from './migrations/1764200000000-summary-history';
import { UserProfiles1764300000000 } from './migrations/1764300000000-user-profiles';
import { UserRollups1764400000000 } from './migrations/1764400000000-user-rollups';
import { UserCredentials1764500000000 } from './migrations/1764500000000-user-credentials';
import { Webhooks1764600000000 } from './migrations/1764600000000-webhooks';

export const ENTITIES = [ApiKeyEntity, ConversationEntity, MessageEntity];
export const MIGRATIONS = [
  InitialSchema1763700000000,
  ApiKeys1763800000000,
  Summaries1763900000000,
  Lifecycle1764000000000,
  Retention1764100000000,
  SummaryHistory1764200000000,
  UserProfiles1764300000000,
  UserRollups1764400000000,
  UserCredentials1764500000000,
  Webhooks1764600000000,
];

/**
 * TypeORM options shared by the services, the migration command and the tests.
 * The schema is owned by migrations only: `synchronize` stays off.
 */
export function dataSourceOptions(
  config: DatabaseConfig,
  applicationName = 'memory',
): DataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    ssl: config.ssl ? { rejectUnauthorized: true } : false,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    applicationName,
    extra: { max: config.poolSize, connectionTimeoutMillis: 5_000 },
  };
}
