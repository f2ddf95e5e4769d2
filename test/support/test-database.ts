import { randomUUID } from 'node:crypto';

/**
 * The migrated test database, apart from development data. The e2e set-up migrates it once; no
 * test connects to it: it is the template each test file's own database is copied from.
 */
export const TEMPLATE_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/memory_test';

/** Names of the per-file databases start with this, so the set-up can drop those a killed run left. */
export const FILE_DATABASE_PREFIX = `${new URL(TEMPLATE_DATABASE_URL).pathname.slice(1)}_f_`;

/**
 * This test file's own database (a fresh copy of the template, made before its first test by
 * test/support/file-database.ts and dropped after its last): what another file, a benchmark or
 * the demo wrote cannot change what this file counts, and whole-database work (a reindex, a
 * retention pass) sees only this file's rows.
 */
export const TEST_DATABASE_URL = (() => {
  const url = new URL(TEMPLATE_DATABASE_URL);
  url.pathname = `/${FILE_DATABASE_PREFIX}${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  return url.toString();
})();

/**
 * Deletes every row of `tenantId` from every table that has a `tenant_id` column: a suite that
 * writes a lot (the fault test) leaves its database as small as it found it.
 */
export async function deleteTenant(
  query: (sql: string, parameters?: unknown[]) => Promise<unknown>,
  tenantId: string,
): Promise<void> {
  const tables = (await query(
    `SELECT table_name FROM information_schema.columns
      WHERE table_schema = 'public' AND column_name = 'tenant_id'`,
  )) as Array<{ table_name: string }>;
  for (const { table_name } of tables)
    await query(`DELETE FROM "${table_name}" WHERE tenant_id = $1`, [tenantId]);
}
