import { CHAT_MESSAGE_SCHEMA, ID_MAX_LENGTH } from '../chat-message/chat-message.schema';
import {
  CHAT_MESSAGE_ERROR_CODES,
  ChatMessageErrorCode,
  OVERSIZE_CODES,
} from '../chat-message/chat-message.validator';
import { HANDLER_FAILURE_MEANINGS } from '../dead-letter/dead-letter.codes';
import { DLQ_HEADERS } from '../dead-letter/dead-letter.headers';
import {
  archivedEventSchema,
  erasedEventSchema,
  LifecycleEvent,
  lifecycleEventSchema,
  MEMORY_LIFECYCLE_SCHEMA,
  restoredEventSchema,
  tierChangedEventSchema,
} from '../memory-lifecycle/memory-lifecycle.schema';
import { MEMORY_MESSAGE_SCHEMA } from '../memory-message/memory-message.schema';
import {
  MEMORY_SUMMARY_SCHEMA,
  MemorySummary,
  renderSummaryText,
  SummarySections,
} from '../memory-summary/memory-summary.schema';
import { TOMBSTONE_HEADERS, TOPIC_DEFINITIONS, TOPICS } from '../topics.constants';
import {
  chatMessageJsonSchema,
  contractJsonSchema,
  ContractSpec,
  GENERATED_COMMENT,
  JsonSchema,
  JsonSchemaDialect,
  memoryMessageJsonSchema,
  memorySummaryJsonSchema,
} from './json-schemas';

/**
 * The AsyncAPI 3.0 document of the product: every topic of `TOPIC_DEFINITIONS`, who publishes
 * and who consumes it, keys, headers and values. Every value is generated from the zod schema
 * the services validate it with.
 */

export type AsyncApiDocument = Record<string, unknown>;

/** Version of this document; bump it when a contract in it changes. */
export const CONTRACTS_VERSION = '1.4.0';
export const KAFKA_BINDING_VERSION = '0.5.0';

type ChannelId = keyof typeof TOPICS;
type Service = 'upstream' | 'ingest' | 'summarizer' | 'compressor' | 'retention' | 'search' | 'cli';

const SERVICES: Record<Service, string> = {
  upstream: 'The chat products that feed the system; not part of this repository.',
  ingest:
    'Validates, deduplicates and stores every chat message, in order per conversation; also ' +
    'the HTTP way in for clients that do not speak Kafka (`POST /v1/messages`).',
  summarizer:
    'Keeps a rolling summary per conversation: folds the new stored messages of a conversation ' +
    'into its summary and publishes each new version. Summarizes with a local extractive ' +
    'backend (no model) by default, or with any OpenAI-compatible LLM when one is configured.',
  compressor: 'Compresses conversations as they age (full, key points, brief, metadata).',
  retention:
    'Scores the importance of each conversation (length, back-and-forth, decisions and action ' +
    'items, entities, recent reads, pins), which stretches its tier thresholds; archives the ' +
    'raw messages of old summarized conversations to one gzip JSON file each, verified on ' +
    'disk before the messages are removed from Postgres; restores an archive on request; ' +
    'erases a conversation, or every conversation of a user, everywhere (Postgres, archive, ' +
    'search index, summaries topic). When to archive, how many of the newest messages to keep ' +
    'and when to erase is a retention policy per tenant. The operator CLI runs the same steps ' +
    '(`archive`, `restore`, `erase`).',
  search: 'Indexes summaries for semantic, keyword and hybrid search per tenant.',
  cli: 'The operator command line (`npm run memory -- <command>`), e.g. `dlq replay` and `dlq submit`.',
};

const ERROR_CODE_MEANINGS: Record<ChatMessageErrorCode, string> = {
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
  KEY_MISMATCH: 'the record key is missing or not `tenantId:conversationId` of the value',
};

/** What the summarizer's codes mean on memory.messages.dlq.v1 (a subset of the ones above). */
const MEMORY_DLQ_CODE_MEANINGS: Partial<Record<ChatMessageErrorCode, string>> = {
  NOT_JSON: 'the value is not UTF-8 JSON, or is empty or null',
  INVALID_FIELDS:
    'the value does not match memory.message.v1 (a string with U+0000 or an unpaired surrogate included)',
};

/** What the search indexer's codes mean on memory.summaries.dlq.v1. */
const SUMMARY_DLQ_CODE_MEANINGS: Partial<Record<ChatMessageErrorCode, string>> = {
  NOT_JSON: 'the value is empty or not UTF-8 JSON (a null value is a tombstone, not an error)',
  INVALID_FIELDS: 'the value does not match memory.summary.v1',
  KEY_MISMATCH:
    'the key is missing or is not `tenantId:conversationId` of the value; for a tombstone, of ' +
    `its \`${TOMBSTONE_HEADERS.tenantId}\` and \`${TOMBSTONE_HEADERS.conversationId}\` headers, or ` +
    'the tombstone has neither header and its key is not `tenantId:conversationId` (no `:`, or nothing on one side of the first)',
};

