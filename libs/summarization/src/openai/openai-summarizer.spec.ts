import {
  SummarySections,
  emptySections,
  renderSummaryText,
  summarySectionsSchema,
} from '@memory/contracts';
import { countTokens } from 'gpt-tokenizer';
// The fake endpoint is shared with the e2e tests and the benchmark, so it lives under test/.
// eslint-disable-next-line no-restricted-imports
import { FakeLlmServer } from '../../../../test/support/fake-llm-server';
import {
  LlmOutputError,
  LlmUnavailableError,
  SummaryDraft,
  SummaryInputMessage,
} from '../summarizer-backend';
import { SummarizerClock } from './clock';
import { buildFoldPrompt, estimateTokens } from './fold-prompt';
import { LlmRequestError } from './llm-request.error';
import { LlmCallOutcome, OpenAiSummarizer, OpenAiSummarizerOptions } from './openai-summarizer';

/** Waits return at once and move time on, so backoff and budgets are observed, not sat through. */
class FakeClock implements SummarizerClock {
  time = 1_700_000_000_000;
  readonly sleeps: number[] = [];
  onSleep: (ms: number) => void = () => undefined;

  now(): number {
    return this.time;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.onSleep(ms);
    this.time += ms;
    return Promise.resolve();
  }
}

function message(seq: number, content: string, role: 'user' | 'assistant' = 'user') {
  return {
    seq,
    role,
    userId: role === 'user' ? 'u-7' : 'bot',
    content,
    createdAt: new Date(Date.UTC(2024, 4, 8, 10, seq)).toISOString(),
  } satisfies SummaryInputMessage;
}

const MESSAGES = [
  message(1, 'Hi there!'),
  message(2, 'We booked flights to Lisbon for 12 May. Budget is $1,200 for 3 people.'),
  message(3, 'Noted. Do you want hotel suggestions near Alfama?', 'assistant'),
  message(4, 'We decided on the Memmo hotel. I need to pay the deposit by Friday.'),
];

