import { DataSource } from 'typeorm';
import { ConversationSummarizer, SummarizerEvents } from './conversation-summarizer';
import { LocalSummarizer } from './local/local-summarizer';
import { OpenAiSummarizer } from './openai/openai-summarizer';
import { UserProfileBuilder } from './profile/user-profile.builder';
import { SummarizationSettings } from './summarization.settings';
import { SummaryStore } from './summary-store';

/** Events of the summarizer plus the LLM's own (each retried call). */
export interface SummarizerHooks extends SummarizerEvents {
  llmRetry?(): void;
}

/** The OpenAI-compatible backend configured by `settings.llm`, if any. */
export function createLlmBackend(
  settings: SummarizationSettings,
  hooks: SummarizerHooks = {},
): OpenAiSummarizer | undefined {
  const llm = settings.llm;
  if (!llm) return undefined;
  return new OpenAiSummarizer({
    baseUrl: llm.baseUrl,
    apiKey: llm.apiKey,
    model: llm.model,
    timeoutMs: llm.timeoutMs,
    maxRetries: llm.maxRetries,
    concurrency: llm.concurrency,
    tokensPerMinute: llm.tokensPerMinute,
    circuitOpenMs: llm.circuitOpenMs,
    skipRoles: llm.skipRoles,
    sectionsVersion: llm.sectionsVersion,
    onRetry: () => hooks.llmRetry?.(),
  });
}

/** The store, the summarizer and the profiles, as the service and the backfill command use them. */
export function createConversationSummarizer(
  dataSource: DataSource,
  settings: SummarizationSettings,
  hooks: SummarizerHooks = {},
): { store: SummaryStore; summarizer: ConversationSummarizer; profiles: UserProfileBuilder } {
  const store = new SummaryStore(dataSource, settings.historyVersions);
  const llm = createLlmBackend(settings, hooks);
  const summarizer = new ConversationSummarizer(store, new LocalSummarizer(), llm, settings, hooks);
  const profiles = new UserProfileBuilder(
    dataSource,
    { ...settings.profiles, maxChars: settings.maxSummaryChars },
    llm,
  );
  return { store, summarizer, profiles };
}
