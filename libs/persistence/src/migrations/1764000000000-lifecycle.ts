import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Age tiers: a compressed summary keeps its full sections beside the compressed ones (later
 * tiers are cut from the full summary, and new activity folds on from it), each compression is
 * recorded with its size ratio and retention score, and the lifecycle event it owes is an
 * outbox row until published. Importance and pins are what keep a conversation richer longer.
 */
export class Lifecycle1764000000000 implements MigrationInterface {
  name = 'Lifecycle1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE conversation_summaries
        ADD COLUMN full_sections jsonb,
        ADD COLUMN importance real NOT NULL DEFAULT 0,
        ADD COLUMN pinned boolean NOT NULL DEFAULT false,
        ADD COLUMN tier_changed_at timestamptz`);
    await queryRunner.query(`
      CREATE INDEX conversation_summaries_compressible_idx
        ON conversation_summaries (last_message_at)
        WHERE tier <> 'metadata' AND version > 0`);
    await queryRunner.query(`
      CREATE TABLE summary_compressions (
        tenant_id varchar(128) NOT NULL,
        conversation_id varchar(128) NOT NULL,
        version integer NOT NULL,
        from_tier varchar(16) NOT NULL,
        to_tier varchar(16) NOT NULL,
        ratio double precision NOT NULL,
        retention double precision NOT NULL,
        full_chars integer NOT NULL,
        compressed_chars integer NOT NULL,
        published boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT summary_compressions_pk PRIMARY KEY (tenant_id, conversation_id, version)
      )`);
    await queryRunner.query(`
      CREATE INDEX summary_compressions_unpublished_idx ON summary_compressions (created_at)
        WHERE NOT published`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE summary_compressions`);
    await queryRunner.query(`DROP INDEX conversation_summaries_compressible_idx`);
    await queryRunner.query(`
      ALTER TABLE conversation_summaries
        DROP COLUMN full_sections, DROP COLUMN importance, DROP COLUMN pinned,
        DROP COLUMN tier_changed_at`);
  }
}
