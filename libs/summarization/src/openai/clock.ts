/** Time as the OpenAI summarizer sees it; tests pass a fake one to step through waits. */
export interface SummarizerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: SummarizerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};