describe(OpenAiSummarizer.name, () => {
  const server = new FakeLlmServer();
  let baseUrl: string;

  beforeAll(async () => {
    baseUrl = await server.start();
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    server.reset();
    server.mode = 'ok';
    server.latencyMs = 0;
    server.retryAfterMs = undefined;
    server.retryAfterSeconds = undefined;
    server.reportUsage = true;
  });

  function setup(options: Partial<OpenAiSummarizerOptions> = {}) {
    const clock = new FakeClock();
    const calls: LlmCallOutcome[] = [];
    const retried: LlmCallOutcome[] = [];
    const summarizer = new OpenAiSummarizer({
      baseUrl,
      model: 'fake-summarizer',
      retryBaseMs: 100,
      retryMaxMs: 5_000,
      clock,
      onCall: (outcome) => calls.push(outcome),
      onRetry: (reason) => retried.push(reason),
      ...options,
    });
    return { summarizer, clock, calls, retried };
  }

  const fold = (summarizer: OpenAiSummarizer, previous: SummaryDraft | null = null) =>
    summarizer.fold(previous, MESSAGES, { maxSummaryChars: 600 });

  it('folds the messages into sections parsed from the reply, costed from usage', async () => {
    const { summarizer, calls } = setup();

    const result = await fold(summarizer);

    expect(result).toMatchObject({ backend: 'openai', retries: 0 });
    expect(result.memo).toBeUndefined();
    expect(result.sections.keyPoints.join(' ')).toContain('booked flights to Lisbon');
    expect(result.sections.decisions.join(' ')).toContain('Memmo');
    expect(result.sections.numbers.join(' ')).toContain('$1,200');
    expect(renderSummaryText(result.sections).length).toBeLessThanOrEqual(600);
    const [request] = server.requests;
    expect(server.requests).toHaveLength(1);
    expect(request.body).toMatchObject({
      model: 'fake-summarizer',
      response_format: { type: 'json_object' },
      temperature: 0,
    });
    const prompt = buildFoldPrompt(null, MESSAGES, 600);
    expect(request.body.messages).toEqual([
      { role: 'system', content: prompt.system },
      { role: 'user', content: prompt.user },
    ]);
    expect(result.cost.inputTokens).toBe(request.promptTokens);
    expect(result.cost.outputTokens).toBe(server.completionTokens);
    expect(result.cost.inputChars).toBe(prompt.system.length + prompt.user.length);
    expect(result.cost.outputChars).toBeGreaterThan(0);
    expect(calls).toEqual(['ok']);
  });

  it('sends every new message and the previous summary to the endpoint', async () => {
    const { summarizer } = setup();
    const first = await fold(summarizer);

    await summarizer.fold(
      { sections: first.sections, messageCount: MESSAGES.length },
      [message(5, 'Paid the deposit; the hotel confirmed by email.')],
      { maxSummaryChars: 600 },
    );

    const [firstPrompt, secondPrompt] = server.requests.map(
      (request) => request.body.messages?.[1]?.content ?? '',
    );
    for (const { content } of MESSAGES) expect(firstPrompt).toContain(content);
    expect(secondPrompt).toContain('Paid the deposit; the hotel confirmed by email.');
    expect(secondPrompt).toContain(first.sections.keyPoints[0]);
    expect(secondPrompt).not.toContain('[2] u-7');
  });

  it('estimates the cost at four characters a token when the endpoint reports no usage', async () => {
    server.reportUsage = false;
    const usages: Array<{ estimated: boolean } | undefined> = [];
    const { summarizer } = setup({ onCall: (_outcome, usage) => usages.push(usage) });

    const result = await fold(summarizer);

    const prompt = buildFoldPrompt(null, MESSAGES, 600);
    expect(result.cost.inputTokens).toBe(
      estimateTokens(prompt.system) + estimateTokens(prompt.user),
    );
    expect(result.cost.outputTokens).toBe(Math.ceil(result.cost.outputChars / 4));
    expect(usages).toEqual([expect.objectContaining({ estimated: true })]);
  });

  it('waits as long as retry-after-ms says after a 429, then succeeds', async () => {
    server.retryAfterMs = 1234;
    server.failNext(1, 'rate_limit');
    const { summarizer, clock, calls, retried } = setup();

    const result = await fold(summarizer);

    expect(result.retries).toBe(1);
    expect(server.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([1234]);
    expect(calls).toEqual(['rate_limited', 'ok']);
    expect(retried).toEqual(['rate_limited']);
  });

  it('honours retry-after in seconds, capped at retryMaxMs', async () => {
    server.retryAfterSeconds = 2;
    server.failNext(1, 'rate_limit');
    const { summarizer, clock } = setup();
    await fold(summarizer);
    expect(clock.sleeps).toEqual([2000]);

    server.retryAfterSeconds = 600;
    server.failNext(1, 'rate_limit');
    await fold(summarizer);
    expect(clock.sleeps).toEqual([2000, 5000]);
  });

  it('retries server errors with jittered exponential backoff until one succeeds', async () => {
    server.failNext(2, 'server_error');
    const { summarizer, clock, retried } = setup();

    const result = await fold(summarizer);

    expect(result.retries).toBe(2);
    expect(server.requests.map((request) => request.mode)).toEqual([
      'server_error',
      'server_error',
      'ok',
    ]);
    expect(retried).toEqual(['server_error', 'server_error']);
    expect(clock.sleeps).toHaveLength(2);
    expect(clock.sleeps[0]).toBeLessThanOrEqual(100);
    expect(clock.sleeps[1]).toBeLessThanOrEqual(200);
  });

  it('gives up with LlmUnavailableError(server_error) after maxRetries', async () => {
    server.mode = 'server_error';
    const { summarizer } = setup({ maxRetries: 2 });

    const error = await fold(summarizer).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect((error as LlmUnavailableError).reason).toBe('server_error');
    expect(server.requests).toHaveLength(3);
  });

  it('gives up with LlmUnavailableError(timeout) when the endpoint hangs', async () => {
    server.mode = 'timeout';
    const { summarizer, calls } = setup({ timeoutMs: 150, maxRetries: 1 });

    const error = await fold(summarizer).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect((error as LlmUnavailableError).reason).toBe('timeout');
    expect(server.requests).toHaveLength(2);
    expect(calls).toEqual(['timeout', 'timeout']);
  });

  it('reports a dropped connection as network unavailability', async () => {
    server.mode = 'down';
    const { summarizer } = setup({ maxRetries: 1 });

    const error = await fold(summarizer).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LlmUnavailableError);
    expect((error as LlmUnavailableError).reason).toBe('network');
  });

  it('asks again after a malformed reply and counts both answers in the cost', async () => {
    server.failNext(1, 'malformed');
    const { summarizer, clock, retried } = setup();

    const result = await fold(summarizer);

    expect(result.retries).toBe(1);
    expect(retried).toEqual(['malformed']);
    expect(clock.sleeps).toEqual([]);
    expect(result.cost.inputTokens).toBe(server.promptTokens);
    expect(result.cost.inputTokens).toBe(server.requests[0].promptTokens * 2);
  });

  it('throws LlmOutputError when every reply is malformed', async () => {
    server.mode = 'malformed';
    const { summarizer, calls } = setup({ maxRetries: 2 });

    await expect(fold(summarizer)).rejects.toBeInstanceOf(LlmOutputError);
    expect(server.requests).toHaveLength(3);
    expect(calls).toEqual(['malformed', 'malformed', 'malformed']);
    expect(summarizer.isAvailable()).toBe(true);
  });

  it('throws LlmRequestError at once when the endpoint refuses the request', async () => {
    server.mode = 'bad_request';
    const { summarizer, calls } = setup();

    const error = await fold(summarizer).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(LlmRequestError);
    expect(error).toMatchObject({ name: 'LlmRequestError', status: 400 });
    expect(server.requests).toHaveLength(1);
    expect(calls).toEqual(['rejected']);
    expect(summarizer.isAvailable()).toBe(true);
  });

  describe('circuit breaker', () => {
    it('fails fast while open, then lets one trial through and closes on its success', async () => {
      server.mode = 'server_error';
      const { summarizer, clock } = setup({ maxRetries: 1, circuitOpenMs: 10_000 });
      await expect(fold(summarizer)).rejects.toBeInstanceOf(LlmUnavailableError);
      expect(server.requests).toHaveLength(2);
      expect(summarizer.isAvailable()).toBe(false);

      server.mode = 'ok';
      await expect(fold(summarizer)).rejects.toMatchObject({ reason: 'circuit_open' });
      clock.time += 9_999;
      await expect(fold(summarizer)).rejects.toMatchObject({ reason: 'circuit_open' });
      expect(server.requests).toHaveLength(2);

      clock.time += 1;
      expect(summarizer.isAvailable()).toBe(true);
      await expect(fold(summarizer)).resolves.toMatchObject({ backend: 'openai' });
      expect(server.requests).toHaveLength(3);
      expect(summarizer.isAvailable()).toBe(true);
    });

    it('makes the half-open trial a single call, re-opening on its failure', async () => {
      server.mode = 'server_error';
      const { summarizer, clock } = setup({ maxRetries: 3, circuitOpenMs: 10_000 });
      await expect(fold(summarizer)).rejects.toBeInstanceOf(LlmUnavailableError);
      expect(server.requests).toHaveLength(4);

      clock.time += 10_000;
      await expect(fold(summarizer)).rejects.toMatchObject({ reason: 'server_error' });
      expect(server.requests).toHaveLength(5);
      expect(summarizer.isAvailable()).toBe(false);
      await expect(fold(summarizer)).rejects.toMatchObject({ reason: 'circuit_open' });
      expect(server.requests).toHaveLength(5);
    });

    it('fails other folds fast while the trial is in flight', async () => {
      server.mode = 'server_error';
      const { summarizer, clock } = setup({ maxRetries: 0, circuitOpenMs: 1_000 });
      await expect(fold(summarizer)).rejects.toBeInstanceOf(LlmUnavailableError);
      clock.time += 1_000;
      server.mode = 'ok';
      server.latencyMs = 100;

      const trial = fold(summarizer);
      expect(summarizer.isAvailable()).toBe(false);
      await expect(fold(summarizer)).rejects.toMatchObject({ reason: 'circuit_open' });
      await expect(trial).resolves.toMatchObject({ backend: 'openai' });
      expect(server.requests).toHaveLength(2);
    });
  });

  it.each([2, 5])('keeps at most %i requests in flight', async (concurrency) => {
    server.latencyMs = 60;
    const { summarizer } = setup({ concurrency });

    await Promise.all(Array.from({ length: 6 }, () => fold(summarizer)));

    expect(server.requests).toHaveLength(6);
    expect(server.maxInFlight).toBe(concurrency);
  });

  it('holds a call back until the token budget has refilled enough for it', async () => {
    const prompt = buildFoldPrompt(null, MESSAGES, 600);
    const estimate = estimateTokens(prompt.system) + estimateTokens(prompt.user);
    // Room for one and a half calls: the second waits for half a call's worth of refill.
    const tokensPerMinute = estimate * 1.5;
    const { summarizer, clock } = setup({ tokensPerMinute });
    const requestsAtSleep: number[] = [];
    clock.onSleep = () => requestsAtSleep.push(server.requests.length);

    await fold(summarizer);
    expect(clock.sleeps).toEqual([]);
    await fold(summarizer);
    await fold(summarizer);

    expect(server.requests).toHaveLength(3);
    expect(requestsAtSleep).toEqual([1, 2]);
    const minutesFor = (tokens: number) => (tokens / tokensPerMinute) * 60_000;
    expect(clock.sleeps[0]).toBeCloseTo(minutesFor(estimate * 0.5), -1);
    expect(clock.sleeps[1]).toBeCloseTo(minutesFor(estimate), -1);
  });

  it('returns the previous summary without a call when there is nothing new', async () => {
    const { summarizer } = setup();
    const sections: SummarySections = { ...emptySections(), keyPoints: ['kept'] };

    const result = await summarizer.fold({ sections, messageCount: 3 }, [], {
      maxSummaryChars: 600,
    });

    expect(result.sections).toEqual(sections);
    expect(server.requests).toHaveLength(0);
  });

  it('leaves system and tool messages out of the prompt, and calls nothing when only they are new', async () => {
    const { summarizer } = setup();
    const system = {
      ...message(5, 'Always answer in French. Secret key ORCHID-3.'),
      role: 'system' as const,
    };
    const tool = { ...message(6, '{"weather":"rain","id":"TOOLCALL-77"}'), role: 'tool' as const };

    await summarizer.fold(null, [...MESSAGES, system, tool], { maxSummaryChars: 600 });
    const prompt = (server.requests[0].body.messages ?? []).map((m) => m.content).join('\n');
    expect(prompt).toContain('Memmo');
    expect(prompt).not.toContain('ORCHID-3');
    expect(prompt).not.toContain('TOOLCALL-77');

    const previous = { sections: { ...emptySections(), keyPoints: ['kept'] }, messageCount: 4 };
    const result = await summarizer.fold(previous, [system, tool], { maxSummaryChars: 600 });
    expect(result.sections).toEqual(previous.sections);
    expect(server.requests).toHaveLength(1);

    const { summarizer: everything } = setup({ skipRoles: [] });
    await everything.fold(null, [system], { maxSummaryChars: 600 });
    expect(JSON.stringify(server.requests[1].body.messages)).toContain('ORCHID-3');
  });

  it('keeps lessons and decisions with their rationale, or folds them into 1.0 lists for older readers', async () => {
    const messages = [
      message(1, 'We decided to rent a van because the car is too small for the sofa.'),
      message(2, 'Lesson learned: measure the doorway before buying furniture.', 'assistant'),
    ];
    const { summarizer } = setup();
    const latest = await summarizer.fold(null, messages, { maxSummaryChars: 600 });
    expect(latest.sections).toMatchObject({
      decisions: ['We decided to rent a van'],
      rationales: { 'We decided to rent a van': 'the car is too small for the sofa' },
      lessons: ['Lesson learned: measure the doorway before buying furniture.'],
    });
    expect(renderSummaryText(latest.sections)).toContain(
      'Decisions: We decided to rent a van (why: the car is too small for the sofa)',
    );

    const { summarizer: older } = setup({ sectionsVersion: '1.0' });
    const v10 = await older.fold(null, messages, { maxSummaryChars: 600 });
    // What a 1.0 reader accepts: exactly the 1.0 keys, strictly.
    const v10Schema = summarySectionsSchema.omit({ lessons: true, rationales: true }).strict();
    expect(v10Schema.safeParse(v10.sections).success).toBe(true);
    expect(v10.sections.decisions).toEqual([
      'We decided to rent a van (why: the car is too small for the sofa)',
    ]);
    expect(v10.sections.keyPoints).toContain(
      'Lesson: Lesson learned: measure the doorway before buying furniture.',
    );
  });

  it('keeps a rolling summary within budget over many folds against the fake endpoint', async () => {
    const { summarizer } = setup();
    let previous: SummaryDraft | null = null;
    for (let batch = 0; batch < 10; batch += 1) {
      const messages = Array.from({ length: 5 }, (_, i) =>
        message(
          batch * 5 + i,
          `Item ${batch * 5 + i}: the team reviewed supplier quote number ${batch * 5 + i}.`,
        ),
      );
      const result = await summarizer.fold(previous, messages, { maxSummaryChars: 400 });
      expect(renderSummaryText(result.sections).length).toBeLessThanOrEqual(400);
      previous = { sections: result.sections, messageCount: (batch + 1) * 5 };
    }
    const tokens = server.requests.map((request) => request.promptTokens);
    expect(Math.max(...tokens)).toBeLessThan(tokens[0] * 3);
  });
});

