// LoCoMo evaluation of the running system (Maharana et al., "Evaluating Very Long-Term
// Conversational Memory of LLM Agents", ACL 2024). A report, not a test: it exits 0 whatever
// the figures, 1 when the run itself fails (a stage not reached, a service error).
//
//   npm run eval:locomo -- [--data <dir>] [--out <file.json>] [--k 10]
//                          [--age live|compressed|archived|old] [--tune] [--lists-out <file>]
//
// Each LoCoMo file becomes a tenant (`locomo-<file>`), each session a conversation
// (`session-<n>`), each turn a message whose id is its dia_id ("D3:5"). Steps: stack up; build;
// a fresh database memory_eval, migrated; ingest, summarizer (local backend) and search from
// dist/ with a fresh consumer-group and index prefix; every turn produced; wait until every
// session is summarized and indexed, and its passages indexed with vectors; the sessions brought
// to the --age stage by the real compressor and retention passes (bench/lib/age-stages.ts);
// then, for every question of categories 1-4:
// - conversation recall per mode through POST /v1/search: the sessions its evidence names are
//   the relevant results (recall@1/5/10, MRR), with two session baselines over the raw text
//   (bm25Raw, hybridRaw: bench/lib/raw-baselines.ts);
// - context evidence recall through POST /v1/context at 500, 1000 and 2000 tokens: the share of
//   its evidence turns the context cites, against BM25 over single raw turns packed into the
//   same budget (bm25Turns: bench/lib/context-recall.ts);
// - every session's importance is scored first (`memory importance`, as retention does), and
//   searches are filtered and boosted by it as in production (SEARCH_IMPORTANCE_BOOST, set to
//   0 to measure without the boost);
// - with --tune, the fusion weights chosen by leave-one-conversation-out over the four lists
//   fetched from the run's indexes (bench/lib/fusion-tuning.ts); --lists-out writes those
//   lists with each question as JSON, and BENCH_KEEP_INDEX=true keeps the run's indices.
// --tier <full|key_points|brief|metadata> of earlier versions is read as the --age holding it.
// BENCH_SKIP_BUILD=true runs the dist/ of an earlier build as it is.
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SUMMARY_TIERS, SummaryTier } from '@memory/contracts';
import { DEFAULT_IMPORTANCE_BOOST } from '@memory/search-index';
import { DEFAULT_LOCOMO_DIR, loadLocomo, LocomoConversation } from '@memory/datasets';
import { LocalEmbedder } from '@memory/embeddings';
import { Kafka, logLevel } from 'kafkajs';
import { DEFAULT_MODEL, defaultStackDir } from '../deploy/stack/models.mjs';
import { option, progress, say } from '../deploy/run/console';
import { EvalTools } from './lib/eval-tools';
import {
  apiKey,
  brokers,
  cli,
  databaseUrl,
  freePort,
  freshDatabase,
  groupsAtEnd,
  serverUrl,
  sleep,
  stackAndBuild,
  startService,
  until,
  waitReady,
} from '../deploy/run/services';
import {
  Age,
  AGE_OF_TIER,
  agePlan,
  AGES,
  bringToAge,
  isAge,
  scoreImportance,
} from './lib/age-stages';
import { bm25TurnsRecall, CONTEXT_BUDGETS, contextRecall } from './lib/context-recall';
import { barsOf, EvalReport, reportText } from './lib/eval-report';
import { fetchLists, leaveOneConversationOut, writeLists } from './lib/fusion-tuning';
import { questionsOf, sessionNumberOf, tenantOf } from './lib/locomo-evidence';
import {
  checkGroups,
  SERVICE_GROUPS,
  produceTurns,
  waitPassages,
  waitSummarized,
} from './lib/locomo-replay';
import { rawTextBaselines } from './lib/raw-baselines';
import { Metrics, metricsOf, summarize } from './lib/retrieval-metrics';

const MODES = ['hybrid', 'semantic', 'keyword'] as const;
const tools: EvalTools = {
  say: (message) => say('eval', message),
  progress: (total, unit) => progress('eval', total, unit),
  cli,
  until: (probe, what) => until(probe, what),
  sleep,
};
const DB = 'memory_eval';

