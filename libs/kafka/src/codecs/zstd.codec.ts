import { decompress } from 'fzstd';
import { asBuffer, CorruptCompressedDataError, KafkaCodec, settled } from './kafka-codec';

/** Why zstd batches are read but never written. */
export const ZSTD_COMPRESS_UNSUPPORTED =
  'zstd: this client reads zstd-compressed batches but cannot write them (no pure-JS zstd ' +
  'compressor is installed); produce with gzip, snappy or lz4 instead';

/**
 * Kafka's zstd codec, read-only: standard zstd frames, several back to back and skippable
 * frames included (fzstd reads them all). The services never produce zstd, so `compress`
 * rejects with {@link ZSTD_COMPRESS_UNSUPPORTED}.
 */
export const zstdCodec: KafkaCodec = {
  compress() {
    return Promise.reject(new Error(ZSTD_COMPRESS_UNSUPPORTED));
  },

  decompress(buffer) {
    return settled(() => {
      try {
        return asBuffer(decompress(buffer));
      } catch (error) {
        throw new CorruptCompressedDataError('zstd', String(error));
      }
    });
  },
};
