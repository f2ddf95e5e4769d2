import { dataSourceOptions } from '@memory/persistence';
import { DataSource } from 'typeorm';

/**
 * An initialized DataSource on the database at `url`, built as the CLI builds its own (the
 * persistence library's options), for a benchmark to read through the tables' owners. It holds
 * one connection, opened here and kept until `destroy()` (the pool's idle close is off), as the
 * single pg.Client the benchmarks used to hold: a query made while something is being measured
 * never waits for a new connection, and the benchmark adds exactly one backend to its database.
 */
export async function benchDataSource(url: string, applicationName: string): Promise<DataSource> {
  const options = dataSourceOptions({ url, poolSize: 1, ssl: false }, applicationName);
  const dataSource = new DataSource({
    ...options,
    extra: { ...(options.extra as object), idleTimeoutMillis: 0 },
  });
  await dataSource.initialize();
  return dataSource;
}
