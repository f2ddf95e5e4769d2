export * from './app-config';
export * from './backoff';
export * from './config.error';
export * from './config.module';
export * from './env-reader';
export * from './redaction';
