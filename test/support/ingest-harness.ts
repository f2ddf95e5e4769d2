import { randomUUID } from 'node:crypto';
import { EnvReader, readDatabaseConfig } from '@memory/config';
import { conversationKey, TOPICS } from '@memory/contracts';
import { dataSourceOptions } from '@memory/persistence';
import { Kafka, Message, Partitioners, Producer } from 'kafkajs';
import { DataSource } from 'typeorm';
import { eventually } from './eventually';
import { committedOffsets, endOffsets, setGroupOffsets, testKafka } from './kafka';
import { ServiceProcess } from './service-process';
import { TEST_DATABASE_URL } from './test-database';

/**
 * An ingest process with its own consumer group, started at the current end of
 * `chat.messages.v1`, plus a producer, the test database and helpers to inspect both.
 */
export class IngestHarness {
  readonly kafka: Kafka = testKafka();
  readonly tenantId = `e2e-${randomUUID().slice(0, 8)}`;
  readonly groupPrefix = `e2e-${randomUUID().slice(0, 8)}`;
  readonly groupId = `${this.groupPrefix}.ingest`;
  readonly dataSource = new DataSource(
    dataSourceOptions(readDatabaseConfig(new EnvReader({ DATABASE_URL: TEST_DATABASE_URL }))),
  );
  private producer: Producer | undefined;
  ingest: ServiceProcess = this.newProcess();
  startOffsets: Array<{ partition: number; offset: string }> = [];
  /** Where memory.messages.v1 and the DLQ ended when the test began: read them from there. */
  publishedFrom: Array<{ partition: number; offset: string }> = [];
  deadLettersFrom: Array<{ partition: number; offset: string }> = [];

  async setUp(): Promise<void> {
    await this.dataSource.initialize();
    this.producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    this.startOffsets = await endOffsets(this.kafka, TOPICS.chatMessages);
    this.publishedFrom = await endOffsets(this.kafka, TOPICS.memoryMessages);
    this.deadLettersFrom = await endOffsets(this.kafka, TOPICS.chatMessagesDlq);
    await setGroupOffsets(this.kafka, this.groupId, TOPICS.chatMessages, this.startOffsets);
  }

  async tearDown(): Promise<void> {
    await this.ingest.stop('SIGKILL');
    await this.producer?.disconnect();
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }

  newProcess(env: Record<string, string> = {}): ServiceProcess {
    return new ServiceProcess('ingest', { KAFKA_GROUP_PREFIX: this.groupPrefix, ...env });
  }

  async start(env: Record<string, string> = {}): Promise<void> {
    this.ingest = this.newProcess(env).start();
    await this.ingest.waitReady();
  }

  message(
    conversationId: string,
    messageId: string,
    content: string,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> {
    return {
      schema: 'chat.message.v1',
      messageId,
      tenantId: this.tenantId,
      conversationId,
      userId: 'user-1',
      role: 'user',
      content,
      createdAt: '2026-03-01T10:00:00Z',
      ...extra,
    };
  }

  record(value: Record<string, unknown>): Message {
    return {
      key: conversationKey(String(value.tenantId), String(value.conversationId)),
      value: JSON.stringify(value),
    };
  }

  async produce(messages: Message[]): Promise<void> {
    for (let i = 0; i < messages.length; i += 1000) {
      await this.producer?.send({
        topic: TOPICS.chatMessages,
        acks: -1,
        messages: messages.slice(i, i + 1000),
      });
    }
  }

  async storedCount(): Promise<number> {
    const [row] = await this.dataSource.query<Array<{ count: string }>>(
      'SELECT count(*) FROM messages WHERE tenant_id = $1',
      [this.tenantId],
    );
    return Number(row?.count ?? 0);
  }

  async waitForStored(count: number, timeoutMs = 60_000): Promise<number> {
    try {
      return await eventually(async () => {
        const stored = await this.storedCount();
        return stored >= count ? stored : undefined;
      }, timeoutMs);
    } catch (error) {
      const stored = await this.storedCount();
      const output = this.ingest.output.slice(-30).join('\n');
      throw new Error(`${String(error)}: ${stored} of ${count} stored; ingest said:\n${output}`);
    }
  }

  /** Waits until the ingest group has committed everything produced so far. */
  async waitCaughtUp(timeoutMs = 60_000): Promise<void> {
    const ends = await endOffsets(this.kafka, TOPICS.chatMessages);
    await eventually(async () => {
      const committed = await committedOffsets(this.kafka, this.groupId, TOPICS.chatMessages);
      return ends.every(
        ({ partition, offset }) => BigInt(committed.get(partition) ?? '-1') >= BigInt(offset),
      )
        ? true
        : undefined;
    }, timeoutMs);
  }

  /** Message ids of each conversation in seq order, and whether every seq run is 1..n. */
  async conversations(): Promise<Map<string, { ids: string[]; gapFree: boolean }>> {
    const rows = await this.dataSource.query<
      Array<{ conversation_id: string; message_id: string; seq: string }>
    >(
      'SELECT conversation_id, message_id, seq FROM messages WHERE tenant_id = $1 ORDER BY conversation_id, seq',
      [this.tenantId],
    );
    const result = new Map<string, { ids: string[]; gapFree: boolean }>();
    for (const row of rows) {
      const entry = result.get(row.conversation_id) ?? { ids: [], gapFree: true };
      entry.ids.push(row.message_id);
      if (Number(row.seq) !== entry.ids.length) entry.gapFree = false;
      result.set(row.conversation_id, entry);
    }
    return result;
  }
}
