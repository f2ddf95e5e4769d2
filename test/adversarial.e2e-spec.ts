import { randomUUID } from 'node:crypto';
import { conversationKey, DLQ_HEADERS, isStorableText, TOPICS } from '@memory/contracts';
import fc from 'fast-check';
import { chunkBySize } from '@memory/kafka';
import { CompressionTypes, Message } from 'kafkajs';
import { eventually } from './support/eventually';
import { committedOffsets, consumeUntil, ConsumedRecord, endOffsets } from './support/kafka';
import { SearchHarness } from './support/search-harness';
import { ServiceProcess } from './support/service-process';

/**
 * An adversary on the real stack, with inputs generated, not listed: every kind of bad record
 * fast-check can make for each field and layer (bytes, JSON, schema, key, headers, sizes,
 * dates, characters no store takes), interleaved with valid traffic on `chat.messages.v1`,
 * written straight to `memory.messages.v1` and `memory.summaries.v1`, and sent over HTTP to
 * every endpoint. The seed is printed; ADVERSARIAL_SEED=<seed> replays a run exactly.
 */
const SEED = Number(process.env.ADVERSARIAL_SEED ?? Date.now() % 1_000_000);
const PER_KIND = Number(process.env.ADVERSARIAL_PER_KIND ?? 3);
const CONVERSATIONS = 12;
const MESSAGES_PER_CONVERSATION = 6;
const ADV_HEADER = 'x-adversary-id';

type Layer = 'chat' | 'memory' | 'summaries';
/** What must become of a generated record: stored, or dead-lettered with one of these codes. */
type Outcome = { stored: true } | { deadLettered: readonly string[] };

interface Kind {
  name: string;
  layer: Layer;
  outcome: Outcome;
  /** Makes one record; `id` tags it (header), `n` numbers its conversation. */
  make: fc.Arbitrary<(context: Context) => Message>;
}

interface Context {
  tenantId: string;
  id: string;
  n: number;
}

const nul = fc.constantFrom('\u0000', 'a\u0000b', '\u0000\u0000');
const lone = fc.constantFrom('\uD800', 'x\uDBFFy', '\uDC00', 'end\uDFFF');
const unstorable = fc.oneof(nul, lone);
const text = fc.string({ maxLength: 40 });
const anyJson = fc.jsonValue({ maxDepth: 3 });

function chatMessage(
  context: Context,
  patch: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    schema: 'chat.message.v1',
    messageId: `adv-${context.id}`,
    tenantId: context.tenantId,
    conversationId: `adv-c${context.n}`,
    userId: 'adv-user',
    role: 'user',
    content: `adversary ${context.id}`,
    createdAt: '2026-03-01T10:00:00Z',
    ...patch,
  };
}

const keyOf = (value: Record<string, unknown>): string =>
  conversationKey(String(value.tenantId), String(value.conversationId));

/** A record whose value is `value` (JSON unless bytes or a string), keyed as the contract asks. */
function chatRecord(patch: Record<string, unknown> | ((c: Context) => Record<string, unknown>)) {
  return (context: Context): Message => {
    const value = typeof patch === 'function' ? patch(context) : chatMessage(context, patch);
    return { key: keyOf(value), value: JSON.stringify(value) };
  };
}

function deadLettered(...codes: string[]): Outcome {
  return { deadLettered: codes };
}

const STORED: Outcome = { stored: true };
const STRING_FIELDS = ['messageId', 'conversationId', 'userId', 'role', 'content', 'createdAt'];

