import { AppConfig, DatabaseConfig } from '@memory/config';
import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { dataSourceOptions } from './data-source-options';

/** Connects a service to PostgreSQL through TypeORM; the schema must already be migrated. */
@Module({})
export class PersistenceModule {
  static forRoot(): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [DatabaseConfig, AppConfig],
          useFactory: (database: DatabaseConfig, app: AppConfig) => ({
            ...dataSourceOptions(database, `memory-${app.service}`),
            retryAttempts: 10,
            retryDelay: 2_000,
          }),
        }),
      ],
      exports: [TypeOrmModule],
    };
  }
}