interface ChannelDoc {
  title: string;
  description: string;
  messages: string[];
}

const CHANNELS: Record<ChannelId, ChannelDoc> = {
  chatMessages: {
    title: 'Chat messages',
    description:
      'Every chat message, one record per message: produced by the upstream chat products, by ' +
      'ingest for messages submitted over HTTP (`POST /v1/messages`, validated first), and by ' +
      'the operator CLI when it replays dead letters or submits corrected ones. Ingest ' +
      'validates each record (UTF-8, JSON, the chat.message.v1 schema, the key), stores the ' +
      'valid ones once and in order per conversation, and moves the others to ' +
      '`chat.messages.dlq.v1` without retrying them.',
    messages: ['chatMessage'],
  },
  chatMessagesDlq: {
    title: 'Dead-lettered chat messages',
    description:
      'Records of `chat.messages.v1` that can never be stored, with their original key, value ' +
      'bytes and headers untouched, and why in `dlq.*` headers. Operators inspect it and ' +
      're-submit with the CLI: `dlq replay` re-produces the original records (without the ' +
      '`dlq.*` headers) to `chat.messages.v1`, `dlq submit` produces corrected ones.',
    messages: ['deadLetter'],
  },
  memoryMessages: {
    title: 'Stored messages',
    description:
      'Every message ingest has stored, with its per-conversation `seq`, published before the ' +
      'offsets of the chat.messages.v1 batch are committed (so at least once: consumers skip ' +
      'seqs they have seen).',
    messages: ['memoryMessage'],
  },
  memoryMessagesDlq: {
    title: 'Dead-lettered stored messages',
    description:
      'Records of `memory.messages.v1` the summarizer cannot parse or validate, with their ' +
      'original key, value bytes and headers untouched, and why in the same `dlq.*` headers as ' +
      '`chat.messages.dlq.v1` (codes NOT_JSON and INVALID_FIELDS). Ingest only publishes valid ' +
      'messages, so a record here indicates a bug upstream: operators inspect it; no command ' +
      'replays this topic.',
    messages: ['memoryDeadLetter'],
  },
  memorySummaries: {
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
    messages: ['memorySummary'],
  },
  memorySummariesDlq: {
    title: 'Dead-lettered summaries',
    description:
      'Records of `memory.summaries.v1` the search indexer cannot parse, validate or attribute ' +
      'to a conversation, with their original key, value bytes and headers untouched, and why ' +
      `in the same \`dlq.*\` headers as \`chat.messages.dlq.v1\` (codes ${Object.keys(SUMMARY_DLQ_CODE_MEANINGS).join(', ')}). ` +
      'The summarizer only publishes valid summaries, so a record here indicates a bug ' +
      'upstream: operators inspect it, and `npm run memory -- search reindex` rebuilds the ' +
      'index from Postgres; no command replays this topic.',
    messages: ['summaryDeadLetter'],
  },
  memoryLifecycle: {
    title: 'Conversation lifecycle',
    description:
      'What happened to a conversation as a whole: the compressor records tier changes, ' +
      'retention records archiving, restoring and erasing. Every event is sent after the ' +
      'change it records is committed in Postgres, at least once, keyed ' +
      '`tenantId:conversationId` so the events of a conversation stay in order. Ids and ' +
      'counts only, never message or summary content. Kept forever, as an audit trail. No ' +
      'service of the product consumes it yet.',
    messages: ['lifecycleEvent'],
  },
};

interface OperationDoc {
  action: 'send' | 'receive';
  channel: ChannelId;
  service: Service;
  /** `built` today, or `planned` for a later release. */
  status: 'built' | 'planned';
  summary: string;
  /** Logical consumer group; the configured prefix (`KAFKA_GROUP_PREFIX`) goes in front. */
  group?: string;
}

