import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { lz4Codec } from './lz4.codec';
import { snappyCodec } from './snappy.codec';
import { zstdCodec } from './zstd.codec';

/**
 * Adds snappy, lz4 and zstd to kafkajs, which only has gzip built in: without them, a batch
 * compressed by a Java or librdkafka producer with one of these stops the consumer. The
 * registry is global to the kafkajs module, so calling this again changes nothing.
 */
export function registerKafkaCodecs(): void {
  CompressionCodecs[CompressionTypes.Snappy] = () => snappyCodec;
  CompressionCodecs[CompressionTypes.LZ4] = () => lz4Codec;
  CompressionCodecs[CompressionTypes.ZSTD] = () => zstdCodec;
}
