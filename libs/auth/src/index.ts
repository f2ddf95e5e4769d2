export * from './api-key.guard';
export * from './api-key.store';
export * from './auth.module';
