export * from './chat-message/chat-message.schema';
export * from './chat-message/chat-message.validator';
export * from './dead-letter/dead-letter.headers';
export * from './memory-message/memory-message.schema';
export * from './topics.constants';
export * from './memory-summary/memory-summary.schema';
export * from './memory-lifecycle/memory-lifecycle.schema';