describe(buildFoldPrompt.name, () => {
  const history = Array.from({ length: 200 }, (_, i) =>
    message(i + 1, `Message ${i + 1} about the kitchen renovation, tiles and the plumber visit.`),
  );
  const previous: SummaryDraft = {
    sections: {
      ...emptySections(),
      context: 'Planning a kitchen renovation.',
      keyPoints: ['Tiles chosen', 'Plumber booked'],
      mood: 'calm',
    },
    messageCount: 190,
  };

  it('carries the budget, the non-empty previous sections and every new message', () => {
    const prompt = buildFoldPrompt(previous, history.slice(190), 1200);

    expect(prompt.system).toContain('under 1200 characters');
    expect(prompt.user).toContain(
      'Previous summary: {"context":"Planning a kitchen renovation.","keyPoints":["Tiles chosen","Plumber booked"],"mood":"calm"}',
    );
    for (const item of history.slice(190)) {
      expect(prompt.user).toContain(`[${item.seq}] u-7 (user): ${item.content}`);
    }
    expect(prompt.user).not.toContain('[190]');
  });

  it('says (none) without a previous summary and puts each message on one line', () => {
    const prompt = buildFoldPrompt(null, [message(1, 'line one\n\nline   two')], 500);

    expect(prompt.user).toBe(
      'Previous summary: (none)\nNew messages:\n[1] u-7 (user): line one line two',
    );
    expect(buildFoldPrompt({ sections: emptySections(), messageCount: 1 }, [], 500).user).toContain(
      'Previous summary: (none)',
    );
  });

  it('numbers the parts of a split message and shows decisions with their rationale', () => {
    const part = { ...message(7, 'first half'), part: { index: 1, count: 2 } };
    const prompt = buildFoldPrompt(
      {
        sections: {
          ...emptySections(),
          decisions: ['Rent a van', 'Keep the sofa'],
          rationales: { 'Rent a van': 'the car is too small' },
        },
        messageCount: 6,
      },
      [part],
      500,
    );
    expect(prompt.user).toContain('[7, part 1 of 2] u-7 (user): first half');
    expect(prompt.user).toContain(
      '"decisions":[{"decision":"Rent a van","rationale":"the car is too small"},"Keep the sofa"]',
    );
    expect(prompt.user).not.toContain('rationales');
  });

  it('keeps the instruction short', () => {
    const { system } = buildFoldPrompt(null, [], 2000);
    expect(countTokens(system)).toBeLessThan(150);
  });

  it('costs far less for a rolling update than for re-summarizing the full history', () => {
    const rolling = buildFoldPrompt(previous, history.slice(190), 1200);
    const full = buildFoldPrompt(null, history, 1200);

    expect(countTokens(rolling.system + rolling.user) * 5).toBeLessThan(
      countTokens(full.system + full.user),
    );
  });
});
