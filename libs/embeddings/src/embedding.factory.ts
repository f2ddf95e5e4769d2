import { EmbeddingBackend } from './embedding-backend';
import { EmbeddingSettings } from './embedding.settings';
import { LocalEmbedder } from './local-embedder';
import { OpenAiEmbedder } from './openai-embedder';

/**
 * The configured backend. The local model is loaded here, so a missing or damaged model fails
 * at start-up with a message saying how to fetch it.
 */
export async function createEmbeddingBackend(
  settings: EmbeddingSettings,
  onRetry?: (detail: string) => void,
): Promise<EmbeddingBackend> {
  if (settings.backend === 'openai' && settings.openai) {
    const openai = settings.openai;
    return new OpenAiEmbedder({ ...openai, batchSize: settings.batchSize, onRetry });
  }
  if (!settings.local) throw new Error('embeddings: no settings for the local backend');
  return LocalEmbedder.load(settings.local.modelDir, {
    batchSize: settings.batchSize,
    threads: settings.local.threads || undefined,
    runTokens: settings.local.runTokens,
    documentTokens: settings.local.documentTokens,
  });
}
