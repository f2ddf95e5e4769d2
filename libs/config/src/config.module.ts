import { DynamicModule, Global, Module } from '@nestjs/common';
import {
  AppConfig,
  AuthConfig,
  DatabaseConfig,
  HttpConfig,
  KafkaConfig,
  LogConfig,
  OpenSearchConfig,
} from './app-config';

/**
 * Makes the validated configuration injectable: the whole {@link AppConfig} and each section
 * under its own class token, so a service asks only for the part it uses.
 */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: AppConfig): DynamicModule {
    const providers = [
      { provide: AppConfig, useValue: config },
      { provide: HttpConfig, useValue: config.http },
      { provide: LogConfig, useValue: config.log },
      { provide: KafkaConfig, useValue: config.kafka },
      { provide: DatabaseConfig, useValue: config.database },
      { provide: OpenSearchConfig, useValue: config.opensearch },
      { provide: AuthConfig, useValue: config.auth },
    ];
    return { module: ConfigModule, providers, exports: providers.map((p) => p.provide) };
  }
}