const OPERATIONS: Record<string, OperationDoc> = {
  upstreamSendsChatMessages: {
    action: 'send',
    channel: 'chatMessages',
    service: 'upstream',
    status: 'built',
    summary: 'Upstream chat products produce every chat message, keyed tenantId:conversationId.',
  },
  ingestReceivesChatMessages: {
    action: 'receive',
    channel: 'chatMessages',
    service: 'ingest',
    status: 'built',
    summary: 'Ingest validates and stores chat messages, committing offsets once stored.',
    group: 'ingest',
  },
  ingestSendsChatMessages: {
    action: 'send',
    channel: 'chatMessages',
    service: 'ingest',
    status: 'built',
    summary: 'Ingest produces the messages it accepted over HTTP (POST /v1/messages).',
  },
  ingestSendsDeadLetters: {
    action: 'send',
    channel: 'chatMessagesDlq',
    service: 'ingest',
    status: 'built',
    summary: 'Ingest moves records that can never be stored to the dead-letter topic.',
  },
  ingestSendsMemoryMessages: {
    action: 'send',
    channel: 'memoryMessages',
    service: 'ingest',
    status: 'built',
    summary: 'Ingest publishes every stored message with its seq.',
  },
  cliReceivesDeadLetters: {
    action: 'receive',
    channel: 'chatMessagesDlq',
    service: 'cli',
    status: 'built',
    summary: '`dlq replay` reads dead letters (optionally of one error code), resumably.',
    group: 'dlq-replay',
  },
  cliSendsChatMessages: {
    action: 'send',
    channel: 'chatMessages',
    service: 'cli',
    status: 'built',
    summary:
      '`dlq replay` re-produces dead-lettered records as they first arrived; `dlq submit` ' +
      'produces corrected chat.message.v1 records from a JSON-lines file, validated first.',
  },
  summarizerReceivesMemoryMessages: {
    action: 'receive',
    channel: 'memoryMessages',
    service: 'summarizer',
    status: 'built',
    summary: 'The summarizer folds new messages into the rolling summary of their conversation.',
    group: 'summarizer',
  },
  summarizerSendsDeadLetters: {
    action: 'send',
    channel: 'memoryMessagesDlq',
    service: 'summarizer',
    status: 'built',
    summary:
      'The summarizer moves stored-message records it cannot parse or validate to their ' +
      'dead-letter topic.',
  },
  summarizerSendsSummaries: {
    action: 'send',
    channel: 'memorySummaries',
    service: 'summarizer',
    status: 'built',
    summary: 'The summarizer publishes each new version of a conversation summary (tier full).',
  },
  compressorSendsSummaries: {
    action: 'send',
    channel: 'memorySummaries',
    service: 'compressor',
    status: 'built',
    summary:
      'The compressor publishes the next version of a summary when it moves the conversation ' +
      'to a colder tier (the row as it is in Postgres, re-read).',
  },
  retentionSendsSummaries: {
    action: 'send',
    channel: 'memorySummaries',
    service: 'retention',
    status: 'built',
    summary:
      'After restoring a conversation, retention summarizes it again from its first message ' +
      'and publishes the new version (tier full, a higher version), so search re-indexes it.',
  },
  retentionSendsTombstones: {
    action: 'send',
    channel: 'memorySummaries',
    service: 'retention',
    status: 'built',
    summary:
      'After erasing a conversation (by request, for the conversation or its user, or by the ' +
      "tenant's maximum age), retention writes a tombstone: null value, key " +
      '`tenantId:conversationId`, the ids in the ' +
      `\`${TOMBSTONE_HEADERS.tenantId}\` and \`${TOMBSTONE_HEADERS.conversationId}\` headers.`,
  },
  searchReceivesSummaries: {
    action: 'receive',
    channel: 'memorySummaries',
    service: 'search',
    status: 'built',
    summary:
      'Search embeds and indexes the highest version of each summary (the summary version is ' +
      "the document's external version, so an older one never replaces a newer one), and " +
      'removes the conversation on a tombstone.',
    group: 'search-indexer',
  },
  searchSendsDeadLetters: {
    action: 'send',
    channel: 'memorySummariesDlq',
    service: 'search',
    status: 'built',
    summary:
      'Search moves summary records it cannot parse, validate or attribute to a conversation ' +
      'to their dead-letter topic.',
  },
  compressorSendsLifecycleEvents: {
    action: 'send',
    channel: 'memoryLifecycle',
    service: 'compressor',
    status: 'built',
    summary:
      'The compressor records each tier change (from an outbox in Postgres, after the summary ' +
      'version it made is on memory.summaries.v1).',
  },
  retentionSendsLifecycleEvents: {
    action: 'send',
    channel: 'memoryLifecycle',
    service: 'retention',
    status: 'built',
    summary:
      'Retention records `archived` and `restored` in an outbox in Postgres, in the ' +
      'transaction that makes them true (the messages removed from Postgres once their ' +
      'archive is verified, or put back from it), and sends them after that commit, oldest ' +
      'first; a crash in between sends them again, never loses them. After an erasure it sends ' +
      '`erased`, an audit record with ids and counts, never content; an erasure interrupted ' +
      'after its commit is finished, event included, by the next pass. Events still in the ' +
      'outbox when their conversation is erased are dropped: `erased` stands for them.',
  },
};

const INFO_DESCRIPTION = `Every Kafka topic of the conversation memory product: who publishes and who consumes it, the record keys, headers and values.

- **Keys.** Every record is keyed \`tenantId:conversationId\` (UTF-8), so a conversation stays on one partition and in order. The services partition with the Java client's default partitioner (murmur2 of the key); other producers should use the same one (librdkafka: \`partitioner=murmur2_random\`). Identifiers may contain \`:\`, so read them from the value, not by splitting the key (a tombstone, which has no value, names them in headers).
- **Values** are UTF-8 JSON objects with a \`schema\` field naming their contract and version. A breaking change gets a new contract and topic version (\`.v2\`).
- **Headers.** \`traceparent\` and \`tracestate\` (W3C Trace Context) are optional on every record and carried from a chat message to the records derived from it.
- **Delivery** is at least once: consumers are idempotent (by message id, \`seq\` or summary \`version\`).
- The JSON Schemas of \`chat.message.v1\`, \`memory.message.v1\` and \`memory.summary.v1\` are also in this folder, as draft 2020-12 documents, for validators in any language. Checks JSON Schema cannot express are stated in their descriptions.
- The values of \`memory.lifecycle.v1\` are described in this document only, as one schema per event \`type\`.
- Operations carry \`x-status\`: \`built\` today or \`planned\`.

${GENERATED_COMMENT}`;

