export * from './run-service';
export * from './field-errors';
