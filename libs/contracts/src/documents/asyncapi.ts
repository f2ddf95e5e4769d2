import {
  CHAT_MESSAGE_ERROR_MEANINGS,
  CHAT_MESSAGES_CHANNEL,
  chatMessageAsyncApi,
  chatMessageDeadLetters,
} from '../chat-message/chat-message.asyncapi';
import { deadLetterHeadersSchema } from '../dead-letter/dead-letter.asyncapi';
import {
  lifecycleEventAsyncApi,
  lifecycleEventJsonSchema,
  MEMORY_LIFECYCLE_CHANNEL,
} from '../memory-lifecycle/memory-lifecycle.asyncapi';
import {
  MEMORY_DLQ_CODE_MEANINGS,
  MEMORY_MESSAGES_CHANNEL,
  memoryMessageAsyncApi,
  memoryMessageDeadLetters,
} from '../memory-message/memory-message.asyncapi';
import {
  MEMORY_SUMMARIES_CHANNEL,
  memorySummaryAsyncApi,
  summaryDeadLetters,
  summaryHeadersSchema,
  SUMMARY_DLQ_CODE_MEANINGS,
} from '../memory-summary/memory-summary.asyncapi';
import { CONSUMER_GROUPS, TOMBSTONE_HEADERS, TOPIC_DEFINITIONS, TOPICS } from '../topics.constants';
import {
  AsyncApiChannelText,
  AsyncApiMessage,
  KAFKA_BINDING_VERSION,
  traceHeadersSchema,
} from './asyncapi-blocks';
import {
  chatMessageJsonSchema,
  GENERATED_COMMENT,
  JsonSchema,
  memoryMessageJsonSchema,
  memorySummaryJsonSchema,
} from './json-schemas';

/**
 * The AsyncAPI 3.0 document of the product: every topic of `TOPIC_DEFINITIONS`, who publishes
 * and who consumes it, keys, headers and values. Every value is generated from the zod schema
 * the services validate it with; each contract's messages are described beside its schema
 * (`<contract>.asyncapi.ts`), and this file assembles them.
 */

export { KAFKA_BINDING_VERSION } from './asyncapi-blocks';
export { lifecycleEventJsonSchema } from '../memory-lifecycle/memory-lifecycle.asyncapi';

export type AsyncApiDocument = Record<string, unknown>;

/** Version of this document; bump it when a contract in it changes. */
export const CONTRACTS_VERSION = '1.7.0';

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
  search:
    'Indexes summaries, and passages (windows of four raw messages), for semantic, keyword and ' +
    'hybrid search per tenant.',
  cli: 'The operator command line (`npm run memory -- <command>`), e.g. `dlq replay` and `dlq submit`.',
};

/** The messages of each channel, by their name in `components.messages`. */
const CHANNEL_MESSAGES: Record<ChannelId, string[]> = {
  chatMessages: ['chatMessage'],
  chatMessagesDlq: ['deadLetter'],
  memoryMessages: ['memoryMessage'],
  memoryMessagesDlq: ['memoryDeadLetter'],
  memorySummaries: ['memorySummary'],
  memorySummariesDlq: ['summaryDeadLetter'],
  memoryLifecycle: ['lifecycleEvent'],
};

