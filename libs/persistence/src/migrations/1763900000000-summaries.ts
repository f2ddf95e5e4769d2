import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The summarizer's state: the current summary per conversation (with what was seen but not yet
 * folded, and what was not yet published), its lineage (which seq range made which version),
 * and backfill runs so an interrupted backfill resumes where it stopped.
 */
export class Summaries1763900000000 implements MigrationInterface {
  name = 'Summaries1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE conversation_summaries (
        tenant_id varchar(128) NOT NULL,
        conversation_id varchar(128) NOT NULL,
        user_id varchar(128) NOT NULL,
        version integer NOT NULL DEFAULT 0,
        through_seq bigint NOT NULL DEFAULT 0,
        seen_seq bigint NOT NULL DEFAULT 0,
        tier varchar(16) NOT NULL DEFAULT 'full',
        text text NOT NULL DEFAULT '',
        sections jsonb,
        memo jsonb,
        backend varchar(16) NOT NULL DEFAULT 'local',
        llm_pending boolean NOT NULL DEFAULT false,
        llm_base jsonb,
        last_update jsonb,
        input_tokens bigint NOT NULL DEFAULT 0,
        output_tokens bigint NOT NULL DEFAULT 0,
        input_chars bigint NOT NULL DEFAULT 0,
        output_chars bigint NOT NULL DEFAULT 0,
        duration_ms double precision NOT NULL DEFAULT 0,
        published_version integer NOT NULL DEFAULT 0,
        last_received_at timestamptz NOT NULL DEFAULT now(),
        first_message_at timestamptz,
        last_message_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT conversation_summaries_pk PRIMARY KEY (tenant_id, conversation_id)
      )`);
    await queryRunner.query(`
      CREATE INDEX conversation_summaries_waiting_idx ON conversation_summaries (last_received_at)
        WHERE seen_seq > through_seq`);
    await queryRunner.query(`
      CREATE INDEX conversation_summaries_unpublished_idx ON conversation_summaries (updated_at)
        WHERE published_version < version`);
    await queryRunner.query(`
      CREATE INDEX conversation_summaries_llm_pending_idx ON conversation_summaries (updated_at)
        WHERE llm_pending`);
    await queryRunner.query(`
      CREATE TABLE summary_versions (
        tenant_id varchar(128) NOT NULL,
        conversation_id varchar(128) NOT NULL,
        version integer NOT NULL,
        from_seq bigint NOT NULL,
        through_seq bigint NOT NULL,
        backend varchar(16) NOT NULL,
        trigger varchar(16) NOT NULL,
        message_count integer NOT NULL,
        input_tokens integer NOT NULL,
        output_tokens integer NOT NULL,
        input_chars integer NOT NULL,
        output_chars integer NOT NULL,
        duration_ms double precision NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT summary_versions_pk PRIMARY KEY (tenant_id, conversation_id, version)
      )`);
    await queryRunner.query(`
      CREATE TABLE summary_backfills (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        selection jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'running',
        total integer NOT NULL,
        cursor_tenant varchar(128),
        cursor_conversation varchar(128),
        done integer NOT NULL DEFAULT 0,
        failed integer NOT NULL DEFAULT 0,
        skipped integer NOT NULL DEFAULT 0,
        failures jsonb NOT NULL DEFAULT '[]',
        started_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        CONSTRAINT summary_backfills_pk PRIMARY KEY (id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE summary_backfills`);
    await queryRunner.query(`DROP TABLE summary_versions`);
    await queryRunner.query(`DROP TABLE conversation_summaries`);
  }
}
