import type { EntityManager } from 'typeorm';

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

/**
 * Runs `statement` (a `DELETE … WHERE tenant_id = $1 AND conversation_id = $2 RETURNING 1` of
 * one conversation's rows, held by the table's owner) in `manager`'s transaction; returns how
 * many rows went.
 */
export async function deleteConversationRows(
  manager: EntityManager,
  statement: string,
  tenantId: string,
  conversationId: string,
): Promise<number> {
  return affectedRows(await manager.query(statement, [tenantId, conversationId])).length;
}

/** How many rows an UPDATE (… RETURNING) changed: TypeORM returns `[rows, count]` on Postgres. */
export function updatedCount(result: unknown[]): number {
  if (result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[1];
  return result.length;
}
