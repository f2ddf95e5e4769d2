import {
  AsyncApiChannelText,
  AsyncApiMessage,
  conversationKeySchema,
  EXAMPLE_TRACEPARENT,
  kafkaBindings,
  schemaRef,
} from '../documents/asyncapi-blocks';
import { deadLetterTopic } from '../dead-letter/dead-letter.asyncapi';
import { TOPICS } from '../topics.constants';
import { CHAT_MESSAGE_SCHEMA } from './chat-message.schema';
import { ChatMessageErrorCode, OVERSIZE_CODES } from './chat-message.validator';

/** What each validation code means on chat.messages.dlq.v1, in the order of the codes. */
export const CHAT_MESSAGE_ERROR_MEANINGS: Record<ChatMessageErrorCode, string> = {
  EMPTY_VALUE: 'the record has no value (a tombstone) or an empty one',
  NOT_UTF8: 'the value is not valid UTF-8',
  NOT_JSON: 'the value is not JSON',
  NOT_AN_OBJECT: 'the JSON is not an object',
  UNKNOWN_SCHEMA: `\`schema\` is missing or not \`${CHAT_MESSAGE_SCHEMA}\``,
  INVALID_FIELDS: 'the object does not match chat.message.v1, or has several problems',
  INVALID_CHARACTERS:
    'a string (`content`, a `metadata` key or value) holds U+0000 or an unpaired UTF-16 surrogate, which no store accepts, and nothing else is wrong',
  RECORD_TOO_LARGE: 'the value is over the largest size a valid chat message can have',
  CONTENT_TOO_LARGE: '`content` is over its UTF-8 byte limit, and nothing else is wrong',
  METADATA_TOO_LARGE: '`metadata` is over its serialized byte limit, and nothing else is wrong',
  METADATA_TOO_DEEP: '`metadata` nests objects and arrays more than 16 deep',
  CREATED_AT_IN_FUTURE: '`createdAt` is too far in the future, and nothing else is wrong',
  CREATED_AT_OUT_OF_RANGE:
    '`createdAt` is before 1970-01-01T00:00:00Z or has a UTC offset beyond ±15:59 (Postgres refuses it)',
  KEY_MISMATCH:
    'the record key is missing or not `tenantId:conversationId` of the value (with `INGEST_KEY_MODE=strict`, the default)',
};

export const EXAMPLE_CHAT_MESSAGE = {
  schema: CHAT_MESSAGE_SCHEMA,
  messageId: 'msg-1',
  tenantId: 'acme',
  conversationId: 'conv-42',
  userId: 'user@example.com',
  role: 'user',
  content: 'Can we move the review to 12 May?',
  createdAt: '2026-05-01T10:00:00Z',
  metadata: { channel: 'web' },
};

export const CHAT_MESSAGES_CHANNEL: AsyncApiChannelText = {
  title: 'Chat messages',
  description:
    'Every chat message, one record per message: produced by the upstream chat products, by ' +
    'ingest for messages submitted over HTTP (`POST /v1/messages`, validated first), and by ' +
    'the operator CLI when it replays dead letters or submits corrected ones. Ingest ' +
    'validates each record (UTF-8, JSON, the chat.message.v1 schema, the key), stores the ' +
    'valid ones once and in order per conversation, and moves the others to ' +
    '`chat.messages.dlq.v1` without retrying them. Since 1.6.0, a value framed by a schema ' +
    "registry's wire format (magic byte 0, a 4-byte schema id, then the JSON) or wrapped in " +
    "Kafka Connect's JSON envelope (`{schema, payload}`) is read as the message inside; the " +
    'JSON Schema is registered per topic value (`chat.messages.v1-value`) by `npm run memory ' +
    '-- schemas register`. Since 1.7.0, ingest run with `INGEST_KEY_MODE=from-value` takes ' +
    'records with any key (or none): tenant and conversation come from the value, and the ' +
    'stored message is re-keyed `tenantId:conversationId` on `memory.messages.v1`.',
};

export function chatMessageAsyncApi(): AsyncApiMessage {
  return {
    name: CHAT_MESSAGE_SCHEMA,
    title: 'Chat message',
    summary: 'One chat message, as an upstream chat system produces it.',
    contentType: 'application/json',
    headers: schemaRef('traceHeaders'),
    payload: schemaRef('chatMessage'),
    bindings: kafkaBindings(conversationKeySchema()),
    examples: [
      {
        name: 'user-message',
        headers: { traceparent: EXAMPLE_TRACEPARENT },
        payload: EXAMPLE_CHAT_MESSAGE,
      },
    ],
  };
}

/** chat.messages.dlq.v1: what ingest can never store. */
export function chatMessageDeadLetters(): ReturnType<typeof deadLetterTopic> {
  return deadLetterTopic({
    sourceTopic: TOPICS.chatMessages,
    channel: {
      title: 'Dead-lettered chat messages',
      refused: 'that can never be stored',
      reasonIn: '`dlq.*` headers',
      handling:
        'Operators inspect it and re-submit with the CLI: `dlq replay` re-produces the original ' +
        'records (without the `dlq.*` headers) to `chat.messages.v1`, `dlq submit` produces ' +
        'corrected ones.',
    },
    message: {
      name: 'chat.message.dead-letter',
      title: 'Dead-lettered chat message',
      summary: 'A chat.messages.v1 record that can never be stored, bytes intact.',
      codes: `Codes ${[...OVERSIZE_CODES].join(' and ')} mean "too big" rather than "wrong".`,
      value:
        'The original record value, unchanged: possibly not UTF-8, not JSON or not a valid ' +
        'chat message; null when the original was a tombstone.',
      key:
        'The original record key, unchanged: missing or different from ' +
        '`tenantId:conversationId` when the code is KEY_MISMATCH.',
    },
    example: {
      name: 'invalid-role',
      partition: '2',
      offset: '1045',
      errorCode: 'INVALID_FIELDS',
      errorReason: 'role: Invalid option: expected one of "user"|"assistant"|"system"|"tool"',
      failedAt: '2026-05-01T10:00:01.250Z',
      traced: true,
    },
  });
}
