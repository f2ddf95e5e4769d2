export * from './health.module';
export * from './kafka.health';
export * from './opensearch.health';
export * from './postgres.health';
