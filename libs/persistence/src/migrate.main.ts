import { ConfigError, EnvReader, readDatabaseConfig } from '@memory/config';
import { runMigrations } from './migrator';

async function main(): Promise<void> {
  const read = new EnvReader(process.env);
  const database = readDatabaseConfig(read);
  read.assertValid();
  const applied = await runMigrations(database);
  console.log(
    applied.length === 0
      ? 'migrations: schema is up to date'
      : `migrations: applied ${applied.length}: ${applied.join(', ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(
    error instanceof ConfigError ? error.message : `migrations failed: ${String(error)}`,
  );
  process.exit(1);
});
