import { ChatMessageErrorCode } from '../chat-message/chat-message.validator';
import { deadLetterTopic } from '../dead-letter/dead-letter.asyncapi';
import {
  AsyncApiChannelText,
  AsyncApiMessage,
  conversationKeySchema,
  kafkaBindings,
  schemaRef,
  traceHeadersSchema,
} from '../documents/asyncapi-blocks';
import { JsonSchema } from '../documents/json-schemas';
import { TOMBSTONE_HEADERS, TOPICS } from '../topics.constants';
import {
  MEMORY_SUMMARY_SCHEMA,
  MemorySummary,
  renderSummaryText,
  SummarySections,
} from './memory-summary.schema';

/** What the search indexer's codes mean on memory.summaries.dlq.v1. */
export const SUMMARY_DLQ_CODE_MEANINGS: Partial<Record<ChatMessageErrorCode, string>> = {
  NOT_JSON: 'the value is empty or not UTF-8 JSON (a null value is a tombstone, not an error)',
  INVALID_FIELDS: 'the value does not match memory.summary.v1',
  KEY_MISMATCH:
    'the key is missing or is not `tenantId:conversationId` of the value; for a tombstone, of ' +
    `its \`${TOMBSTONE_HEADERS.tenantId}\` and \`${TOMBSTONE_HEADERS.conversationId}\` headers, or ` +
    'the tombstone has neither header and its key is not `tenantId:conversationId` (no `:`, or nothing on one side of the first)',
};

const EXAMPLE_SUMMARY_SECTIONS: SummarySections = {
  context: 'The user asked to move the design review; the assistant agreed to 12 May.',
  keyPoints: ['The design review moves to 12 May.'],
  decisions: ['Hold the design review on 12 May.'],
  actionItems: ['Send the new invitation.'],
  openQuestions: ['Who presents the new layout?'],
  entities: ['design review'],
  dates: ['12 May'],
  numbers: [],
  mood: 'cooperative',
};

const EXAMPLE_SUMMARY: MemorySummary = {
  schema: MEMORY_SUMMARY_SCHEMA,
  tenantId: 'acme',
  conversationId: 'conv-42',
  userId: 'user@example.com',
  version: 3,
  throughSeq: 17,
  tier: 'full',
  text: renderSummaryText(EXAMPLE_SUMMARY_SECTIONS),
  sections: EXAMPLE_SUMMARY_SECTIONS,
  stats: {
    messageCount: 17,
    firstMessageAt: '2026-04-30T16:20:00Z',
    lastMessageAt: '2026-05-01T10:00:00Z',
    backend: 'local',
    llmPending: false,
    fromSeq: 16,
    cost: { inputTokens: 0, outputTokens: 0, inputChars: 412, outputChars: 236, durationMs: 4 },
    totalCost: {
      inputTokens: 0,
      outputTokens: 0,
      inputChars: 2980,
      outputChars: 655,
      durationMs: 19,
    },
    updatedAt: '2026-05-01T10:00:01.034Z',
  },
};

export const MEMORY_SUMMARIES_CHANNEL: AsyncApiChannelText = {
  title: 'Conversation summaries',
  description:
    'The current summary of each conversation; the topic is compacted, so it keeps the ' +
    'latest record per key. The summarizer writes the full rolling summary, ' +
    'the compressor rewrites it at lower tiers as the conversation ages, and retention ' +
    'publishes a new full summary after restoring a conversation from its archive. When ' +
    'retention erases a conversation it writes a tombstone (null value) for its key, with the ' +
    `conversation's ids in the \`${TOMBSTONE_HEADERS.tenantId}\` and ` +
    `\`${TOMBSTONE_HEADERS.conversationId}\` headers. Search indexes every summary (the ` +
    'highest version wins) and removes the conversation from its index on a tombstone.',
};

export function summaryHeadersSchema(): JsonSchema {
  const trace = traceHeadersSchema();
  return {
    type: 'object',
    description:
      'Kafka headers, UTF-8 strings: the trace headers on a summary; the conversation ids on a ' +
      'tombstone, where they are required (ids may contain `:`, so the key cannot be split ' +
      'back into them). A tombstone without them is dead-lettered unless its key holds exactly ' +
      'one `:`.',
    properties: {
      ...trace.properties,
      [TOMBSTONE_HEADERS.tenantId]: {
        type: 'string',
        description: 'On a tombstone: the tenant of the erased conversation.',
        examples: ['acme'],
      },
      [TOMBSTONE_HEADERS.conversationId]: {
        type: 'string',
        description: 'On a tombstone: the erased conversation.',
        examples: ['conv-42'],
      },
    },
  };
}

export function memorySummaryAsyncApi(): AsyncApiMessage {
  return {
    name: MEMORY_SUMMARY_SCHEMA,
    title: 'Conversation summary',
    summary: 'The current summary of a conversation, at its tier.',
    description:
      "A tombstone (null value) removes the conversation's summary; it carries the " +
      `conversation's ids in the \`${TOMBSTONE_HEADERS.tenantId}\` and ` +
      `\`${TOMBSTONE_HEADERS.conversationId}\` headers.`,
    contentType: 'application/json',
    headers: schemaRef('summaryHeaders'),
    payload: schemaRef('memorySummary'),
    bindings: kafkaBindings(conversationKeySchema()),
    examples: [
      { name: 'full-summary', payload: EXAMPLE_SUMMARY },
      {
        name: 'tombstone',
        summary: 'Retention erased the conversation: the value is null.',
        headers: {
          [TOMBSTONE_HEADERS.tenantId]: EXAMPLE_SUMMARY.tenantId,
          [TOMBSTONE_HEADERS.conversationId]: EXAMPLE_SUMMARY.conversationId,
        },
      },
    ],
  };
}

/** memory.summaries.dlq.v1: what search cannot parse, validate or attribute. */
export function summaryDeadLetters(): ReturnType<typeof deadLetterTopic> {
  const codes = Object.keys(SUMMARY_DLQ_CODE_MEANINGS).join(', ');
  return deadLetterTopic({
    sourceTopic: TOPICS.memorySummaries,
    channel: {
      title: 'Dead-lettered summaries',
      refused: 'the search indexer cannot parse, validate or attribute to a conversation',
      reasonIn: `the same \`dlq.*\` headers as \`chat.messages.dlq.v1\` (codes ${codes})`,
      handling:
        'The summarizer only publishes valid summaries, so a record here indicates a bug ' +
        'upstream: operators inspect it, and `npm run memory -- search reindex` rebuilds the ' +
        'index from Postgres; no command replays this topic.',
    },
    message: {
      name: 'memory.summary.dead-letter',
      title: 'Dead-lettered summary',
      summary:
        'A memory.summaries.v1 record the search indexer cannot parse, validate or attribute, ' +
        'bytes intact.',
      codes: `The codes are ${codes}.`,
      value:
        'The original record value, unchanged: possibly empty, not UTF-8 JSON or not a valid ' +
        'summary; null for a tombstone that names no conversation.',
      key: 'The original record key, unchanged.',
    },
    example: {
      name: 'invalid-tier',
      partition: '0',
      offset: '311',
      errorCode: 'INVALID_FIELDS',
      errorReason: 'tier: Invalid option: expected one of "full"|"key_points"|"brief"|"metadata"',
      failedAt: '2026-05-01T10:00:02.100Z',
      traced: false,
    },
  });
}
