/** TypeORM's `query` returns `[rows, count]` for DELETE/UPDATE … RETURNING on Postgres. */
export function affectedRows<T>(result: unknown): T[] {
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  )
    return result[0] as T[];
  return result as T[];
}