const CHAT_KINDS: Kind[] = [
  {
    name: 'random bytes',
    layer: 'chat',
    outcome: deadLettered('NOT_UTF8', 'NOT_JSON', 'EMPTY_VALUE', 'NOT_AN_OBJECT', 'UNKNOWN_SCHEMA'),
    make: fc.uint8Array({ minLength: 0, maxLength: 300 }).map((bytes) => (c: Context) => ({
      key: `${c.tenantId}:adv-c${c.n}`,
      value: Buffer.from(bytes),
    })),
  },
  {
    name: 'a tombstone (null value)',
    layer: 'chat',
    outcome: deadLettered('EMPTY_VALUE'),
    make: fc.constant((c: Context) => ({ key: `${c.tenantId}:adv-c${c.n}`, value: null })),
  },
  {
    name: 'invalid UTF-8 inside JSON',
    layer: 'chat',
    outcome: deadLettered('NOT_UTF8'),
    make: fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80]).map((bad) => (c: Context) => {
      const json = Buffer.from(JSON.stringify(chatMessage(c, { content: '@@' })));
      const at = json.indexOf('@@');
      return {
        key: keyOf(chatMessage(c)),
        value: Buffer.concat([json.subarray(0, at), Buffer.from(bad), json.subarray(at + 2)]),
      };
    }),
  },
  {
    name: 'truncated JSON',
    layer: 'chat',
    outcome: deadLettered('NOT_JSON'),
    make: fc.integer({ min: 1, max: 60 }).map((cut) => (c: Context) => {
      const json = JSON.stringify(chatMessage(c));
      return { key: keyOf(chatMessage(c)), value: json.slice(0, json.length - cut) };
    }),
  },
  {
    name: 'JSON that is not an object',
    layer: 'chat',
    outcome: deadLettered('NOT_AN_OBJECT'),
    make: fc
      .oneof(
        fc.array(anyJson, { maxLength: 3 }),
        fc.double(),
        fc.string(),
        fc.boolean(),
        fc.constant(null),
      )
      .map((value) => (c: Context) => ({
        key: `${c.tenantId}:adv-c${c.n}`,
        value: JSON.stringify(value),
      })),
  },
  {
    name: 'an unknown or missing schema',
    layer: 'chat',
    outcome: deadLettered('UNKNOWN_SCHEMA'),
    make: fc
      .oneof(
        text.filter((s) => s !== 'chat.message.v1'),
        fc.constant(undefined),
        fc.integer(),
      )
      .map((schema) => chatRecord({ schema })),
  },
  {
    name: 'U+0000 or a lone surrogate in content',
    layer: 'chat',
    outcome: deadLettered('INVALID_CHARACTERS'),
    make: fc
      .tuple(text, unstorable)
      .map(([prefix, bad]) => chatRecord({ content: `${prefix}${bad}` })),
  },
  {
    name: 'U+0000 or a lone surrogate in a metadata key',
    layer: 'chat',
    outcome: deadLettered('INVALID_CHARACTERS'),
    make: unstorable.map((bad) => chatRecord({ metadata: { [`k${bad}`]: 1 } })),
  },
  {
    name: 'U+0000 or a lone surrogate deep in a metadata value',
    layer: 'chat',
    outcome: deadLettered('INVALID_CHARACTERS'),
    make: fc.tuple(unstorable, fc.integer({ min: 0, max: 5 })).map(([bad, depth]) => {
      let value: unknown = bad;
      for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { v: value };
      return chatRecord({ metadata: { nested: value } });
    }),
  },
  {
    name: 'U+0000 or a lone surrogate in an id, the role or the date',
    layer: 'chat',
    outcome: deadLettered('INVALID_FIELDS', 'KEY_MISMATCH', 'CREATED_AT_OUT_OF_RANGE'),
    make: fc
      .tuple(
        fc.constantFrom('messageId', 'conversationId', 'userId', 'role', 'createdAt'),
        unstorable,
      )
      .map(([field, bad]) => chatRecord((c) => ({ ...chatMessage(c), [field]: `x${bad}` }))),
  },
  {
    name: 'metadata nested too deep',
    layer: 'chat',
    outcome: deadLettered('METADATA_TOO_DEEP'),
    make: fc.integer({ min: 17, max: 400 }).map((depth) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i++) value = [value];
      return chatRecord({ metadata: { deep: value } });
    }),
  },
  {
    name: 'metadata over 8 KiB',
    layer: 'chat',
    outcome: deadLettered('METADATA_TOO_LARGE'),
    make: fc
      .integer({ min: 9_000, max: 60_000 })
      .map((size) => chatRecord({ metadata: { blob: 'm'.repeat(size) } })),
  },
  {
    name: 'content over 64 KiB',
    layer: 'chat',
    outcome: deadLettered('CONTENT_TOO_LARGE'),
    make: fc
      .tuple(fc.integer({ min: 65_537, max: 200_000 }), fc.constantFrom('a', 'é', '😀'))
      .map(([size, unit]) =>
        chatRecord({ content: unit.repeat(Math.ceil(size / Buffer.byteLength(unit))) }),
      ),
  },
  {
    name: 'a value larger than any valid message',
    layer: 'chat',
    outcome: deadLettered('RECORD_TOO_LARGE'),
    make: fc
      .integer({ min: 460_000, max: 900_000 })
      .map((size) => chatRecord({ content: 'r'.repeat(size) })),
  },
  {
    name: 'createdAt before 1970',
    layer: 'chat',
    outcome: deadLettered('CREATED_AT_OUT_OF_RANGE'),
    make: fc
      .date({
        min: new Date('0001-01-01T00:00:00Z'),
        max: new Date('1969-12-31T23:59:59Z'),
        noInvalidDate: true,
      })
      .map((date) => chatRecord({ createdAt: date.toISOString() })),
  },
  {
    name: 'createdAt with a UTC offset Postgres refuses',
    layer: 'chat',
    outcome: deadLettered('CREATED_AT_OUT_OF_RANGE'),
    make: fc
      .tuple(fc.integer({ min: 16, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.boolean())
      .map(([h, m, east]) =>
        chatRecord({
          createdAt: `2026-01-01T00:00:00${east ? '+' : '-'}${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`,
        }),
      ),
  },
  {
    name: 'createdAt far in the future',
    layer: 'chat',
    outcome: deadLettered('CREATED_AT_IN_FUTURE'),
    make: fc
      .date({
        min: new Date(Date.now() + 3 * 86_400_000),
        max: new Date('9999-12-31T00:00:00Z'),
        noInvalidDate: true,
      })
      .map((date) => chatRecord({ createdAt: date.toISOString() })),
  },
  {
    name: 'createdAt that is no date-time',
    layer: 'chat',
    outcome: deadLettered('INVALID_FIELDS'),
    make: fc
      .oneof(
        text,
        fc.constantFrom('2026-02-30T00:00:00Z', '2026-01-01', '2026-01-01T25:00:00Z', '1e9'),
      )
      .filter((s) => Number.isNaN(Date.parse(s)) || !/T\d\d:\d\d:\d\d/.test(s))
      .map((createdAt) => chatRecord({ createdAt })),
  },
  {
    name: 'a wrong key',
    layer: 'chat',
    outcome: deadLettered('KEY_MISMATCH'),
    make: text.map((key) => (c: Context) => ({
      key: `${key}x`,
      value: JSON.stringify(chatMessage(c)),
    })),
  },
  {
    name: 'no key',
    layer: 'chat',
    outcome: deadLettered('KEY_MISMATCH'),
    make: fc.constant((c: Context) => ({ key: null, value: JSON.stringify(chatMessage(c)) })),
  },
  {
    name: 'a tenant id with the key separator',
    layer: 'chat',
    outcome: deadLettered('INVALID_FIELDS'),
    make: fc
      .constantFrom(':x', 'a:b', 'x:')
      .map((suffix) => chatRecord((c) => chatMessage(c, { tenantId: `${c.tenantId}${suffix}` }))),
  },
  {
    name: 'unknown fields',
    layer: 'chat',
    outcome: deadLettered('INVALID_FIELDS'),
    make: fc
      .dictionary(
        fc
          .string({ minLength: 1, maxLength: 12 })
          .filter((k) => !(k in chatMessage({ tenantId: 't', id: 'i', n: 0 }))),
        anyJson,
        { minKeys: 1, maxKeys: 5 },
      )
      .map((extra) => chatRecord(extra)),
  },
  {
    name: 'a field of the wrong type',
    layer: 'chat',
    outcome: deadLettered('INVALID_FIELDS', 'KEY_MISMATCH'),
    make: fc
      .tuple(
        fc.constantFrom(...STRING_FIELDS, 'metadata'),
        fc.oneof(
          fc.integer(),
          fc.boolean(),
          fc.array(fc.integer(), { maxLength: 2 }),
          fc.constant(null),
        ),
      )
      .filter(([field, value]) => !(field === 'metadata' && value === null))
      .map(([field, value]) => chatRecord((c) => ({ ...chatMessage(c), [field]: value }))),
  },
  {
    name: 'a missing field',
    layer: 'chat',
    outcome: deadLettered('INVALID_FIELDS', 'KEY_MISMATCH'),
    make: fc
      .constantFrom('messageId', 'conversationId', 'userId', 'role', 'content', 'createdAt')
      .map((field) =>
        chatRecord((c) => {
          const value = chatMessage(c);
          delete value[field];
          return value;
        }),
      ),
  },
  {
    name: 'an id that breaks the identifier rule',
    layer: 'chat',
    outcome: deadLettered('INVALID_FIELDS', 'KEY_MISMATCH'),
    make: fc
      .tuple(
        fc.constantFrom('messageId', 'conversationId', 'userId'),
        fc.oneof(
          fc.constantFrom('', ' x', '-x', 'a b', 'ü', 'a/b', 'x'.repeat(129)),
          fc
            .string({ minLength: 1, maxLength: 20 })
            .filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._:@-]*$/.test(s)),
        ),
      )
      .map(([field, id]) => chatRecord((c) => ({ ...chatMessage(c), [field]: id }))),
  },
  {
    name: 'a role outside user, assistant, system and tool',
    layer: 'chat',
    outcome: deadLettered('INVALID_FIELDS'),
    make: text
      .filter((role) => !['user', 'assistant', 'system', 'tool'].includes(role))
      .map((role) => chatRecord({ role })),
  },
  // Valid, however odd: these are stored, exactly once.
  {
    name: 'valid, with headers of every size (kept back, not carried on)',
    layer: 'chat',
    outcome: STORED,
    make: fc
      .array(
        fc.tuple(fc.string({ minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 120_000 })),
        {
          maxLength: 4,
        },
      )
      .map((headers) => (c: Context) => ({
        key: keyOf(chatMessage(c)),
        value: JSON.stringify(chatMessage(c)),
        headers: Object.fromEntries(
          headers.map(([name, size]) => [`h-${name}`, Buffer.alloc(size, 65)]),
        ),
      })),
  },
  {
    name: 'valid, with emoji, control characters and odd but valid offsets',
    layer: 'chat',
    outcome: STORED,
    make: fc
      .tuple(
        fc.string({ unit: 'grapheme', maxLength: 30 }).filter(isStorableText),
        fc.constantFrom('+15:59', '-15:59', '+05:45', 'Z', '+00:00'),
      )
      .map(([content, offset]) =>
        chatRecord({
          content: `${content} 😀 \u0001\u001f`,
          createdAt: `2026-02-01T10:00:00.123456${offset}`,
        }),
      ),
  },
  {
    name: 'a duplicate with a different body',
    layer: 'chat',
    outcome: STORED,
    make: text.map((other) => (c: Context) => ({
      key: keyOf(chatMessage(c)),
      value: JSON.stringify(chatMessage(c, { content: `duplicate ${other}` })),
      // The first copy goes out among the valid messages (see the test); this one must change nothing.
      headers: { 'x-duplicate': 'true' },
    })),
  },
];

