// The fixtures are shared with the e2e tests and written by a Java program, so they live under test/.
// eslint-disable-next-line no-restricted-imports
import { codecFixture, codecFixtureText } from '../../../../test/fixtures/codecs/codec-fixtures';
import { CorruptCompressedDataError } from './kafka-codec';
import { ZSTD_COMPRESS_UNSUPPORTED, zstdCodec } from './zstd.codec';

describe('zstdCodec', () => {
  it('reads what the Java client writes (one streamed frame, no content size)', async () => {
    const decompressed = await zstdCodec.decompress(codecFixture('zstd-stream.bin'));
    expect(Buffer.isBuffer(decompressed)).toBe(true);
    expect(String(decompressed)).toBe(codecFixtureText());
  });

  it('reads several frames back to back, and skips skippable frames', async () => {
    const skippable = Buffer.alloc(8 + 5);
    skippable.writeUInt32LE(0x184d2a5e, 0);
    skippable.writeUInt32LE(5, 4);
    const frames = codecFixture('zstd-two-frames.bin');
    expect(String(await zstdCodec.decompress(Buffer.concat([skippable, frames])))).toBe(
      codecFixtureText(),
    );
  });

  it('rejects truncated or foreign data with a clear error', async () => {
    const frames = codecFixture('zstd-stream.bin');
    await expect(zstdCodec.decompress(frames.subarray(0, 100))).rejects.toThrow(
      CorruptCompressedDataError,
    );
    await expect(zstdCodec.decompress(Buffer.from('not zstd'))).rejects.toThrow(
      /^zstd: corrupt compressed data/,
    );
  });

  it('says it does not write zstd', async () => {
    await expect(zstdCodec.compress({ buffer: Buffer.from('x') })).rejects.toThrow(
      ZSTD_COMPRESS_UNSUPPORTED,
    );
  });
});
