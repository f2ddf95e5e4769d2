import * as lz4 from 'lz4js';
import {
  CorruptCompressedDataError,
  KafkaCodec,
  MAX_DECOMPRESSED_BYTES,
  settled,
} from './kafka-codec';

const FRAME_MAGIC = 0x184d2204;
/** Skippable frames have magics 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE_MAGIC = 0x184d2a50;
const UNCOMPRESSED_BLOCK = 0x80000000;
/** Block maximum sizes by the BD byte's size id (4 to 7). */
const BLOCK_MAX_SIZES: Readonly<Record<number, number>> = {
  4: 64 * 1024,
  5: 256 * 1024,
  6: 1024 * 1024,
  7: 4 * 1024 * 1024,
};

/**
 * The frame header the Java client writes: magic, FLG 0x60 (version 1, independent blocks, no
 * checksums, no content size), BD 0x40 (64 KiB blocks), and the header checksum of those two.
 */
const KAFKA_FRAME_HEADER = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82]);
const KAFKA_BLOCK_SIZE = 64 * 1024;
/** lz4js's hash table size (16-bit hashes). */
const HASH_TABLE_SIZE = 1 << 16;

/**
 * Kafka's lz4 codec: the standard LZ4 frame format (what the Java client's
 * Lz4BlockOutputStream and librdkafka write for record batches of magic 2). The frame is read
 * here, with lz4js only for the blocks: lz4js's own frame reader misreads a frame that carries
 * its content size, and reads one frame only. Checksums are skipped (Kafka checks each batch's
 * CRC). Writes frames like the Java client's, block by block with lz4js: lz4js's own frame
 * writer makes dependent blocks, which the Java client refuses.
 */
export const lz4Codec: KafkaCodec = {
  compress(encoder) {
    return settled(() => compressFrame(encoder.buffer));
  },

  decompress(buffer) {
    return settled(() => decompressFrames(buffer));
  },
};

function decompressFrames(buffer: Buffer): Buffer {
  const frames: Buffer[] = [];
  let position = 0;
  while (position < buffer.length) {
    const magic = readU32(buffer, position, 'frame magic');
    if ((magic & 0xfffffff0) === SKIPPABLE_MAGIC) {
      position += 8 + readU32(buffer, position + 4, 'skippable frame size');
      continue;
    }
    if (magic !== FRAME_MAGIC) throw corrupt(`no LZ4 frame magic at byte ${position}`);
    const frame = readFrame(buffer, position);
    frames.push(frame.content);
    position = frame.end;
  }
  return Buffer.concat(frames);
}

function compressFrame(input: Buffer): Buffer {
  const parts: Buffer[] = [KAFKA_FRAME_HEADER];
  const hashTable = new Uint32Array(HASH_TABLE_SIZE);
  const scratch = Buffer.alloc(KAFKA_BLOCK_SIZE + KAFKA_BLOCK_SIZE / 255 + 16);
  for (let start = 0; start < input.length; start += KAFKA_BLOCK_SIZE) {
    const block = input.subarray(start, start + KAFKA_BLOCK_SIZE);
    // A fresh table per block: no match may reach into an earlier block.
    hashTable.fill(0);
    const size = lz4.compressBlock(block, scratch, 0, block.length, hashTable);
    const header = Buffer.alloc(4);
    if (size === 0 || size >= block.length) {
      header.writeUInt32LE(UNCOMPRESSED_BLOCK + block.length);
      parts.push(header, block);
    } else {
      header.writeUInt32LE(size);
      parts.push(header, Buffer.from(scratch.subarray(0, size)));
    }
  }
  parts.push(Buffer.alloc(4)); // end mark
  return Buffer.concat(parts);
}

interface Block {
  start: number;
  length: number;
  compressed: boolean;
}

function readFrame(buffer: Buffer, frameStart: number): { content: Buffer; end: number } {
  if (frameStart + 7 > buffer.length) throw corrupt('truncated frame header');
  const flags = buffer[frameStart + 4];
  if (flags >> 6 !== 1) throw corrupt(`unsupported frame version ${flags >> 6}`);
  const blockChecksums = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const dictionaryId = (flags & 0x01) !== 0;
  if (dictionaryId) throw corrupt('frames with a dictionary are not supported');
  const blockMax = BLOCK_MAX_SIZES[(buffer[frameStart + 5] >> 4) & 0x07];
  if (blockMax === undefined) throw corrupt('invalid block maximum size');
  let position = frameStart + 6 + (contentSize ? 8 : 0) + 1; // + header checksum

  const blocks: Block[] = [];
  let capacity = 0;
  for (;;) {
    const word = readU32(buffer, position, 'block size');
    position += 4;
    if (word === 0) break;
    const length = word & 0x7fffffff;
    const compressed = (word & UNCOMPRESSED_BLOCK) === 0;
    if (length > blockMax || position + length > buffer.length)
      throw corrupt(`block of ${length} bytes is too large or truncated`);
    blocks.push({ start: position, length, compressed });
    // A block never expands past the frame's block maximum, nor by more than 255 times.
    capacity += compressed ? Math.min(blockMax, length * 255) : length;
    position += length + (blockChecksums ? 4 : 0);
  }
  if (contentChecksum) position += 4;
  if (position > buffer.length) throw corrupt('truncated frame end');
  if (capacity > MAX_DECOMPRESSED_BYTES) throw corrupt(`frame would expand to ${capacity} bytes`);

  // Blocks may refer back to earlier blocks of the frame, so they go into one buffer.
  const content = Buffer.alloc(capacity);
  let written = 0;
  for (const block of blocks) {
    if (block.compressed) {
      written = lz4.decompressBlock(buffer, content, block.start, block.length, written);
      if (written > capacity) throw corrupt('block expands past its maximum size');
    } else {
      buffer.copy(content, written, block.start, block.start + block.length);
      written += block.length;
    }
  }
  return { content: content.subarray(0, written), end: position };
}

function readU32(buffer: Buffer, position: number, what: string): number {
  if (position + 4 > buffer.length) throw corrupt(`truncated ${what}`);
  return buffer.readUInt32LE(position);
}

function corrupt(detail: string): CorruptCompressedDataError {
  return new CorruptCompressedDataError('lz4', detail);
}
