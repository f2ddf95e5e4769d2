export * from './json-logger';
export * from './otel-sdk';
export * from './kafka-tracing';
export * from './traced-fetch';
