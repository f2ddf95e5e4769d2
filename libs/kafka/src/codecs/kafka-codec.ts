/**
 * What kafkajs expects of a compression codec registered in `CompressionCodecs`: `compress`
 * gets the encoded records of a batch, `decompress` the compressed records section of a fetched
 * batch, and must return a Node Buffer (kafkajs reads it with Buffer methods).
 */
export interface KafkaCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

/**
 * The most one compressed payload may expand to. A length field is read before the memory is
 * allocated, so a corrupt or hostile one must not make the consumer allocate gigabytes.
 */
export const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** A compressed payload that cannot be read (truncated, wrong magic, corrupt block). */
export class CorruptCompressedDataError extends Error {
  constructor(codec: string, detail: string) {
    super(`${codec}: corrupt compressed data: ${detail}`);
    this.name = 'CorruptCompressedDataError';
  }
}

/** A Buffer over the same memory as `bytes` (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Runs `work` now; what it returns or throws settles the promise (kafkajs awaits the codec). */
export function settled<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}
