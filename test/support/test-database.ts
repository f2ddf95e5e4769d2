/** The database the e2e tests and the services they start use, apart from development data. */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/memory_test';
