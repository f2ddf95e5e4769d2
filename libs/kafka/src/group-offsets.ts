import { Kafka } from 'kafkajs';

/**
 * Commits offsets for a consumer group that has no running members (new, or its service
 * stopped), so the group starts there: what kafkajs' `admin.setOffsets` does (join the group,
 * seek the paused topic, leave once the seeks are committed), with a 50 ms fetch wait instead
 * of the admin's 5 s default, which made each group take 5 s. Checks the commit by reading the
 * group's offsets back.
 */
export async function commitGroupOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
  partitions: ReadonlyArray<{ partition: number; offset: string }>,
): Promise<void> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 50 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const { state } = await consumer.describeGroup();
    if (state !== 'Empty' && state !== 'Dead')
      throw new Error(`group ${groupId} must have no running members to move, it is ${state}`);
    await new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.FETCH, () => {
        consumer.stop().then(resolve, reject);
      });
      consumer
        .run({ eachBatchAutoResolve: false, eachBatch: () => Promise.resolve() })
        .catch(reject);
      consumer.pause([{ topic }]);
      for (const seek of partitions) consumer.seek({ topic, ...seek });
    });
  } finally {
    await consumer.disconnect();
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const at = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
    for (const { partition, offset } of partitions)
      if (at.get(partition) !== offset)
        throw new Error(
          `group ${groupId}: ${topic} partition ${partition} is at ${String(at.get(partition))}, not ${offset}`,
        );
  } finally {
    await admin.disconnect();
  }
}