function memoryMessage(c: Context, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schema: 'memory.message.v1',
    messageId: `adv-${c.id}`,
    tenantId: c.tenantId,
    conversationId: `adv-mm${c.n}`,
    userId: 'adv-user',
    role: 'user',
    content: 'x',
    createdAt: '2026-03-01T10:00:00Z',
    seq: 1,
    ingestedAt: '2026-03-01T10:00:01Z',
    ...patch,
  };
}

function memorySummary(c: Context, patch: Record<string, unknown> = {}): Record<string, unknown> {
  const cost = { inputTokens: 0, outputTokens: 0, inputChars: 1, outputChars: 1, durationMs: 1 };
  return {
    schema: 'memory.summary.v1',
    tenantId: c.tenantId,
    conversationId: `adv-s${c.n}`,
    userId: 'adv-user',
    version: 1,
    throughSeq: 1,
    tier: 'full',
    text: 'x',
    sections: {
      context: 'x',
      keyPoints: [],
      decisions: [],
      actionItems: [],
      openQuestions: [],
      entities: [],
      dates: [],
      numbers: [],
      mood: null,
    },
    stats: {
      messageCount: 1,
      firstMessageAt: null,
      lastMessageAt: null,
      backend: 'local',
      llmPending: false,
      fromSeq: 1,
      cost,
      totalCost: cost,
      updatedAt: '2026-03-01T10:00:00Z',
    },
    ...patch,
  };
}

