export * from './api-key-rate-limiter';
export * from './api-key.guard';
export * from './api-key.store';
export * from './auth.metrics';
export * from './auth.module';
export * from './revocation.poller';
export * from './token-buckets';
export * from './api-key-protected.decorator';
