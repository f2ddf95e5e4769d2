import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Credentials for one end user. `api_keys.user_id`: a key bound to a user reads and writes only
 * that user's conversations. `tenant_jwt_keys`: the keys a tenant verifies its own short-lived
 * tokens with (an HS256 secret, or an RS256/ES256 public key in PEM), so its product can hand
 * each end user a token carrying tenant, user and scopes. Configured, never fetched.
 */
export class UserCredentials1764500000000 implements MigrationInterface {
  name = 'UserCredentials1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE api_keys ADD COLUMN user_id varchar(128)`);
    await queryRunner.query(`
      CREATE TABLE tenant_jwt_keys (
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        tenant_id varchar(128) NOT NULL,
        name varchar(200) NOT NULL,
        algorithm varchar(8) NOT NULL CHECK (algorithm IN ('HS256', 'RS256', 'ES256')),
        key_material text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz,
        CONSTRAINT tenant_jwt_keys_pk PRIMARY KEY (id)
      )`);
    await queryRunner.query(
      `CREATE INDEX tenant_jwt_keys_tenant ON tenant_jwt_keys (tenant_id) WHERE revoked_at IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tenant_jwt_keys`);
    await queryRunner.query(`ALTER TABLE api_keys DROP COLUMN user_id`);
  }
}
