import { conversationKey, LifecycleEvent, TOPICS } from '@memory/contracts';
import { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { SendRecords } from '../compression-pass';

/** Events sent per request when the outbox is drained. */
const PAGE = 500;

/**
 * Retention's lifecycle events (archived, restored, importance_changed) are written in the transaction that makes
 * them true and sent to `memory.lifecycle.v1` afterwards, oldest first, each row removed only
 * once the brokers acknowledged it: a crash in between sends it again, never loses it. The
 * owner of `lifecycle_outbox`: the only code that holds SQL for it (docs/architecture.md, "one
 * owner per table").
 */
export class LifecycleOutbox {
  constructor(private readonly dataSource: DataSource) {}

  /** Adds an event inside the caller's transaction. */
  static async add(runner: QueryRunner, event: LifecycleEvent): Promise<void> {
    await runner.manager.query(`INSERT INTO lifecycle_outbox (record_key, event) VALUES ($1, $2)`, [
      conversationKey(event.tenantId, event.conversationId),
      JSON.stringify(event),
    ]);
  }

  /** Adds events inside `manager`'s transaction, in order. */
  static async addAll(manager: EntityManager, events: readonly LifecycleEvent[]): Promise<void> {
    if (events.length === 0) return;
    await manager.query(
      `INSERT INTO lifecycle_outbox (record_key, event)
       SELECT k, e::jsonb FROM unnest($1::varchar[], $2::text[]) WITH ORDINALITY AS u (k, e, n)
        ORDER BY n`,
      [
        events.map((event) => conversationKey(event.tenantId, event.conversationId)),
        events.map((event) => JSON.stringify(event)),
      ],
    );
  }

  /** Drops the events not sent yet about a conversation, in `manager`'s transaction. */
  static async discard(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<void> {
    await manager.query(`DELETE FROM lifecycle_outbox WHERE record_key = $1`, [
      conversationKey(tenantId, conversationId),
    ]);
  }

  /** Sends every pending event; returns how many. */
  async drain(send: SendRecords): Promise<number> {
    let sent = 0;
    for (;;) {
      const rows = await this.dataSource.query<
        Array<{ id: string; record_key: string; event: LifecycleEvent }>
      >(`SELECT id, record_key, event FROM lifecycle_outbox ORDER BY id LIMIT $1`, [PAGE]);
      if (rows.length === 0) return sent;
      await send(
        TOPICS.memoryLifecycle,
        rows.map((row) => ({ key: row.record_key, value: JSON.stringify(row.event) })),
      );
      await this.dataSource.query(`DELETE FROM lifecycle_outbox WHERE id = ANY($1::bigint[])`, [
        rows.map((row) => row.id),
      ]);
      sent += rows.length;
      if (rows.length < PAGE) return sent;
    }
  }

  /** Events not sent yet (for health and metrics). */
  async pending(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ count: number }>>(
      `SELECT count(*)::int AS count FROM lifecycle_outbox`,
    );
    return row?.count ?? 0;
  }
}
