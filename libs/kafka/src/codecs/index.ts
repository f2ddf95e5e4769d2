export * from './kafka-codec';
export * from './lz4.codec';
export * from './register-codecs';
export * from './snappy.codec';
export * from './zstd.codec';
