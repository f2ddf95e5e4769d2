import { randomUUID } from 'node:crypto';
import { EnvReader, readDatabaseConfig, readOpenSearchConfig } from '@memory/config';
import { ConversationEntity, dataSourceOptions } from '@memory/persistence';
import { createOpenSearchClient } from '@memory/opensearch';
import { DataSource } from 'typeorm';
import { consumeUntil, testKafka } from './support/kafka';
import { TEST_DATABASE_URL } from './support/test-env';

describe('the real engines', () => {
  it('Kafka: a record produced with kafkajs comes back with its key, value and headers', async () => {
    const kafka = testKafka();
    const topic = `e2e.roundtrip.${randomUUID()}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key: 't1:c1',
          value: JSON.stringify({ hello: 'kafka' }),
          headers: { traceparent: '00-abc-def-01' },
        },
      ],
    });
    await producer.disconnect();

    const received = await consumeUntil(kafka, topic, { done: (records) => records.length >= 1 });

    await admin.deleteTopics({ topics: [topic] });
    await admin.disconnect();
    expect(received).toHaveLength(1);
    expect(received[0]?.key?.toString()).toBe('t1:c1');
    expect(JSON.parse(received[0]?.value?.toString() ?? '{}')).toEqual({ hello: 'kafka' });
    expect(received[0]?.headers?.traceparent?.toString()).toBe('00-abc-def-01');
  });

  it('PostgreSQL: a row written through TypeORM reads back', async () => {
    const dataSource = new DataSource(
      dataSourceOptions(readDatabaseConfig(new EnvReader({ DATABASE_URL: TEST_DATABASE_URL }))),
    );
    await dataSource.initialize();
    try {
      const repository = dataSource.getRepository(ConversationEntity);
      const tenantId = `e2e-${randomUUID()}`;
      await repository.save({
        tenantId,
        conversationId: 'c1',
        userId: 'u1',
        messageCount: 2,
        lastSeq: '2',
        firstMessageAt: new Date('2026-01-01T10:00:00Z'),
        lastMessageAt: new Date('2026-01-01T10:05:00Z'),
      });
      const row = await repository.findOneByOrFail({ tenantId, conversationId: 'c1' });
      expect(row.userId).toBe('u1');
      expect(row.messageCount).toBe(2);
      expect(row.lastSeq).toBe('2');
      expect(row.lastMessageAt?.toISOString()).toBe('2026-01-01T10:05:00.000Z');
      await repository.delete({ tenantId });
    } finally {
      await dataSource.destroy();
    }
  });

  it('OpenSearch: a knn_vector index (HNSW, lucene) returns the nearest neighbour', async () => {
    const client = createOpenSearchClient(readOpenSearchConfig(new EnvReader(process.env)));
    const index = `e2e-knn-${randomUUID()}`;
    try {
      await client.indices.create({
        index,
        body: {
          settings: { index: { knn: true, number_of_shards: 1, number_of_replicas: 0 } },
          mappings: {
            properties: {
              title: { type: 'text', analyzer: 'english' },
              embedding: {
                type: 'knn_vector',
                dimension: 3,
                method: { name: 'hnsw', engine: 'lucene', space_type: 'l2' },
              },
            },
          },
        },
      });
      await client.bulk({
        refresh: true,
        body: [
          { index: { _index: index, _id: 'near' } },
          { title: 'near', embedding: [1, 1, 1] },
          { index: { _index: index, _id: 'middle' } },
          { title: 'middle', embedding: [5, 5, 5] },
          { index: { _index: index, _id: 'far' } },
          { title: 'far', embedding: [10, 10, 10] },
        ],
      });
      const response = await client.search({
        index,
        body: { size: 1, query: { knn: { embedding: { vector: [1.2, 0.9, 1.1], k: 1 } } } },
      });
      const hits = response.body.hits.hits;
      expect(hits).toHaveLength(1);
      expect(hits[0]?._id).toBe('near');
    } finally {
      await client.indices.delete({ index }, { ignore: [404] });
      await client.close();
    }
  });
});
