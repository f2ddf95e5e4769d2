import { describeSeqs, SummarizerHooks } from '@memory/summarization';
import { Logger } from '@nestjs/common';
import { SummarizerMetrics } from './summarizer.metrics';

/**
 * What the conversation summarizer reports, as the service handles it: counted, and skipped
 * messages also logged (an operator wants to know which conversation lost what, and why).
 * `Required` makes a new hook fail to compile until it is handled here.
 */
export function summarizerHooks(metrics: SummarizerMetrics): Required<SummarizerHooks> {
  const logger = new Logger('ConversationSummarizer');
  return {
    folded: (outcome) => metrics.folded(outcome),
    llmFailed: (reason) => metrics.llmFailed(reason),
    filledFromStore: (count) => metrics.filledFromStore(count),
    llmRetry: () => metrics.llmRetry(),
    messagesSkipped: (skipped) => {
      metrics.messagesSkipped(skipped);
      logger.warn({
        msg: 'messages gone for good skipped; the summary goes on without them',
        tenantId: skipped.tenantId,
        conversationId: skipped.conversationId,
        reason: skipped.reason,
        count: skipped.seqs.length,
        seqs: describeSeqs(skipped.seqs),
      });
    },
  };
}
