import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Summary history: each summary version keeps the sections it held and its tier, so the
 * versions endpoint can show what every update added and removed. Bounded per conversation by
 * `SUMMARY_HISTORY_VERSIONS` (older versions keep their counts, their sections go); rows written
 * before this migration have none.
 */
export class SummaryHistory1764200000000 implements MigrationInterface {
  name = 'SummaryHistory1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE summary_versions
        ADD COLUMN sections jsonb,
        ADD COLUMN tier varchar(16)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE summary_versions DROP COLUMN sections, DROP COLUMN tier`);
  }
}
