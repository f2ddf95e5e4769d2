import { TOPICS } from '@memory/contracts';
import { javaCompatiblePartitioner } from '@memory/kafka';
import { Message, PartitionerArgs } from 'kafkajs';
import { eventually } from './support/eventually';
import { committedOffsets, endOffsets } from './support/kafka';
import { locomoTurns, SummarizerHarness } from './support/summarizer-harness';

/*
 * memory.messages.v1 records whose rows are not in this Postgres (produced against another
 * database, or never stored) must not stop the summarizer's partition: they are waited for a
 * little (SUMMARY_MISSING_WAIT_MS) without holding up the other conversations, then skipped and
 * counted, and the consumer group catches up.
 */
describe('summarizer with messages that are not in the database', () => {
  const harness = new SummarizerHarness({ SUMMARY_MISSING_WAIT_MS: '3000' });
  const turns = locomoTurns('26');

  beforeAll(async () => {
    await harness.setUp();
    await harness.start();
    await harness.startSummarizer();
  });

  afterAll(() => harness.tearDown());

  /** The partition memory.messages.v1 gives a conversation's key (as ingest's producer does). */
  async function partitionOf(conversationId: string): Promise<number> {
    const partitions = await endOffsets(harness.kafka, TOPICS.memoryMessages);
    const partitioner = javaCompatiblePartitioner();
    return partitioner({
      topic: TOPICS.memoryMessages,
      partitionMetadata: partitions.map(({ partition }) => ({
        partitionId: partition,
        leader: 0,
      })) as PartitionerArgs['partitionMetadata'],
      message: { key: `${harness.tenantId}:${conversationId}`, value: null },
    });
  }

  /** memory.message.v1 records for seqs `seqs` of a conversation, straight to the topic. */
  function records(conversationId: string, seqs: number[]): Message[] {
    return seqs.map((seq) => ({
      key: `${harness.tenantId}:${conversationId}`,
      value: JSON.stringify({
        schema: 'memory.message.v1',
        messageId: `${conversationId}-m${seq}`,
        tenantId: harness.tenantId,
        conversationId,
        userId: 'user-1',
        role: 'user',
        content: turns[seq],
        createdAt: '2026-03-01T10:00:00Z',
        seq,
        ingestedAt: '2026-03-01T10:00:01Z',
      }),
    }));
  }

  /** The summarizer's log lines about skipped messages of a conversation. */
  function skipLogs(conversationId: string): Array<{ reason: string; count: number }> {
    return harness.summarizer.output
      .filter((line) => line.startsWith('{') && line.includes('messages gone for good skipped'))
      .map((line) => JSON.parse(line) as { conversationId: string; reason: string; count: number })
      .filter((entry) => entry.conversationId === conversationId);
  }

  async function skippedMetric(): Promise<number> {
    const text = await (await fetch(`${harness.summarizer.baseUrl}/metrics`)).text();
    const line = text
      .split('\n')
      .find((l) => /^summarizer_messages_skipped_total\{[^}]*reason="not_stored"/.test(l));
    return line ? Number(line.split(' ').at(-1)) : 0;
  }

  it('summarizes the other conversations of the partition, skips the missing messages, and catches up', async () => {
    // Two conversations no database here has, on the partition of a normal one, before it.
    const partition = await partitionOf('normal');
    const ghosts: string[] = [];
    for (let i = 0; ghosts.length < 2; i++)
      if ((await partitionOf(`ghost-${i}`)) === partition) ghosts.push(`ghost-${i}`);
    const [ghostA, ghostB] = ghosts;
    const producer = harness.kafka.producer({ createPartitioner: javaCompatiblePartitioner });
    await producer.connect();
    await producer.send({
      topic: TOPICS.memoryMessages,
      acks: -1,
      // Seqs 1..4 and 1..2 are nowhere: the folds at seq 10 need them.
      messages: [
        ...records(
          ghostA,
          Array.from({ length: 10 }, (_, i) => 5 + i),
        ),
        ...records(
          ghostB,
          Array.from({ length: 10 }, (_, i) => 3 + i),
        ),
      ],
    });
    await producer.disconnect();

    await harness.say('normal', turns.slice(0, 20));
    const normal = await harness.waitForSummary('normal', (s) => s.throughSeq === 20);
    expect(normal.text.length).toBeGreaterThan(0);

    // Waited for, then skipped: what the batch held is not in this database either, so the
    // summaries move past every seq seen without a version, and each skip is logged and counted.
    for (const [ghost, last] of [
      [ghostA, 14],
      [ghostB, 12],
    ] as const) {
      const summary = await harness.waitForSummary(ghost, (s) => s.throughSeq === last);
      expect(summary).toMatchObject({ version: 0, seenSeq: last });
      const skips = skipLogs(ghost);
      expect(skips.every((skip) => skip.reason === 'not_stored')).toBe(true);
      expect(skips.reduce((sum, skip) => sum + skip.count, 0)).toBe(last);
    }
    expect(await skippedMetric()).toBeGreaterThanOrEqual(14 + 12);

    // The group's lag is back to 0: everything produced so far is committed.
    const ends = await endOffsets(harness.kafka, TOPICS.memoryMessages);
    await eventually(async () => {
      const committed = await committedOffsets(
        harness.kafka,
        harness.summarizerGroup,
        TOPICS.memoryMessages,
      );
      return ends.every(
        ({ partition: p, offset }) => BigInt(committed.get(p) ?? '-1') >= BigInt(offset),
      )
        ? true
        : undefined;
    }, 60_000);
  });
});
