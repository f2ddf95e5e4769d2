import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed webhooks. `webhooks`: a tenant's endpoints, the events each takes and the secret its
 * deliveries are signed with. `webhook_deliveries`: one row per (webhook, event), unique so a
 * replayed topic delivers nothing twice; pending rows are sent by the retention service with
 * retries and backoff (`next_attempt_at`), and stay as the delivery history until erased.
 */
export class Webhooks1764600000000 implements MigrationInterface {
  name = 'Webhooks1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE webhooks (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id varchar(128) NOT NULL,
        url text NOT NULL,
        events text[] NOT NULL,
        description varchar(200) NOT NULL DEFAULT '',
        secret varchar(100) NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT webhooks_pk PRIMARY KEY (id)
      )`);
    await queryRunner.query(`CREATE INDEX webhooks_tenant ON webhooks (tenant_id)`);
    await queryRunner.query(`
      CREATE TABLE webhook_deliveries (
        id bigserial NOT NULL,
        webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
        tenant_id varchar(128) NOT NULL,
        conversation_id varchar(128) NOT NULL,
        event_id varchar(200) NOT NULL,
        event_type varchar(40) NOT NULL,
        payload jsonb NOT NULL,
        status varchar(10) NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'delivered', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_status_code integer,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        CONSTRAINT webhook_deliveries_pk PRIMARY KEY (id),
        CONSTRAINT webhook_deliveries_once UNIQUE (webhook_id, event_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
        WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_conversation
        ON webhook_deliveries (tenant_id, conversation_id)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE webhook_deliveries`);
    await queryRunner.query(`DROP TABLE webhooks`);
  }
}
