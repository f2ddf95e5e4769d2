import Ajv, { ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import {
  CHAT_MESSAGE_SCHEMA,
  chatMessageSchema,
  CONTENT_MAX_BYTES,
  ID_MAX_LENGTH,
  MAX_FUTURE_SKEW_MS,
  METADATA_MAX_BYTES,
} from '../chat-message/chat-message.schema';
import {
  CHAT_MESSAGE_ERROR_CODES,
  validateChatMessage,
} from '../chat-message/chat-message.validator';
import {
  LifecycleEvent,
  lifecycleEventSchema,
  MEMORY_LIFECYCLE_SCHEMA,
} from '../memory-lifecycle/memory-lifecycle.schema';
import {
  MEMORY_MESSAGE_SCHEMA,
  memoryMessageSchema,
} from '../memory-message/memory-message.schema';
import {
  emptySections,
  MEMORY_SUMMARY_SCHEMA,
  MemorySummary,
  memorySummarySchema,
  renderSummaryText,
  zeroCost,
} from '../memory-summary/memory-summary.schema';
import { conversationKey, TOPIC_DEFINITIONS, TOPICS } from '../topics.constants';
import { asyncApiDocument, lifecycleEventJsonSchema } from './asyncapi';
import {
  CONTRACTS_DOCS_DIR,
  contractDocuments,
  REGENERATE_COMMAND,
  repositoryRoot,
} from './contract-documents';
import {
  CHAT_MESSAGE_CONTRACT,
  chatMessageJsonSchema,
  contractJsonSchema,
  JsonSchema,
  memoryMessageJsonSchema,
  memorySummaryJsonSchema,
} from './json-schemas';

const validChat = {
  schema: 'chat.message.v1',
  messageId: 'msg-1',
  tenantId: 'acme',
  conversationId: 'conv:42',
  userId: 'user@example.com',
  role: 'user',
  content: 'Héllo — let us meet on 12 May.',
  createdAt: '2026-05-01T10:00:00Z',
};

const validMemory = {
  ...validChat,
  schema: 'memory.message.v1',
  createdAt: '2026-05-01T10:00:00.000Z',
  seq: 1,
  ingestedAt: '2026-05-01T10:00:00.120Z',
};

const validSummary: MemorySummary = {
  schema: 'memory.summary.v1',
  tenantId: 'acme',
  conversationId: 'conv:42',
  userId: 'user@example.com',
  version: 1,
  throughSeq: 2,
  tier: 'full',
  text: 'Meeting on 12 May.\nDates: 12 May',
  sections: { ...emptySections(), context: 'Meeting on 12 May.', dates: ['12 May'] },
  stats: {
    messageCount: 2,
    firstMessageAt: '2026-05-01T10:00:00.000Z',
    lastMessageAt: '2026-05-01T10:00:05+02:00',
    backend: 'local',
    llmPending: true,
    fromSeq: 1,
    cost: { ...zeroCost(), inputChars: 60, outputChars: 30, durationMs: 1.5 },
    totalCost: { ...zeroCost(), inputChars: 60, outputChars: 30, durationMs: 1.5 },
    updatedAt: '2026-05-01T10:00:06.000Z',
  },
};

function without<T extends object>(value: T, field: keyof T): Partial<T> {
  const copy = { ...value };
  delete copy[field];
  return copy;
}

function draft2020(schema: JsonSchema): ValidateFunction {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

function draft07(schema: JsonSchema): ValidateFunction {
  const ajv = new Ajv({ strict: true, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}

describe(`${CONTRACTS_DOCS_DIR}/`, () => {
  const dir = join(repositoryRoot(__dirname), CONTRACTS_DOCS_DIR);

  it.each(contractDocuments().map((document) => [document.file, document]))(
    '%s is up to date with libs/contracts',
    (file, document) => {
      const path = join(dir, file);
      const outdated = (detail: string): Error =>
        new Error(
          `${CONTRACTS_DOCS_DIR}/${file} is out of date with libs/contracts. Regenerate the ` +
            `documents with:\n\n  ${REGENERATE_COMMAND}\n\n${detail}`,
        );
      if (!existsSync(path)) throw outdated('The file does not exist.');
      const text = readFileSync(path, 'utf8');
      const written: unknown = document.format === 'json' ? JSON.parse(text) : parse(text);
      try {
        expect(written).toEqual(JSON.parse(JSON.stringify(document.content)));
      } catch (error) {
        throw outdated((error as Error).message);
      }
    },
  );
});

describe('chat.message.v1 JSON Schema', () => {
  const standalone = draft2020(chatMessageJsonSchema());
  const inAsyncApi = draft07(chatMessageJsonSchema('draft-07'));
  const DAY_MS = 24 * 60 * 60 * 1000;

  const samples: [string, unknown, boolean][] = [
    ['a valid message', validChat, true],
    [
      'a valid message with metadata and a numeric offset',
      { ...validChat, createdAt: '2026-05-01T12:00:00.250+02:00', metadata: { channel: 'web' } },
      true,
    ],
    ['an id of the maximum length', { ...validChat, messageId: 'm'.repeat(ID_MAX_LENGTH) }, true],
    [
      'content of exactly the byte limit',
      { ...validChat, content: 'a'.repeat(CONTENT_MAX_BYTES) },
      true,
    ],
    ['a wrong role', { ...validChat, role: 'bot' }, false],
    ['an id with a space', { ...validChat, messageId: 'msg 1' }, false],
    ['an id too long', { ...validChat, conversationId: 'c'.repeat(ID_MAX_LENGTH + 1) }, false],
    ['an empty id', { ...validChat, userId: '' }, false],
    ['an id starting with a dot', { ...validChat, tenantId: '.acme' }, false],
    ['an id with a trailing newline', { ...validChat, tenantId: 'acme\n' }, false],
    ['an id with a non-ASCII letter', { ...validChat, userId: 'josé' }, false],
    ['a missing field', without(validChat, 'userId'), false],
    ['an extra field', { ...validChat, priority: 'high' }, false],
    ['a wrong schema literal', { ...validChat, schema: 'chat.message.v2' }, false],
    ['no schema field', without(validChat, 'schema'), false],
    ['a createdAt with a space for T', { ...validChat, createdAt: '2026-05-01 10:00:00Z' }, false],
    ['a createdAt without offset', { ...validChat, createdAt: '2026-05-01T10:00:00' }, false],
    ['a createdAt without seconds', { ...validChat, createdAt: '2026-05-01T10:00Z' }, false],
    ['a createdAt in lower case', { ...validChat, createdAt: '2026-05-01t10:00:00z' }, false],
    ['a createdAt on 30 February', { ...validChat, createdAt: '2026-02-30T10:00:00Z' }, false],
    ['a createdAt that is a number', { ...validChat, createdAt: 1777629600000 }, false],
    [
      'content longer than the limit in characters',
      { ...validChat, content: 'a'.repeat(CONTENT_MAX_BYTES + 1) },
      false,
    ],
    ['metadata that is an array', { ...validChat, metadata: ['web'] }, false],
    ['an array', [validChat], false],
    ['null', null, false],
  ];

  it.each(samples)('agrees with the validator on %s', (_name, sample, valid) => {
    const validator = validateChatMessage(sample);
    expect(validator.ok).toBe(valid);
    expect(standalone(sample)).toBe(valid);
    expect(inAsyncApi(sample)).toBe(valid);
  });

  it.each([
    [
      'content within the limit in characters but over it in UTF-8 bytes',
      { ...validChat, content: 'é'.repeat(CONTENT_MAX_BYTES) },
      'CONTENT_TOO_LARGE',
    ],
    [
      'a createdAt two days ahead',
      { ...validChat, createdAt: new Date(Date.now() + 2 * DAY_MS).toISOString() },
      'CREATED_AT_IN_FUTURE',
    ],
    [
      'metadata over its serialized byte limit',
      { ...validChat, metadata: { blob: 'x'.repeat(METADATA_MAX_BYTES) } },
      'METADATA_TOO_LARGE',
    ],
  ])('is looser than the validator, as documented, on %s', (_name, sample, code) => {
    expect(standalone(sample)).toBe(true);
    expect(validateChatMessage(sample)).toMatchObject({ ok: false, code });
    expect(MAX_FUTURE_SKEW_MS).toBeLessThan(2 * DAY_MS);
  });

  it('has the exact identifier pattern and length of the zod schema', () => {
    const properties = chatMessageJsonSchema().properties as Record<string, JsonSchema>;
    for (const field of ['messageId', 'tenantId', 'conversationId', 'userId'] as const) {
      const zodField = chatMessageSchema.shape[field];
      const regex = (zodField._zod.def.checks ?? [])
        .map((check) => check._zod.def as { format?: string; pattern?: RegExp })
        .find((def) => def.format === 'regex')?.pattern;
      expect(regex?.flags).toBe('');
      expect(properties[field]).toMatchObject({
        type: 'string',
        pattern: regex?.source,
        minLength: zodField.minLength,
        maxLength: ID_MAX_LENGTH,
      });
      expect(zodField.maxLength).toBe(ID_MAX_LENGTH);
    }
  });

  it('describes every field, and how each refinement was mapped', () => {
    const schema = chatMessageJsonSchema();
    const properties = schema.properties as Record<string, JsonSchema>;
    for (const property of Object.values(properties)) expect(property.description).toBeTruthy();
    expect(properties.content).toMatchObject({ maxLength: CONTENT_MAX_BYTES });
    for (const field of ['content', 'createdAt', 'metadata']) {
      expect(properties[field]?.$comment).toBeTruthy();
    }
  });

  it('refuses to generate a refinement it cannot document, or an undocumented field', () => {
    const refined = chatMessageSchema.extend({ note: z.string().refine((s) => s !== 'x') });
    expect(() =>
      contractJsonSchema({ ...CHAT_MESSAGE_CONTRACT, schema: refined }, 'draft-2020-12'),
    ).toThrow('field "note" has a refinement JSON Schema cannot express');
    const added = chatMessageSchema.extend({ note: z.string() });
    expect(() =>
      contractJsonSchema({ ...CHAT_MESSAGE_CONTRACT, schema: added }, 'draft-2020-12'),
    ).toThrow('field "note" has no description');
  });
});

describe('memory.message.v1 JSON Schema', () => {
  const standalone = draft2020(memoryMessageJsonSchema());
  const inAsyncApi = draft07(memoryMessageJsonSchema('draft-07'));

  it.each<[string, unknown, boolean]>([
    ['a valid message', validMemory, true],
    ['a valid message with metadata', { ...validMemory, metadata: { a: [1, 2] } }, true],
    ['seq 0', { ...validMemory, seq: 0 }, false],
    ['a fractional seq', { ...validMemory, seq: 1.5 }, false],
    ['a seq as a string', { ...validMemory, seq: '1' }, false],
    ['a missing ingestedAt', without(validMemory, 'ingestedAt'), false],
    ['an extra field', { ...validMemory, extra: 1 }, false],
    ['the chat schema literal', { ...validMemory, schema: 'chat.message.v1' }, false],
    ['a wrong role', { ...validMemory, role: 'bot' }, false],
  ])('agrees with the zod schema on %s', (_name, sample, valid) => {
    expect(memoryMessageSchema.safeParse(sample).success).toBe(valid);
    expect(standalone(sample)).toBe(valid);
    expect(inAsyncApi(sample)).toBe(valid);
  });
});

describe('memory.summary.v1 JSON Schema', () => {
  const standalone = draft2020(memorySummaryJsonSchema());
  const inAsyncApi = draft07(memorySummaryJsonSchema('draft-07'));
  const { stats, sections } = validSummary;

  it.each<[string, unknown, boolean]>([
    ['a valid summary', validSummary, true],
    [
      'a summary of no messages, by an LLM, with a mood',
      {
        ...validSummary,
        throughSeq: 0,
        sections: { ...sections, mood: 'calm' },
        stats: {
          ...stats,
          messageCount: 0,
          firstMessageAt: null,
          lastMessageAt: null,
          backend: 'openai',
          llmPending: false,
          fromSeq: 0,
          cost: { ...zeroCost(), inputTokens: 120, outputTokens: 40 },
        },
      },
      true,
    ],
    ['version 0', { ...validSummary, version: 0 }, false],
    ['a fractional throughSeq', { ...validSummary, throughSeq: 1.5 }, false],
    ['an unknown tier', { ...validSummary, tier: 'tiny' }, false],
    ['a missing text', without(validSummary, 'text'), false],
    ['an extra field', { ...validSummary, extra: 1 }, false],
    ['the memory message literal', { ...validSummary, schema: 'memory.message.v1' }, false],
    ['a missing section', { ...validSummary, sections: without(sections, 'dates') }, false],
    ['an extra section', { ...validSummary, sections: { ...sections, tags: [] } }, false],
    ['a mood that is missing', { ...validSummary, sections: without(sections, 'mood') }, false],
    ['a list of numbers', { ...validSummary, sections: { ...sections, numbers: [3] } }, false],
    ['an unknown backend', { ...validSummary, stats: { ...stats, backend: 'gpt' } }, false],
    [
      'a lastMessageAt without offset',
      { ...validSummary, stats: { ...stats, lastMessageAt: '2026-05-01T10:00:05' } },
      false,
    ],
    ['a missing updatedAt', { ...validSummary, stats: without(stats, 'updatedAt') }, false],
    [
      'a negative cost',
      { ...validSummary, stats: { ...stats, cost: { ...stats.cost, durationMs: -1 } } },
      false,
    ],
    [
      'a cost with an extra field',
      { ...validSummary, stats: { ...stats, totalCost: { ...stats.totalCost, usd: 0.01 } } },
      false,
    ],
    ['an extra stats field', { ...validSummary, stats: { ...stats, retries: 0 } }, false],
  ])('agrees with the zod schema on %s', (_name, sample, valid) => {
    expect(memorySummarySchema.safeParse(sample).success).toBe(valid);
    expect(standalone(sample)).toBe(valid);
    expect(inAsyncApi(sample)).toBe(valid);
  });

  it('renders text as the sample says', () => {
    expect(renderSummaryText(validSummary.sections)).toBe(validSummary.text);
  });

  it('describes every field', () => {
    const properties = memorySummaryJsonSchema().properties as Record<string, JsonSchema>;
    expect(Object.keys(properties).sort()).toEqual(Object.keys(memorySummarySchema.shape).sort());
    for (const property of Object.values(properties)) expect(property.description).toBeTruthy();
  });
});

describe('memory.lifecycle.v1 JSON Schema', () => {
  const inAsyncApi = draft07(lifecycleEventJsonSchema('draft-07'));
  const base = {
    schema: 'memory.lifecycle.v1',
    tenantId: 'acme',
    conversationId: 'conv:42',
    occurredAt: '2026-06-01T02:00:05.120Z',
  } as const;
  const archive = {
    archive: 'acme/2026/02/conv%3A42.json.gz',
    revision: 2,
    sha256: 'a'.repeat(64),
  } as const;
  const tierChanged: LifecycleEvent = {
    ...base,
    type: 'tier_changed',
    fromTier: 'key_points',
    toTier: 'brief',
    version: 9,
    ratio: 0.3,
    retention: 0.5,
  };
  const archived: LifecycleEvent = {
    ...base,
    ...archive,
    type: 'archived',
    messageCount: 40,
    firstSeq: 1,
    lastSeq: 40,
    archivedMessages: 10,
    keptMessages: 5,
  };
  const restored: LifecycleEvent = {
    ...base,
    ...archive,
    type: 'restored',
    restoredMessages: 0,
    firstSeq: 1,
    lastSeq: 40,
  };
  const erased: LifecycleEvent = {
    ...base,
    type: 'erased',
    erasureId: '0b6f1c7e-2d4a-4c1e-8f3b-5a9d7e6c2b10',
    reason: 'policy',
    subject: { kind: 'user', idSha256: 'b'.repeat(64) },
    counts: {
      messages: 3,
      archivedMessages: 0,
      archives: 0,
      summaries: 1,
      summaryVersions: 2,
      compressions: 0,
    },
  };

  it.each<[string, unknown, boolean]>([
    ['a tier_changed event', tierChanged, true],
    ['an archived event', archived, true],
    ['a restored event', restored, true],
    ['an erased event', erased, true],
    [
      'an erased event with a numeric offset',
      { ...erased, occurredAt: '2026-07-01T14:00:00+02:00' },
      true,
    ],
    ['an unknown type', { ...archived, type: 'deleted' }, false],
    ['the fields of another type', { ...restored, type: 'archived' }, false],
    ['an archived event without its sha256', without(archived, 'sha256'), false],
    ['an upper-case sha256', { ...archived, sha256: 'A'.repeat(64) }, false],
    ['a short sha256', { ...restored, sha256: 'a'.repeat(63) }, false],
    ['revision 0', { ...archived, revision: 0 }, false],
    ['a negative keptMessages', { ...archived, keptMessages: -1 }, false],
    ['an extra field', { ...archived, note: 'x' }, false],
    ['an occurredAt without offset', { ...restored, occurredAt: '2026-06-01T02:00:05' }, false],
    ['an erasureId that is not a uuid', { ...erased, erasureId: 'erasure-1' }, false],
    ['an unknown reason', { ...erased, reason: 'gdpr' }, false],
    [
      'a conversation subject',
      { ...erased, subject: { kind: 'conversation', id: 'conv:42' } },
      true,
    ],
    ['an unknown subject kind', { ...erased, subject: { kind: 'tenant', id: 'acme' } }, false],
    [
      'a user subject named by plain id',
      { ...erased, subject: { kind: 'user', id: 'user@example.com' } },
      false,
    ],
    [
      'a user subject with the plain id beside the hash',
      { ...erased, subject: { kind: 'user', idSha256: 'b'.repeat(64), id: 'u' } },
      false,
    ],
    [
      'a user subject hash that is not sha256 hex',
      { ...erased, subject: { kind: 'user', idSha256: 'user-7' } },
      false,
    ],
    ['counts with a missing field', { ...erased, counts: { messages: 1 } }, false],
    ['counts with content', { ...erased, counts: { ...erased.counts, text: 'hi' } }, false],
    ['a retention above 1', { ...tierChanged, retention: 1.2 }, false],
    ['the summary schema literal', { ...tierChanged, schema: 'memory.summary.v1' }, false],
  ])('agrees with the zod schema on %s', (_name, sample, valid) => {
    expect(lifecycleEventSchema.safeParse(sample).success).toBe(valid);
    expect(inAsyncApi(sample)).toBe(valid);
  });

  it('is the JSON Schema zod generates from lifecycleEventSchema, with descriptions', () => {
    const strip = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(strip);
      if (node === null || typeof node !== 'object') return node;
      return Object.fromEntries(
        Object.entries(node)
          .filter(([key]) => key !== 'title' && key !== 'description')
          .map(([key, value]) => [key, strip(value)]),
      );
    };
    const { $schema, ...generated } = z.toJSONSchema(lifecycleEventSchema, {
      target: 'draft-07',
      io: 'input',
      unrepresentable: 'throw',
    });
    expect($schema).toBeDefined();
    expect(strip(lifecycleEventJsonSchema('draft-07'))).toEqual(generated);
  });

  it('describes every field of every event type', () => {
    const schema = lifecycleEventJsonSchema('draft-07');
    expect(schema.oneOf).toHaveLength(lifecycleEventSchema.options.length);
    for (const [index, variant] of (schema.oneOf as JsonSchema[]).entries()) {
      const option = lifecycleEventSchema.options[index];
      expect(variant.title).toBe(option?.shape.type.value);
      const properties = variant.properties as Record<string, JsonSchema>;
      expect(Object.keys(properties).sort()).toEqual(Object.keys(option?.shape ?? {}).sort());
      for (const property of Object.values(properties)) expect(property.description).toBeTruthy();
    }
  });
});

/** The parts of the AsyncAPI document the tests read. */
interface AsyncApi {
  asyncapi: string;
  info: { tags: { name: string }[] };
  channels: Record<
    string,
    { address: string; bindings: { kafka: { topicConfiguration: Record<string, unknown> } } }
  >;
  operations: Record<
    string,
    { action: string; channel: { $ref: string }; tags: { name: string }[]; 'x-status': string }
  >;
  components: {
    schemas: Record<string, JsonSchema>;
    messages: Record<
      string,
      {
        name: string;
        payload: JsonSchema;
        headers: JsonSchema;
        bindings: { kafka: { key: JsonSchema } };
        examples: { name: string; payload?: unknown; headers?: unknown }[];
      }
    >;
  };
}

describe('AsyncAPI document', () => {
  const document = asyncApiDocument() as unknown as AsyncApi;
  const channels = Object.values(document.channels);

  it('is AsyncAPI 3.0 and names every topic of TOPIC_DEFINITIONS, once', () => {
    expect(document.asyncapi).toBe('3.0.0');
    expect(channels.map((channel) => channel.address).sort()).toEqual(
      TOPIC_DEFINITIONS.map((topic) => topic.name).sort(),
    );
  });

  it('gives each topic its cleanup policy and retention', () => {
    for (const topic of TOPIC_DEFINITIONS) {
      const channel = channels.find((candidate) => candidate.address === topic.name);
      const configuration = channel?.bindings.kafka.topicConfiguration;
      expect(configuration?.['cleanup.policy']).toEqual([topic.compacted ? 'compact' : 'delete']);
      if (!topic.compacted) expect(configuration?.['retention.ms']).toBe(topic.retentionMs);
    }
  });

  it('has a publisher for every topic, and a service tag on every operation', () => {
    const services = document.info.tags.map((tag) => tag.name);
    const operations = Object.values(document.operations);
    for (const id of Object.keys(document.channels)) {
      expect(
        operations.some((op) => op.action === 'send' && op.channel.$ref === `#/channels/${id}`),
      ).toBe(true);
    }
    for (const operation of operations) {
      expect(services).toContain(operation.tags[0]?.name);
      expect(['built', 'planned']).toContain(operation['x-status']);
    }
  });

  it('resolves every $ref inside the document', () => {
    const refs: string[] = [];
    const collect = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(collect);
      else if (node !== null && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === '$ref' && typeof value === 'string') refs.push(value);
          else collect(value);
        }
      }
    };
    collect(document);
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect([ref, resolve(document, ref)]).toEqual([ref, expect.anything()]);
  });

  it('has examples that match their message schemas', () => {
    const schemaOf = (schema: JsonSchema): JsonSchema =>
      schema.$ref ? (resolve(document, schema.$ref) as JsonSchema) : schema;
    for (const message of Object.values(document.components.messages)) {
      const payload = draft07Loose(schemaOf(message.payload));
      const headers = draft07Loose(schemaOf(message.headers));
      expect(message.examples.length).toBeGreaterThan(0);
      for (const example of message.examples) {
        if (example.payload !== undefined) {
          expect([message.name, example.name, payload(example.payload), payload.errors]).toEqual([
            message.name,
            example.name,
            true,
            null,
          ]);
        }
        if (example.headers !== undefined) expect(headers(example.headers)).toBe(true);
      }
    }
  });

  it('has example payloads that the zod schemas of the services accept', () => {
    const zodSchemas: Record<string, z.ZodType> = {
      [CHAT_MESSAGE_SCHEMA]: chatMessageSchema,
      [MEMORY_MESSAGE_SCHEMA]: memoryMessageSchema,
      [MEMORY_SUMMARY_SCHEMA]: memorySummarySchema,
      [MEMORY_LIFECYCLE_SCHEMA]: lifecycleEventSchema,
    };
    const checked = new Set<string>();
    for (const message of Object.values(document.components.messages)) {
      const schema = zodSchemas[message.name];
      if (!schema) continue;
      for (const example of message.examples) {
        if (example.payload === undefined) continue;
        const result = schema.safeParse(example.payload);
        expect([message.name, example.name, result.error?.issues]).toEqual([
          message.name,
          example.name,
          undefined,
        ]);
        checked.add(message.name);
      }
    }
    expect([...checked].sort()).toEqual(Object.keys(zodSchemas).sort());
  });

  it('has one lifecycle example per event type, none of them a draft', () => {
    const lifecycle = document.components.messages.lifecycleEvent;
    const types = lifecycleEventSchema.options.map((option) => option.shape.type.value);
    const examples = (lifecycle?.examples ?? []).map(
      (example) => lifecycleEventSchema.parse(example.payload).type,
    );
    expect(examples).toEqual(types);
    expect(lifecycle).not.toHaveProperty('tags');
    const described = [
      lifecycle,
      document.components.schemas.lifecycleEvent,
      document.channels.memoryLifecycle,
      document.operations.retentionSendsLifecycleEvents,
    ];
    expect(JSON.stringify(described)).not.toMatch(/draft/i);
  });

  it('has retention send lifecycle events, summaries and tombstones', () => {
    const channelOf = (id: string) => document.operations[id]?.channel.$ref;
    for (const id of [
      'retentionSendsLifecycleEvents',
      'retentionSendsSummaries',
      'retentionSendsTombstones',
    ]) {
      expect(document.operations[id]).toMatchObject({
        action: 'send',
        tags: [{ name: 'retention' }],
        'x-status': 'built',
      });
    }
    expect(channelOf('retentionSendsLifecycleEvents')).toBe('#/channels/memoryLifecycle');
    expect(channelOf('retentionSendsTombstones')).toBe('#/channels/memorySummaries');
    expect(channelOf('retentionSendsSummaries')).toBe('#/channels/memorySummaries');
  });

  it('renders the text of the example summary from its sections', () => {
    const summary = document.components.messages.memorySummary?.examples[0]?.payload;
    const parsed = memorySummarySchema.parse(summary);
    expect(parsed.text).toBe(renderSummaryText(parsed.sections));
    expect(parsed.text).toContain('\nKey points: ');
  });

  it('describes the key tenantId:conversationId with the identifier pattern', () => {
    const key = draft07Loose(document.components.messages.chatMessage?.bindings.kafka.key ?? {});
    expect(key(conversationKey('acme', 'conv:42'))).toBe(true);
    expect(key(conversationKey('acme', 'c'.repeat(ID_MAX_LENGTH)))).toBe(true);
    expect(key('acme')).toBe(false);
    expect(key('acme:')).toBe(false);
    expect(key('acme:conv 42')).toBe(false);
  });

  it('lists every error code of the validator on dead letters', () => {
    expect(document.components.schemas.deadLetterHeaders).toMatchObject({
      properties: {
        'dlq.error.code': { enum: expect.arrayContaining([...CHAT_MESSAGE_ERROR_CODES]) },
      },
    });
  });

  it('shares the dead-letter headers between both dead-letter topics', () => {
    const channel = (address: string) =>
      Object.values(document.channels).find((candidate) => candidate.address === address);
    for (const address of [TOPICS.chatMessagesDlq, TOPICS.memoryMessagesDlq]) {
      expect(channel(address)).toBeDefined();
    }
    const { deadLetter, memoryDeadLetter } = document.components.messages;
    expect(deadLetter?.headers).toEqual({ $ref: '#/components/schemas/deadLetterHeaders' });
    expect(memoryDeadLetter?.headers).toEqual(deadLetter?.headers);
    expect(document.operations.summarizerSendsDeadLetters).toMatchObject({
      action: 'send',
      channel: { $ref: '#/channels/memoryMessagesDlq' },
      'x-status': 'built',
    });
  });
});

function resolve(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`not a local reference: ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, part) =>
        node !== null && typeof node === 'object'
          ? (node as Record<string, unknown>)[part]
          : undefined,
      document,
    );
}

/** Draft-07 without strict mode: AsyncAPI schemas may carry keywords Ajv does not know. */
function draft07Loose(schema: JsonSchema): ValidateFunction {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(schema);
}