const EXAMPLE_TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const EXAMPLE_CHAT_MESSAGE = {
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

const EXAMPLE_LIFECYCLE_BASE = {
  schema: MEMORY_LIFECYCLE_SCHEMA,
  tenantId: 'acme',
  conversationId: 'conv-42',
} as const;

const EXAMPLE_ARCHIVE = {
  archive: 'acme/2026/02/conv-42.json.gz',
  revision: 1,
  sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
} as const;

/** One example of each event type. */
const EXAMPLE_LIFECYCLE_EVENTS: LifecycleEvent[] = [
  {
    ...EXAMPLE_LIFECYCLE_BASE,
    type: 'tier_changed',
    occurredAt: '2026-05-01T03:00:00.412Z',
    fromTier: 'full',
    toTier: 'key_points',
    version: 7,
    ratio: 0.41,
    retention: 0.74,
  },
  {
    ...EXAMPLE_LIFECYCLE_BASE,
    ...EXAMPLE_ARCHIVE,
    type: 'archived',
    occurredAt: '2026-06-01T02:00:05.120Z',
    messageCount: 120,
    firstSeq: 1,
    lastSeq: 120,
    archivedMessages: 120,
    keptMessages: 0,
  },
  {
    ...EXAMPLE_LIFECYCLE_BASE,
    ...EXAMPLE_ARCHIVE,
    type: 'restored',
    occurredAt: '2026-06-10T09:30:00.250Z',
    restoredMessages: 120,
    firstSeq: 1,
    lastSeq: 120,
  },
  {
    ...EXAMPLE_LIFECYCLE_BASE,
    type: 'erased',
    occurredAt: '2026-07-01T12:00:00.000Z',
    erasureId: '3f1c2a9e-6b7d-4e2f-9a41-0c8d5e7b1a23',
    reason: 'request',
    subject: { kind: 'conversation', id: 'conv-42' },
    counts: {
      messages: 0,
      archivedMessages: 120,
      archives: 1,
      summaries: 1,
      summaryVersions: 14,
      compressions: 2,
    },
  },
];

/** Builds the whole document as a plain object, ready for YAML or JSON. */
export function asyncApiDocument(): AsyncApiDocument {
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Conversation memory',
      version: CONTRACTS_VERSION,
      description: INFO_DESCRIPTION,
      tags: Object.entries(SERVICES).map(([name, description]) => ({ name, description })),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        protocolVersion: '3.9',
        description:
          'The local stack (`npm run stack:up`). Elsewhere the brokers come from ' +
          '`KAFKA_BROKERS`, with `KAFKA_SSL` and `KAFKA_SASL_*` as needed.',
      },
    },
    channels: channels(),
    operations: operations(),
    components: {
      schemas: schemas(),
      messages: messages(),
    },
  };
}

function channels(): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [id, doc] of Object.entries(CHANNELS) as [ChannelId, ChannelDoc][]) {
    const definition = TOPIC_DEFINITIONS.find((topic) => topic.name === TOPICS[id]);
    if (!definition) throw new Error(`topic ${TOPICS[id]} is not in TOPIC_DEFINITIONS`);
    result[id] = {
      address: definition.name,
      title: doc.title,
      description:
        `${doc.description} Created by the services when missing, with ` +
        '`KAFKA_TOPIC_PARTITIONS` partitions (default 3) and `KAFKA_REPLICATION_FACTOR` ' +
        'replicas (default 1).',
      messages: Object.fromEntries(
        doc.messages.map((name) => [name, { $ref: `#/components/messages/${name}` }]),
      ),
      bindings: {
        kafka: {
          topicConfiguration: definition.compacted
            ? { 'cleanup.policy': ['compact'] }
            : { 'cleanup.policy': ['delete'], 'retention.ms': definition.retentionMs },
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
  }
  return result;
}

function operations(): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [id, operation] of Object.entries(OPERATIONS)) {
    const channel = CHANNELS[operation.channel];
    result[id] = {
      action: operation.action,
      channel: { $ref: `#/channels/${operation.channel}` },
      summary: operation.summary,
      messages: channel.messages.map((name) => ({
        $ref: `#/channels/${operation.channel}/messages/${name}`,
      })),
      tags: [{ name: operation.service }],
      ...(operation.group
        ? {
            bindings: {
              kafka: {
                groupId: {
                  type: 'string',
                  description: `KAFKA_GROUP_PREFIX (default \`memory\`) followed by \`.${operation.group}\`.`,
                  default: `memory.${operation.group}`,
                },
                clientId: {
                  type: 'string',
                  description: 'KAFKA_CLIENT_ID (default `memory-<service>`).',
                  default: `memory-${operation.service}`,
                },
                bindingVersion: KAFKA_BINDING_VERSION,
              },
            },
          }
        : {}),
      'x-status': operation.status,
    };
  }
  return result;
}

