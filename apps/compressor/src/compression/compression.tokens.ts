/** Injection token of the compressor's `CompressionSettings`. */
export const COMPRESSION_SETTINGS = Symbol('COMPRESSION_SETTINGS');
