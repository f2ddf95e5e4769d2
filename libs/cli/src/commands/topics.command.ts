import { KafkaConfig } from '@memory/config';
import { CONSUMER_GROUPS, TOPIC_DEFINITIONS } from '@memory/contracts';
import { BROKER_TIME_TOPICS, createKafkaClient, KafkaAdminService } from '@memory/kafka';
import { Admin } from 'kafkajs';
import { optionalOption, ParsedArgs, requireOption, UsageError } from '../args';

export const TOPICS_USAGE = `topics ensure
      creates the product's topics that do not exist yet (services also do this at start), and
      switches chat.messages.v1 to broker time (message.timestamp.type=LogAppendTime)
  topics replay --group <name> --topic <topic> (--from-beginning | --since <ISO time>) [--dry-run]
      moves the committed offsets of consumer group <KAFKA_GROUP_PREFIX>.<name> back, so the
      service reprocesses the topic from there when it starts (consumers are idempotent).
      Stop the service first: offsets of a group with members cannot be moved`;

/** Groups of the services, by the topic they consume. */
const SERVICE_GROUPS: Record<string, string> = Object.fromEntries(
  Object.values(CONSUMER_GROUPS).map(({ group, topic }) => [group, topic]),
);

export async function topicsCommand(kafkaConfig: KafkaConfig, args: ParsedArgs): Promise<void> {
  const action = args.positional[1];
  if (action === 'replay') return replay(kafkaConfig, args);
  if (action !== 'ensure') throw new UsageError(TOPICS_USAGE);
  const admin = new KafkaAdminService(createKafkaClient(kafkaConfig), kafkaConfig);
  try {
    const created = await admin.ensureTopics(TOPIC_DEFINITIONS);
    process.stdout.write(
      created.length === 0
        ? `topics: all ${TOPIC_DEFINITIONS.length} exist\n`
        : `topics: created ${created.join(', ')}\n`,
    );
    for (const topic of BROKER_TIME_TOPICS)
      process.stdout.write(`topics: ${topic} record time ${await admin.timestampType(topic)}\n`);
  } finally {
    await admin.onApplicationShutdown();
  }
}

interface PartitionMove {
  partition: number;
  committed: number | null;
  target: number;
  end: number;
}

async function replay(kafkaConfig: KafkaConfig, args: ParsedArgs): Promise<void> {
  const name = requireOption(args, 'group');
  const topic = requireOption(args, 'topic');
  const since = optionalOption(args, 'since');
  const fromBeginning = args.options.has('from-beginning');
  if (fromBeginning === (since !== undefined))
    throw new UsageError('topics replay needs exactly one of --from-beginning and --since');
  const sinceMs = since === undefined ? undefined : Date.parse(since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs))
    throw new UsageError(`--since must be an ISO 8601 time, not ${since}`);
  if (SERVICE_GROUPS[name] !== undefined && SERVICE_GROUPS[name] !== topic)
    process.stderr.write(
      `topics replay: note: group "${name}" consumes ${SERVICE_GROUPS[name]}, not ${topic}\n`,
    );
  const groupId = `${kafkaConfig.groupPrefix}.${name}`;
  const admin = createKafkaClient(kafkaConfig).admin();
  await admin.connect();
  try {
    const moves = await plan(admin, groupId, topic, sinceMs);
    for (const move of moves)
      process.stderr.write(
        `  partition ${move.partition}: committed ${move.committed ?? '(none)'} -> ${move.target}` +
          ` (${Math.max(0, move.end - move.target)} records to process, end ${move.end})\n`,
      );
    const records = moves.reduce((sum, move) => sum + Math.max(0, move.end - move.target), 0);
    if (args.options.has('dry-run')) {
      process.stderr.write(
        `topics replay (dry run): ${groupId} would process ${records} records of ${topic}\n`,
      );
      return;
    }
    const { groups } = await admin.describeGroups([groupId]);
    const members = groups[0]?.members.length ?? 0;
    if (members > 0)
      throw new UsageError(
        `group ${groupId} has ${members} running member(s): stop the service consuming ${topic} first`,
      );
    await admin.setOffsets({
      groupId,
      topic,
      partitions: moves.map((move) => ({ partition: move.partition, offset: String(move.target) })),
    });
    process.stderr.write(
      `topics replay: ${groupId} moved back on ${topic}; ${records} records will be processed ` +
        'again when the service starts (follow the consumer lag)\n',
    );
  } finally {
    await admin.disconnect();
  }
}

/** Where each partition of `topic` goes: its first offset, or the first at or after `sinceMs`. */
async function plan(
  admin: Admin,
  groupId: string,
  topic: string,
  sinceMs: number | undefined,
): Promise<PartitionMove[]> {
  const ends = await admin.fetchTopicOffsets(topic);
  const targets =
    sinceMs === undefined
      ? ends.map(({ partition, low }) => ({ partition, offset: low }))
      : await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return ends
    .map(({ partition, high }) => {
      const target = targets.find((t) => t.partition === partition);
      const current = committed?.partitions.find((p) => p.partition === partition)?.offset;
      // A timestamp after the last record gives -1: nothing to replay there.
      const offset = Number(target?.offset ?? high);
      return {
        partition,
        committed: current === undefined || current === '-1' ? null : Number(current),
        target: offset < 0 ? Number(high) : offset,
        end: Number(high),
      };
    })
    .sort((a, b) => a.partition - b.partition);
}
