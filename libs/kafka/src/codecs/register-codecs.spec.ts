import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { lz4Codec } from './lz4.codec';
import { registerKafkaCodecs } from './register-codecs';
import { snappyCodec } from './snappy.codec';
import { zstdCodec } from './zstd.codec';

describe(registerKafkaCodecs.name, () => {
  it('puts snappy, lz4 and zstd beside the built-in gzip, idempotently', () => {
    const gzip: unknown = CompressionCodecs[CompressionTypes.GZIP]();
    registerKafkaCodecs();
    registerKafkaCodecs();
    expect(CompressionCodecs[CompressionTypes.Snappy]()).toBe(snappyCodec);
    expect(CompressionCodecs[CompressionTypes.LZ4]()).toBe(lz4Codec);
    expect(CompressionCodecs[CompressionTypes.ZSTD]()).toBe(zstdCodec);
    expect(CompressionCodecs[CompressionTypes.GZIP]()).toBe(gzip);
  });
});
