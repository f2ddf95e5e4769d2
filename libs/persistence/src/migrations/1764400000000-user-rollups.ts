import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Monthly roll-ups: per (tenant, user, month), a summary of that month's conversation summaries
 * of the user (by the month of each conversation's last message), with the conversations it
 * was built from (`source_conversations`, so erasing one drops the roll-ups built from it) and
 * the hash of what it was built from (`input_hash`, so an unchanged month is not built again).
 * `search_text` is what a roll-up is searched by (Postgres full-text, English).
 */
export class UserRollups1764400000000 implements MigrationInterface {
  name = 'UserRollups1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE user_rollups (
        tenant_id varchar(128) NOT NULL,
        user_id varchar(128) NOT NULL,
        month char(7) NOT NULL,
        version integer NOT NULL,
        text text NOT NULL,
        sections jsonb NOT NULL,
        source_conversations text[] NOT NULL,
        input_hash char(64) NOT NULL,
        backend varchar(16) NOT NULL,
        built_at timestamptz NOT NULL,
        search_text tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED,
        CONSTRAINT user_rollups_pk PRIMARY KEY (tenant_id, user_id, month)
      )`);
    await queryRunner.query(
      `CREATE INDEX user_rollups_sources ON user_rollups USING gin (source_conversations)`,
    );
    await queryRunner.query(
      `CREATE INDEX user_rollups_search ON user_rollups USING gin (search_text)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE user_rollups`);
  }
}