function schemas(): Record<string, JsonSchema> {
  return {
    traceHeaders: traceHeadersSchema(),
    summaryHeaders: summaryHeadersSchema(),
    deadLetterHeaders: deadLetterHeadersSchema(),
    chatMessage: chatMessageJsonSchema('draft-07'),
    memoryMessage: memoryMessageJsonSchema('draft-07'),
    memorySummary: memorySummaryJsonSchema('draft-07'),
    lifecycleEvent: lifecycleEventJsonSchema('draft-07'),
  };
}

function messages(): Record<string, unknown> {
  const kafka = (key: JsonSchema) => ({ kafka: { key, bindingVersion: KAFKA_BINDING_VERSION } });
  // Inlined: the AsyncAPI 3.0 JSON Schema refuses a `$ref` as a Kafka key (it matches both
  // branches of its Reference-or-Schema `oneOf`).
  const conversationKey = conversationKeySchema();
  const traceHeaders = { $ref: '#/components/schemas/traceHeaders' };
  return {
    chatMessage: {
      name: CHAT_MESSAGE_SCHEMA,
      title: 'Chat message',
      summary: 'One chat message, as an upstream chat system produces it.',
      contentType: 'application/json',
      headers: traceHeaders,
      payload: { $ref: '#/components/schemas/chatMessage' },
      bindings: kafka(conversationKey),
      examples: [
        {
          name: 'user-message',
          headers: { traceparent: EXAMPLE_TRACEPARENT },
          payload: EXAMPLE_CHAT_MESSAGE,
        },
      ],
    },
    deadLetter: {
      name: 'chat.message.dead-letter',
      title: 'Dead-lettered chat message',
      summary: 'A chat.messages.v1 record that can never be stored, bytes intact.',
      description:
        'Key, value and headers are those of the original record, byte for byte; the `dlq.*` ' +
        `headers are added. Codes ${[...OVERSIZE_CODES].join(' and ')} mean "too big" rather ` +
        'than "wrong".',
      contentType: 'application/octet-stream',
      headers: { $ref: '#/components/schemas/deadLetterHeaders' },
      payload: {
        description:
          'The original record value, unchanged: possibly not UTF-8, not JSON or not a valid ' +
          'chat message; null when the original was a tombstone.',
      },
      bindings: kafka({
        type: ['string', 'null'],
        description:
          'The original record key, unchanged: missing or different from ' +
          '`tenantId:conversationId` when the code is KEY_MISMATCH.',
      }),
      examples: [
        {
          name: 'invalid-role',
          headers: {
            [DLQ_HEADERS.sourceTopic]: TOPICS.chatMessages,
            [DLQ_HEADERS.sourcePartition]: '2',
            [DLQ_HEADERS.sourceOffset]: '1045',
            [DLQ_HEADERS.errorCode]: 'INVALID_FIELDS',
            [DLQ_HEADERS.errorReason]:
              'role: Invalid option: expected one of "user"|"assistant"|"system"|"tool"',
            [DLQ_HEADERS.failedAt]: '2026-05-01T10:00:01.250Z',
            traceparent: EXAMPLE_TRACEPARENT,
          },
        },
      ],
    },
    memoryDeadLetter: {
      name: 'memory.message.dead-letter',
      title: 'Dead-lettered stored message',
      summary: 'A memory.messages.v1 record the summarizer cannot parse or validate, bytes intact.',
      description:
        'Key, value and headers are those of the original record, byte for byte; the `dlq.*` ' +
        `headers are added. The codes are ${Object.keys(MEMORY_DLQ_CODE_MEANINGS).join(' and ')}.`,
      contentType: 'application/octet-stream',
      headers: { $ref: '#/components/schemas/deadLetterHeaders' },
      payload: {
        description:
          'The original record value, unchanged: possibly empty, null, not UTF-8 JSON or not a ' +
          'valid memory message.',
      },
      bindings: kafka({
        type: ['string', 'null'],
        description: 'The original record key, unchanged.',
      }),
      examples: [
        {
          name: 'invalid-seq',
          headers: {
            [DLQ_HEADERS.sourceTopic]: TOPICS.memoryMessages,
            [DLQ_HEADERS.sourcePartition]: '1',
            [DLQ_HEADERS.sourceOffset]: '88',
            [DLQ_HEADERS.errorCode]: 'INVALID_FIELDS',
            [DLQ_HEADERS.errorReason]: 'seq: Invalid input: expected number, received string',
            [DLQ_HEADERS.failedAt]: '2026-05-01T10:00:01.500Z',
            traceparent: EXAMPLE_TRACEPARENT,
          },
        },
      ],
    },
    memoryMessage: {
      name: MEMORY_MESSAGE_SCHEMA,
      title: 'Stored message',
      summary: 'A message ingest has stored, with its per-conversation seq.',
      contentType: 'application/json',
      headers: traceHeaders,
      payload: { $ref: '#/components/schemas/memoryMessage' },
      bindings: kafka(conversationKey),
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
    },
    memorySummary: {
      name: MEMORY_SUMMARY_SCHEMA,
      title: 'Conversation summary',
      summary: 'The current summary of a conversation, at its tier.',
      description:
        "A tombstone (null value) removes the conversation's summary; it carries the " +
        `conversation's ids in the \`${TOMBSTONE_HEADERS.tenantId}\` and ` +
        `\`${TOMBSTONE_HEADERS.conversationId}\` headers.`,
      contentType: 'application/json',
      headers: { $ref: '#/components/schemas/summaryHeaders' },
      payload: { $ref: '#/components/schemas/memorySummary' },
      bindings: kafka(conversationKey),
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
    },
    summaryDeadLetter: {
      name: 'memory.summary.dead-letter',
      title: 'Dead-lettered summary',
      summary:
        'A memory.summaries.v1 record the search indexer cannot parse, validate or attribute, ' +
        'bytes intact.',
      description:
        'Key, value and headers are those of the original record, byte for byte; the `dlq.*` ' +
        `headers are added. The codes are ${Object.keys(SUMMARY_DLQ_CODE_MEANINGS).join(', ')}.`,
      contentType: 'application/octet-stream',
      headers: { $ref: '#/components/schemas/deadLetterHeaders' },
      payload: {
        description:
          'The original record value, unchanged: possibly empty, not UTF-8 JSON or not a valid ' +
          'summary; null for a tombstone that names no conversation.',
      },
      bindings: kafka({
        type: ['string', 'null'],
        description: 'The original record key, unchanged.',
      }),
      examples: [
        {
          name: 'invalid-tier',
          headers: {
            [DLQ_HEADERS.sourceTopic]: TOPICS.memorySummaries,
            [DLQ_HEADERS.sourcePartition]: '0',
            [DLQ_HEADERS.sourceOffset]: '311',
            [DLQ_HEADERS.errorCode]: 'INVALID_FIELDS',
            [DLQ_HEADERS.errorReason]:
              'tier: Invalid option: expected one of "full"|"key_points"|"brief"|"metadata"',
            [DLQ_HEADERS.failedAt]: '2026-05-01T10:00:02.100Z',
          },
        },
      ],
    },
    lifecycleEvent: {
      name: MEMORY_LIFECYCLE_SCHEMA,
      title: 'Conversation lifecycle event',
      summary: 'A conversation changed tier, was archived, restored or erased.',
      description:
        'One of four event types, told apart by `type`: `tier_changed` (sent by the ' +
        'compressor), `archived`, `restored` and `erased` (sent by retention). Ids and counts ' +
        'only, never content.',
      contentType: 'application/json',
      headers: traceHeaders,
      payload: { $ref: '#/components/schemas/lifecycleEvent' },
      bindings: kafka(conversationKey),
      examples: EXAMPLE_LIFECYCLE_EVENTS.map((payload) => ({ name: payload.type, payload })),
    },
  };
}

