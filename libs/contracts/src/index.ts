export * from './chat-message/chat-message.schema';
export * from './chat-message/chat-message.validator';
export * from './dead-letter/dead-letter.codes';
export * from './dead-letter/dead-letter.headers';
export * from './storable-text';
export * from './memory-message/memory-message.schema';
export * from './memory-message/memory-message.decoder';
export * from './topics.constants';
export * from './memory-summary/memory-summary.schema';
export * from './memory-lifecycle/memory-lifecycle.schema';
export {
  chatMessageJsonSchema,
  memoryMessageJsonSchema,
  memorySummaryJsonSchema,
} from './documents/json-schemas';
export * from './calendar';
