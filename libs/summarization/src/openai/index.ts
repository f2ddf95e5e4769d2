export * from './clock';
export * from './fold-prompt';
export * from './llm-request.error';
export * from './openai-summarizer';
