// Summary cost benchmark: LLM input tokens of the rolling update (what the summarizer does:
// previous summary + new messages) against re-summarizing the full history at every trigger
// (the approach this product replaces), on the same conversations in the same run.
//
//   npm run bench:summary-cost -- [--out <file.json>]
//
// Steps: the local stack up (idempotent); build; a fresh database memory_bench_summary,
// migrated; an OpenAI-compatible server in this process that counts prompt tokens with a real
// tokenizer (gpt-tokenizer, o200k); ingest and summarizer (dist/, SUMMARY_BACKEND=openai) with a
// fresh consumer-group prefix at the current end of the topics. BENCH_CONVERSATIONS
// conversations of BENCH_MESSAGES messages each (LoCoMo turns, real chat) are streamed like live
// traffic: a few messages per conversation at a time, each step consumed before the next, so
// the summarizer folds at its trigger points (every 10th message, milestones). Rolling tokens
// are what the server was sent. Then, for every version the summarizer made, the full history
// up to its throughSeq is sent once with the same prompt builder (no previous summary): the
// baseline. A report, not a test: it exits 0 whatever the ratio, non-zero when the run fails.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONSUMER_GROUPS, consumerGroupPairs } from '@memory/contracts';
import { locomoTurns } from '@memory/datasets';
import { SummaryRepository, SummaryVersionRepository } from '@memory/persistence';
import { OpenAiSummarizer, SummaryInputMessage } from '@memory/summarization';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { FakeLlmServer } from '../test/support/fake-llm-server';
import { option } from '../deploy/run/console';
import {
  brokers,
  databaseUrl,
  freePort,
  freshDatabase,
  groupsAtEnd,
  intEnv,
  serverUrl,
  stackAndBuild,
  startService,
  stopServices,
  until,
  waitReady,
} from '../deploy/run/services';
import { benchDataSource } from './lib/database';

const TARGET_RATIO = 0.1;
const MAX_SUMMARY_CHARS = 2000;

const config = {
  conversations: intEnv('BENCH_CONVERSATIONS', 3),
  messages: intEnv('BENCH_MESSAGES', 500),
  step: intEnv('BENCH_STEP', 5),
  brokers: brokers(),
  serverUrl: serverUrl(),
  out: outPath(),
};

function outPath(): string | undefined {
  const value = option('out');
  return value === undefined ? undefined : resolve(process.cwd(), value);
}

function say(message: string): void {
  process.stdout.write(`[bench:summary-cost] ${message}\n`);
}

const DB = 'memory_bench_summary';

