export * from './json-logger';
export * from './otel-sdk';
