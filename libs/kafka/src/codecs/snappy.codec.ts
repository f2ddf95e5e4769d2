import * as snappy from 'snappyjs';
import {
  asBuffer,
  CorruptCompressedDataError,
  KafkaCodec,
  MAX_DECOMPRESSED_BYTES,
  settled,
} from './kafka-codec';

/** snappy-java's stream header: magic, then format version 1 and compatible version 1. */
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER = Buffer.concat([XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])]);
/** snappy-java's default block size; each block is compressed on its own. */
const XERIAL_BLOCK = 32 * 1024;

/**
 * Kafka's snappy codec. The Java client (snappy-java) writes the xerial framing: a 16-byte
 * header, then blocks each preceded by its compressed length (4 bytes, big-endian).
 * librdkafka reads that framing and may write plain raw snappy, so both are read. Writes the
 * xerial framing, which every Kafka client reads.
 */
export const snappyCodec: KafkaCodec = {
  compress(encoder) {
    return settled(() => compressSnappy(encoder.buffer));
  },

  decompress(buffer) {
    return settled(() => decompressSnappy(buffer));
  },
};

function compressSnappy(input: Buffer): Buffer {
  const parts: Buffer[] = [XERIAL_HEADER];
  for (let start = 0; start < input.length; start += XERIAL_BLOCK) {
    const block = snappy.compress(input.subarray(start, start + XERIAL_BLOCK));
    const length = Buffer.alloc(4);
    length.writeUInt32BE(block.length);
    parts.push(length, block);
  }
  return Buffer.concat(parts);
}

function decompressSnappy(buffer: Buffer): Buffer {
  if (!isXerial(buffer)) return uncompressBlock(buffer);
  const blocks: Buffer[] = [];
  let position = XERIAL_HEADER.length;
  while (position < buffer.length) {
    if (position + 4 > buffer.length)
      throw new CorruptCompressedDataError('snappy', 'truncated block length');
    const length = buffer.readUInt32BE(position);
    position += 4;
    if (position + length > buffer.length)
      throw new CorruptCompressedDataError('snappy', `block of ${length} bytes is truncated`);
    blocks.push(uncompressBlock(buffer.subarray(position, position + length)));
    position += length;
  }
  return Buffer.concat(blocks);
}

function isXerial(buffer: Buffer): boolean {
  return (
    buffer.length >= XERIAL_HEADER.length &&
    buffer.subarray(0, XERIAL_MAGIC.length).equals(XERIAL_MAGIC)
  );
}

function uncompressBlock(block: Buffer): Buffer {
  try {
    return asBuffer(snappy.uncompress(block, MAX_DECOMPRESSED_BYTES));
  } catch (error) {
    throw new CorruptCompressedDataError('snappy', String(error));
  }
}
