// `npm run demo`: the whole product on this machine, with no API key and no network. It starts
// the stack and the five services (local summarizer, local embedding model), replays the
// sample conversations of deploy/demo/conversations.json through Kafka, waits until every
// summary is searchable, applies the age tiers and the archive policy, prints a few searches
// and where to look next, and keeps running until Ctrl-C, which stops the services (the
// engines keep running) and exits 0, also when it comes during the set-up.
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ChatMessageRecord,
  chatMessageRecord,
  ChatRole,
  MemoryClient,
  SearchMode,
  SearchResult,
} from '@memory/client';
import { consumerGroupPairs } from '@memory/contracts';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { Cell, fmt, progress, say, table } from '../run/console';
import {
  apiKey,
  brokers as brokersOf,
  databaseUrl,
  freshDatabase,
  groupsAtEnd,
  InterruptedError,
  ROOT,
  serverUrl as serverUrlOf,
  stackAndBuild,
  startService,
  stopServices,
  stopServicesAndWait,
  stopStartedEngines,
  until,
  waitReady,
} from '../run/services';

const SCOPE = 'demo';
const DATABASE = 'memory_demo';
const SERVICES = {
  ingest: 3001,
  summarizer: 3002,
  compressor: 3003,
  retention: 3004,
  search: 3005,
};
/** The MCP server for agents (apps/mcp), in front of the services. */
const MCP_PORT = 3006;
const local = (port: number) => `http://127.0.0.1:${port}`;
const serverUrl = serverUrlOf();
const brokers = brokersOf();
const openSearchUrl = process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200';

/** deploy/demo/conversations.json */
interface DemoData {
  tenantId: string;
  conversations: Array<{
    conversationId: string;
    userId: string;
    daysAgo: number;
    messages: Array<{ role: string; content: string; minutesAfterStart: number }>;
  }>;
  searches: Array<{ query: string; mode: string; expect?: string }>;
}

const CONTEXT_QUERY = 'What did we decide about the car?';

const data = JSON.parse(
  readFileSync(resolve(ROOT, 'deploy/demo/conversations.json'), 'utf8'),
) as DemoData;
const tenantId = data.tenantId;
const DAY = 86_400_000;

/** Every message of the sample, dated `daysAgo` before now (a conversation keeps its pace). */
function records(now: number): ChatMessageRecord[] {
  const out: ChatMessageRecord[] = [];
  for (const conversation of data.conversations) {
    const start = now - conversation.daysAgo * DAY;
    conversation.messages.forEach((message, i) =>
      out.push(
        chatMessageRecord(tenantId, {
          messageId: `${conversation.conversationId}-${i + 1}`,
          conversationId: conversation.conversationId,
          userId: conversation.userId,
          role: message.role as ChatRole,
          content: message.content,
          createdAt: new Date(start + message.minutesAfterStart * 60_000).toISOString(),
        }),
      ),
    );
  }
  return out;
}

