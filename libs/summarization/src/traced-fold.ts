import { inSpan } from '@memory/telemetry';
import { FoldResult } from './summarizer-backend';

/** A backend call as a span, with its cost (tokens for an LLM, characters locally) as attributes. */
export function tracedFold(
  backend: string,
  messages: number,
  fold: () => Promise<FoldResult>,
): Promise<FoldResult> {
  return inSpan(
    'summarizer backend',
    { 'memory.summary.backend': backend, 'memory.messages': messages },
    async (span) => {
      const result = await fold();
      span.setAttributes({
        'gen_ai.usage.input_tokens': result.cost.inputTokens,
        'gen_ai.usage.output_tokens': result.cost.outputTokens,
        'memory.summary.input_chars': result.cost.inputChars,
        'memory.summary.output_chars': result.cost.outputChars,
      });
      return result;
    },
  );
}
