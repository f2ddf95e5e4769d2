export * from './chunking';
export * from './summarizer-backend';