async function main(): Promise<void> {
  const total = data.conversations.reduce((n, c) => n + c.messages.length, 0);
  say(
    SCOPE,
    `${data.conversations.length} sample conversations, ${total} messages, tenant "${tenantId}"`,
  );
  stackAndBuild(SCOPE);
  await freshDatabase(SCOPE, serverUrl, DATABASE);
  // A fresh index and archive for the fresh database (summary versions start again at 1).
  for (const index of ['demo-summaries*', 'demo-passages*'])
    await fetch(`${openSearchUrl}/${index}`, { method: 'DELETE' }).catch(() => undefined);
  const archiveRoot = resolve(ROOT, 'data/demo-archive');
  rmSync(archiveRoot, { recursive: true, force: true });

  const prefix = `demo-${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({ clientId: 'memory-demo', brokers, logLevel: logLevel.NOTHING });
  await groupsAtEnd(kafka, prefix, consumerGroupPairs());
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
  say(SCOPE, 'starting the five services and the MCP server');
  for (const name of Object.keys(SERVICES)) startService(SCOPE, name, env);
  startService(SCOPE, 'mcp', {
    ...env,
    MCP_PORT: String(MCP_PORT),
    MEMORY_INGEST_URL: local(SERVICES.ingest),
    MEMORY_SEARCH_URL: local(SERVICES.search),
    MEMORY_RETENTION_URL: local(SERVICES.retention),
  });
  for (const port of [...Object.values(SERVICES), MCP_PORT]) await waitReady(port);

  const searchKey = apiKey(tenantId, 'demo', 'search', env);
  const agentKey = apiKey(tenantId, 'demo-agent', 'search,ingest', env);
  const adminKey = apiKey(tenantId, 'demo', 'admin', env);
  const urls = {
    ingest: local(SERVICES.ingest),
    search: local(SERVICES.search),
    retention: local(SERVICES.retention),
    compressor: local(SERVICES.compressor),
  };
  const memory = new MemoryClient({ apiKey: searchKey, urls });
  const admin = new MemoryClient({ apiKey: adminKey, urls }).admin;

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
        const summary = await memory
          .summary(conversation.conversationId, { timeoutMs: 5_000 })
          .catch(() => undefined);
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

  const compressed = (await admin.compress()) as {
    compressed: number;
    byTier: Record<string, number>;
  };
  const tiers = Object.entries(compressed.byTier)
    .filter(([, n]) => n > 0)
    .map(([tier, n]) => `${n} to ${tier}`)
    .join(', ');
  say(SCOPE, `age tiers applied: ${compressed.compressed} compressed (${tiers || 'none due'})`);
  const retained = (await admin.retention()) as {
    archived: number;
    archivedMessages: number;
    importanceUpdated: number;
  };
  say(
    SCOPE,
    `retention: ${retained.archived} conversations archived to ${archiveRoot} ` +
      `(${fmt(retained.archivedMessages)} raw messages out of Postgres), importance scored for ` +
      `${retained.importanceUpdated}`,
  );
  // The compressed versions reach the index through Kafka.
  await new Promise((done) => setTimeout(done, 3_000));

  for (const search of data.searches) {
    const answer = await memory.search({
      query: search.query,
      mode: search.mode as SearchMode,
      k: 3,
      evidence: 2,
    });
    const first = answer.results[0]?.conversationId;
    const verdict =
      search.expect === undefined
        ? ''
        : first === search.expect
          ? ' ✓'
          : ` (expected ${search.expect})`;
    process.stdout.write(`\n  search: "${search.query}" (${search.mode})${verdict}\n`);
    const rows: Cell[][] = [['#', 'conversation', 'tier', 'score', 'summary']];
    answer.results.forEach((result, i) =>
      rows.push([
        String(i + 1),
        result.conversationId,
        result.tier ?? '-',
        result.score.toFixed(3),
        oneLine(describe(result), 70),
      ]),
    );
    process.stdout.write(`${indent(table(rows, [0, 3]))}\n`);
    for (const result of answer.results) {
      if (result.evidenceSource === 'summary')
        process.stdout.write(
          `      ${result.conversationId}: archived, evidence from its summary\n`,
        );
      for (const line of result.evidence ?? [])
        process.stdout.write(`      ${oneLine(evidenceLine(result.conversationId, line), 96)}\n`);
    }
  }

  const context = await memory.context({ query: CONTEXT_QUERY, tokenBudget: 300 });
  process.stdout.write(
    `\n  context for a prompt: "${CONTEXT_QUERY}" (POST /v1/context, ${context.tokens} of ` +
      `${context.budget} tokens, ${context.items.length} items)\n${indent(indent(context.text))}\n`,
  );

  process.stdout.write(`
  The system is running, with these API keys for tenant "${tenantId}":
    search: ${searchKey}
    agent:  ${agentKey}   (search and ingest: every MCP tool)
    admin:  ${adminKey}

  Swagger UI (OpenAPI) of each service:
${Object.entries(SERVICES)
  .map(([name, port]) => `    ${name.padEnd(10)} http://localhost:${port}/docs`)
  .join('\n')}

  Try:
    curl -s -X POST localhost:3005/v1/search -H "authorization: Bearer ${searchKey}" \\
      -H 'content-type: application/json' -d '{"query": "what did we decide about the car?"}'
    curl -s -X POST localhost:3005/v1/context -H "authorization: Bearer ${searchKey}" \\
      -H 'content-type: application/json' -d '{"query": "what did we decide about the car?", "tokenBudget": 500}'
    curl -s localhost:3005/metrics | grep kafka_consumer_lag

  An agent's MCP client (Claude Desktop, Cursor, VS Code, ...) reaches memory at
  http://localhost:${MCP_PORT}/mcp (Streamable HTTP) with the agent key, for example:
    {"mcpServers": {"memory": {"url": "http://localhost:${MCP_PORT}/mcp",
      "headers": {"Authorization": "Bearer ${agentKey}"}}}}
  or over stdio, started by the client itself:
    {"mcpServers": {"memory": {"command": "node", "args": ["${resolve(ROOT, 'dist/apps/mcp/src/main.js')}"],
      "env": {"MCP_TRANSPORT": "stdio", "MEMORY_API_KEY": "${agentKey}"}}}}

  Ctrl-C stops the services, and the engines if this demo started them (STACK_KEEP=true keeps them).
`);
}

/** One evidence line: where in the conversation, when, who, and what was said. */
function evidenceLine(conversationId: string, evidence: SearchResult['evidence'][number]): string {
  const date = (evidence.at ?? '').slice(0, 10);
  const text = evidence.highlights?.[0] ? plainText(evidence.highlights[0]) : evidence.text;
  return `[${conversationId}#${evidence.seqFrom}-${evidence.seqTo}] ${date} ${text}`;
}

/** What a result is about: its title (first sentence of the context), else its first key point. */
function describe(result: SearchResult): string {
  const context = result.summary?.context ?? '';
  const title = /^.*?[.!?](?=\s|$)/su.exec(context.trim())?.[0] ?? context;
  return title || result.summary?.keyPoints?.[0] || plainText(result.snippet);
}

/** A highlighted, HTML-escaped snippet as plain text. */
function plainText(html: string | undefined): string {
  return String(html ?? '')
    .replace(/<[^>]+>/g, '')
    .replace(/&quot;/g, '"')
    .replace(/&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function oneLine(text: string, width: number): string {
  const flat = String(text ?? '')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

let stopping = false;

/**
 * Stops the services this demo started, then the engines it started (none when they were
 * running already; STACK_KEEP=true keeps them), and exits with `code`.
 */
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say(SCOPE, 'stopping the services');
  await stopServicesAndWait();
  stopStartedEngines(SCOPE);
  process.exit(code);
}

// Installed before anything starts: Ctrl-C during the set-up stops what is already running.
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

main().then(
  () => undefined, // the services keep the demo running until a signal stops it
  (error: unknown) => {
    if (error instanceof InterruptedError || stopping) {
      void stop(0);
      return;
    }
    say(SCOPE, `failed: ${error instanceof Error ? error.message : String(error)}`);
    stopServices('SIGKILL');
    process.exit(1);
  },
);