/** `tenantId:conversationId`, built from the identifier patterns of chat.message.v1. */
function conversationKeySchema(): JsonSchema {
  const properties = chatMessageJsonSchema('draft-07').properties;
  const anchored = (field: string): string => {
    const schema = properties?.[field];
    const pattern = typeof schema === 'object' ? schema.pattern : undefined;
    if (!pattern?.startsWith('^') || !pattern.endsWith('$'))
      throw new Error(`chat.message.v1 ${field} has no anchored pattern to build the key from`);
    return pattern.slice(1, -1);
  };
  return {
    type: 'string',
    description:
      'Record key: `tenantId:conversationId` of the value, UTF-8. Ingest refuses a ' +
      'chat.messages.v1 record whose key differs (KEY_MISMATCH). A tenant id never contains ' +
      '`:`, so the key is unambiguous: everything before the first `:` is the tenant, the rest ' +
      '(which may contain `:`) the conversation.',
    pattern: `^${anchored('tenantId')}:${anchored('conversationId')}$`,
    maxLength: 2 * ID_MAX_LENGTH + 1,
    examples: ['acme:conv-42'],
  };
}

function traceHeadersSchema(): JsonSchema {
  return {
    type: 'object',
    description:
      'Kafka headers, UTF-8 strings. Both are optional; other headers of a chat message are ' +
      'ignored and not carried further.',
    properties: {
      traceparent: {
        type: 'string',
        description:
          'W3C Trace Context `traceparent` of the span that produced the record; copied from a ' +
          'chat message to the records derived from it.',
        examples: [EXAMPLE_TRACEPARENT],
      },
      tracestate: {
        type: 'string',
        description: 'W3C Trace Context `tracestate`, copied along with `traceparent`.',
      },
    },
  };
}