const config = {
  data: resolve(process.cwd(), option('data', process.env.LOCOMO_DIR || DEFAULT_LOCOMO_DIR)),
  age: ageOption(),
  tune: process.argv.includes('--tune'),
  listsOut: option('lists-out'),
  out: option('out'),
  k: Number(option('k', '10')),
  brokers: brokers(),
  serverUrl: serverUrl(),
  opensearch: process.env.OPENSEARCH_URL ?? 'http://127.0.0.1:9200',
};

function ageOption(): Age {
  const tier = option('tier');
  const age = option('age', tier === undefined ? 'live' : '');
  if (tier !== undefined) {
    if (!(SUMMARY_TIERS as readonly string[]).includes(tier))
      throw new Error(`--tier must be one of ${SUMMARY_TIERS.join(', ')}, not ${tier}`);
    const mapped = AGE_OF_TIER[tier as SummaryTier];
    if (age && age !== mapped) throw new Error(`--tier ${tier} is --age ${mapped}, not ${age}`);
    return mapped;
  }
  if (!isAge(age)) throw new Error(`--age must be one of ${AGES.join(', ')}, not ${age}`);
  return age;
}

async function main(): Promise<void> {
  const conversations = loadLocomo(config.data);
  if (conversations.length === 0) throw new Error(`no LoCoMo *.json files in ${config.data}`);
  const questions = questionsOf(conversations);
  const sessions = conversations.reduce((n, c) => n + c.sessions.length, 0);
  const plan = agePlan(conversations, config.age);
  say(
    'eval',
    `${conversations.length} conversations, ${sessions} sessions, ${questions.length} questions ` +
      `(categories 1-4) from ${config.data}; age ${plan.age} (${plan.tier}` +
      `${plan.archived ? ', archived' : ''}) as of ${plan.asOf}${config.tune ? '; --tune' : ''}`,
  );

  stackAndBuild('eval', { skipBuild: process.env.BENCH_SKIP_BUILD === 'true' });
  await freshDatabase('eval', config.serverUrl, DB);
  const prefix = `eval-${randomUUID().slice(0, 8)}`;
  const kafka = new Kafka({
    clientId: 'eval-locomo',
    brokers: config.brokers,
    logLevel: logLevel.NOTHING,
  });
  await groupsAtEnd(kafka, prefix, SERVICE_GROUPS);
  const ports = {
    ingest: await freePort(),
    summarizer: await freePort(),
    search: await freePort(),
  };
  const env = {
    DATABASE_URL: databaseUrl(config.serverUrl, DB),
    KAFKA_GROUP_PREFIX: prefix,
    OPENSEARCH_INDEX_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    SUMMARY_IDLE_MS: '1000',
    SUMMARY_SWEEP_INTERVAL_MS: '500',
    SEARCH_RATE_LIMIT_PER_SECOND: '10000',
    SEARCH_RATE_LIMIT_BURST: '10000',
    // The boost the service runs with (its default unless set): reported with the figures.
    SEARCH_IMPORTANCE_BOOST:
      process.env.SEARCH_IMPORTANCE_BOOST ?? String(DEFAULT_IMPORTANCE_BOOST),
    INGEST_PORT: String(ports.ingest),
    SUMMARIZER_PORT: String(ports.summarizer),
    SEARCH_PORT: String(ports.search),
  };
  const names = ['ingest', 'summarizer', 'search'] as const;
  for (const name of names) startService('eval', name, env);
  for (const name of names) await waitReady(ports[name]);
  await checkGroups(kafka, prefix);
  say('eval', `services ready (group and index prefix ${prefix})`);

  const keys = new Map<LocomoConversation, string>(
    conversations.map((c) => [c, apiKey(tenantOf(c), 'eval', 'search', env)]),
  );
  const keyOf = (conversation: LocomoConversation): string => keys.get(conversation)!;
  await produceTurns(kafka, conversations);
  await waitSummarized(tools, conversations, env.DATABASE_URL, config.opensearch, prefix);
  const passages = await waitPassages(tools, conversations, config.opensearch, prefix);
  const stage = await bringToAge(tools, plan, conversations, env, config.opensearch, prefix);
  const importance = await scoreImportance(
    tools,
    plan,
    conversations,
    env,
    config.opensearch,
    prefix,
  );

  const perMode: Record<string, Metrics[]> = { hybrid: [], semantic: [], keyword: [] };
  const asked = progress('eval', questions.length * MODES.length, 'searches');
  let done = 0;
  for (const q of questions)
    for (const mode of MODES) {
      const response = await fetch(`http://127.0.0.1:${ports.search}/v1/search`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${keyOf(q.conversation)}`,
        },
        body: JSON.stringify({ query: q.question.slice(0, 1000), mode, k: config.k }),
      });
      if (!response.ok)
        throw new Error(
          `search ${mode} "${q.question}": HTTP ${response.status} ${await response.text()}`,
        );
      const body = (await response.json()) as { results: Array<{ conversationId: string }> };
      const ranked = body.results.map((result) => sessionNumberOf(result.conversationId));
      perMode[mode].push(metricsOf(ranked, q.relevant));
      asked.update(++done);
    }
  asked.end(done);

  const probe = await fetch(`http://127.0.0.1:${ports.search}/v1/context`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${keyOf(conversations[0])}`,
    },
    body: JSON.stringify({ query: 'hello', tokenBudget: 500 }),
  });
  let context: EvalReport['context'] = null;
  if (probe.status === 404)
    say('eval', 'the search service has no POST /v1/context: context recall skipped');
  else {
    const bar = progress('eval', questions.length * CONTEXT_BUDGETS.length, 'contexts');
    let answered = 0;
    context = await contextRecall(ports.search, keyOf, questions, () => bar.update(++answered));
    bar.end(answered);
  }

  const embedder = await LocalEmbedder.load(join(defaultStackDir(), 'models', DEFAULT_MODEL), {
    batchSize: 32,
    threads: 2,
  });
  let raw: Awaited<ReturnType<typeof rawTextBaselines>>;
  let tuning: EvalReport['tuning'];
  try {
    raw = await rawTextBaselines(tools, embedder, conversations, questions, config.k);
    if (config.tune || config.listsOut) {
      const lists = await fetchLists(tools, embedder, questions, config.opensearch, prefix);
      if (config.tune) tuning = leaveOneConversationOut(conversations, questions, lists);
      if (config.listsOut) writeLists(config.listsOut, questions, lists);
    }
  } finally {
    await embedder.close();
  }

  const modes: Record<string, Metrics> = {
    ...Object.fromEntries(MODES.map((mode) => [mode, summarize(perMode[mode])])),
    bm25Raw: summarize(raw.bm25Raw),
    hybridRaw: summarize(raw.hybridRaw),
  };
  const report: EvalReport = {
    questions: questions.length,
    conversations: conversations.length,
    sessions,
    k: config.k,
    age: plan.age,
    stage,
    importance: { ...importance, boost: Number(env.SEARCH_IMPORTANCE_BOOST) },
    passages,
    modes,
    context,
    baselines: { bm25Turns: bm25TurnsRecall(conversations, questions) },
    bars: barsOf(plan.age, modes, context),
    ...(tuning ? { tuning } : {}),
  };
  process.stdout.write(reportText(report));
  if (config.out) {
    writeFileSync(resolve(process.cwd(), config.out), `${JSON.stringify(report, null, 2)}\n`);
    say('eval', `wrote ${config.out}`);
  }
  if (process.env.BENCH_KEEP_INDEX === 'true')
    say('eval', `BENCH_KEEP_INDEX: kept the indices ${prefix}-summaries and ${prefix}-passages`);
  else
    for (const index of [`${prefix}-summaries*`, `${prefix}-passages*`])
      await fetch(`${config.opensearch}/${index}`, { method: 'DELETE' }).catch(() => undefined);
  rmSync(plan.env.RETENTION_ARCHIVE_ROOT, { recursive: true, force: true });
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`[eval] failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
