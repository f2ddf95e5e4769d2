import { KafkaConfig } from '@memory/config';
import { TopicDefinition, TOPICS } from '@memory/contracts';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Admin, ConfigResourceTypes, ConfigSource, Kafka } from 'kafkajs';

/**
 * Topics whose records carry the broker's time (`LogAppendTime`), not the producer's: ingest
 * compares a chat message's arrival with erasures, and a producer (a client) could set its own
 * record time to anything. See docs/architecture.md, "Erasure".
 */
export const BROKER_TIME_TOPICS: ReadonlySet<string> = new Set([TOPICS.chatMessages]);
const TIMESTAMP_TYPE = 'message.timestamp.type';
const BROKER_TIME = 'LogAppendTime';

export interface ClusterInfo {
  brokers: number;
  controller: number | null;
  clusterId: string;
}

/** Topic management and cluster probes over one lazily connected admin client. */
@Injectable()
export class KafkaAdminService implements OnApplicationShutdown {
  private readonly logger = new Logger(KafkaAdminService.name);
  private admin: Admin | undefined;
  private connecting: Promise<Admin> | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly config: KafkaConfig,
  ) {}

  /**
   * Creates the topics that do not exist yet. Existing topics are left as they are, except that
   * a {@link BROKER_TIME_TOPICS} topic made before it had to be is switched to broker time.
   */
  async ensureTopics(definitions: readonly TopicDefinition[]): Promise<string[]> {
    const admin = await this.client();
    const existing = new Set(await admin.listTopics());
    for (const definition of definitions)
      if (existing.has(definition.name) && BROKER_TIME_TOPICS.has(definition.name))
        await this.useBrokerTime(admin, definition.name);
    const missing = definitions.filter((definition) => !existing.has(definition.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((definition) => ({
        topic: definition.name,
        numPartitions: this.config.topicPartitions,
        replicationFactor: this.config.replicationFactor,
        configEntries: [
          definition.compacted
            ? { name: 'cleanup.policy', value: 'compact' }
            : { name: 'retention.ms', value: String(definition.retentionMs) },
          ...(BROKER_TIME_TOPICS.has(definition.name)
            ? [{ name: TIMESTAMP_TYPE, value: BROKER_TIME }]
            : []),
        ],
      })),
    });
    const created = missing.map((definition) => definition.name);
    this.logger.log({ msg: 'created topics', topics: created });
    return created;
  }

  /** The record time a topic keeps: `CreateTime` (the producer's) or `LogAppendTime`. */
  async timestampType(topic: string): Promise<string | undefined> {
    const admin = await this.client();
    const entries = await this.topicConfig(admin, topic);
    return entries.find((entry) => entry.configName === TIMESTAMP_TYPE)?.configValue;
  }

  /**
   * Sets `message.timestamp.type=LogAppendTime` on an existing topic. AlterConfigs replaces a
   * topic's whole configuration, so the values set on the topic (retention, say) go with it.
   */
  private async useBrokerTime(admin: Admin, topic: string): Promise<void> {
    const entries = await this.topicConfig(admin, topic);
    const current = entries.find((entry) => entry.configName === TIMESTAMP_TYPE);
    if (current?.configValue === BROKER_TIME) return;
    const kept = entries.filter(
      (entry) =>
        entry.configSource === ConfigSource.TOPIC_CONFIG &&
        entry.configName !== TIMESTAMP_TYPE &&
        !entry.isSensitive,
    );
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: topic,
          configEntries: [
            ...kept.map((entry) => ({ name: entry.configName, value: entry.configValue })),
            { name: TIMESTAMP_TYPE, value: BROKER_TIME },
          ],
        },
      ],
    });
    this.logger.log({ msg: 'topic switched to broker time', topic, [TIMESTAMP_TYPE]: BROKER_TIME });
  }

  private async topicConfig(admin: Admin, topic: string) {
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      includeSynonyms: false,
    });
    return resources[0]?.configEntries ?? [];
  }

  async describeCluster(): Promise<ClusterInfo> {
    const admin = await this.client();
    const cluster = await admin.describeCluster();
    return {
      brokers: cluster.brokers.length,
      controller: cluster.controller,
      clusterId: cluster.clusterId,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    this.connecting = undefined;
    await admin?.disconnect();
  }

  private client(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        this.connecting = undefined;
        throw error;
      }
      this.admin = admin;
      return admin;
    })();
    return this.connecting;
  }
}