function summaryHeadersSchema(): JsonSchema {
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

function deadLetterHeadersSchema(): JsonSchema {
  const codes = CHAT_MESSAGE_ERROR_CODES.map((code) => `\`${code}\`: ${ERROR_CODE_MEANINGS[code]}`);
  const memoryCodes = Object.entries(MEMORY_DLQ_CODE_MEANINGS).map(
    ([code, meaning]) => `\`${code}\`: ${meaning}`,
  );
  const summaryCodes = Object.entries(SUMMARY_DLQ_CODE_MEANINGS).map(
    ([code, meaning]) => `\`${code}\`: ${meaning}`,
  );
  const handlerCodes = Object.entries(HANDLER_FAILURE_MEANINGS).map(
    ([code, meaning]) => `\`${code}\`: ${meaning}`,
  );
  return {
    type: 'object',
    description:
      'Kafka headers, UTF-8 strings: the original record headers (all of them, e.g. ' +
      '`traceparent`) plus the `dlq.*` headers.',
    required: Object.values(DLQ_HEADERS).filter((name) => name !== DLQ_HEADERS.note),
    properties: {
      [DLQ_HEADERS.sourceTopic]: {
        type: 'string',
        description: 'Topic the record was read from.',
        examples: [TOPICS.chatMessages, TOPICS.memoryMessages, TOPICS.memorySummaries],
      },
      [DLQ_HEADERS.sourcePartition]: {
        type: 'string',
        pattern: '^[0-9]+$',
        description: 'Partition the record was read from, in decimal.',
      },
      [DLQ_HEADERS.sourceOffset]: {
        type: 'string',
        pattern: '^[0-9]+$',
        description: 'Offset of the record in that partition, in decimal.',
      },
      [DLQ_HEADERS.errorCode]: {
        type: 'string',
        enum: [
          ...new Set<string>([
            ...CHAT_MESSAGE_ERROR_CODES,
            ...Object.keys(HANDLER_FAILURE_MEANINGS),
          ]),
        ],
        description:
          `Why the record was refused. On chat.messages.dlq.v1 (ingest): ${codes.join('; ')}. ` +
          `On memory.messages.dlq.v1 (summarizer): ${memoryCodes.join('; ')}. ` +
          `On memory.summaries.dlq.v1 (search): ${summaryCodes.join('; ')}. ` +
          `On any of the three, a record the consumer isolated after its handler failed because of it (the batch split until the record was found): ${handlerCodes.join('; ')}.`,
      },
      [DLQ_HEADERS.errorReason]: {
        type: 'string',
        description: 'Human-readable detail, e.g. the failing fields; not a stable format.',
      },
      [DLQ_HEADERS.failedAt]: {
        type: 'string',
        format: 'date-time',
        description: 'When the record was dead-lettered (RFC 3339, UTC).',
      },
      [DLQ_HEADERS.note]: {
        type: 'string',
        description:
          "Only on a letter cut to fit the broker's size limit (about 1 MB): what was dropped, e.g. an original header and its size, or the tail of the value with the full length and SHA-256.",
      },
      traceparent: { type: 'string', description: 'Kept from the original record, if it had one.' },
      tracestate: { type: 'string', description: 'Kept from the original record, if it had one.' },
    },
  };
}

const LIFECYCLE_COMMON_FIELDS = {
  schema: `Name and version of this contract: always \`${MEMORY_LIFECYCLE_SCHEMA}\`.`,
  tenantId: 'Tenant the conversation belongs to.',
  conversationId: 'The conversation the event is about.',
  occurredAt:
    'When it happened: an RFC 3339 date-time with seconds and a `Z` or numeric offset; the ' +
    'services write UTC.',
} as const;

const ARCHIVE_FIELDS = {
  archive:
    'Path of the archive file under the archive root (`RETENTION_ARCHIVE_ROOT`): ' +
    '`<tenant>/<yyyy>/<mm>/<conversation>.json.gz`, gzip JSON, with the month (UTC) of the ' +
    "conversation's first message.",
  revision:
    'Revision of the archive: 1 for the first archive of the conversation, one more each time ' +
    'it is rewritten with more messages.',
  sha256: "sha256 of the archive file's bytes, 64 lower-case hex digits.",
} as const;

/** What the generator adds to each event type of `lifecycleEventSchema`, by `type`. */
const LIFECYCLE_CONTRACTS: Record<LifecycleEvent['type'], ContractSpec> = {
  tier_changed: {
    name: `${MEMORY_LIFECYCLE_SCHEMA} tier_changed`,
    schema: tierChangedEventSchema,
    title: 'tier_changed',
    description:
      'The compressor moved the conversation to a colder tier and published the summary ' +
      '`version` it made on memory.summaries.v1; sent from an outbox in Postgres after that.',
    fields: {
      ...LIFECYCLE_COMMON_FIELDS,
      type: 'What happened: always `tier_changed`.',
      fromTier: 'Tier of the summary before the change.',
      toTier: 'Tier of the summary after the change, colder than `fromTier`.',
      version: 'The summary version the compression made (`version` of memory.summary.v1).',
      ratio: 'Rendered length of the compressed summary / of the full one.',
      retention:
        "Share of the full summary's content terms the compressed one keeps (0..1); not " +
        'related to the retention service.',
    },
    refinements: {},
  },
  archived: {
    name: `${MEMORY_LIFECYCLE_SCHEMA} archived`,
    schema: archivedEventSchema,
    title: 'archived',
    description:
      "Retention wrote the conversation's raw messages to its archive, verified on disk, and " +
      'removed `archivedMessages` of them from Postgres in the same step; sent from an outbox ' +
      'in Postgres after the commit that removed them.',
    fields: {
      ...LIFECYCLE_COMMON_FIELDS,
      type: 'What happened: always `archived`.',
      ...ARCHIVE_FIELDS,
      messageCount: 'Messages in the archive, all revisions together.',
      firstSeq: 'Lowest `seq` (of memory.message.v1) in the archive.',
      lastSeq: 'Highest `seq` in the archive.',
      archivedMessages: 'Messages this step removed from Postgres (now only in the archive).',
      keptMessages:
        "The newest messages the tenant's retention policy kept in Postgres (`keepLastMessages`).",
    },
    refinements: {},
  },
  restored: {
    name: `${MEMORY_LIFECYCLE_SCHEMA} restored`,
    schema: restoredEventSchema,
    title: 'restored',
    description:
      "Retention put the archive's messages back into Postgres, verified them, and summarized " +
      'the conversation again (a new full summary on memory.summaries.v1); sent from an outbox ' +
      'in Postgres after the commit that put them back.',
    fields: {
      ...LIFECYCLE_COMMON_FIELDS,
      type: 'What happened: always `restored`.',
      ...ARCHIVE_FIELDS,
      restoredMessages: 'Messages put back into Postgres (those already there are not counted).',
      firstSeq: 'Lowest `seq` (of memory.message.v1) in the archive.',
      lastSeq: 'Highest `seq` in the archive.',
    },
    refinements: {},
  },
  erased: {
    name: `${MEMORY_LIFECYCLE_SCHEMA} erased`,
    schema: erasedEventSchema,
    title: 'erased',
    description:
      'An audit record: retention removed the conversation from Postgres, the archive root and ' +
      'the search index, and put a tombstone on memory.summaries.v1. Sent after the tombstone; ' +
      'ids and counts only, never content.',
    fields: {
      ...LIFECYCLE_COMMON_FIELDS,
      type: 'What happened: always `erased`.',
      erasureId:
        'Identifier of the erasure of this conversation (a UUID); an erase request answers ' +
        'with it.',
      reason:
        '`request`: an operator asked (by conversation or by user, over the API or the CLI); ' +
        "`policy`: the conversation passed its tenant's maximum age (`eraseAfterDays`).",
      subject:
        'Whose erasure it was: `kind` `conversation` with `id` the conversation erased, or ' +
        '`kind` `user` with `idSha256` the lowercase hex sha256 of `user:<userId>` (UTF-8), ' +
        'the user whose conversations were all erased (one event per conversation). The plain ' +
        'user id is never sent: this topic is kept forever. Since 1.4.0; before, a user was ' +
        'named by `id`.',
      counts:
        'What the erasure removed, counted: `messages` raw messages in Postgres, ' +
        '`archivedMessages` messages that were only in the archive, `archives` archive files, ' +
        '`summaries` current summaries, `summaryVersions` stored versions of the summary, ' +
        '`compressions` recorded tier changes; all non-negative integers.',
    },
    refinements: {},
  },
};

/**
 * The `memory.lifecycle.v1` value: `lifecycleEventSchema` (a union told apart by `type`) as
 * one JSON Schema per event type, each generated from its zod schema like the other contracts,
 * under `oneOf`.
 */
export function lifecycleEventJsonSchema(dialect: JsonSchemaDialect): JsonSchema {
  const types = lifecycleEventSchema.options.map((option) => option.shape.type.value);
  const documented = Object.keys(LIFECYCLE_CONTRACTS);
  if (types.length !== documented.length || !types.every((type) => documented.includes(type))) {
    throw new Error(
      `${MEMORY_LIFECYCLE_SCHEMA}: the event types of lifecycleEventSchema (${types.join(', ')}) ` +
        `differ from those described in asyncapi.ts (${documented.join(', ')})`,
    );
  }
  return {
    title: MEMORY_LIFECYCLE_SCHEMA,
    description:
      `The value of a \`${MEMORY_LIFECYCLE_SCHEMA}\` record, a UTF-8 JSON object: one of ` +
      `${types.length} event types told apart by \`type\`. The record key is ` +
      '`tenantId:conversationId`. Published at least once: a consumer may see an event twice.',
    oneOf: types.map((type) => contractJsonSchema(LIFECYCLE_CONTRACTS[type], dialect)),
  };
}
