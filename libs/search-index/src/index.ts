export * from './index-definition';
export * from './summary-document';
export * from './summary-index';
export * from './search.settings';
export * from './summary-documents';
