import { Client } from '@opensearch-project/opensearch';
import { ConversationKey, PassageIndex } from './passage-index';
import { SummaryIndex } from './summary-index';

/**
 * What an erasure removes from search: each conversation's summary document and all its
 * passages. Only deletes go through the indices, so their vector size does not matter.
 */
export function removeFromSearch(
  client: Client,
  prefix: string,
): (conversations: readonly ConversationKey[]) => Promise<void> {
  const summaries = new SummaryIndex(client, prefix, 0);
  const passages = new PassageIndex(client, prefix, 0);
  return async (conversations) => {
    await summaries.write([], conversations);
    await passages.deleteConversations(conversations);
  };
}
