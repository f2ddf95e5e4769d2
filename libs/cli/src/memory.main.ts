import {
  ConfigError,
  EnvReader,
  KafkaConfig,
  readDatabaseConfig,
  readKafkaConfig,
  readOpenSearchConfig,
} from '@memory/config';
import { readCompressionSettings, readRetentionSettings } from '@memory/lifecycle';
import { dataSourceOptions } from '@memory/persistence';
import { readSearchSettings } from '@memory/search-index';
import { readSummarizationSettings } from '@memory/summarization';
import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { parseArgs, UsageError } from './args';
import { API_KEYS_USAGE, apiKeysCommand, jwtKeysCommand } from './commands/api-keys.command';
import { COMPRESS_USAGE, compressCommand } from './commands/compress.command';
import { CONTEXT_USAGE, contextCommand } from './commands/context.command';
import { DLQ_USAGE, dlqCommand } from './commands/dlq.command';
import { SCHEMAS_USAGE, schemasCommand, RegistryError } from './commands/schemas.command';
import { SEARCH_USAGE, searchCommand } from './commands/search.command';
import { SUMMARIES_USAGE, summariesCommand } from './commands/summaries.command';
import {
  ARCHIVE_USAGE,
  archiveCommand,
  IMPORTANCE_USAGE,
  importanceCommand,
  ARCHIVES_USAGE,
  archivesCommand,
  ERASE_USAGE,
  eraseCommand,
  RESTORE_USAGE,
  restoreCommand,
  RetentionContext,
  VERIFY_ARCHIVES_USAGE,
  verifyArchivesCommand,
} from './commands/retention.command';
import { TOPICS_USAGE, topicsCommand } from './commands/topics.command';

const USAGE = `usage: npm run memory -- <command>

  ${API_KEYS_USAGE}
  ${ARCHIVE_USAGE}
  ${ARCHIVES_USAGE}
  ${COMPRESS_USAGE}
  ${CONTEXT_USAGE}
  ${DLQ_USAGE}
  ${ERASE_USAGE}
  ${IMPORTANCE_USAGE}
  ${RESTORE_USAGE}
  ${SCHEMAS_USAGE}
  ${SEARCH_USAGE}
  ${SUMMARIES_USAGE}
  ${TOPICS_USAGE}
  ${VERIFY_ARCHIVES_USAGE}

Configuration comes from the same environment variables as the services (DATABASE_URL, KAFKA_*,
SUMMARY_* and OPENAI_* for summaries, TIER_* and COMPRESSOR_* for compress, OPENSEARCH_* and
EMBEDDING_* for search and context, RETENTION_* for archive, archives, restore, erase and verify-archives).`;

/** Runs a retention command with everything it may need read and checked first. */
function withRetention(
  command: (context: RetentionContext, args: ReturnType<typeof parseArgs>) => Promise<void>,
  args: ReturnType<typeof parseArgs>,
): Promise<void> {
  const read = new EnvReader(process.env);
  const kafka = readKafkaConfig(read, 'cli');
  const opensearch = readOpenSearchConfig(read);
  const settings = readRetentionSettings(read);
  const summarization = readSummarizationSettings(read);
  read.assertValid();
  return withDatabase((dataSource) =>
    command({ dataSource, kafka, opensearch, settings, summarization }, args),
  );
}

async function withDatabase<T>(fn: (dataSource: DataSource) => Promise<T>): Promise<T> {
  const read = new EnvReader(process.env);
  const database = readDatabaseConfig(read);
  read.assertValid();
  const dataSource = new DataSource(dataSourceOptions(database, 'memory-cli'));
  await dataSource.initialize();
  try {
    return await fn(dataSource);
  } finally {
    await dataSource.destroy();
  }
}

function kafkaConfig(): KafkaConfig {
  const read = new EnvReader(process.env);
  const kafka = readKafkaConfig(read, 'cli');
  read.assertValid();
  return kafka;
}

async function main(argv: readonly string[]): Promise<void> {
  const args = parseArgs(argv);
  switch (args.positional[0]) {
    case 'api-keys':
      return withDatabase((dataSource) => apiKeysCommand(dataSource, args));
    case 'jwt-keys':
      return withDatabase((dataSource) => jwtKeysCommand(dataSource, args, process.env));
    case 'archive':
      return withRetention(archiveCommand, args);
    case 'archives':
      return withRetention(archivesCommand, args);
    case 'importance':
      return withRetention(importanceCommand, args);
    case 'restore':
      return withRetention(restoreCommand, args);
    case 'erase':
      return withRetention(eraseCommand, args);
    case 'verify-archives':
      return withRetention(verifyArchivesCommand, args);
    case 'compress': {
      const read = new EnvReader(process.env);
      const kafka = readKafkaConfig(read, 'cli');
      const settings = readCompressionSettings(read);
      read.assertValid();
      return withDatabase((dataSource) => compressCommand(dataSource, kafka, settings, args));
    }
    case 'context': {
      const read = new EnvReader(process.env);
      const opensearch = readOpenSearchConfig(read);
      const settings = readSearchSettings(read);
      read.assertValid();
      return withDatabase((dataSource) => contextCommand(dataSource, opensearch, settings, args));
    }
    case 'dlq':
      return dlqCommand(kafkaConfig(), args);
    case 'schemas':
      return schemasCommand(args, process.env);
    case 'search': {
      const read = new EnvReader(process.env);
      const opensearch = readOpenSearchConfig(read);
      const settings = readSearchSettings(read);
      read.assertValid();
      return withDatabase((dataSource) => searchCommand(dataSource, opensearch, settings, args));
    }
    case 'summaries': {
      const read = new EnvReader(process.env);
      const kafka = readKafkaConfig(read, 'cli');
      const settings = readSummarizationSettings(read);
      read.assertValid();
      return withDatabase((dataSource) => summariesCommand(dataSource, kafka, settings, args));
    }
    case 'topics':
      return topicsCommand(kafkaConfig(), args);
    default:
      throw new UsageError(USAGE);
  }
}

// The CLI prints its own lines; library logs (e.g. topics created) only when they are problems.
Logger.overrideLogger(['error', 'warn']);

main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    if (
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof RegistryError
    )
      process.stderr.write(`${error.message}\n`);
    else
      process.stderr.write(
        `memory: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
