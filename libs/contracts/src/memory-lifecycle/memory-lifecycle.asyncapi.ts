import {
  AsyncApiChannelText,
  AsyncApiMessage,
  conversationKeySchema,
  kafkaBindings,
  schemaRef,
} from '../documents/asyncapi-blocks';
import {
  contractJsonSchema,
  ContractSpec,
  JsonSchema,
  JsonSchemaDialect,
} from '../documents/json-schemas';
import {
  archivedEventSchema,
  erasedEventSchema,
  LifecycleEvent,
  lifecycleEventSchema,
  MEMORY_LIFECYCLE_SCHEMA,
  restoredEventSchema,
  importanceChangedEventSchema,
  tierChangedEventSchema,
} from './memory-lifecycle.schema';

export const MEMORY_LIFECYCLE_CHANNEL: AsyncApiChannelText = {
  title: 'Conversation lifecycle',
  description:
    'What happened to a conversation as a whole: the compressor records tier changes, ' +
    'retention records archiving, restoring and erasing. Every event is sent after the ' +
    'change it records is committed in Postgres, at least once, keyed ' +
    '`tenantId:conversationId` so the events of a conversation stay in order. Ids and ' +
    'counts only, never message or summary content. Kept forever, as an audit trail. No ' +
    'service of the product consumes it yet.',
};

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
  importance_changed: {
    name: `${MEMORY_LIFECYCLE_SCHEMA} importance_changed`,
    schema: importanceChangedEventSchema,
    title: 'importance_changed',
    description:
      "Since 1.6.0. Retention recomputed the conversation's importance and it changed (or was " +
      'computed for the first time); sent from an outbox in Postgres after the commit that ' +
      'stored it. Search keeps it on the summary document. Readers of an older version skip ' +
      'records of a type they do not know.',
    fields: {
      ...LIFECYCLE_COMMON_FIELDS,
      type: 'What happened: always `importance_changed`.',
      importance:
        'The new score, 0..1: pins, length, speaker changes, decisions, action items, ' +
        'entities and recent reads (see docs/architecture.md).',
      previous: 'The score before, 0..1; null when it had never been computed.',
      pinned: 'Whether the conversation is pinned.',
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
        `differ from those described in memory-lifecycle.asyncapi.ts (${documented.join(', ')})`,
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
  {
    ...EXAMPLE_LIFECYCLE_BASE,
    type: 'importance_changed',
    occurredAt: '2026-05-02T03:00:01.800Z',
    importance: 0.82,
    previous: 0.35,
    pinned: true,
  },
];

export function lifecycleEventAsyncApi(): AsyncApiMessage {
  return {
    name: MEMORY_LIFECYCLE_SCHEMA,
    title: 'Conversation lifecycle event',
    summary:
      'A conversation changed tier, was archived, restored or erased, or its importance changed.',
    description:
      'One of five event types, told apart by `type`: `tier_changed` (sent by the ' +
      'compressor), `archived`, `restored`, `erased` and `importance_changed` (sent by ' +
      'retention). Ids, counts and scores only, never content.',
    contentType: 'application/json',
    headers: schemaRef('traceHeaders'),
    payload: schemaRef('lifecycleEvent'),
    bindings: kafkaBindings(conversationKeySchema()),
    examples: EXAMPLE_LIFECYCLE_EVENTS.map((payload) => ({ name: payload.type, payload })),
  };
}
