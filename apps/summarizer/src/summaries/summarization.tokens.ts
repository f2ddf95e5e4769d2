/** Injection token of the summarizer's {@link SummarizationSettings}. */
export const SUMMARIZATION_SETTINGS = Symbol('SUMMARIZATION_SETTINGS');
