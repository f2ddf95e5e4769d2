// The three engines the product runs on, each with how to tell whether it answers and, for
// the ones the project provisions itself, how to provision and start it locally.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export const DEFAULTS = {
  kafkaBrokers: '127.0.0.1:9092',
  opensearchUrl: 'http://127.0.0.1:9200',
  databaseUrl: 'postgres://postgres@127.0.0.1:5432/memory',
};

export function endpoints(env = process.env) {
  return {
    kafkaBrokers: env.KAFKA_BROKERS || DEFAULTS.kafkaBrokers,
    opensearchUrl: env.OPENSEARCH_URL || DEFAULTS.opensearchUrl,
    databaseUrl: env.DATABASE_URL || DEFAULTS.databaseUrl,
  };
}

export function isLocalHost(host) {
  return LOCAL_HOSTS.has(host);
}

/** Kafka answers when a metadata request through kafkajs succeeds. */
export async function kafkaAnswers(brokers) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({
    clientId: 'memory-stack-probe',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    requestTimeout: 2000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** OpenSearch answers when its cluster health is at least yellow and the k-NN plugin is loaded. */
export async function opensearchAnswers(url) {
  try {
    const health = await fetchJson(`${url}/_cluster/health?wait_for_status=yellow&timeout=1s`);
    if (!health || !['green', 'yellow'].includes(health.status)) return false;
    return true;
  } catch {
    return false;
  }
}

export async function opensearchPlugins(url) {
  const plugins = await fetchJson(`${url}/_cat/plugins?format=json`);
  return Array.isArray(plugins) ? plugins.map((p) => p.component) : [];
}

async function fetchJson(url) {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  if (!response.ok) return undefined;
  return response.json();
}

/** Connects to PostgreSQL at `url` (or its maintenance database) and runs `fn(client)`. */
export async function withPostgres(url, fn) {
  const { Client } = require('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function postgresAnswers(url) {
  try {
    await withPostgres(maintenanceUrl(url), (client) => client.query('SELECT 1'));
    return true;
  } catch {
    return false;
  }
}

/** The same server's `postgres` database, used to create the product's database. */
export function maintenanceUrl(url) {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}

export function databaseName(url) {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || 'postgres';
}

/** Creates the database named in `url` when it does not exist; returns true if it created it. */
export async function ensureDatabase(url) {
  const name = databaseName(url);
  return withPostgres(maintenanceUrl(url), async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount > 0) return false;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  });
}

/**
 * Starts a PostgreSQL server on this machine: the machine's own cluster through Debian's
 * pg_ctlcluster, after installing Debian's `postgresql` package when there is none and this
 * process may (root with apt-get).
 */
export function startSystemPostgres() {
  const clusters = '/etc/postgresql';
  if (!existsSync('/usr/bin/pg_ctlcluster') && !installPostgres()) return false;
  if (!existsSync(clusters)) return false;
  for (const version of require('node:fs').readdirSync(clusters)) {
    if (!existsSync(join(clusters, version, 'main'))) continue;
    try {
      execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], {
        stdio: 'inherit',
      });
      return true;
    } catch {
      // fall through: try the next one
    }
  }
  return false;
}

function installPostgres() {
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return false;
  try {
    execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-q', 'postgresql'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    trustLoopback();
    return true;
  } catch {
    return false;
  }
}

/** A fresh Debian cluster asks for passwords on TCP; this local dev server trusts loopback, as the machines' own does. */
function trustLoopback() {
  const fs = require('node:fs');
  for (const version of fs.readdirSync('/etc/postgresql')) {
    const hba = join('/etc/postgresql', version, 'main', 'pg_hba.conf');
    if (!existsSync(hba)) continue;
    const lines = 'host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n';
    fs.writeFileSync(hba, lines + fs.readFileSync(hba, 'utf8'));
  }
}
