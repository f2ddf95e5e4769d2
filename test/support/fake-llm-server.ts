import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { countTokens } from 'gpt-tokenizer';
import { emptySections, renderSummaryText, SummarySections } from '@memory/contracts';

/**
 * How the fake answers chat completions: `ok` a summary, `rate_limit` 429 (with `retry-after`
 * headers when set), `server_error` 500, `bad_request` 400, `timeout` never (the socket is held
 * until the client gives up or the server stops), `malformed` 200 with a reply that is not a
 * summary, `down` the connection is dropped without a response.
 */
export type FakeLlmMode =
  'ok' | 'rate_limit' | 'server_error' | 'bad_request' | 'timeout' | 'malformed' | 'down';

export interface FakeChatMessage {
  role: string;
  content: string;
}

export interface FakeChatRequestBody {
  model?: string;
  messages?: FakeChatMessage[];
  [key: string]: unknown;
}

export interface FakeLlmRequest {
  body: FakeChatRequestBody;
  /** As the endpoint would bill it (gpt-tokenizer, o200k, plus per-message framing). */
  promptTokens: number;
  /** `Date.now()` when the request arrived. */
  at: number;
  mode: FakeLlmMode;
}

export interface FakeLlmServerOptions {
  mode?: FakeLlmMode;
  /** Delay before an answer (any mode but `timeout`/`down`). Default 0. */
  latencyMs?: number;
  /** Sent as `retry-after-ms` on 429s when set. */
  retryAfterMs?: number;
  /** Sent as `retry-after` (seconds) on 429s when set. */
  retryAfterSeconds?: number;
  /** Summary budget when the prompt states none ("under N characters"). Default 1500. */
  maxSummaryChars?: number;
  /** False: leave `usage` out of replies, as some compatible servers do. Default true. */
  reportUsage?: boolean;
}

/** The fake's working sections: every list present, rationales by decision. */
type Sections = SummarySections & { lessons: string[]; rationales: Record<string, string> };
type ListKey = Exclude<keyof Sections, 'context' | 'mood' | 'rationales'>;

const LIST_KEYS: readonly ListKey[] = [
  'keyPoints',
  'decisions',
  'actionItems',
  'openQuestions',
  'lessons',
  'entities',
  'dates',
  'numbers',
];

function emptyFakeSections(): Sections {
  return { ...emptySections(), lessons: [], rationales: {} };
}

/**
 * The reply as the fold prompt asks for it: decisions as `{decision, rationale}`, `lessons` a
 * list, no `rationales` map.
 */
function replyOf(sections: Sections): Record<string, unknown> {
  const { rationales, ...rest } = sections;
  return {
    ...rest,
    decisions: sections.decisions.map((decision) => ({
      decision,
      rationale: rationales[decision] ?? null,
    })),
  };
}
// Per-message framing tokens, as OpenAI counts chat prompts (plus 3 to prime the reply).
const TOKENS_PER_MESSAGE = 3;
const REPLY_PRIMING_TOKENS = 3;

/**
 * An OpenAI-compatible chat completions server on loopback for tests and benchmarks. Its `ok`
 * answers come from a deterministic extractive "LLM" that reads the fold prompt (previous
 * summary as JSON, then `[seq] userId (role): content` lines, and "under N characters"), so
 * summaries stay bounded like a real model's and token counts are realistic.
 */
export class FakeLlmServer {
  mode: FakeLlmMode;
  latencyMs: number;
  retryAfterMs: number | undefined;
  retryAfterSeconds: number | undefined;
  reportUsage: boolean;
  readonly requests: FakeLlmRequest[] = [];
  /** Tokens billed: requests answered with a completion (`ok` and `malformed`). */
  promptTokens = 0;
  completionTokens = 0;
  /** Chat completion requests being handled now, and the most at once so far. */
  inFlight = 0;
  maxInFlight = 0;

  private readonly model = 'fake-summarizer';
  private readonly defaultMaxChars: number;
  private readonly scripted: FakeLlmMode[] = [];
  private readonly held = new Set<ServerResponse>();
  private server: Server | undefined;
  private completions = 0;

