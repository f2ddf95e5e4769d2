/** The database the e2e tests and the services they start use, apart from development data. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/memory_test';

/**
 * Deletes every row of `tenantId` from every table that has a `tenant_id` column: a suite that
 * writes a lot (the fault test) leaves the shared test database as small as it found it, so
 * that whole-database operations of other suites (a reindex) stay quick.
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
