import { KafkaConfig } from '@memory/config';
import { TopicDefinition } from '@memory/contracts';
import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';

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

  /** Creates the topics that do not exist yet; existing topics are left as they are. */
  async ensureTopics(definitions: readonly TopicDefinition[]): Promise<string[]> {
    const admin = await this.client();
    const existing = new Set(await admin.listTopics());
    const missing = definitions.filter((definition) => !existing.has(definition.name));
    if (missing.length === 0) return [];
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((definition) => ({
        topic: definition.name,
        numPartitions: this.config.topicPartitions,
        replicationFactor: this.config.replicationFactor,
        configEntries: definition.compacted
          ? [{ name: 'cleanup.policy', value: 'compact' }]
          : [{ name: 'retention.ms', value: String(definition.retentionMs) }],
      })),
    });
    const created = missing.map((definition) => definition.name);
    this.logger.log({ msg: 'created topics', topics: created });
    return created;
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
