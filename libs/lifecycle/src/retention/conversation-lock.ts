import { DataSource, QueryRunner } from 'typeorm';

/** Thrown when another process holds a conversation's lock for longer than the caller waits. */
export class ConversationBusyError extends Error {
  constructor(tenantId: string, conversationId: string) {
    super(
      `conversation ${tenantId}:${conversationId} is being archived, restored or erased by ` +
        'another process; try again',
    );
    this.name = 'ConversationBusyError';
  }
}

/**
 * Runs `work` on a connection of its own holding a session advisory lock on the conversation, so
 * that archiving, restoring and erasing one conversation never overlap, across replicas and
 * across the file writes that happen outside any transaction. The lock goes with the
 * connection: a killed process leaves no lock behind. `waitMs` 0 tries once.
 */
export async function withConversationLock<T>(
  dataSource: DataSource,
  tenantId: string,
  conversationId: string,
  waitMs: number,
  work: (runner: QueryRunner) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const key = `retention:${tenantId}:${conversationId}`;
  try {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const [row] = await runner.manager.query<Array<{ locked: boolean }>>(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [key],
      );
      if (row?.locked) break;
      if (Date.now() >= deadline) throw new ConversationBusyError(tenantId, conversationId);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    try {
      return await work(runner);
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner
        .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key])
        .catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}

/** Kept here for callers that imported it from the lifecycle library. */
export { affectedRows } from '@memory/persistence';
