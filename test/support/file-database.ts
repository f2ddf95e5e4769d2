import { Client } from 'pg';
import { TEMPLATE_DATABASE_URL, TEST_DATABASE_URL } from './test-database';

/*
 * Runs in every e2e file before its tests (jest setupFilesAfterEnv): the file gets a database of
 * its own, copied from the migrated template, and drops it at the end.
 */

const name = new URL(TEST_DATABASE_URL).pathname.slice(1);

/** A statement on the server's maintenance database (a database cannot create or drop itself). */
async function onServer(sql: string): Promise<void> {
  const url = new URL(TEMPLATE_DATABASE_URL);
  url.pathname = '/postgres';
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  const template = new URL(TEMPLATE_DATABASE_URL).pathname.slice(1);
  // The template may still be held for a moment by a process a previous file killed.
  for (let attempt = 1; ; attempt++) {
    try {
      await onServer(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      return;
    } catch (error) {
      if (attempt >= 40 || !/being accessed by other users/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}, 30_000);

afterAll(async () => {
  // WITH (FORCE) ends what the file's service processes may still hold.
  await onServer(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}, 30_000);
