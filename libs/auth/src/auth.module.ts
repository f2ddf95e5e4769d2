import { Module } from '@nestjs/common';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeyStore } from './api-key.store';

/** API-key authentication for HTTP services; needs the PersistenceModule's data source. */
@Module({ providers: [ApiKeyStore, ApiKeyGuard], exports: [ApiKeyStore, ApiKeyGuard] })
export class AuthModule {}
