export * from './embedding-backend';
export * from './embedding.settings';
export * from './embedding.factory';
export * from './local-embedder';
export * from './model-manifest';
export * from './openai-embedder';
export * from './wordpiece-tokenizer';
