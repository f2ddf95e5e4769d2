export * from './body-limits';
export * from './error-body';
export * from './field-errors';
export * from './redacting-exception.filter';
export * from './run-service';
export * from './identifier.pipe';
