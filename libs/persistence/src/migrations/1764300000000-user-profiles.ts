import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * User profiles: per (tenant, user), a rolling profile built from that user's conversation
 * summaries (facts, preferences, decisions, open items, each with the conversations it came
 * from). `source_conversations` lists every conversation the profile was built from, so erasing
 * one finds and drops the profiles built from it; `input_hash` is what the profile was built from
 * (the conversations and their summary versions), so an unchanged input is not built again.
 */
export class UserProfiles1764300000000 implements MigrationInterface {
  name = 'UserProfiles1764300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE user_profiles (
        tenant_id varchar(128) NOT NULL,
        user_id varchar(128) NOT NULL,
        version integer NOT NULL,
        sections jsonb NOT NULL,
        source_conversations text[] NOT NULL,
        input_hash char(64) NOT NULL,
        backend varchar(16) NOT NULL,
        built_at timestamptz NOT NULL,
        checked_at timestamptz NOT NULL,
        CONSTRAINT user_profiles_pk PRIMARY KEY (tenant_id, user_id)
      )`);
    await queryRunner.query(
      `CREATE INDEX user_profiles_sources ON user_profiles USING gin (source_conversations)`,
    );
    // A user's summaries, newest first: what a profile is built from.
    await queryRunner.query(
      `CREATE INDEX conversation_summaries_user_idx
         ON conversation_summaries (tenant_id, user_id, last_message_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX conversation_summaries_user_idx`);
    await queryRunner.query(`DROP TABLE user_profiles`);
  }
}
