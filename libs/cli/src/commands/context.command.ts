import { OpenSearchConfig } from '@memory/config';
import { createEmbeddingBackend } from '@memory/embeddings';
import { ArchiveRepository } from '@memory/lifecycle';
import { createOpenSearchClient } from '@memory/opensearch';
import {
  CONTEXT_BUDGET,
  ContextAssembler,
  contextSummaryOf,
  passagesAlias,
  SearchSettings,
  SourceHit,
  summariesAlias,
} from '@memory/search-index';
import {
  profileLines,
  SummaryStore,
  toSummaryEvent,
  UserProfileReader,
} from '@memory/summarization';
import { DataSource } from 'typeorm';
import { optionalOption, ParsedArgs, requireOption, UsageError } from '../args';

export const CONTEXT_USAGE = `context --tenant <id> --query "<text>" [--budget <n>] [--conversation <id>]
          [--user <id>] [--json]
      what POST /v1/context answers, built in-process from the same index and Postgres: the live
      conversation's summary first (--conversation), then the tenant's best evidence, cited, in at
      most n tokens (o200k; default ${CONTEXT_BUDGET.default}, ${CONTEXT_BUDGET.min} to ${CONTEXT_BUDGET.max}); prints the text, or the whole
      answer as JSON with --json`;

export async function contextCommand(
  dataSource: DataSource,
  opensearch: OpenSearchConfig,
  settings: SearchSettings,
  args: ParsedArgs,
): Promise<void> {
  const tenantId = requireOption(args, 'tenant');
  const query = requireOption(args, 'query');
  const tokenBudget = budgetOption(args);
  const conversationId = optionalOption(args, 'conversation');
  const userId = optionalOption(args, 'user');
  const embedder = await createEmbeddingBackend(settings.embeddings, (detail) =>
    process.stderr.write(`embeddings: retrying: ${detail}\n`),
  );
  const client = createOpenSearchClient(opensearch);
  const store = new SummaryStore(dataSource);
  const archives = new ArchiveRepository(dataSource);
  const profiles = new UserProfileReader(dataSource);
  const assembler = new ContextAssembler(
    {
      search: async ({ target, body }) => {
        const passages = target === 'passages';
        const response = await client.search({
          index: passages
            ? passagesAlias(opensearch.indexPrefix)
            : summariesAlias(opensearch.indexPrefix),
          body,
          ...(passages ? { ignore_unavailable: true } : {}),
        });
        return (response.body.hits.hits ?? []) as SourceHit<never>[];
      },
      embed: async (text) => {
        const [vector] = await embedder.embed([text], 'query');
        if (!vector) throw new Error('the embedding model returned no vector for the query');
        return vector;
      },
      currentSummary: async (tenant, conversation) => {
        const row = await store.load(tenant, conversation);
        return row && row.version > 0 ? contextSummaryOf(toSummaryEvent(row)) : undefined;
      },
      archived: (tenant, ids) => archives.archivedAmong(tenant, ids),
      profile: async (tenant, user) => {
        const profile = await profiles.load(tenant, user);
        return (
          profile && {
            userId: user,
            builtAt: profile.builtAt,
            lines: profileLines(profile.sections),
          }
        );
      },
    },
    settings.knnEfSearch,
  );
  try {
    const answer = await assembler.assemble({
      tenantId,
      query,
      tokenBudget,
      conversationId,
      userId,
    });
    if (args.options.has('json')) process.stdout.write(`${JSON.stringify(answer)}\n`);
    else {
      process.stdout.write(answer.text ? `${answer.text}\n` : '');
      process.stderr.write(
        `context: ${answer.items.length} items, ${answer.tokens} of ${answer.budget} tokens\n`,
      );
    }
  } finally {
    await embedder.close?.();
    await client.close();
  }
}

function budgetOption(args: ParsedArgs): number {
  const value = optionalOption(args, 'budget');
  if (value === undefined) {
    if (args.options.has('budget')) throw new UsageError('--budget needs a number');
    return CONTEXT_BUDGET.default;
  }
  const budget = Number(value);
  if (!Number.isInteger(budget) || budget < CONTEXT_BUDGET.min || budget > CONTEXT_BUDGET.max)
    throw new UsageError(
      `--budget must be an integer from ${CONTEXT_BUDGET.min} to ${CONTEXT_BUDGET.max}, not ${value}`,
    );
  return budget;
}
