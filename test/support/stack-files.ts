import { resolve } from 'node:path';

/** Where the test setup records which engines it started, for the teardown to stop them. */
export const STARTED_ENGINES_FILE = resolve(__dirname, '../../.stack/started-by-tests.json');
