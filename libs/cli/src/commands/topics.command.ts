import { KafkaConfig } from '@memory/config';
import { TOPIC_DEFINITIONS } from '@memory/contracts';
import { createKafkaClient, KafkaAdminService } from '@memory/kafka';
import { ParsedArgs, UsageError } from '../args';

export const TOPICS_USAGE = `topics ensure
      creates the product's topics that do not exist yet (services also do this at start)`;

export async function topicsCommand(kafkaConfig: KafkaConfig, args: ParsedArgs): Promise<void> {
  if (args.positional[1] !== 'ensure') throw new UsageError(TOPICS_USAGE);
  const admin = new KafkaAdminService(createKafkaClient(kafkaConfig), kafkaConfig);
  try {
    const created = await admin.ensureTopics(TOPIC_DEFINITIONS);
    process.stdout.write(
      created.length === 0
        ? `topics: all ${TOPIC_DEFINITIONS.length} exist\n`
        : `topics: created ${created.join(', ')}\n`,
    );
  } finally {
    await admin.onApplicationShutdown();
  }
}