function channelTexts(): Record<ChannelId, AsyncApiChannelText> {
  return {
    chatMessages: CHAT_MESSAGES_CHANNEL,
    chatMessagesDlq: chatMessageDeadLetters().channel,
    memoryMessages: MEMORY_MESSAGES_CHANNEL,
    memoryMessagesDlq: memoryMessageDeadLetters().channel,
    memorySummaries: MEMORY_SUMMARIES_CHANNEL,
    memorySummariesDlq: summaryDeadLetters().channel,
    memoryLifecycle: MEMORY_LIFECYCLE_CHANNEL,
  };
}

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
    group: CONSUMER_GROUPS.ingest.group,
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
    group: CONSUMER_GROUPS.summarizer.group,
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
      'Search indexes the highest version of each summary (its vector follows; the summary version is ' +
      "the document's external version, so an older one never replaces a newer one), and " +
      'removes the conversation on a tombstone.',
    group: CONSUMER_GROUPS.searchIndexer.group,
  },
  searchReceivesMemoryMessages: {
    action: 'receive',
    channel: 'memoryMessages',
    service: 'search',
    status: 'built',
    summary:
      'Search rewrites the passages (windows of four messages, one every two) that hold the ' +
      'new messages, from what Postgres holds; vectors are added afterwards. Records it cannot ' +
      'read are skipped (the summarizer dead-letters them).',
    group: CONSUMER_GROUPS.searchPassages.group,
  },
  searchSendsMessageDeadLetters: {
    action: 'send',
    channel: 'memoryMessagesDlq',
    service: 'search',
    status: 'built',
    summary:
      'Search moves stored-message records whose passages the index refuses (INDEX_REJECTED) ' +
      'to their dead-letter topic.',
  },
  searchReceivesLifecycleEvents: {
    action: 'receive',
    channel: 'memoryLifecycle',
    service: 'search',
    status: 'built',
    summary:
      'Search rebuilds the passages of a conversation from what Postgres holds after ' +
      '`archived`, `restored` and `erased`; it ignores `tier_changed`.',
    group: CONSUMER_GROUPS.searchLifecycle.group,
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
  retentionReceivesSummariesForWebhooks: {
    action: 'receive',
    channel: 'memorySummaries',
    service: 'retention',
    status: 'built',
    summary:
      'Retention turns each summary version of a tenant with webhooks into `summary.updated` ' +
      "deliveries (once per webhook and record); a tombstone deletes the conversation's " +
      'deliveries. A new group starts at the end of the topic.',
    group: CONSUMER_GROUPS.webhookSummaries.group,
  },
  retentionReceivesLifecycleForWebhooks: {
    action: 'receive',
    channel: 'memoryLifecycle',
    service: 'retention',
    status: 'built',
    summary:
      'Retention turns `tier_changed`, `archived`, `restored` and `erased` of a tenant with ' +
      'webhooks into deliveries (`tier.changed`, `conversation.archived`, ...); it ignores ' +
      '`importance_changed`.',
    group: CONSUMER_GROUPS.webhookLifecycle.group,
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
      'Retention records `archived`, `restored` and `importance_changed` in an outbox in ' +
      'Postgres, in the transaction that makes them true (the messages removed from Postgres ' +
      'once their archive is verified, or put back from it; the score stored), and sends them ' +
      'after that commit, oldest ' +
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
  const texts = channelTexts();
  for (const id of Object.keys(texts) as ChannelId[]) {
    const text = texts[id];
    const definition = TOPIC_DEFINITIONS.find((topic) => topic.name === TOPICS[id]);
    if (!definition) throw new Error(`topic ${TOPICS[id]} is not in TOPIC_DEFINITIONS`);
    result[id] = {
      address: definition.name,
      title: text.title,
      description:
        `${text.description} Created by the services when missing, with ` +
        '`KAFKA_TOPIC_PARTITIONS` partitions (default 3) and `KAFKA_REPLICATION_FACTOR` ' +
        'replicas (default 1).',
      messages: Object.fromEntries(
        CHANNEL_MESSAGES[id].map((name) => [name, { $ref: `#/components/messages/${name}` }]),
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
    result[id] = {
      action: operation.action,
      channel: { $ref: `#/channels/${operation.channel}` },
      summary: operation.summary,
      messages: CHANNEL_MESSAGES[operation.channel].map((name) => ({
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
    deadLetterHeaders: deadLetterHeadersSchema(
      {
        ingest: CHAT_MESSAGE_ERROR_MEANINGS,
        summarizer: MEMORY_DLQ_CODE_MEANINGS,
        search: SUMMARY_DLQ_CODE_MEANINGS,
      },
      [TOPICS.chatMessages, TOPICS.memoryMessages, TOPICS.memorySummaries],
    ),
    chatMessage: chatMessageJsonSchema('draft-07'),
    memoryMessage: memoryMessageJsonSchema('draft-07'),
    memorySummary: memorySummaryJsonSchema('draft-07'),
    lifecycleEvent: lifecycleEventJsonSchema('draft-07'),
  };
}

function messages(): Record<string, AsyncApiMessage> {
  return {
    chatMessage: chatMessageAsyncApi(),
    deadLetter: chatMessageDeadLetters().message,
    memoryDeadLetter: memoryMessageDeadLetters().message,
    memoryMessage: memoryMessageAsyncApi(),
    memorySummary: memorySummaryAsyncApi(),
    summaryDeadLetter: summaryDeadLetters().message,
    lifecycleEvent: lifecycleEventAsyncApi(),
  };
}
