import { EXAMPLE_CHAT_MESSAGE } from '../chat-message/chat-message.asyncapi';
import { ChatMessageErrorCode } from '../chat-message/chat-message.validator';
import { deadLetterTopic } from '../dead-letter/dead-letter.asyncapi';
import {
  AsyncApiChannelText,
  AsyncApiMessage,
  conversationKeySchema,
  EXAMPLE_TRACEPARENT,
  kafkaBindings,
  schemaRef,
} from '../documents/asyncapi-blocks';
import { TOPICS } from '../topics.constants';
import { MEMORY_MESSAGE_SCHEMA } from './memory-message.schema';

/** What the summarizer's codes mean on memory.messages.dlq.v1 (a subset of ingest's). */
export const MEMORY_DLQ_CODE_MEANINGS: Partial<Record<ChatMessageErrorCode, string>> = {
  NOT_JSON: 'the value is not UTF-8 JSON, or is empty or null',
  INVALID_FIELDS:
    'the value does not match memory.message.v1 (a string with U+0000 or an unpaired surrogate included)',
};

export const MEMORY_MESSAGES_CHANNEL: AsyncApiChannelText = {
  title: 'Stored messages',
  description:
    'Every message ingest has stored, with its per-conversation `seq`, published before the ' +
    'offsets of the chat.messages.v1 batch are committed (so at least once: consumers skip ' +
    'seqs they have seen).',
};

export function memoryMessageAsyncApi(): AsyncApiMessage {
  return {
    name: MEMORY_MESSAGE_SCHEMA,
    title: 'Stored message',
    summary: 'A message ingest has stored, with its per-conversation seq.',
    contentType: 'application/json',
    headers: schemaRef('traceHeaders'),
    payload: schemaRef('memoryMessage'),
    bindings: kafkaBindings(conversationKeySchema()),
    examples: [
      {
        name: 'stored-user-message',
        headers: { traceparent: EXAMPLE_TRACEPARENT },
        payload: {
          ...EXAMPLE_CHAT_MESSAGE,
          schema: MEMORY_MESSAGE_SCHEMA,
          seq: 17,
          ingestedAt: '2026-05-01T10:00:00.731Z',
        },
      },
    ],
  };
}

/** memory.messages.dlq.v1: what the summarizer cannot parse or validate. */
export function memoryMessageDeadLetters(): ReturnType<typeof deadLetterTopic> {
  return deadLetterTopic({
    sourceTopic: TOPICS.memoryMessages,
    channel: {
      title: 'Dead-lettered stored messages',
      refused: 'the summarizer cannot parse or validate',
      reasonIn:
        'the same `dlq.*` headers as `chat.messages.dlq.v1` ' +
        `(codes ${Object.keys(MEMORY_DLQ_CODE_MEANINGS).join(' and ')})`,
      handling:
        'Ingest only publishes valid messages, so a record here indicates a bug upstream: ' +
        'operators inspect it; no command replays this topic.',
    },
    message: {
      name: 'memory.message.dead-letter',
      title: 'Dead-lettered stored message',
      summary: 'A memory.messages.v1 record the summarizer cannot parse or validate, bytes intact.',
      codes: `The codes are ${Object.keys(MEMORY_DLQ_CODE_MEANINGS).join(' and ')}.`,
      value:
        'The original record value, unchanged: possibly empty, null, not UTF-8 JSON or not a ' +
        'valid memory message.',
      key: 'The original record key, unchanged.',
    },
    example: {
      name: 'invalid-seq',
      partition: '1',
      offset: '88',
      errorCode: 'INVALID_FIELDS',
      errorReason: 'seq: Invalid input: expected number, received string',
      failedAt: '2026-05-01T10:00:01.500Z',
      traced: true,
    },
  });
}
