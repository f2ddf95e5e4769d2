import { readFileSync } from 'node:fs';
import { KafkaConfig } from '@memory/config';
import { conversationKey, DLQ_HEADERS, TOPICS, validateChatMessage } from '@memory/contracts';
import { createKafkaClient } from '@memory/kafka';
import { IHeaders, Kafka, KafkaMessage, Message, Partitioners } from 'kafkajs';
import { optionalOption, ParsedArgs, UsageError } from '../args';
import { Progress } from '../progress';

/** Each dead-letter topic and the topic its records came from, where a replay sends them. */
export const DEAD_LETTER_SOURCES: Readonly<Record<string, string>> = {
  [TOPICS.chatMessagesDlq]: TOPICS.chatMessages,
  [TOPICS.memoryMessagesDlq]: TOPICS.memoryMessages,
  [TOPICS.memorySummariesDlq]: TOPICS.memorySummaries,
};

export const DLQ_USAGE = `dlq replay [--topic <dead-letter topic>] [--code <ERROR_CODE>] [--from-beginning] [--dry-run]
      re-produces dead-lettered records (original key, bytes and headers) to the topic they came
      from: ${Object.entries(DEAD_LETTER_SOURCES)
        .map(([dlq, source]) => `${dlq} -> ${source}`)
        .join(', ')}
      (default ${TOPICS.chatMessagesDlq}); resumable: what was replayed is remembered by the
      consumer group <prefix>.dlq-replay (<prefix>.dlq-replay.<topic> for the other two)
  dlq submit --file <corrected.jsonl> [--dry-run]
      validates corrected chat.message.v1 records (one JSON per line) and submits them`;

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DLQ_HEADERS));

export async function dlqCommand(kafkaConfig: KafkaConfig, args: ParsedArgs): Promise<void> {
  const kafka = createKafkaClient(kafkaConfig);
  const action = args.positional[1];
  if (action === 'replay') return replay(kafka, kafkaConfig, args);
  if (action === 'submit') return submitCorrections(kafka, args);
  throw new UsageError(DLQ_USAGE);
}

async function replay(kafka: Kafka, config: KafkaConfig, args: ParsedArgs): Promise<void> {
  const code = optionalOption(args, 'code');
  const dryRun = args.options.has('dry-run');
  const deadLetterTopic = optionalOption(args, 'topic') ?? TOPICS.chatMessagesDlq;
  const target = DEAD_LETTER_SOURCES[deadLetterTopic];
  if (!target)
    throw new UsageError(
      `--topic must be one of ${Object.keys(DEAD_LETTER_SOURCES).join(', ')}, got "${deadLetterTopic}"`,
    );
  const groupId =
    deadLetterTopic === TOPICS.chatMessagesDlq
      ? `${config.groupPrefix}.dlq-replay`
      : `${config.groupPrefix}.dlq-replay.${deadLetterTopic}`;
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map<number, bigint>();
  const starts = new Map<number, bigint>();
  try {
    for (const partition of await admin.fetchTopicOffsets(deadLetterTopic)) {
      ends.set(partition.partition, BigInt(partition.high));
      starts.set(partition.partition, BigInt(partition.low));
    }
    if (!args.options.has('from-beginning')) {
      const [committed] = await admin.fetchOffsets({ groupId, topics: [deadLetterTopic] });
      for (const partition of committed?.partitions ?? []) {
        if (partition.offset !== '-1') starts.set(partition.partition, BigInt(partition.offset));
      }
    } else if (!dryRun) {
      const partitions = [...starts].map(([partition, low]) => ({
        partition,
        offset: low.toString(),
      }));
      await admin.setOffsets({ groupId, topic: deadLetterTopic, partitions });
    }
  } finally {
    await admin.disconnect();
  }
  const pending = [...ends].filter(([partition, end]) => (starts.get(partition) ?? 0n) < end);
  const total = pending.reduce(
    (sum, [partition, end]) => sum + Number(end - (starts.get(partition) ?? 0n)),
    0,
  );
  if (total === 0) {
    process.stdout.write('dlq replay: nothing new on the dead-letter topic\n');
    return;
  }

  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const consumer = kafka.consumer({
    groupId: dryRun ? `${groupId}.dry-run.${Date.now()}` : groupId,
  });
  const progress = new Progress(dryRun ? 'dlq replay (dry run)' : 'dlq replay', total);
  const remaining = new Set(pending.map(([partition]) => partition));
  let replayed = 0;
  const byCode = new Map<string, number>();
  await producer.connect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: deadLetterTopic, fromBeginning: true });
    const finished = new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n;
            const start = starts.get(batch.partition) ?? 0n;
            const inRange = batch.messages.filter(
              (m) => BigInt(m.offset) >= start && BigInt(m.offset) < end,
            );
            const chosen = inRange.filter(
              (m) => !code || header(m, DLQ_HEADERS.errorCode) === code,
            );
            for (const message of chosen) {
              const messageCode = header(message, DLQ_HEADERS.errorCode) ?? 'unknown';
              byCode.set(messageCode, (byCode.get(messageCode) ?? 0) + 1);
            }
            if (!dryRun && chosen.length > 0)
              await producer.send({
                topic: target,
                acks: -1,
                messages: chosen.map(original),
              });
            replayed += chosen.length;
            progress.advance(inRange.length);
            const last = inRange[inRange.length - 1];
            if (last && !dryRun) {
              const next = (BigInt(last.offset) + 1n).toString();
              await consumer.commitOffsets([
                { topic: batch.topic, partition: batch.partition, offset: next },
              ]);
            }
            if (BigInt(batch.highWatermark) >= end && (!last || BigInt(last.offset) + 1n >= end)) {
              remaining.delete(batch.partition);
            }
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
    await finished;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  const codes = [...byCode].map(([name, count]) => `${name}=${count}`).join(', ') || 'none';
  progress.finish(
    `${dryRun ? 'would re-submit' : 're-submitted'} ${replayed} of ${total} record(s) (${codes})`,
  );
}

async function submitCorrections(kafka: Kafka, args: ParsedArgs): Promise<void> {
  const file = optionalOption(args, 'file');
  if (!file) throw new UsageError('dlq submit --file <corrected.jsonl>');
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const messages: Message[] = [];
  const problems: string[] = [];
  lines.forEach((line, index) => {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      problems.push(`line ${index + 1}: not JSON`);
      return;
    }
    const result = validateChatMessage(json);
    if (!result.ok) problems.push(`line ${index + 1}: ${result.code}: ${result.reason}`);
    else
      messages.push({
        key: conversationKey(result.message.tenantId, result.message.conversationId),
        value: line,
      });
  });
  if (problems.length > 0) {
    throw new UsageError(`nothing submitted; fix these lines first:\n  ${problems.join('\n  ')}`);
  }
  if (args.options.has('dry-run')) {
    process.stdout.write(`dlq submit (dry run): ${messages.length} valid record(s)\n`);
    return;
  }
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  const progress = new Progress('dlq submit', messages.length);
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 500) {
      const chunk = messages.slice(i, i + 500);
      await producer.send({ topic: TOPICS.chatMessages, acks: -1, messages: chunk });
      progress.advance(chunk.length);
    }
  } finally {
    await producer.disconnect();
  }
  progress.finish(`submitted ${messages.length} corrected record(s)`);
}

function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value[0]?.toString() : value.toString();
}

/** The record as it first arrived: same key, bytes and headers, without the dlq.* ones. */
function original(message: KafkaMessage): Message {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (!DLQ_HEADER_NAMES.has(name) && value !== undefined) headers[name] = value;
  }
  return { key: message.key, value: message.value, headers };
}
