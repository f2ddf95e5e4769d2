#!/usr/bin/env node
// `npm run demo`: the whole product on this machine, with no API key and no network. It starts
// the stack and the five services (local summarizer, local embedding model), replays the
// sample conversations of deploy/demo/conversations.json through Kafka, waits until every
// summary is searchable, applies the age tiers and the archive policy, prints a few searches
// and where to look next, and keeps running until Ctrl-C.
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { fmt, progress, say, table } from '../../bench/lib/console.mjs';
import {
  cli,
  databaseUrl,
  freshDatabase,
  groupsAtEnd,
  ROOT,
  stackAndBuild,
  startService,
  stopServices,
  until,
  waitReady,
} from '../../bench/lib/services.mjs';

const SCOPE = 'demo';
const DATABASE = 'memory_demo';
const SERVICES = {
  ingest: 3001,
  summarizer: 3002,
  compressor: 3003,
  retention: 3004,
  search: 3005,
};
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/memory';
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const openSearchUrl = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';
const data = JSON.parse(readFileSync(resolve(ROOT, 'deploy/demo/conversations.json'), 'utf8'));
const tenantId = data.tenantId;
const DAY = 86_400_000;

async function api(port, method, path, key, body) {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** Every message of the sample, dated `daysAgo` before now (a conversation keeps its pace). */
function records(now) {
  const out = [];
  for (const conversation of data.conversations) {
    const start = now - conversation.daysAgo * DAY;
    conversation.messages.forEach((message, i) => {
      out.push({
        key: `${tenantId}:${conversation.conversationId}`,
        value: JSON.stringify({
          schema: 'chat.message.v1',
          messageId: `${conversation.conversationId}-${i + 1}`,
          tenantId,
          conversationId: conversation.conversationId,
          userId: conversation.userId,
          role: message.role,
          content: message.content,
          createdAt: new Date(start + message.minutesAfterStart * 60_000).toISOString(),
        }),
      });
    });
  }
  return out;
}

async function main() {
  const total = data.conversations.reduce((n, c) => n + c.messages.length, 0);
  say(
    SCOPE,
    `${data.conversations.length} sample conversations, ${total} messages, tenant "${tenantId}"`,
  );
  stackAndBuild(SCOPE);
  await freshDatabase(SCOPE, serverUrl, DATABASE);
  // A fresh index and archive for the fresh database (summary versions start again at 1).
  await fetch(`${openSearchUrl}/demo-summaries*`, { method: 'DELETE' }).catch(() => undefined);
  const archiveRoot = resolve(ROOT, 'data/demo-archive');
  rmSync(archiveRoot, { recursive: true, force: true });

  const prefix = `demo-${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({ clientId: 'memory-demo', brokers, logLevel: logLevel.NOTHING });
  await groupsAtEnd(kafka, prefix, [
    ['chat.messages.v1', 'ingest'],
    ['memory.messages.v1', 'summarizer'],
    ['memory.summaries.v1', 'search-indexer'],
  ]);
  const env = {
    DATABASE_URL: databaseUrl(serverUrl, DATABASE),
    KAFKA_GROUP_PREFIX: prefix,
    OPENSEARCH_INDEX_PREFIX: 'demo',
    RETENTION_ARCHIVE_ROOT: archiveRoot,
    LOG_LEVEL: 'warn',
    // Fold a conversation's last messages after a second of quiet (60 s by default).
    SUMMARY_IDLE_MS: '1000',
    SUMMARY_SWEEP_INTERVAL_MS: '500',
    ...Object.fromEntries(
      Object.entries(SERVICES).map(([name, port]) => [`${name.toUpperCase()}_PORT`, String(port)]),
    ),
  };
  say(SCOPE, 'starting the five services');
  for (const name of Object.keys(SERVICES)) startService(SCOPE, name, env);
  for (const port of Object.values(SERVICES)) await waitReady(port);

  const keyOf = (scopes) =>
    /key: (\S+)/.exec(
      cli(['api-keys', 'create', '--tenant', tenantId, '--name', 'demo', '--scopes', scopes], env),
    )?.[1];
  const searchKey = keyOf('search');
  const adminKey = keyOf('admin');

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const all = records(Date.now());
  const sending = progress(SCOPE, all.length, 'messages produced to chat.messages.v1');
  for (let i = 0; i < all.length; i += 50) {
    await producer.send({ topic: 'chat.messages.v1', acks: -1, messages: all.slice(i, i + 50) });
    sending.update(Math.min(all.length, i + 50));
  }
  sending.end(all.length);
  await producer.disconnect();

  const waiting = progress(SCOPE, data.conversations.length, 'summaries searchable');
  await until(
    async () => {
      let ready = 0;
      for (const conversation of data.conversations) {
        const summary = await api(
          SERVICES.search,
          'GET',
          `/v1/conversations/${conversation.conversationId}/summary`,
          searchKey,
        ).catch(() => undefined);
        if (summary && summary.throughSeq >= conversation.messages.length) ready++;
      }
      waiting.update(ready);
      return ready === data.conversations.length ? true : undefined;
    },
    'every summary to be searchable',
    600_000,
    1_000,
  );
  waiting.end(data.conversations.length);

  const compressed = await api(SERVICES.compressor, 'POST', '/v1/compress', adminKey, {});
  const tiers = Object.entries(compressed.byTier)
    .filter(([, n]) => n > 0)
    .map(([tier, n]) => `${n} to ${tier}`)
    .join(', ');
  say(SCOPE, `age tiers applied: ${compressed.compressed} compressed (${tiers || 'none due'})`);
  const retained = await api(SERVICES.retention, 'POST', '/v1/retention/run', adminKey, {});
  say(
    SCOPE,
    `retention: ${retained.archived} conversations archived to ${archiveRoot} ` +
      `(${fmt(retained.archivedMessages)} raw messages out of Postgres), importance scored for ` +
      `${retained.importanceUpdated}`,
  );
  // The compressed versions reach the index through Kafka.
  await new Promise((done) => setTimeout(done, 3_000));

  for (const search of data.searches) {
    const answer = await api(SERVICES.search, 'POST', '/v1/search', searchKey, {
      query: search.query,
      mode: search.mode,
      k: 3,
    });
    process.stdout.write(`\n  search: "${search.query}" (${search.mode})\n`);
    const rows = [['#', 'conversation', 'tier', 'score', 'summary']];
    answer.results.forEach((result, i) =>
      rows.push([
        String(i + 1),
        result.conversationId,
        result.tier,
        result.score.toFixed(3),
        oneLine(describe(result), 70),
      ]),
    );
    process.stdout.write(`${indent(table(rows, [0, 3]))}\n`);
  }

  process.stdout.write(`
  The system is running, with these API keys for tenant "${tenantId}":
    search: ${searchKey}
    admin:  ${adminKey}

  Swagger UI (OpenAPI) of each service:
${Object.entries(SERVICES)
  .map(([name, port]) => `    ${name.padEnd(10)} http://localhost:${port}/docs`)
  .join('\n')}

  Try:
    curl -s -X POST localhost:3005/v1/search -H "authorization: Bearer ${searchKey}" \\
      -H 'content-type: application/json' -d '{"query": "what did we decide about the car?"}'
    curl -s localhost:3005/metrics | grep kafka_consumer_lag

  Ctrl-C stops the services (the engines keep running; \`npm run stack:down\` stops them).
`);
  await new Promise((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  say(SCOPE, 'stopping the services');
  stopServices('SIGTERM');
  await new Promise((done) => setTimeout(done, 3_000));
}

/** What a result is about: its title (first sentence of the context), else its first key point. */
function describe(result) {
  const context = result.summary?.context ?? '';
  const title = /^.*?[.!?](?=\s|$)/su.exec(context.trim())?.[0] ?? context;
  return title || result.summary?.keyPoints?.[0] || plainText(result.snippet);
}

/** A highlighted, HTML-escaped snippet as plain text. */
function plainText(html) {
  return String(html ?? '')
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function oneLine(text, width) {
  const flat = String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function indent(text) {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

main().then(
  () => process.exit(0),
  (error) => {
    say(SCOPE, `failed: ${error instanceof Error ? error.message : String(error)}`);
    stopServices('SIGKILL');
    process.exit(1);
  },
);
