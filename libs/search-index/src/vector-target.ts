/** A document whose vector is owed: its id and the text to embed for it. */
export interface PendingVector {
  id: string;
  text: string;
}

/**
 * An index whose vectors follow its documents (two-phase indexing): documents are written
 * searchable by keyword at once, and a filler finds those still owed a vector, embeds their
 * texts and sets the vectors, each only on the version of the document its text came from.
 */
export interface VectorTarget<Pending extends PendingVector = PendingVector> {
  /** Up to `size` documents owed a vector: the longest waiting first, or the newest first. */
  needingVectors(size: number, order: 'oldest' | 'newest'): Promise<Pending[]>;
  /** How many documents are owed a vector. */
  pendingVectors(): Promise<number>;
  /**
   * Sets vectors; one whose document changed since it was read is left as the document is now
   * (`stale`: it is found again if it still owes a vector).
   */
  setVectors(
    vectors: ReadonlyArray<{ pending: Pending; embedding: number[] }>,
  ): Promise<{ updated: number; stale: number }>;
}
