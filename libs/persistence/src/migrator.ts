import { DatabaseConfig } from '@memory/config';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options';

/** Applies every pending migration in its own transaction; returns the names applied. */
export async function runMigrations(config: DatabaseConfig): Promise<string[]> {
  const dataSource = new DataSource(dataSourceOptions(config, 'memory-migrate'));
  await dataSource.initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await dataSource.destroy();
  }
}
