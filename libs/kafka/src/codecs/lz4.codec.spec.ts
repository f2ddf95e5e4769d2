import fc from 'fast-check';
// The fixtures are shared with the e2e tests and written by a Java program, so they live under test/.
// eslint-disable-next-line no-restricted-imports
import { codecFixture, codecFixtureText } from '../../../../test/fixtures/codecs/codec-fixtures';
import { CorruptCompressedDataError } from './kafka-codec';
import { lz4Codec } from './lz4.codec';

/** A frame by hand: one uncompressed block, with the content size and both checksum flags. */
function handMadeFrame(content: Buffer): Buffer {
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x40 | 0x10 | 0x08 | 0x04, 0x40]);
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(content.length));
  const blockSize = Buffer.alloc(4);
  blockSize.writeUInt32LE(0x80000000 + content.length);
  const checksum = Buffer.alloc(4); // not checked: the batch CRC covers it
  return Buffer.concat([
    header,
    size,
    Buffer.from([0x00]),
    blockSize,
    content,
    checksum,
    Buffer.alloc(4), // end mark
    checksum,
  ]);
}

describe('lz4Codec', () => {
  it('reads what the Java client writes (LZ4 frame, 64 KiB blocks)', async () => {
    const compressed = codecFixture('lz4-frame.bin');
    expect(compressed.readUInt32LE(0)).toBe(0x184d2204);
    expect(String(await lz4Codec.decompress(compressed))).toBe(codecFixtureText());
  });

  it('reads a frame with its content size and checksums, after a skippable frame', async () => {
    const skippable = Buffer.alloc(8 + 3);
    skippable.writeUInt32LE(0x184d2a53, 0);
    skippable.writeUInt32LE(3, 4);
    const frame = handMadeFrame(Buffer.from('hello'));
    expect(await lz4Codec.decompress(Buffer.concat([skippable, frame, frame]))).toEqual(
      Buffer.from('hellohello'),
    );
  });

  it('writes a frame like the Java client (same header: independent 64 KiB blocks)', async () => {
    const text = Buffer.from(codecFixtureText());
    const compressed = await lz4Codec.compress({ buffer: text });
    expect(compressed.subarray(0, 7)).toEqual(codecFixture('lz4-frame.bin').subarray(0, 7));
    expect(compressed.length).toBeLessThan(text.length / 2);
    const decompressed = await lz4Codec.decompress(compressed);
    expect(Buffer.isBuffer(decompressed)).toBe(true);
    expect(String(decompressed)).toBe(String(text));
  });

  it('stores a block that does not compress as it is', async () => {
    const noise = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 151 + 17) % 256));
    const compressed = await lz4Codec.compress({ buffer: noise });
    expect(compressed.readUInt32LE(7)).toBe(0x80000000 + noise.length);
    expect(await lz4Codec.decompress(compressed)).toEqual(noise);
    expect(await lz4Codec.decompress(await lz4Codec.compress({ buffer: Buffer.alloc(0) }))).toEqual(
      Buffer.alloc(0),
    );
  });

  it('rejects truncated frames and other magics with a clear error', async () => {
    const compressed = codecFixture('lz4-frame.bin');
    await expect(lz4Codec.decompress(compressed.subarray(0, 200))).rejects.toThrow(
      CorruptCompressedDataError,
    );
    await expect(
      lz4Codec.decompress(compressed.subarray(0, compressed.length - 2)),
    ).rejects.toThrow(CorruptCompressedDataError);
    await expect(lz4Codec.decompress(Buffer.from('not lz4 at all'))).rejects.toThrow(
      'lz4: corrupt compressed data: no LZ4 frame magic at byte 0',
    );
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
        const decompressed = await lz4Codec.decompress(await lz4Codec.compress({ buffer }));
        expect(decompressed.toString('hex')).toBe(buffer.toString('hex'));
      }),
      { numRuns: 100 },
    );
  });
});