async function main(): Promise<void> {
  stackAndBuild('bench:summary-cost');
  await freshDatabase('bench:summary-cost', config.serverUrl, DB);

  const llm = new FakeLlmServer({ maxSummaryChars: MAX_SUMMARY_CHARS });
  const baseUrl = await llm.start();
  const kafka = new Kafka({
    clientId: 'bench-summary',
    brokers: config.brokers,
    logLevel: logLevel.NOTHING,
  });
  const prefix = `bench-summary-${randomUUID().slice(0, 8)}`;
  await groupsAtEnd(
    kafka,
    prefix,
    consumerGroupPairs([CONSUMER_GROUPS.ingest, CONSUMER_GROUPS.summarizer]),
  );

  const env = {
    DATABASE_URL: databaseUrl(config.serverUrl, DB),
    KAFKA_GROUP_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    SUMMARY_BACKEND: 'openai',
    OPENAI_BASE_URL: baseUrl,
    OPENAI_MODEL: 'bench-model',
    SUMMARY_MAX_CHARS: String(MAX_SUMMARY_CHARS),
    // Only the count triggers: the idle rule would add timing-dependent folds.
    SUMMARY_IDLE_MS: '0',
  };
  const ingestPort = await freePort();
  const summarizerPort = await freePort();
  startService('bench:summary-cost', 'ingest', { ...env, INGEST_PORT: String(ingestPort) });
  startService('bench:summary-cost', 'summarizer', {
    ...env,
    SUMMARIZER_PORT: String(summarizerPort),
  });
  await waitReady(ingestPort);
  await waitReady(summarizerPort);
  say(`ingest and summarizer ready (group prefix ${prefix})`);

  const files = ['26', '30', '41'];
  const tenantId = 'bench';
  const conversations = Array.from({ length: config.conversations }, (_, c) => {
    const turns = locomoTurns(files[c % files.length], process.env.LOCOMO_DIR || undefined);
    const offset = Math.floor(c / files.length) * 37;
    return {
      id: `conv-${c}`,
      contents: Array.from(
        { length: config.messages },
        (_, i) => turns[(offset + i) % turns.length],
      ),
    };
  });

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const db = await benchDataSource(databaseUrl(config.serverUrl, DB), 'memory-bench-summary');
  const summaries = new SummaryRepository(db);
  const started = Date.now();
  for (let sent = 0; sent < config.messages; sent += config.step) {
    const messages = conversations.flatMap((conversation) =>
      conversation.contents.slice(sent, sent + config.step).map((content, i) => {
        const seq = sent + i + 1;
        return {
          key: `${tenantId}:${conversation.id}`,
          value: JSON.stringify({
            schema: 'chat.message.v1',
            messageId: `${conversation.id}-${seq}`,
            tenantId,
            conversationId: conversation.id,
            userId: seq % 2 === 0 ? 'speaker-b' : 'speaker-a',
            role: 'user',
            content,
            createdAt: new Date(Date.UTC(2026, 0, 1) + seq * 60_000).toISOString(),
          }),
        };
      }),
    );
    await producer.send({ topic: 'chat.messages.v1', acks: -1, messages });
    const expected = Math.min(config.messages, sent + config.step);
    // Live traffic: each step is consumed (and any fold due is made) before the next.
    await until(
      async () => {
        const caughtUp = await summaries.countCaughtUp(
          tenantId,
          expected,
          expected - (expected % 10),
        );
        return caughtUp === conversations.length ? true : undefined;
      },
      `step ${expected}`,
      300_000,
      100,
    );
    if (expected % 100 === 0)
      say(`streamed ${expected}/${config.messages} messages per conversation`);
  }
  await producer.disconnect();
  const streamSeconds = (Date.now() - started) / 1000;
  const rollingInputTokens = llm.promptTokens;
  const rollingCalls = llm.requests.filter((request) => request.mode === 'ok').length;

  // The baseline: the full history at every point where the summarizer folded.
  const versions = await new SummaryVersionRepository(db).throughSeqsOfTenant(tenantId);
  await db.destroy();
  stopServices();
  llm.reset();
  const baseline = new OpenAiSummarizer({ baseUrl, model: 'bench-model', concurrency: 1 });
  const perConversation: Array<{ id: string; triggers: number }> = [];
  let done = 0;
  for (const conversation of conversations) {
    const points = versions
      .filter((v) => v.conversation_id === conversation.id)
      .map((v) => Number(v.through_seq));
    perConversation.push({ id: conversation.id, triggers: points.length });
    for (const through of points) {
      const history: SummaryInputMessage[] = conversation.contents
        .slice(0, through)
        .map((content, i) => ({
          seq: i + 1,
          role: 'user',
          userId: (i + 1) % 2 === 0 ? 'speaker-b' : 'speaker-a',
          content,
          createdAt: new Date(Date.UTC(2026, 0, 1) + (i + 1) * 60_000).toISOString(),
        }));
      await baseline.fold(null, history, { maxSummaryChars: MAX_SUMMARY_CHARS });
      done++;
    }
  }
  const fullResummaryInputTokens = llm.promptTokens;
  await llm.stop();

  const ratio = rollingInputTokens / fullResummaryInputTokens;
  const report = {
    benchmark: 'summary-cost',
    conversations: config.conversations,
    messagesPerConversation: config.messages,
    triggersPerConversation: perConversation,
    tokenizer:
      'gpt-tokenizer (o200k_base) plus per-message framing, counted by the in-process OpenAI-compatible server',
    maxSummaryChars: MAX_SUMMARY_CHARS,
    rollingCalls,
    fullResummaryCalls: done,
    rollingInputTokens,
    fullResummaryInputTokens,
    ratio: Number(ratio.toFixed(4)),
    target: `ratio <= ${TARGET_RATIO}`,
    met: ratio <= TARGET_RATIO,
    streamSeconds: Number(streamSeconds.toFixed(1)),
  };
  say(
    `rolling update:        ${rollingInputTokens.toLocaleString('en-US')} input tokens in ${rollingCalls} calls`,
  );
  say(
    `full re-summary:       ${fullResummaryInputTokens.toLocaleString('en-US')} input tokens in ${done} calls`,
  );
  say(
    `ratio rolling / full:  ${ratio.toFixed(4)} (target <= ${TARGET_RATIO}: ${report.met ? 'met' : 'NOT met'})`,
  );
  if (config.out) {
    writeFileSync(config.out, `${JSON.stringify(report, null, 2)}\n`);
    say(`wrote ${config.out}`);
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[bench:summary-cost] failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  process.exit(1);
});
