import fc from 'fast-check';
// The fixtures are shared with the e2e tests and written by a Java program, so they live under test/.
// eslint-disable-next-line no-restricted-imports
import { codecFixture, codecFixtureText } from '../../../../test/fixtures/codecs/codec-fixtures';
import { CorruptCompressedDataError } from './kafka-codec';
import { snappyCodec } from './snappy.codec';

describe('snappyCodec', () => {
  it('reads what the Java client writes (xerial framing, several blocks)', async () => {
    const compressed = codecFixture('snappy-xerial.bin');
    expect(compressed.subarray(0, 8).toString('latin1')).toBe('\x82SNAPPY\x00');
    expect(String(await snappyCodec.decompress(compressed))).toBe(codecFixtureText());
  });

  it('reads plain raw snappy (as librdkafka may write it)', async () => {
    expect(String(await snappyCodec.decompress(codecFixture('snappy-raw.bin')))).toBe(
      codecFixtureText(),
    );
  });

  it('writes the xerial framing, in 32 KiB blocks, and reads it back', async () => {
    const text = Buffer.from(codecFixtureText());
    const compressed = await snappyCodec.compress({ buffer: text });
    expect(compressed.subarray(0, 16)).toEqual(codecFixture('snappy-xerial.bin').subarray(0, 16));
    expect(Buffer.isBuffer(compressed)).toBe(true);
    const decompressed = await snappyCodec.decompress(compressed);
    expect(Buffer.isBuffer(decompressed)).toBe(true);
    expect(String(decompressed)).toBe(String(text));
  });

  it('writes an empty input as the header alone', async () => {
    const compressed = await snappyCodec.compress({ buffer: Buffer.alloc(0) });
    expect(compressed).toHaveLength(16);
    expect(await snappyCodec.decompress(compressed)).toEqual(Buffer.alloc(0));
  });

  it('rejects a truncated block with a clear error', async () => {
    const compressed = codecFixture('snappy-xerial.bin');
    await expect(snappyCodec.decompress(compressed.subarray(0, 100))).rejects.toThrow(
      CorruptCompressedDataError,
    );
    await expect(snappyCodec.decompress(compressed.subarray(0, 18))).rejects.toThrow(
      'snappy: corrupt compressed data: truncated block length',
    );
  });

  it('rejects garbage instead of returning it', async () => {
    await expect(
      snappyCodec.decompress(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])),
    ).rejects.toThrow(CorruptCompressedDataError);
  });

  it('reads back whatever it writes', async () => {
    // Repeated pieces make matches (also across block boundaries); random bytes make literals.
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      fc
        .tuple(fc.uint8Array({ minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 3000 }))
        .map(([piece, times]) => Buffer.concat(Array.from({ length: times }, () => piece))),
    );
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const buffer = Buffer.from(bytes);
        const decompressed = await snappyCodec.decompress(await snappyCodec.compress({ buffer }));
        expect(decompressed.toString('hex')).toBe(buffer.toString('hex'));
      }),
      { numRuns: 100 },
    );
  });
});
