import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { TOPICS } from '@memory/contracts';
import { lz4Codec, registerKafkaCodecs, snappyCodec } from '@memory/kafka';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { codecFixtureText } from './fixtures/codecs/codec-fixtures';
import { IngestHarness } from './support/ingest-harness';
import { consumeUntil } from './support/kafka';

const root = resolve(__dirname, '..');
/** The broker's jars: kafka-clients with snappy-java, lz4-java and zstd-jni (provisioned by the stack script). */
const KAFKA_LIB = resolve(root, '.stack/kafka/lib');
const FIXTURES = resolve(root, 'test/fixtures/codecs');
const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
type Codec = (typeof CODECS)[number];
type CodecType = Exclude<CompressionTypes, CompressionTypes.None>;
const CODEC_TYPES: Record<Codec, CodecType> = {
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};
const PER_CODEC = 25;

/** Runs a Java single-file program with the broker's jars; resolves with its output. */
function java(args: string[], stdin = ''): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn('java', ['-cp', `${KAFKA_LIB}/*`, ...args], { cwd: root });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0
        ? done(output.join(''))
        : fail(new Error(`java ${args[0]} exited with ${code}:\n${output.join('')}`)),
    );
    child.stdin.end(stdin);
  });
}

/**
 * Records what each codec decompressed in this process, so the test can show that the Java
 * producer really compressed each conversation's batch with its codec.
 */
function spyOnCodecs(): { seen: Map<Codec, string[]>; restore: () => void } {
  registerKafkaCodecs();
  const seen = new Map<Codec, string[]>(CODECS.map((codec) => [codec, []]));
  const originals = new Map<Codec, () => unknown>();
  for (const codec of CODECS) {
    const type = CODEC_TYPES[codec];
    const original = CompressionCodecs[type];
    originals.set(codec, original);
    CompressionCodecs[type] = () => {
      const inner = original() as { decompress(buffer: Buffer): Promise<Buffer> };
      return {
        ...inner,
        decompress: async (buffer: Buffer) => {
          const output = await inner.decompress(buffer);
          seen.get(codec)?.push(output.toString('utf8'));
          return output;
        },
      };
    };
  }
  return {
    seen,
    restore: () => {
      for (const [codec, original] of originals) CompressionCodecs[CODEC_TYPES[codec]] = original;
    },
  };
}

describe('ingest reads batches compressed by a Java producer (gzip, snappy, lz4, zstd)', () => {
  const harness = new IngestHarness();

  beforeAll(async () => {
    // The stack script provisions the jars when it starts the broker; a broker that was already
    // running (started by another checkout) leaves this checkout without them.
    const provisioned =
      existsSync(KAFKA_LIB) &&
      readdirSync(KAFKA_LIB).some((jar) => jar.startsWith('kafka-clients'));
    if (!provisioned) {
      const result = spawnSync('bash', [resolve(root, 'deploy/stack/kafka/provision.sh')], {
        cwd: root,
        encoding: 'utf8',
      });
      if (result.status !== 0)
        throw new Error(`provisioning the Kafka jars failed: ${result.stderr}`);
    }
    await harness.setUp();
    await harness.start();
  }, 300_000);

  afterAll(() => harness.tearDown());

  it('stores every message of a batch of each codec', async () => {
    const lines: string[] = [];
    for (const codec of CODECS)
      for (let i = 1; i <= PER_CODEC; i++) {
        const record = harness.record(
          harness.message(`codec-${codec}`, `${codec}-m${i}`, `message ${i} sent with ${codec}`),
        );
        lines.push([codec, String(record.key), String(record.value)].join('\t'));
      }
    const brokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092';
    await java(
      [resolve(FIXTURES, 'ProduceCompressed.java'), brokers, TOPICS.chatMessages],
      lines.join('\n'),
    );

    await harness.waitForStored(CODECS.length * PER_CODEC);
    await harness.waitCaughtUp();
    const conversations = await harness.conversations();
    for (const codec of CODECS)
      expect(conversations.get(`codec-${codec}`)).toEqual({
        ids: Array.from({ length: PER_CODEC }, (_, i) => `${codec}-m${i + 1}`),
        gapFree: true,
      });
    expect(harness.ingest.output.join('\n')).not.toMatch(/compression not implemented/i);
  });

  it('got each conversation in a batch compressed with its codec', async () => {
    const spy = spyOnCodecs();
    try {
      const tenant = `"tenantId":"${harness.tenantId}"`;
      await consumeUntil(harness.kafka, TOPICS.chatMessages, {
        from: harness.startOffsets,
        keep: (record) => String(record.value).includes(tenant),
        done: (kept) => kept.length >= CODECS.length * PER_CODEC,
      });
      for (const codec of CODECS) {
        const batches = spy.seen.get(codec) ?? [];
        expect(batches.some((batch) => batch.includes(`"conversationId":"codec-${codec}"`))).toBe(
          true,
        );
      }
    } finally {
      spy.restore();
    }
  });

  it('writes snappy and lz4 that the Java client reads', async () => {
    const dir = mkdtempSync(resolve(tmpdir(), 'codecs-'));
    for (const [codec, implementation] of [
      ['snappy', snappyCodec],
      ['lz4', lz4Codec],
    ] as const) {
      const file = resolve(dir, `${codec}.bin`);
      const text = Buffer.from(codecFixtureText());
      writeFileSync(file, await implementation.compress({ buffer: text }));
      expect(
        await java([resolve(FIXTURES, 'WriteCodecFixtures.java'), 'check', codec, file]),
      ).toContain(`${codec}: ok`);
    }
  });
});
