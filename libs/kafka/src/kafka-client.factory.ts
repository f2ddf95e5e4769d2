import { KafkaConfig } from '@memory/config';
import { Logger } from '@nestjs/common';
import { Kafka, logLevel, LogEntry, SASLOptions } from 'kafkajs';
import { registerKafkaCodecs } from './codecs';

const logger = new Logger('kafkajs');

/*
 * The idempotent producer warns at every start that its retries are finite. They are on
 * purpose: a send that keeps failing fails its consumer batch, which is retried as a whole and
 * deduplicated downstream, instead of blocking shutdown forever.
 */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer'];

function writeKafkaLog(entry: LogEntry): void {
  const { message, ...fields } = entry.log;
  const record = { msg: message, namespace: entry.namespace, ...fields };
  if (EXPECTED_WARNINGS.some((expected) => message.startsWith(expected))) {
    logger.debug(record);
    return;
  }
  switch (entry.level) {
    case logLevel.ERROR:
      // kafkajs reports each failed connection attempt as an error while it still retries;
      // what finally fails surfaces through the consumer or the caller.
      logger.warn(record);
      return;
    case logLevel.WARN:
      logger.warn(record);
      return;
    case logLevel.INFO:
      logger.log(record);
      return;
    case logLevel.DEBUG:
    case logLevel.NOTHING:
      logger.debug(record);
      return;
  }
}

/**
 * Builds the kafkajs client from the validated Kafka configuration, with every standard Kafka
 * compression codec (gzip, snappy, lz4, zstd) readable.
 */
export function createKafkaClient(config: KafkaConfig): Kafka {
  registerKafkaCodecs();
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ssl: config.ssl,
    sasl: config.sasl as SASLOptions | undefined,
    connectionTimeout: 5_000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 30_000 },
    logLevel: logLevel.WARN,
    logCreator: () => writeKafkaLog,
  });
}
