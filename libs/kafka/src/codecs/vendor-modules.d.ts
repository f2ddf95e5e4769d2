// Type declarations for the two pure-JS codec packages that ship none (fzstd ships its own).

declare module 'snappyjs' {
  /** Decompresses one raw snappy block; throws on an invalid bitstream. */
  export function uncompress<T extends Uint8Array>(compressed: T, maxLength?: number): T;
  /** Compresses to one raw snappy block. */
  export function compress<T extends Uint8Array>(uncompressed: T): T;
}

declare module 'lz4js' {
  /**
   * Decompresses the LZ4 block `src[sIndex, sIndex + sLength)` into `dst` from `dIndex`; returns
   * the index after the last byte written (past `dst.length` when `dst` was too small).
   */
  export function decompressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    dIndex: number,
  ): number;
  /**
   * Compresses `src[sIndex, sIndex + sLength)` into one LZ4 block in `dst` (from 0), finding
   * matches through `hashTable` (65,536 entries); returns its size, 0 when nothing matched
   * in a block that starts at index 0.
   */
  export function compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
}
