import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE conversations (
        tenant_id varchar(128) NOT NULL,
        conversation_id varchar(128) NOT NULL,
        user_id varchar(128) NOT NULL,
        message_count integer NOT NULL DEFAULT 0,
        last_seq bigint NOT NULL DEFAULT 0,
        first_message_at timestamptz,
        last_message_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT conversations_pk PRIMARY KEY (tenant_id, conversation_id)
      )`);
    await queryRunner.query(`
      CREATE TABLE messages (
        tenant_id varchar(128) NOT NULL,
        message_id varchar(128) NOT NULL,
        conversation_id varchar(128) NOT NULL,
        seq bigint NOT NULL,
        user_id varchar(128) NOT NULL,
        role varchar(16) NOT NULL,
        content text NOT NULL,
        metadata jsonb,
        created_at timestamptz NOT NULL,
        ingested_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT messages_pk PRIMARY KEY (tenant_id, message_id),
        CONSTRAINT messages_role_ck CHECK (role IN ('user', 'assistant', 'system', 'tool'))
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX messages_conversation_seq_uq ON messages (tenant_id, conversation_id, seq)`,
    );
    await queryRunner.query(
      `CREATE INDEX conversations_last_message_idx ON conversations (tenant_id, last_message_at)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE messages`);
    await queryRunner.query(`DROP TABLE conversations`);
  }
}
