import { randomUUID } from 'node:crypto';
import { CONSUMER_GROUPS } from '@memory/contracts';
import { Kafka } from 'kafkajs';
import { endOffsets, setGroupOffsets } from './kafka';

/** Each service's consumer group (after the prefix) and the topic it reads. */
export const SERVICE_GROUPS = Object.values(CONSUMER_GROUPS);

/**
 * A consumer group prefix of the test's own, with every service group pointed at the current end
 * of its topic: services started with `KAFKA_GROUP_PREFIX` set to it read only what the test
 * produces from now on, never what earlier files, a benchmark or the demo left on the topics.
 */
export async function groupsAtTopicEnds(kafka: Kafka, label = 'e2e'): Promise<string> {
  const prefix = `${label}-${randomUUID().slice(0, 8)}`;
  for (const { group, topic } of SERVICE_GROUPS)
    await setGroupOffsets(kafka, `${prefix}.${group}`, topic, await endOffsets(kafka, topic));
  return prefix;
}
