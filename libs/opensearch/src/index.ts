export * from './opensearch.module';
