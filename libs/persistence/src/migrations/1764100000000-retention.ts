import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Retention: where each conversation's raw messages were archived (file, checksum, seq range),
 * the ids of archived messages (so a replayed message is not stored a second time), the erasure
 * list (hashed ids only: it stops replays from bringing erased data back without keeping the
 * ids themselves), reads per day (for importance), and an outbox of lifecycle events owed to
 * `memory.lifecycle.v1`.
 */
export class Retention1764100000000 implements MigrationInterface {
  name = 'Retention1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE conversation_archives (
        tenant_id varchar(128) NOT NULL,
        conversation_id varchar(128) NOT NULL,
        relative_path text NOT NULL,
        revision integer NOT NULL,
        sha256 char(64) NOT NULL,
        bytes bigint NOT NULL,
        message_count integer NOT NULL,
        first_seq bigint NOT NULL,
        last_seq bigint NOT NULL,
        user_ids varchar(128)[] NOT NULL,
        archived_at timestamptz NOT NULL DEFAULT now(),
        verified_at timestamptz NOT NULL DEFAULT now(),
        restored_at timestamptz,
        CONSTRAINT conversation_archives_pk PRIMARY KEY (tenant_id, conversation_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE archived_message_ids (
        tenant_id varchar(128) NOT NULL,
        message_id varchar(128) NOT NULL,
        conversation_id varchar(128) NOT NULL,
        seq bigint NOT NULL,
        CONSTRAINT archived_message_ids_pk PRIMARY KEY (tenant_id, message_id)
      )`);
    await queryRunner.query(`
      CREATE INDEX archived_message_ids_conversation_idx
        ON archived_message_ids (tenant_id, conversation_id)`);
    await queryRunner.query(`
      CREATE TABLE erasures (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id varchar(128) NOT NULL,
        subject_kind varchar(16) NOT NULL,
        subject_hash char(64) NOT NULL,
        reason varchar(16) NOT NULL,
        counts jsonb NOT NULL,
        pending jsonb NOT NULL,
        erased_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        CONSTRAINT erasures_pk PRIMARY KEY (id),
        CONSTRAINT erasures_kind_ck CHECK (subject_kind IN ('conversation', 'user'))
      )`);
    await queryRunner.query(
      `CREATE INDEX erasures_subject_idx ON erasures (tenant_id, subject_hash, erased_at)`,
    );
    await queryRunner.query(
      `CREATE INDEX erasures_incomplete_idx ON erasures (erased_at) WHERE completed_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE conversation_reads (
        tenant_id varchar(128) NOT NULL,
        conversation_id varchar(128) NOT NULL,
        day date NOT NULL,
        reads integer NOT NULL,
        CONSTRAINT conversation_reads_pk PRIMARY KEY (tenant_id, conversation_id, day)
      )`);
    await queryRunner.query(`
      CREATE TABLE lifecycle_outbox (
        id bigserial NOT NULL,
        record_key text NOT NULL,
        event jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT lifecycle_outbox_pk PRIMARY KEY (id)
      )`);
    await queryRunner.query(`
      ALTER TABLE conversation_summaries
        ADD COLUMN importance_facts jsonb,
        ADD COLUMN archive_hold_until timestamptz`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE conversation_summaries
        DROP COLUMN importance_facts, DROP COLUMN archive_hold_until`);
    await queryRunner.query(`DROP TABLE lifecycle_outbox`);
    await queryRunner.query(`DROP TABLE conversation_reads`);
    await queryRunner.query(`DROP TABLE erasures`);
    await queryRunner.query(`DROP TABLE archived_message_ids`);
    await queryRunner.query(`DROP TABLE conversation_archives`);
  }
}
