// Replays LoCoMo files through Kafka into the running services and waits until the search
// index holds them: every turn produced to chat.messages.v1 (each file a tenant, each session a
// conversation, a turn's messageId its dia_id), every session summarized through its last turn
// and that version indexed, and the passages of every session indexed with their vectors.
import { consumerGroupPairs } from '@memory/contracts';
import { LocomoConversation } from '@memory/datasets';
import { SummaryRepository, SummaryVersionKeyRow } from '@memory/persistence';
import { passagesAlias, summariesAlias, windowStartsOf } from '@memory/search-index';
import { Kafka, Partitioners } from 'kafkajs';
import { countDocs } from './age-stages';
import { benchDataSource } from './database';
import { EvalTools } from './eval-tools';
import { conversationIdOf, safeId, tenantOf, TurnIds, turnTime } from './locomo-evidence';

/**
 * The consumer groups of the services the evaluation runs, each set at the end of its topic
 * before the services start (a new group would otherwise read the topic from its beginning:
 * every earlier run's records). {@link checkGroups} fails when a service joins another group.
 */
export const SERVICE_GROUPS: Array<[topic: string, group: string]> = consumerGroupPairs();

/** Fails when a service joined a group of `prefix` that {@link SERVICE_GROUPS} does not set. */
export async function checkGroups(kafka: Kafka, prefix: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const known = new Set(SERVICE_GROUPS.map(([, group]) => `${prefix}.${group}`));
    const unknown = (await admin.listGroups()).groups
      .map((group) => group.groupId)
      .filter((id) => id.startsWith(`${prefix}.`) && !known.has(id));
    if (unknown.length > 0)
      throw new Error(
        `consumer groups not set at the end of their topics: ${unknown.join(', ')} ` +
          '(add them to CONSUMER_GROUPS in libs/contracts/src/topics.constants.ts)',
      );
  } finally {
    await admin.disconnect();
  }
}

/** Produces every turn, session by session, a minute apart from the session's date. */
export async function produceTurns(
  kafka: Kafka,
  conversations: readonly LocomoConversation[],
): Promise<void> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    for (const conversation of conversations) {
      const tenantId = tenantOf(conversation);
      const ids = new TurnIds(conversation);
      const messages = conversation.sessions.flatMap((session) =>
        session.messages.map((message, i) => ({
          key: `${tenantId}:${conversationIdOf(session)}`,
          value: JSON.stringify({
            schema: 'chat.message.v1',
            messageId: ids.messageId(session.number, i + 1),
            tenantId,
            conversationId: conversationIdOf(session),
            userId: safeId(message.userId),
            role: 'user',
            content: message.content,
            createdAt: turnTime(session, i),
          }),
        })),
      );
      for (let i = 0; i < messages.length; i += 500)
        await producer.send({
          topic: 'chat.messages.v1',
          acks: -1,
          messages: messages.slice(i, i + 500),
        });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Waits until every session is summarized through its last turn and indexed at that version. */
export async function waitSummarized(
  tools: EvalTools,
  conversations: readonly LocomoConversation[],
  databaseUrl: string,
  opensearch: string,
  prefix: string,
): Promise<SummaryVersionKeyRow[]> {
  const expected = conversations.reduce((n, c) => n + c.sessions.length, 0);
  const db = await benchDataSource(databaseUrl, 'memory-eval');
  const bar = tools.progress(expected, 'sessions');
  let versions: SummaryVersionKeyRow[];
  try {
    versions = await tools.until(async () => {
      const rows = await new SummaryRepository(db).publishedThroughLastSeq();
      bar.update(rows.length, 'summarized');
      return rows.length >= expected ? rows : undefined;
    }, 'every session to be summarized');
  } finally {
    await db.destroy();
  }
  bar.end(versions.length, 'summarized');
  await tools.until(async () => {
    const response = await fetch(`${opensearch}/${summariesAlias(prefix)}/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        size: 10000,
        _source: ['tenantId', 'conversationId', 'version', 'vectorPending'],
      }),
    }).catch(() => undefined);
    if (!response?.ok) return undefined;
    const body = (await response.json()) as {
      hits: {
        hits: Array<{
          _source: {
            tenantId: string;
            conversationId: string;
            version: number;
            vectorPending?: boolean;
          };
        }>;
      };
    };
    // Indexed with its vector (two-phase indexing writes the text first).
    const indexed = new Map(
      body.hits.hits.map((hit) => [
        `${hit._source.tenantId}/${hit._source.conversationId}`,
        hit._source.vectorPending ? 0 : hit._source.version,
      ]),
    );
    const done = versions.every(
      (row) => (indexed.get(`${row.tenant_id}/${row.conversation_id}`) ?? 0) >= row.version,
    );
    return done ? true : undefined;
  }, 'every summary to be indexed with its vector');
  tools.say('every session is summarized and indexed');
  return versions;
}

/**
 * Waits until the passages index holds every window of every session with its vector. Returns
 * false (and says so) when, a minute after the summaries, there is no passages index at all:
 * the services of this build write none.
 */
export async function waitPassages(
  tools: EvalTools,
  conversations: readonly LocomoConversation[],
  opensearch: string,
  prefix: string,
): Promise<boolean> {
  const expected = conversations.reduce(
    (n, c) =>
      n +
      c.sessions.reduce(
        (m, s) => m + new Set(s.messages.flatMap((_, i) => windowStartsOf(i + 1))).size,
        0,
      ),
    0,
  );
  const index = passagesAlias(prefix);
  for (let waited = 0; (await countDocs(opensearch, index)) === undefined; waited += 2_000) {
    if (waited >= 60_000) {
      tools.say(`no ${index} index: this build writes no passages; searching summaries only`);
      return false;
    }
    await tools.sleep(2_000);
  }
  const bar = tools.progress(expected, 'passages');
  await tools.until(async () => {
    const embedded = (await countDocs(opensearch, index, { term: { embedded: true } })) ?? 0;
    bar.update(Math.max(0, embedded), 'indexed with vectors');
    return embedded >= expected ? true : undefined;
  }, 'every passage to be indexed with its vector');
  bar.end(expected, 'indexed with vectors');
  return true;
}
