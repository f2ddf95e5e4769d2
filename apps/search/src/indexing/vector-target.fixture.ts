import { PendingVector, VectorTarget } from '@memory/search-index';

/**
 * A vector target over `waiting` documents, oldest first (unit tests): `needingVectors` answers
 * from it as the indices do, `setVectors` records each round's ids in `set`.
 */
export function stubTarget<Pending extends PendingVector>(
  waiting: Pending[],
  set: string[][],
): VectorTarget<Pending> {
  return {
    needingVectors: (size, order) =>
      Promise.resolve((order === 'newest' ? [...waiting].reverse() : waiting).slice(0, size)),
    pendingVectors: () => Promise.resolve(waiting.length),
    setVectors: (vectors) => {
      set.push(vectors.map((v) => v.pending.id));
      return Promise.resolve({ updated: vectors.length, stale: 0 });
    },
  };
}