const DOWNSTREAM_KINDS: Kind[] = [
  {
    name: 'memory.messages.v1: random bytes',
    layer: 'memory',
    outcome: deadLettered('NOT_JSON', 'INVALID_FIELDS'),
    make: fc.uint8Array({ maxLength: 200 }).map((bytes) => (c: Context) => ({
      key: `${c.tenantId}:adv-mm${c.n}`,
      value: Buffer.from(bytes),
    })),
  },
  {
    name: 'memory.messages.v1: a string no store takes',
    layer: 'memory',
    outcome: deadLettered('INVALID_FIELDS'),
    make: fc
      .tuple(fc.constantFrom('content', 'userId', 'messageId'), unstorable)
      .map(([field, bad]) => (c: Context) => {
        const value = memoryMessage(c, { [field]: `x${bad}` });
        return { key: keyOf(value), value: JSON.stringify(value) };
      }),
  },
  {
    name: 'memory.messages.v1: wrong types and ranges',
    layer: 'memory',
    outcome: deadLettered('INVALID_FIELDS'),
    make: fc
      .constantFrom<Record<string, unknown>>(
        { seq: 0 },
        { seq: 'one' },
        { seq: 1.5 },
        { role: 'robot' },
        { createdAt: 'soon' },
      )
      .map((patch) => (c: Context) => {
        const value = memoryMessage(c, patch);
        return { key: keyOf(value), value: JSON.stringify(value) };
      }),
  },
  {
    name: 'memory.summaries.v1: random bytes',
    layer: 'summaries',
    outcome: deadLettered('NOT_JSON', 'INVALID_FIELDS', 'KEY_MISMATCH'),
    make: fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => (c: Context) => ({
      key: `${c.tenantId}:adv-s${c.n}`,
      value: Buffer.from(bytes),
    })),
  },
  {
    name: 'memory.summaries.v1: a string no store takes',
    layer: 'summaries',
    outcome: deadLettered('INVALID_FIELDS'),
    make: unstorable.map((bad) => (c: Context) => {
      const value = memorySummary(c, { text: `t${bad}` });
      return { key: keyOf(value), value: JSON.stringify(value) };
    }),
  },
  {
    name: 'memory.summaries.v1: a key that is not its conversation',
    layer: 'summaries',
    outcome: deadLettered('KEY_MISMATCH'),
    make: text.map((key) => (c: Context) => ({
      key: `${c.tenantId}:other-${key}`,
      value: JSON.stringify(memorySummary(c)),
    })),
  },
];

const KINDS = [...CHAT_KINDS, ...DOWNSTREAM_KINDS];

interface Generated {
  kind: Kind;
  id: string;
  message: Message;
}