  constructor(options: FakeLlmServerOptions = {}) {
    this.mode = options.mode ?? 'ok';
    this.latencyMs = options.latencyMs ?? 0;
    this.retryAfterMs = options.retryAfterMs;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.defaultMaxChars = options.maxSummaryChars ?? 1500;
    this.reportUsage = options.reportUsage ?? true;
  }

  /** Listens on 127.0.0.1 (a free port); resolves to the base URL, `http://127.0.0.1:<port>/v1`. */
  async start(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return this.baseUrl;
  }

  get baseUrl(): string {
    if (!this.server) throw new Error('FakeLlmServer is not started');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** Stops listening and drops every connection, held ones (`timeout`) included. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const res of this.held) res.destroy();
    this.held.clear();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  /** The next `count` chat completion requests get `mode`; then `this.mode` again. */
  failNext(count: number, mode: FakeLlmMode): void {
    for (let i = 0; i < count; i += 1) this.scripted.push(mode);
  }

  /** Forgets recorded requests, totals and scripted failures (the mode stays). */
  reset(): void {
    this.requests.length = 0;
    this.scripted.length = 0;
    this.promptTokens = 0;
    this.completionTokens = 0;
    this.maxInFlight = this.inFlight;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: this.model, object: 'model', created: 0, owned_by: 'fake' }],
      });
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      sendError(res, 404, `Unknown route ${req.method} ${path}`, 'invalid_request_error');
      return;
    }
    readBody(req)
      .then((text) => this.complete(text, req, res))
      .catch(() => res.destroy());
  }

  private async complete(text: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body: FakeChatRequestBody;
    try {
      body = JSON.parse(text) as FakeChatRequestBody;
    } catch {
      sendError(res, 400, 'Request body is not JSON', 'invalid_request_error');
      return;
    }
    const messages = Array.isArray(body.messages) ? body.messages : [];
    const promptTokens = countPromptTokens(messages);
    const mode = this.scripted.shift() ?? this.mode;
    this.requests.push({ body, promptTokens, at: Date.now(), mode });
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    res.once('close', () => {
      this.inFlight -= 1;
      this.held.delete(res);
    });

    if (mode === 'down') {
      req.socket.destroy();
      return;
    }
    if (mode === 'timeout') {
      this.held.add(res);
      return;
    }
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (res.destroyed) return;
    switch (mode) {
      case 'rate_limit': {
        const headers: Record<string, string> = {};
        if (this.retryAfterMs !== undefined) headers['retry-after-ms'] = String(this.retryAfterMs);
        if (this.retryAfterSeconds !== undefined) {
          headers['retry-after'] = String(this.retryAfterSeconds);
        }
        sendError(res, 429, 'Rate limit reached for requests', 'requests', headers);
        return;
      }
      case 'server_error':
        sendError(
          res,
          500,
          'The server had an error while processing your request',
          'server_error',
        );
        return;
      case 'bad_request':
        sendError(res, 400, 'Invalid request', 'invalid_request_error');
        return;
      case 'malformed':
        this.reply(res, body, promptTokens, MALFORMED_REPLIES[this.completions % 3]);
        return;
      case 'ok':
        this.reply(res, body, promptTokens, JSON.stringify(replyOf(this.summarize(messages))));
        return;
    }
  }

  private reply(
    res: ServerResponse,
    body: FakeChatRequestBody,
    promptTokens: number,
    content: string,
  ): void {
    this.completions += 1;
    const completionTokens = countTokens(content, { disallowedSpecial: new Set() });
    this.promptTokens += promptTokens;
    this.completionTokens += completionTokens;
    sendJson(res, 200, {
      id: `chatcmpl-fake-${this.completions}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? this.model,
      system_fingerprint: null,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal: null },
          logprobs: null,
          finish_reason: 'stop',
        },
      ],
      ...(this.reportUsage
        ? {
            usage: {
              prompt_tokens: promptTokens,
              completion_tokens: completionTokens,
              total_tokens: promptTokens + completionTokens,
            },
          }
        : {}),
    });
  }

  /** The extractive "LLM": previous sections plus what each new message adds, cut to budget. */
  private summarize(messages: FakeChatMessage[]): Sections {
    const system = messages.find((message) => message.role === 'system')?.content ?? '';
    const user = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
    const budgetMatch =
      /under (\d+) characters/.exec(system) ?? /under (\d+) characters/.exec(user);
    const maxChars = budgetMatch ? Number(budgetMatch[1]) : this.defaultMaxChars;
    const { previous, lines } = readFoldPrompt(user);
    const sections = previous ?? emptyFakeSections();
    for (const line of lines) addMessage(sections, line);
    for (const key of LIST_KEYS) sections[key] = dedupe(sections[key]);
    if (!sections.context && sections.keyPoints.length > 0) {
      const who = lines.find((line) => line.role === 'user')?.userId ?? 'the user';
      sections.context = `Chat with ${who} about: ${clip(sections.keyPoints[0], 100)}`;
    }
    // Aim a little under the budget, as a model asked for "under N" does; oldest goes first.
    return fitToBudget(sections, Math.floor(maxChars * 0.9));
  }
}

interface PromptLine {
  userId: string;
  role: string;
  content: string;
}

const MALFORMED_REPLIES = [
  'Sure! Here is a summary of the conversation: the user talked about several things.',
  '{"context": 42, "keyPoints": "not a list"}',
  '{"context": "cut off", "keyPoints": ["first',
];

const STOP_WORDS = new Set(
  (
    'hello hey hiya thanks thank cheers please okay sure great good morning evening night bye ' +
    'goodbye welcome nice awesome cool there this that with your yours what when where which ' +
    'would could should have will just really very much from they them then than been about ' +
    'also here some well yeah yes alright lovely perfect appreciate noted understood right'
  ).split(' '),
);
const DATE_PATTERN =
  /\b(?:today|tomorrow|tonight|yesterday|next (?:week|month|year|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|(?:on )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|\d{4}-\d{2}-\d{2}|\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*(?: \d{4})?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2}(?:st|nd|rd|th)?(?:,? \d{4})?)\b/gi;
const NUMBER_PATTERN =
  /(?:[$€£]\s?)?\d[\d,.]*%?(?:\s(?!(?:and|or|for|the|per|from|with|until|by|at|to)\b)[a-z]{2,})?/gi;
const CALENDAR_WORD =
  /^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december)$/i;
const DECISION_PATTERN =
  /\b(?:decided|agreed|we'll go with|let's go with|going with|settled on|chose|choose)\b/i;
const RATIONALE_PATTERN = /\s(?:because|since|so that)\s/i;
const LESSON_PATTERN =
  /\b(?:lesson|learned|learnt|next time|should have|shouldn't have|never again|worked better)\b/i;
const ACTION_PATTERN = /\b(?:need to|needs to|have to|must|remind me|todo|i'll|we'll|going to)\b/i;
const ENTITY_PATTERN = /(?<![.!?]\s|^)\b[A-Z][a-zA-Z]+(?:\s[A-Z][a-zA-Z]+)*/g;
const FRUSTRATED_PATTERN = /\b(?:frustrat\w*|annoy\w*|angry|upset|terrible|awful)\b/i;
const GRATEFUL_PATTERN = /\b(?:thanks|thank you|grateful|appreciate\w*)\b/i;

function readFoldPrompt(user: string): { previous: Sections | null; lines: PromptLine[] } {
  const textLines = user.split('\n');
  let previous: Sections | null = null;
  const lines: PromptLine[] = [];
  for (const text of textLines) {
    const prior = /^Previous summary: (.*)$/.exec(text);
    if (prior) {
      previous = parsePrevious(prior[1]);
      continue;
    }
    const message =
      /^\[\d+(?:, part \d+ of \d+)?\] (.+?) \((user|assistant|system|tool)\): (.*)$/.exec(text);
    if (message) lines.push({ userId: message[1], role: message[2], content: message[3] });
  }
  // Not a fold prompt: treat each line as a message from the user.
  if (lines.length === 0 && previous === null) {
    for (const text of textLines) {
      if (text.trim()) lines.push({ userId: 'user', role: 'user', content: text.trim() });
    }
  }
  return { previous, lines };
}

function parsePrevious(text: string): Sections | null {
  if (!text.startsWith('{')) return null;
  try {
    const value = JSON.parse(text) as Partial<Record<keyof Sections, unknown>>;
    const sections = emptyFakeSections();
    if (typeof value.context === 'string') sections.context = value.context;
    if (typeof value.mood === 'string') sections.mood = value.mood;
    for (const key of LIST_KEYS) {
      const list = value[key];
      if (!Array.isArray(list)) continue;
      for (const item of list as unknown[]) {
        if (typeof item === 'string') sections[key].push(item);
        else if (key === 'decisions' && isDecision(item)) {
          sections.decisions.push(item.decision);
          if (item.rationale) sections.rationales[item.decision] = item.rationale;
        }
      }
    }
    return sections;
  } catch {
    return null;
  }
}

function isDecision(item: unknown): item is { decision: string; rationale?: string | null } {
  return (
    typeof item === 'object' &&
    item !== null &&
    typeof (item as { decision?: unknown }).decision === 'string'
  );
}

function addMessage(sections: Sections, line: PromptLine): void {
  const sentences = line.content
    .split(/(?<=[.!?])\s+/)
    .map((sentence) => sentence.trim())
    .filter(hasContentWords);
  // Pleasantries alone leave no trace, as the prompt asks.
  if (sentences.length === 0) return;
  sections.keyPoints.push(
    clip(sentences[0].replace(/^(?:also|and|so|well|ok|okay),?\s+/i, ''), 140),
  );
  for (const sentence of sentences) {
    if (sentence.endsWith('?') && line.role === 'user') {
      sections.openQuestions.push(clip(sentence, 120));
    }
    if (DECISION_PATTERN.test(sentence)) {
      // "We decided X because Y": the decision, and the reason given as its rationale.
      const [decision, why] = sentence.split(RATIONALE_PATTERN, 2);
      const text = clip(decision.replace(/[,;]\s*$/, '').trim(), 120);
      sections.decisions.push(text);
      if (why?.trim()) sections.rationales[text] = clip(why.trim().replace(/[.!]$/, ''), 120);
    } else if (ACTION_PATTERN.test(sentence)) sections.actionItems.push(clip(sentence, 120));
    if (LESSON_PATTERN.test(sentence)) sections.lessons.push(clip(sentence, 120));
  }
  const dates = line.content.match(DATE_PATTERN) ?? [];
  sections.dates.push(...dates);
  const numbers = (line.content.replace(DATE_PATTERN, ' ').match(NUMBER_PATTERN) ?? []).map(
    (number) => number.trim(),
  );
  sections.numbers.push(...numbers.filter((number) => /\d/.test(number)));
  const entities = (line.content.match(ENTITY_PATTERN) ?? []).filter(
    (entity) => !STOP_WORDS.has(entity.toLowerCase()) && !CALENDAR_WORD.test(entity),
  );
  sections.entities.push(...entities);
  if (FRUSTRATED_PATTERN.test(line.content)) sections.mood = 'frustrated';
  else if (GRATEFUL_PATTERN.test(line.content)) sections.mood ??= 'grateful';
}

function hasContentWords(sentence: string): boolean {
  const words = sentence.toLowerCase().match(/[a-z][a-z']{3,}|\d+/g) ?? [];
  return words.some((word) => !STOP_WORDS.has(word));
}

/** Drops the oldest item of the longest list until the rendered text fits. */
function fitToBudget(sections: Sections, maxChars: number): Sections {
  sections.context = clip(sections.context, Math.floor(maxChars / 3));
  while (renderSummaryText(sections).length > maxChars) {
    let longest: ListKey | null = null;
    for (const key of LIST_KEYS) {
      if (sections[key].length > (longest ? sections[longest].length : 0)) longest = key;
    }
    if (longest === null) break;
    sections[longest] = sections[longest].slice(1);
  }
  if (renderSummaryText(sections).length > maxChars) sections.context = '';
  return sections;
}

function dedupe(items: string[]): string[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = item.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function clip(text: string, maxChars: number): string {
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1).trimEnd()}…`;
}

function countPromptTokens(messages: FakeChatMessage[]): number {
  let tokens = REPLY_PRIMING_TOKENS;
  for (const message of messages) {
    const content = typeof message.content === 'string' ? message.content : '';
    tokens += TOKENS_PER_MESSAGE + countTokens(content, { disallowedSpecial: new Set() });
  }
  return tokens;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  type: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { message, type, param: null, code: null } }, headers);
}
