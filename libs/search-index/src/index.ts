export * from './index-definition';
export * from './summary-document';
export * from './summary-index';
export * from './search.settings';
export * from './summary-documents';
export * from './search-query.constants';
export * from './search-query.builder';
export * from './score-fusion';