/** Random HTTP requests for one endpoint: odd bodies and odd path ids, with a valid key. */
const httpBodies = fc.oneof(
  anyJson,
  fc.string({ maxLength: 200 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(anyJson, unstorable), { maxKeys: 6 }),
  fc.constant('{"messages": ['),
  fc.constant('\u0000'),
  fc.constant({ messages: [] }),
  fc.constant({ query: '\u0000', mode: 'hybrid' }),
  fc.constant({ query: 'x'.repeat(5_000) }),
  fc.constant({ messages: 'not a list' }),
);
/** Percent-encodes every UTF-8 byte (a lone surrogate becomes U+FFFD's bytes). */
const pathEncode = (id: string): string =>
  [...Buffer.from(id, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
/** Path segments, already encoded: random text, raw bytes, and hand-made oddities. */
const pathIds = fc.oneof(
  fc.string({ maxLength: 40 }).map(pathEncode),
  fc.constantFrom('%00', '..', 'x'.repeat(600), '%E0%A4%A', '%ZZ', 'a%2Fb', '%ED%A0%80'),
  fc.string({ unit: 'binary', maxLength: 20 }).map(pathEncode),
);

/** What HTTP calls a kind that the topic calls otherwise (no record key, no record size limit). */
const HTTP_CODES: Record<string, string[]> = {
  'a tombstone (null value)': ['NOT_AN_OBJECT', 'UNKNOWN_SCHEMA'],
  'a value larger than any valid message': ['CONTENT_TOO_LARGE'],
};

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

describe('an adversary against the whole system', () => {
  const harness = new SearchHarness();
  const others: ServiceProcess[] = [];
  const generated: Generated[] = [];
  const rows: Array<{
    kind: string;
    layer: Layer;
    expected: string;
    outcomes: Map<string, number>;
  }> = [];
  const http = new Map<string, Map<number, number>>();
  const problems: string[] = [];
  let keys: Record<'ingest' | 'search' | 'admin', string>;
  let lastProducedAt = 0;
  const valid: string[] = [];
  const deadLettersFrom = new Map<string, Array<{ partition: number; offset: string }>>();

  beforeAll(async () => {
    process.stdout.write(
      `[adversarial] seed ${SEED} (ADVERSARIAL_SEED=${SEED} replays this run)\n`,
    );
    await harness.setUp();
    for (const topic of [TOPICS.memoryMessagesDlq, TOPICS.memorySummariesDlq])
      deadLettersFrom.set(topic, await endOffsets(harness.kafka, topic));
    await harness.start();
    await harness.startSummarizer();
    await harness.startSearch();
    const env = {
      KAFKA_GROUP_PREFIX: harness.groupPrefix,
      OPENSEARCH_INDEX_PREFIX: harness.indexPrefix,
    };
    for (const service of ['compressor', 'retention'] as const) {
      const child = new ServiceProcess(service, env).start();
      others.push(child);
    }
    await Promise.all(others.map((child) => child.waitReady(120_000)));
    keys = {
      ingest: harness.createKey(harness.tenantId, 'ingest'),
      search: harness.createKey(harness.tenantId, 'search'),
      admin: harness.createKey(harness.tenantId, 'admin'),
    };
  }, 300_000);

  afterAll(async () => {
    await Promise.all(others.map((child) => child.stop('SIGKILL')));
    await harness.tearDown();
  });

  it('dead-letters every generated bad record with its reason code and stores the valid ones once', async () => {
    let n = 0;
    KINDS.forEach((kind, k) => {
      const samples = fc.sample(kind.make, { seed: SEED + k, numRuns: PER_KIND });
      for (const make of samples) {
        const id = `${k}-${n}-${randomUUID().slice(0, 6)}`;
        const message = make({ tenantId: harness.tenantId, id, n: n++ });
        message.headers = { ...message.headers, [ADV_HEADER]: id };
        generated.push({ kind, id, message });
      }
    });

    // The first copy of each "duplicate with a different body" goes out as a valid message.
    const firstCopies = generated
      .filter((g) => g.kind.name === 'a duplicate with a different body')
      .map((g) => {
        const value = JSON.parse(String(g.message.value)) as Record<string, unknown>;
        return {
          key: g.message.key,
          value: JSON.stringify({ ...value, content: 'the first copy' }),
        };
      });
    for (let c = 0; c < CONVERSATIONS; c++)
      for (let m = 1; m <= MESSAGES_PER_CONVERSATION; m++) valid.push(`valid-c${c}-m${m}`);
    const validRecords: Message[] = valid.map((id) => {
      const [, conversation] = /^valid-(c\d+)-m\d+$/.exec(id) ?? [];
      return harness.record(
        harness.message(
          `valid-${conversation}`,
          id,
          `Planning with Quillfeather${conversation} about the harbour trip, message ${id}.`,
        ),
      );
    });

    // Interleave bad and valid records in a seeded order; a third of the sends are gzip batches.
    const all = [
      ...generated.filter((g) => g.kind.layer === 'chat').map((g) => g.message),
      ...firstCopies,
      ...validRecords,
    ];
    const [shuffled = all] = fc.sample(fc.shuffledSubarray(all, { minLength: all.length }), {
      seed: SEED,
      numRuns: 1,
    });
    // A duplicate must come after its first copy: send the duplicates last.
    const duplicates = new Set(
      generated
        .filter((g) => g.kind.name === 'a duplicate with a different body')
        .map((g) => g.message),
    );
    const sequence = [...shuffled.filter((m) => !duplicates.has(m)), ...duplicates];
    await sendChat(sequence);
    await sendTo(
      TOPICS.memoryMessages,
      generated.filter((g) => g.kind.layer === 'memory'),
    );
    await sendTo(
      TOPICS.memorySummaries,
      generated.filter((g) => g.kind.layer === 'summaries'),
    );
    lastProducedAt = Date.now();

    // Every bad record in its dead-letter topic, with a code its kind allows.
    const expectedLetters = generated.filter((g) => 'deadLettered' in g.kind.outcome);
    const letters = new Map<string, ConsumedRecord>();
    for (const [layer, topic] of [
      ['chat', TOPICS.chatMessagesDlq],
      ['memory', TOPICS.memoryMessagesDlq],
      ['summaries', TOPICS.memorySummariesDlq],
    ] as const) {
      const wanted = new Set(
        expectedLetters.filter((g) => g.kind.layer === layer).map((g) => g.id),
      );
      const found = await consumeUntil(harness.kafka, topic, {
        from: layer === 'chat' ? harness.deadLettersFrom : deadLettersFrom.get(topic),
        keep: (record) => wanted.has(record.headers?.[ADV_HEADER]?.toString() ?? ''),
        // Distinct ids: a record can be dead-lettered twice (a batch redone after a crash).
        done: (kept) =>
          new Set(kept.map((record) => record.headers?.[ADV_HEADER]?.toString())).size >=
          wanted.size,
        timeoutMs: 90_000,
      });
      for (const record of found)
        letters.set(record.headers?.[ADV_HEADER]?.toString() ?? '', record);
    }

    const storedIds = await storedMessageIds();
    for (const kind of KINDS) {
      const row = {
        kind: kind.name,
        layer: kind.layer,
        expected: 'stored' in kind.outcome ? 'stored' : kind.outcome.deadLettered.join('|'),
        outcomes: new Map<string, number>(),
      };
      for (const g of generated.filter((item) => item.kind === kind)) {
        const letter = letters.get(g.id);
        const code = letter?.headers?.[DLQ_HEADERS.errorCode]?.toString();
        const stored = storedIds.get(`adv-${g.id}`) ?? 0;
        const outcome = code ? `dlq:${code}` : stored > 0 ? `stored x${stored}` : 'nothing';
        row.outcomes.set(outcome, (row.outcomes.get(outcome) ?? 0) + 1);
        const ok =
          'stored' in kind.outcome
            ? !code && stored === 1
            : code !== undefined && kind.outcome.deadLettered.includes(code) && stored === 0;
        if (!ok)
          problems.push(
            `${kind.name} [${g.id}]: expected ${row.expected}, got ${outcome}` +
              (letter ? ` (${letter.headers?.[DLQ_HEADERS.errorReason]?.toString() ?? ''})` : ''),
          );
      }
      rows.push(row);
    }
    for (const id of valid)
      if ((storedIds.get(id) ?? 0) !== 1)
        problems.push(`valid message ${id} stored ${storedIds.get(id) ?? 0} times`);

    printTable();
    expect(KINDS.length).toBeGreaterThanOrEqual(25);
    expect(problems).toEqual([]);
  }, 300_000);

  it('catches every consumer group up to the end of its topic: no partition stalls', async () => {
    const groups = [
      [`${harness.groupPrefix}.ingest`, TOPICS.chatMessages],
      [`${harness.groupPrefix}.summarizer`, TOPICS.memoryMessages],
      [`${harness.groupPrefix}.search-indexer`, TOPICS.memorySummaries],
    ] as const;
    const waits: string[] = [];
    for (const [group, topic] of groups) {
      const ends = await endOffsets(harness.kafka, topic);
      await eventually(
        async () => {
          const committed = await committedOffsets(harness.kafka, group, topic);
          return ends.every(
            ({ partition, offset }) => BigInt(committed.get(partition) ?? '-1') >= BigInt(offset),
          )
            ? true
            : undefined;
        },
        // A stalled partition never catches up; a slow machine only takes longer. The time is
        // printed as a figure, not asserted.
        180_000,
      );
      waits.push(`${group}: ${((Date.now() - lastProducedAt) / 1000).toFixed(1)} s`);
    }
    process.stdout.write(`[adversarial] caught up after the last record: ${waits.join(', ')}\n`);
  }, 600_000);

  it('refuses the same kinds over HTTP with a 4xx and field codes, and accepts the valid ones', async () => {
    const problems: string[] = [];
    const outcomes = new Map<string, Map<string, number>>();
    for (const g of generated.filter((item) => item.kind.layer === 'chat')) {
      const accepted =
        'stored' in g.kind.outcome ||
        g.kind.outcome.deadLettered.every((c) => c === 'KEY_MISMATCH');
      // What is accepted goes under another message id, so the Kafka outcome above is not
      // disturbed. What must be refused is sent as it is: a prefix could make a bad id good.
      const bytes = g.message.value === null ? Buffer.alloc(0) : Buffer.from(g.message.value);
      let body: string | Buffer = bytes;
      try {
        const parsed = accepted ? (JSON.parse(strictUtf8.decode(bytes)) as unknown) : null;
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) {
          const value = parsed as Record<string, unknown>;
          if (typeof value.messageId === 'string') value.messageId = `http-${value.messageId}`;
          body = JSON.stringify(value);
        }
      } catch {
        // not UTF-8 or not JSON: sent byte for byte
      }
      const response = await fetch(`${harness.ingest.baseUrl}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${keys.ingest}` },
        body,
      });
      const text = await response.text();
      const codes = new Set(
        (
          (JSON.parse(text || '{}') as { errors?: Array<{ code?: string }>; code?: string })
            .errors ?? []
        )
          .map((error) => error.code)
          .concat([(JSON.parse(text || '{}') as { code?: string }).code])
          .filter((code): code is string => typeof code === 'string'),
      );
      const outcome = `${response.status}${codes.size ? ` ${[...codes].join('+')}` : ''}`;
      const counts = outcomes.get(g.kind.name) ?? new Map<string, number>();
      counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
      outcomes.set(g.kind.name, counts);
      const allowed = new Set([
        ...('deadLettered' in g.kind.outcome ? g.kind.outcome.deadLettered : []),
        ...(HTTP_CODES[g.kind.name] ?? []),
        // HTTP's own names for a body that is no JSON or over the route's limit, and a busy key.
        'MALFORMED_JSON',
        'BODY_TOO_LARGE',
        'RATE_LIMITED',
      ]);
      const ok = accepted
        ? response.status === 202 || response.status === 429
        : response.status >= 400 &&
          response.status < 500 &&
          codes.size > 0 &&
          [...codes].every((c) => allowed.has(c));
      if (!ok) problems.push(`${g.kind.name} [${g.id}]: HTTP ${outcome} ${text.slice(0, 160)}`);
    }
    process.stdout.write(
      `[adversarial] the same kinds over POST /v1/messages (status and codes x count):\n${[
        ...outcomes,
      ]
        .map(
          ([kind, counts]) =>
            `  ${kind.padEnd(66)} ${[...counts].map(([o, n]) => `${o} x${n}`).join(', ')}`,
        )
        .join('\n')}\n`,
    );
    expect(problems).toEqual([]);
  });

  it('summarizes every valid conversation and finds it by search', async () => {
    const searches: string[] = [];
    for (let c = 0; c < CONVERSATIONS; c++) {
      await harness.waitForSummary(
        `valid-c${c}`,
        (s) => s.throughSeq >= MESSAGES_PER_CONVERSATION,
        90_000,
      );
      const found = await eventually(async () => {
        const response = await harness.post(
          '/v1/search',
          { query: `Quillfeatherc${c}`, mode: 'keyword', k: 5 },
          keys.search,
        );
        const body = (await response.json()) as { results?: Array<{ conversationId: string }> };
        return body.results?.some((r) => r.conversationId === `valid-c${c}`) ? true : undefined;
      }, 60_000).catch(() => false);
      if (!found) searches.push(`valid-c${c}`);
    }
    expect(searches).toEqual([]);
  }, 600_000);

  it('dead-letters a summary the index refuses (INDEX_REJECTED) and indexes the next one', async () => {
    const from = await endOffsets(harness.kafka, TOPICS.memorySummariesDlq);
    const stored = await harness.summary('valid-c0');
    const context: Context = { tenantId: harness.tenantId, id: 'immense', n: 0 };
    // Lucene refuses a keyword term over 32,766 bytes: the entity's raw keyword is one.
    const immense = memorySummary(context, {
      conversationId: 'valid-c0',
      version: (stored?.version ?? 1) + 1_000,
      throughSeq: stored?.throughSeq ?? 1,
      text: 'an immense entity',
    });
    (immense.sections as { entities: string[] }).entities = ['E'.repeat(40_000)];
    await sendTo(TOPICS.memorySummaries, [
      {
        kind: DOWNSTREAM_KINDS[0],
        id: 'immense',
        message: {
          key: keyOf(immense),
          value: JSON.stringify(immense),
          headers: { [ADV_HEADER]: 'immense' },
        },
      },
    ]);
    const [letter] = await consumeUntil(harness.kafka, TOPICS.memorySummariesDlq, {
      from,
      keep: (record) => record.headers?.[ADV_HEADER]?.toString() === 'immense',
      done: (kept) => kept.length >= 1,
      timeoutMs: 60_000,
    });
    expect(letter?.headers?.[DLQ_HEADERS.errorCode]?.toString()).toBe('INDEX_REJECTED');
    expect(letter?.headers?.[DLQ_HEADERS.errorReason]?.toString()).toMatch(
      /immense term|illegal_argument/,
    );
    // The partition moved on: a new message in another conversation is summarized and found.
    // Several messages: one alone is not enough for the local summarizer to keep anything.
    const lines = [
      'Zephyrine Oakhollow booked the ferry to the harbour for Friday.',
      'Great, Oakhollow said the ferry leaves at nine, so we meet at eight.',
      'I will bring the tickets and Zephyrine brings the map of the harbour.',
      'We decided to take the early ferry and have lunch at the harbour.',
    ];
    await harness.say('after-immense', lines);
    await harness.waitForSummary('after-immense', (s) => s.throughSeq >= lines.length, 60_000);
    const found = await eventually(async () => {
      const response = await harness.post(
        '/v1/search',
        { query: 'Oakhollow', mode: 'keyword' },
        keys.search,
      );
      const body = (await response.json()) as { results?: Array<{ conversationId: string }> };
      return body.results?.some((r) => r.conversationId === 'after-immense') ? true : undefined;
    }, 60_000).catch((error: unknown) => {
      throw new Error(
        `${String(error)}; search said:\n${harness.search.output.slice(-30).join('\n')}`,
      );
    });
    expect(found).toBe(true);
  });

  it('answers random requests to every endpoint with a 2xx or 4xx and no stack trace', async () => {
    const problems: string[] = [];
    const conversationOf = (id: string): string => id;
    const endpoints: Array<{
      name: string;
      service: () => ServiceProcess;
      method: string;
      path: (id: string) => string;
      key: keyof typeof keys;
      body: boolean;
    }> = [
      {
        name: 'POST /v1/messages',
        service: () => harness.ingest,
        method: 'POST',
        path: () => '/v1/messages',
        key: 'ingest',
        body: true,
      },
      {
        name: 'GET /v1/conversations/:id/messages',
        service: () => harness.ingest,
        method: 'GET',
        path: (id) => `/v1/conversations/${conversationOf(id)}/messages?afterSeq=${id}`,
        key: 'ingest',
        body: false,
      },
      {
        name: 'POST /v1/search',
        service: () => harness.search,
        method: 'POST',
        path: () => '/v1/search',
        key: 'search',
        body: true,
      },
      {
        name: 'GET /v1/conversations/:id/summary',
        service: () => harness.search,
        method: 'GET',
        path: (id) => `/v1/conversations/${conversationOf(id)}/summary`,
        key: 'search',
        body: false,
      },
      {
        name: 'POST /v1/compress',
        service: () => others[0],
        method: 'POST',
        path: () => '/v1/compress',
        key: 'admin',
        body: true,
      },
      {
        name: 'POST /v1/retention/run',
        service: () => others[1],
        method: 'POST',
        path: () => '/v1/retention/run',
        key: 'admin',
        body: true,
      },
      {
        name: 'GET /v1/conversations/:id/archive',
        service: () => others[1],
        method: 'GET',
        path: (id) => `/v1/conversations/${conversationOf(id)}/archive`,
        key: 'admin',
        body: false,
      },
      {
        name: 'POST /v1/conversations/:id/restore',
        service: () => others[1],
        method: 'POST',
        path: (id) => `/v1/conversations/adv-none-${conversationOf(id)}/restore`,
        key: 'admin',
        body: true,
      },
      {
        name: 'DELETE /v1/conversations/:id',
        service: () => others[1],
        method: 'DELETE',
        path: (id) => `/v1/conversations/adv-none-${conversationOf(id)}`,
        key: 'admin',
        body: false,
      },
      {
        name: 'DELETE /v1/users/:id',
        service: () => others[1],
        method: 'DELETE',
        path: (id) => `/v1/users/adv-none-${conversationOf(id)}`,
        key: 'admin',
        body: false,
      },
      {
        name: 'POST /v1/conversations/:id/pin',
        service: () => others[1],
        method: 'POST',
        path: (id) => `/v1/conversations/${conversationOf(id)}/pin`,
        key: 'search',
        body: true,
      },
    ];
    const requests = fc.sample(fc.tuple(httpBodies, pathIds), { seed: SEED, numRuns: 12 });
    for (const endpoint of endpoints) {
      const statuses = new Map<number, number>();
      for (const [body, id] of requests) {
        const raw = typeof body === 'string' ? body : JSON.stringify(body);
        const response = await fetch(`${endpoint.service().baseUrl}${endpoint.path(id)}`, {
          method: endpoint.method,
          headers: {
            authorization: `Bearer ${keys[endpoint.key]}`,
            ...(endpoint.body ? { 'content-type': 'application/json' } : {}),
          },
          body: endpoint.body ? raw : undefined,
        }).catch((error: unknown) => ({ status: 0, text: () => Promise.resolve(String(error)) }));
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 0 || response.status >= 500)
          problems.push(
            `${endpoint.name} ${JSON.stringify(raw).slice(0, 80)} id ${JSON.stringify(id).slice(0, 40)}: ${response.status} ${text.slice(0, 200)}`,
          );
        if (/\n\s+at [\w.<>]+ \(|node_modules|\.ts:\d+/.test(text))
          problems.push(`${endpoint.name}: a stack trace in the body: ${text.slice(0, 200)}`);
      }
      http.set(endpoint.name, statuses);
    }
    process.stdout.write(
      `[adversarial] HTTP (status x count):\n${[...http]
        .map(
          ([name, statuses]) =>
            `  ${name.padEnd(36)} ${[...statuses].map(([s, c]) => `${s}x${c}`).join(' ')}`,
        )
        .join('\n')}\n`,
    );
    expect(problems).toEqual([]);
  });

  it('leaves every service ready', async () => {
    for (const service of [harness.ingest, harness.summarizer, harness.search, ...others]) {
      const response = await fetch(`${service.baseUrl}/health/ready`);
      expect({ service: service.service, status: response.status }).toEqual({
        service: service.service,
        status: 200,
      });
    }
  });

  /** Sends in requests under the broker's limit (a large record alone), every third gzipped. */
  async function sendChat(messages: Message[]): Promise<void> {
    const producer = harness.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const chunks = chunkBySize(messages, 600 * 1024).flatMap((chunk) =>
        Array.from({ length: Math.ceil(chunk.length / 17) }, (_, i) =>
          chunk.slice(i * 17, i * 17 + 17),
        ),
      );
      for (const [i, chunk] of chunks.entries())
        await producer.send({
          topic: TOPICS.chatMessages,
          acks: -1,
          compression: i % 3 === 0 ? CompressionTypes.GZIP : CompressionTypes.None,
          messages: chunk,
        });
    } finally {
      await producer.disconnect();
    }
  }

  async function sendTo(topic: string, items: Generated[]): Promise<void> {
    const producer = harness.kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: items.map((g) => g.message) });
    } finally {
      await producer.disconnect();
    }
  }

  async function storedMessageIds(): Promise<Map<string, number>> {
    await harness.waitCaughtUp(90_000);
    const rows = await harness.dataSource.query<Array<{ message_id: string; count: string }>>(
      'SELECT message_id, count(*) FROM messages WHERE tenant_id = $1 GROUP BY message_id',
      [harness.tenantId],
    );
    return new Map(rows.map((row) => [row.message_id, Number(row.count)]));
  }

  function printTable(): void {
    const width = Math.max(...rows.map((row) => row.kind.length));
    const lines = rows.map(
      (row) =>
        `  ${row.layer.padEnd(9)} ${row.kind.padEnd(width)}  expected ${row.expected.padEnd(40)} got ${[
          ...row.outcomes,
        ]
          .map(([outcome, count]) => `${outcome} x${count}`)
          .join(', ')}`,
    );
    process.stdout.write(
      `[adversarial] ${KINDS.length} kinds x ${PER_KIND} generated records (seed ${SEED}):\n${lines.join('\n')}\n`,
    );
  }
});
