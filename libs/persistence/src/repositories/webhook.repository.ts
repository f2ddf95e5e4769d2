import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { affectedRows, deleteConversationRows } from './affected-rows';

export const WEBHOOK_EVENT_TYPES = [
  'summary.updated',
  'tier.changed',
  'conversation.archived',
  'conversation.restored',
  'conversation.erased',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface Webhook {
  id: string;
  tenantId: string;
  url: string;
  events: WebhookEventType[];
  description: string;
  createdAt: string;
}

/** An event to deliver to every webhook of its tenant that takes its type. */
export interface WebhookEvent {
  /** Stable across replays of the topic: `<topic>:<partition>:<offset>`. */
  id: string;
  type: WebhookEventType;
  tenantId: string;
  conversationId: string;
  payload: Record<string, unknown>;
}

/** A delivery claimed for sending, with what it is sent to and signed with. */
export interface DueDelivery {
  id: string;
  webhookId: string;
  url: string;
  secret: string;
  eventId: string;
  payload: Record<string, unknown>;
  attempts: number;
}

export interface DeliveryView {
  id: string;
  eventId: string;
  type: WebhookEventType;
  conversationId: string;
  status: DeliveryStatus;
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

const WEBHOOK_COLUMNS = `id, tenant_id AS "tenantId", url, events, description,
  created_at AS "createdAt"`;
const DELIVERY_COLUMNS = `id::text, event_id AS "eventId", event_type AS type,
  conversation_id AS "conversationId", status, attempts, last_status_code AS "lastStatusCode",
  last_error AS "lastError", created_at AS "createdAt",
  CASE WHEN status = 'pending' THEN next_attempt_at END AS "nextAttemptAt",
  delivered_at AS "deliveredAt"`;

/**
 * Claims due deliveries: at most `$1` per webhook (so one endpoint cannot fill a round) and `$2`
 * in all, oldest first, by moving their next attempt `$3` seconds ahead (a lease: another
 * replica's claim skips them, and a sender that dies leaves them due again after it).
 */
const CLAIM_SQL = `
  WITH due AS (
    SELECT id FROM (
      SELECT id, row_number() OVER (PARTITION BY webhook_id ORDER BY id) AS n
        FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()
    ) ranked WHERE n <= $1 ORDER BY id LIMIT $2
  )
  UPDATE webhook_deliveries d SET next_attempt_at = now() + make_interval(secs => $3)
    FROM due, webhooks w
   WHERE d.id = due.id AND w.id = d.webhook_id
     AND d.status = 'pending' AND d.next_attempt_at <= now()
  RETURNING d.id::text, d.webhook_id AS "webhookId", w.url, w.secret, d.event_id AS "eventId",
            d.payload, d.attempts`;

/**
 * The owner of `webhooks` and `webhook_deliveries` (docs/architecture.md, "one owner per
 * table"): endpoints, the deliveries made from events, their claims, outcomes and replays.
 */
@Injectable()
export class WebhookRepository {
  constructor(private readonly dataSource: DataSource) {}

  async create(
    tenantId: string,
    url: string,
    events: readonly WebhookEventType[],
    description: string,
    secret: string,
  ): Promise<Webhook> {
    const [row] = await this.dataSource.query<Webhook[]>(
      `INSERT INTO webhooks (tenant_id, url, events, description, secret)
       VALUES ($1, $2, $3, $4, $5) RETURNING ${WEBHOOK_COLUMNS}`,
      [tenantId, url, events, description, secret],
    );
    if (!row) throw new Error('webhook not created');
    return row;
  }

  list(tenantId: string): Promise<Webhook[]> {
    return this.dataSource.query<Webhook[]>(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE tenant_id = $1 ORDER BY created_at, id`,
      [tenantId],
    );
  }

  /** Tenants with at least one webhook. */
  async tenants(): Promise<string[]> {
    const rows = await this.dataSource.query<Array<{ tenantId: string }>>(
      `SELECT DISTINCT tenant_id AS "tenantId" FROM webhooks`,
    );
    return rows.map((row) => row.tenantId);
  }

  async find(tenantId: string, id: string): Promise<Webhook | undefined> {
    const rows = await this.dataSource.query<Webhook[]>(
      `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE tenant_id = $1 AND id = $2`,
      [tenantId, id],
    );
    return rows[0];
  }

  /** Deletes a webhook and its deliveries; false when the tenant has no such webhook. */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.dataSource.query<unknown>(
      `DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2 RETURNING id`,
      [tenantId, id],
    );
    return affectedRows(result).length > 0;
  }

  /**
   * One delivery per (webhook of the event's tenant taking its type, event); an event seen
   * again (a replayed topic) adds nothing. Returns how many deliveries were added.
   */
  async enqueue(events: readonly WebhookEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const result = await this.dataSource.query<unknown>(
      `INSERT INTO webhook_deliveries
         (webhook_id, tenant_id, conversation_id, event_id, event_type, payload)
       SELECT w.id, e.tenant_id, e.conversation_id, e.event_id, e.event_type, e.payload
         FROM jsonb_to_recordset($1::jsonb) AS e(tenant_id text, conversation_id text,
              event_id text, event_type text, payload jsonb)
         JOIN webhooks w ON w.tenant_id = e.tenant_id AND e.event_type = ANY (w.events)
        -- An event from before its conversation was erased (a replayed topic) is not delivered
        -- again: only the erasure's own event is.
        WHERE e.event_type = 'conversation.erased' OR NOT EXISTS (
          SELECT 1 FROM erasures x
           WHERE x.tenant_id = e.tenant_id
             AND x.erased_at >= (e.payload->>'occurredAt')::timestamptz
             AND x.subject_hash = encode(sha256(convert_to('conversation:' || e.conversation_id, 'UTF8')), 'hex'))
       ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO NOTHING
       RETURNING 1`,
      [
        JSON.stringify(
          events.map((event) => ({
            tenant_id: event.tenantId,
            conversation_id: event.conversationId,
            event_id: event.id,
            event_type: event.type,
            payload: event.payload,
          })),
        ),
      ],
    );
    return affectedRows(result).length;
  }

  /** Due deliveries, claimed for `leaseSeconds` (see {@link CLAIM_SQL}). */
  async claim(perWebhook: number, limit: number, leaseSeconds: number): Promise<DueDelivery[]> {
    return affectedRows<DueDelivery>(
      await this.dataSource.query<unknown>(CLAIM_SQL, [perWebhook, limit, leaseSeconds]),
    );
  }

  async delivered(id: string, statusCode: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1,
         last_status_code = $2, last_error = NULL, delivered_at = now() WHERE id = $1`,
      [id, statusCode],
    );
  }

  /** A failed attempt: due again after `retryInSeconds`, or `failed` after the last one. */
  async attemptFailed(
    id: string,
    outcome: { statusCode: number | null; error: string },
    retryInSeconds: number | null,
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status_code = $2,
         last_error = $3,
         status = CASE WHEN $4::float8 IS NULL THEN 'failed' ELSE 'pending' END,
         next_attempt_at = CASE WHEN $4::float8 IS NULL THEN next_attempt_at
                                ELSE now() + make_interval(secs => $4::float8) END
       WHERE id = $1`,
      [id, outcome.statusCode, outcome.error.slice(0, 500), retryInSeconds],
    );
  }

  /** Puts claimed deliveries back, due after `seconds` (their endpoint just failed). */
  async postpone(ids: readonly string[], seconds: number): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `UPDATE webhook_deliveries SET next_attempt_at = now() + make_interval(secs => $2)
        WHERE id = ANY ($1::bigint[]) AND status = 'pending'`,
      [ids, seconds],
    );
  }

  deliveries(
    tenantId: string,
    webhookId: string,
    status: DeliveryStatus | undefined,
    limit: number,
  ): Promise<DeliveryView[]> {
    return this.dataSource.query<DeliveryView[]>(
      `SELECT ${DELIVERY_COLUMNS} FROM webhook_deliveries
        WHERE tenant_id = $1 AND webhook_id = $2 AND ($3::text IS NULL OR status = $3)
        ORDER BY id DESC LIMIT $4`,
      [tenantId, webhookId, status ?? null, limit],
    );
  }

  /**
   * Sends deliveries again from the first attempt: the ones named, or every `failed` one of the
   * webhook when none are named. Returns how many.
   */
  async replay(tenantId: string, webhookId: string, ids: readonly string[]): Promise<number> {
    const result = await this.dataSource.query<unknown>(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(),
         delivered_at = NULL
        WHERE tenant_id = $1 AND webhook_id = $2
          AND (CASE WHEN cardinality($3::bigint[]) = 0 THEN status = 'failed'
                    ELSE id = ANY ($3::bigint[]) END)
       RETURNING 1`,
      [tenantId, webhookId, ids],
    );
    return affectedRows(result).length;
  }

  /** Every delivery about a conversation (their payloads hold its content): erasure. */
  deleteConversation(
    manager: EntityManager,
    tenantId: string,
    conversationId: string,
  ): Promise<number> {
    return deleteConversationRows(
      manager,
      `DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND conversation_id = $2 RETURNING 1`,
      tenantId,
      conversationId,
    );
  }

  /** The same, outside a transaction of the caller's (a tombstone read from the topic). */
  forgetConversation(tenantId: string, conversationId: string): Promise<number> {
    return this.deleteConversation(this.dataSource.manager, tenantId, conversationId);
  }
}
