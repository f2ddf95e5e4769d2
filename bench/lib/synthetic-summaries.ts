// Synthetic conversation summaries for the search benchmark: deterministic (same seed, same
// summaries on every machine), with chat-like text whose words have realistic BM25 statistics,
// and an embedding backend that makes their vectors from a few thousand real sentence
// embeddings instead of 100,000 model runs.
//
// Text: a pool of sentences is generated per topic from templates and a vocabulary (things
// people talk about, people, places, days, amounts). A summary picks one topic (sometimes two)
// and draws its context, key points, decisions, action items and open questions from that
// topic's sentences; its entities, dates and numbers are the slot values of the sentences it
// drew. Query strings use other templates over the same vocabulary, so they paraphrase the
// documents without repeating any of their sentences.
import type { MemorySummary, SummarySections, SummaryTier } from '@memory/contracts';
import { prng } from '@memory/datasets';
import type { EmbeddingBackend, EmbeddingKind } from '@memory/embeddings';

const TOPICS = [
  ['dentist appointment', 'tooth cleaning', 'root canal', 'dental check-up', 'braces consultation'],
  ['flight booking', 'airport transfer', 'seat upgrade', 'lost luggage claim', 'boarding passes'],
  ['hotel reservation', 'room upgrade', 'late checkout', 'hotel invoice', 'breakfast voucher'],
  ['kitchen renovation', 'new countertop', 'plumber visit', 'tile order', 'dishwasher install'],
  ['quarterly budget', 'expense report', 'cost forecast', 'budget review', 'spending freeze'],
  ['product launch', 'launch checklist', 'press release', 'launch party', 'beta feedback'],
  ['job interview', 'reference check', 'salary negotiation', 'offer letter', 'second interview'],
  ['birthday party', 'birthday cake', 'party invitations', 'gift for the kids', 'venue deposit'],
  ['wedding planning', 'wedding venue', 'guest list', 'catering menu', 'wedding photographer'],
  ['car repair', 'brake replacement', 'oil change', 'winter tyres', 'insurance inspection'],
  ['apartment hunting', 'lease signing', 'security deposit', 'moving truck', 'apartment viewing'],
  ['tax return', 'tax deduction', 'accountant meeting', 'receipts folder', 'tax refund'],
  ['marathon training', 'long run', 'running shoes', 'race registration', 'knee physio'],
  ['piano lessons', 'recital rehearsal', 'sheet music', 'piano tuning', 'music exam'],
  ['garden project', 'vegetable beds', 'tomato seedlings', 'compost bin', 'garden fence'],
  ['server migration', 'database backup', 'downtime window', 'load balancer', 'rollback plan'],
  ['customer complaint', 'refund request', 'replacement order', 'support ticket', 'apology email'],
  ['school enrolment', 'parent meeting', 'school uniform', 'science fair', 'report card'],
  ['doctor visit', 'blood test', 'prescription refill', 'allergy test', 'physical therapy'],
  ['camping trip', 'tent rental', 'hiking route', 'camping permit', 'sleeping bags'],
  ['book club', 'reading list', 'book club dinner', 'author talk', 'library holds'],
  ['photography course', 'camera lens', 'photo walk', 'portfolio review', 'printing order'],
  ['dog adoption', 'vet appointment', 'puppy training', 'dog walker', 'pet insurance'],
  ['home insurance', 'water damage claim', 'insurance adjuster', 'policy renewal', 'roof repair'],
  ['conference talk', 'slide deck', 'travel grant', 'speaker dinner', 'talk rehearsal'],
  ['mortgage application', 'bank appointment', 'interest rate', 'house valuation', 'loan papers'],
  ['family reunion', 'reunion dinner', 'photo album', 'train tickets', 'guest rooms'],
  ['language course', 'grammar test', 'conversation class', 'exchange partner', 'course fee'],
  ['volunteer shift', 'food bank drive', 'charity run', 'donation boxes', 'volunteer training'],
  ['website redesign', 'landing page', 'logo refresh', 'analytics setup', 'domain renewal'],
  ['guitar purchase', 'amplifier', 'guitar strings', 'band rehearsal', 'studio booking'],
  ['bike commute', 'bike repair', 'helmet', 'bike lock', 'cycling route'],
  ['yoga retreat', 'meditation class', 'retreat cabin', 'yoga mat', 'retreat schedule'],
  ['phone contract', 'data plan', 'screen repair', 'phone upgrade', 'roaming charges'],
  ['cooking class', 'pasta workshop', 'knife set', 'dinner party menu', 'grocery order'],
  ['team offsite', 'offsite agenda', 'team dinner', 'workshop room', 'offsite budget'],
  ['art exhibition', 'gallery opening', 'framing order', 'art supplies', 'exhibition catalogue'],
  [
    'visa application',
    'passport renewal',
    'embassy appointment',
    'visa photos',
    'travel insurance',
  ],
  ['furniture delivery', 'sofa order', 'bookshelf assembly', 'mattress return', 'delivery slot'],
  ['child care', 'babysitter', 'daycare waiting list', 'nanny interview', 'after-school club'],
];

const PEOPLE = (
  'Anna Ben Carla David Elena Farid Grace Hugo Ines Jonas Kim Leo Maria Nadia Omar Paula ' +
  'Quentin Rosa Sam Tara Umar Vera Will Xena Yusuf Zoe Adrian Bianca Chen Dana Emil Fatima ' +
  'George Hanna Ivan Julia Karl Lina Marco Nora Oscar Priya Raj Sofia Tom Ursula Victor Wanda ' +
  'Yara Aaron Beatriz Caleb Diego Eva Felix Gina Henrik Iris Jamal Kate'
).split(' ');

const PLACES = (
  'Lisbon|Berlin|Paris|Madrid|Tokyo|London|Porto|Vienna|Prague|Dublin|Oslo|Rome|Milan|' +
  'Seville|Munich|Zurich|Brussels|Copenhagen|Warsaw|Athens|Boston|Chicago|Toronto|Denver|' +
  'Seattle|Austin|Montreal|Sydney|Melbourne|Auckland|the city centre|the old town|the harbour|' +
  'the north office|the community centre|the mall|the library|the train station|the airport|' +
  'the countryside'
).split('|');

const DAYS = (
  'Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|next Monday|next Friday|' +
  'next weekend|the end of the month|early next week|tomorrow morning|Friday afternoon|' +
  '3 March|12 May|8 June|21 June|4 July|15 August|2 September|30 September|11 October|' +
  '5 November|19 December|New Year|the spring break|the summer holidays|the long weekend|' +
  'mid April|late January|the first week of March|Christmas Eve|Easter Monday|Labour Day|' +
  'the 14th'
).split('|');

const MONEY = (
  '$45|$120|$250|$480|$1,200|$3,500|30 euros|75 euros|140 euros|600 euros|2,000 euros|' +
  '£90|£350|200 dollars|500 dollars|a thousand euros|100 pounds|50 dollars|15 percent more|' +
  '25 percent more'
).split('|');

const QUANTITIES = (
  'two hours|three hours|half a day|two days|a week|ten days|three weeks|1 hour|90 minutes|' +
  '45 minutes|2 tickets|4 nights|6 people|12 guests|20 boxes|3 rooms|5 sessions|8 lessons|' +
  '10 kilometres|two trips'
).split('|');

const MOODS = [
  'calm',
  'frustrated',
  'grateful',
  'anxious',
  'excited',
  'tired',
  'hopeful',
  'annoyed',
  'relieved',
  'cheerful',
];

// Sentence templates by section kind; slots {p} person, {t} thing, {l} place, {d} day, {m}
// money, {n} a duration or count. No template contains "; ", a line break, ": " or ". " inside
// a sentence, so a rendered summary splits back into exactly these sentences.
const STATEMENTS = [
  '{p} wants to move the {t} to {d}.',
  'The {t} in {l} will cost about {m}.',
  'We agreed that {p} will book the {t} before {d}.',
  '{p} said the {t} went well and asked about {l}.',
  'I still have not heard back from {p} about the {t}.',
  '{p} is worried that the {t} could take {n}.',
  'The {t} was confirmed for {d} in {l}.',
  '{p} paid {m} for the {t} last week.',
  'Remember to send {p} the details of the {t} by {d}.',
  '{p} recommended a place in {l} for the {t}.',
  'The {t} got cancelled, so {p} is looking for another date.',
  '{p} and I talked about the {t} over lunch in {l}.',
  'It turns out the {t} needs {n} more than planned.',
  '{p} prefers to do the {t} in {l} rather than online.',
  'After the {t} on {d}, {p} wants to celebrate in {l}.',
  '{p} forgot about the {t} and apologized.',
  "The {t} is the main thing on {p}'s mind this week.",
  '{p} will pick up the documents for the {t} on {d}.',
  'We compared three offers for the {t} and the cheapest was {m}.',
  '{p} felt relieved once the {t} was sorted out.',
  'The {t} in {l} was fully booked until {d}.',
  '{p} asked me to keep {d} free for the {t}.',
];
const QUESTIONS = [
  'Should {p} call about the {t} before {d}?',
  'Is the {t} in {l} still worth {m}?',
  'Who takes care of the {t} if {p} is away on {d}?',
  'Can the {t} be moved to {l}?',
  'Did {p} ever get the receipt for the {t}?',
];
const ACTIONS = [
  '{p} to confirm the {t} by {d}.',
  'Book the {t} in {l} for {d}.',
  'Send {p} {m} for the {t}.',
  'Check with {p} whether the {t} is covered.',
];
const DECISIONS = [
  'Go ahead with the {t} in {l}.',
  'Keep the budget for the {t} under {m}.',
  '{p} handles the {t} from now on.',
];

/** Paraphrase-like search queries: the vocabulary of the documents, other phrasing. */
const QUERY_TEMPLATES = [
  'when is {p} doing the {t}',
  '{t} in {l}',
  'how much did the {t} cost',
  'did {p} confirm the {t} for {d}',
  'what did we decide about the {t}',
  'who is handling the {t}',
  '{p} {t} {l}',
  'moving the {t} to {d}',
  'price of the {t} in {l}',
  'problems with the {t}',
  '{p} was nervous about the {t}',
  'plans for {d} with {p}',
  'anything about the {t} near {l}',
  'receipt for the {t} from {p}',
  'rescheduled {t} {d}',
  'cheapest option for the {t}',
  '{t} costing {m}',
  'conversation with {p} about {l}',
];

const TIERS: Array<[tier: SummaryTier, share: number, fromDays: number, toDays: number]> = [
  // tier, share, age of the last message in days [from, to)
  ['full', 0.4, 0, 60],
  ['key_points', 0.3, 60, 365],
  ['brief', 0.2, 365, 730],
  ['metadata', 0.1, 730, 1095],
];

/** "Now" of the synthetic data set: dates are fixed, so the documents do not change by day. */
const NOW = Date.UTC(2026, 10, 1);
const DAY_MS = 86_400_000;

type Random = () => number;

/** Slot values a sentence was made with. */
interface Slots {
  people: string[];
  places: string[];
  days: string[];
  amounts: string[];
}

export type SentenceKind = 'statement' | 'question' | 'action' | 'decision';

export interface Sentence extends Slots {
  text: string;
  kind: SentenceKind;
}

export interface SentencePool {
  sentences: Sentence[];
  /** byTopic[topic][kind]: the topic's sentences of that kind. */
  byTopic: Array<Record<SentenceKind, Sentence[]>>;
}

const pick = <T>(random: Random, list: readonly T[]): T => list[Math.floor(random() * list.length)];
const between = (random: Random, low: number, high: number): number =>
  low + Math.floor(random() * (high - low + 1));

function fill(
  template: string,
  random: Random,
  things: readonly string[],
): Slots & { text: string } {
  const slots: Slots = { people: [], places: [], days: [], amounts: [] };
  const text = template.replace(/\{(p|t|l|d|m|n)\}/g, (_, slot: string) => {
    switch (slot) {
      case 'p':
        return remember(slots.people, pick(random, PEOPLE));
      case 't':
        return pick(random, things);
      case 'l':
        return remember(slots.places, pick(random, PLACES));
      case 'd':
        return remember(slots.days, pick(random, DAYS));
      case 'm':
        return remember(slots.amounts, pick(random, MONEY));
      default:
        return remember(slots.amounts, pick(random, QUANTITIES));
    }
  });
  return { text: text[0].toUpperCase() + text.slice(1), ...slots };
}

function remember(list: string[], value: string): string {
  list.push(value);
  return value;
}

/**
 * About `size` distinct sentences, the same share per topic, each a
 * `{text, kind, people, places, days, amounts}` with kind statement, question, action or
 * decision. Returns `{ sentences, byTopic }` (byTopic[topic][kind] lists the sentences).
 */
export function sentencePool({ size = 4000, seed = 1 } = {}): SentencePool {
  const random = prng(seed);
  const perTopic = Math.max(8, Math.ceil(size / TOPICS.length));
  const kinds: Array<[SentenceKind, readonly string[], number]> = [
    ['statement', STATEMENTS, 0.6],
    ['question', QUESTIONS, 0.15],
    ['action', ACTIONS, 0.15],
    ['decision', DECISIONS, 0.1],
  ];
  const seen = new Set<string>();
  const sentences: Sentence[] = [];
  const byTopic = TOPICS.map((things) => {
    const lists: Record<SentenceKind, Sentence[]> = {
      statement: [],
      question: [],
      action: [],
      decision: [],
    };
    for (const [kind, templates, share] of kinds) {
      const wanted = Math.max(2, Math.round(perTopic * share));
      for (let attempt = 0; lists[kind].length < wanted && attempt < wanted * 20; attempt++) {
        const sentence: Sentence = { ...fill(pick(random, templates), random, things), kind };
        if (seen.has(sentence.text)) continue;
        seen.add(sentence.text);
        lists[kind].push(sentence);
        sentences.push(sentence);
      }
    }
    return lists;
  });
  return { sentences, byTopic };
}

/** Every short fragment besides pool sentences a summary can hold (entities, dates, ...). */
export function vocabularyFragments(): string[] {
  return [...PEOPLE, ...PLACES, ...DAYS, ...MONEY, ...QUANTITIES, ...MOODS];
}

/** Share of each of `tenants` tenants under Zipf's law (s = 1): the first is the largest. */
export function tenantShares(tenants: number): number[] {
  const weights = Array.from({ length: tenants }, (_, i) => 1 / (i + 1));
  const total = weights.reduce((sum, w) => sum + w, 0);
  return weights.map((w) => w / total);
}

function distinct(values: readonly string[], max: number): string[] {
  return [...new Set(values)].slice(0, max);
}

function draw<T>(random: Random, list: readonly T[], count: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < count && list.length > 0; i++) out.push(pick(random, list));
  return [...new Set(out)];
}

/**
 * `count` memory.summary.v1 values in chunks of `chunkSize` (an iterator, so 100,000 of them
 * never sit in memory at once). Tenants `<tenantPrefix><i>` follow {@link tenantShares}; users
 * are `user-<n>`, about eight conversations each; tiers and dates as in TIERS.
 * `renderText(sections)` is the contracts' renderSummaryText, so `text` is what the summarizer
 * would publish. `onSummary(summary)` sees each one (for counting).
 */
export function* summaryChunks({
  count,
  chunkSize,
  tenants,
  tenantPrefix,
  pool,
  renderText,
  seed = 2,
}: {
  count: number;
  chunkSize: number;
  tenants: number;
  tenantPrefix: string;
  pool: SentencePool;
  renderText: (sections: SummarySections) => string;
  seed?: number;
}): Generator<MemorySummary[]> {
  const random = prng(seed);
  const shares = tenantShares(tenants);
  const cumulative = shares.map((_, i) => shares.slice(0, i + 1).reduce((a, b) => a + b, 0));
  const usersPerTenant = shares.map((share) => Math.max(5, Math.ceil((count * share) / 8)));
  let chunk: MemorySummary[] = [];
  for (let i = 0; i < count; i++) {
    const r = random();
    const found = cumulative.findIndex((c) => r < c);
    const tenant = found >= 0 ? found : tenants - 1; // r at the very top (rounding)
    const tierDraw = random();
    let tierIndex = 0;
    for (let acc = TIERS[0][1]; tierDraw >= acc && tierIndex < TIERS.length - 1;)
      acc += TIERS[++tierIndex][1];
    const [tier, , fromDays, toDays] = TIERS[tierIndex];
    const topics = [Math.floor(random() * TOPICS.length)];
    if (random() < 0.3) topics.push(Math.floor(random() * TOPICS.length));
    const from = (kind: SentenceKind): Sentence[] => topics.flatMap((t) => pool.byTopic[t][kind]);
    const statements = from('statement');

    let context: Sentence[] = [];
    let keyPoints: Sentence[] = [];
    let decisions: Sentence[] = [];
    let actionItems: Sentence[] = [];
    let openQuestions: Sentence[] = [];
    switch (tier) {
      case 'full':
        context = draw(random, statements, between(random, 2, 4));
        keyPoints = draw(random, statements, between(random, 3, 6));
        decisions = draw(random, from('decision'), between(random, 0, 2));
        actionItems = draw(random, from('action'), between(random, 0, 3));
        openQuestions = draw(random, from('question'), between(random, 0, 2));
        break;
      case 'key_points':
        context = draw(random, statements, 1);
        keyPoints = draw(random, statements, between(random, 2, 4));
        decisions = draw(random, from('decision'), between(random, 0, 1));
        break;
      case 'brief':
        context = draw(random, statements, between(random, 1, 2));
        break;
      case 'metadata': // only who, when and how much remain
        context = draw(random, statements, between(random, 1, 2));
        break;
    }
    const used = [...context, ...keyPoints, ...decisions, ...actionItems, ...openQuestions];
    const maxEntities = tier === 'full' ? 8 : 4;
    const sections: SummarySections = {
      context: tier === 'metadata' ? '' : context.map((s) => s.text).join(' '),
      keyPoints: keyPoints.map((s) => s.text),
      decisions: decisions.map((s) => s.text),
      actionItems: actionItems.map((s) => s.text),
      openQuestions: openQuestions.map((s) => s.text),
      entities: distinct(
        used.flatMap((s) => [...s.people, ...s.places]),
        maxEntities,
      ),
      dates: distinct(
        used.flatMap((s) => s.days),
        tier === 'full' ? 5 : 2,
      ),
      numbers:
        tier === 'brief'
          ? []
          : distinct(
              used.flatMap((s) => s.amounts),
              4,
            ),
      mood: tier === 'full' && random() < 0.5 ? pick(random, MOODS) : null,
    };
    const messageCount =
      tier === 'full'
        ? between(random, 10, 200)
        : between(random, 20, tier === 'brief' ? 120 : 400);
    const last = NOW - (fromDays + random() * (toDays - fromDays)) * DAY_MS;
    const first = last - (10 + random() * 7200) * 60_000;
    const cost = { inputTokens: 0, outputTokens: 0, inputChars: 0, outputChars: 0, durationMs: 0 };
    chunk.push({
      schema: 'memory.summary.v1',
      tenantId: `${tenantPrefix}${tenant}`,
      conversationId: `conv-${String(i).padStart(6, '0')}`,
      userId: `user-${Math.floor(random() * usersPerTenant[tenant])}`,
      version: Math.max(1, Math.floor(messageCount / 10)),
      throughSeq: messageCount,
      tier,
      text: renderText(sections),
      sections,
      stats: {
        messageCount,
        firstMessageAt: new Date(first).toISOString(),
        lastMessageAt: new Date(last).toISOString(),
        backend: 'local',
        llmPending: false,
        fromSeq: Math.max(1, messageCount - 9),
        cost,
        totalCost: cost,
        updatedAt: new Date(last + 5_000).toISOString(),
      },
    });
    if (chunk.length === chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * `count` distinct query strings, none equal to a pool sentence. Deterministic for a seed;
 * throws when the templates cannot make that many.
 */
export function queryStrings({
  count,
  pool,
  seed = 3,
}: {
  count: number;
  pool: SentencePool;
  seed?: number;
}): string[] {
  const random = prng(seed);
  const sentences = new Set(pool.sentences.map((s) => s.text.toLowerCase()));
  const queries = new Set<string>();
  for (let attempt = 0; queries.size < count; attempt++) {
    if (attempt > count * 50) throw new Error(`cannot make ${count} distinct queries`);
    const things = pick(random, TOPICS);
    const query = fill(pick(random, QUERY_TEMPLATES), random, things).text;
    if (!sentences.has(query.toLowerCase())) queries.add(query);
  }
  return [...queries];
}

// ---------------------------------------------------------------------------------------------
// Vectors

const SECTION_TITLE = /^[A-Z][a-z]+(?: [a-z]+)?: /;

/**
 * The pieces a rendered summary is made of: lines, then "; "-separated items (lists are
 * rendered "Key points: a; b; c"), then sentences; a leading section title is dropped.
 */
export function fragmentsOf(text: string): string[] {
  const fragments: string[] = [];
  for (const line of text.split('\n')) {
    for (const item of line.replace(SECTION_TITLE, '').split('; ')) {
      for (const sentence of item.split(/(?<=[.?!])\s+/)) {
        const fragment = sentence.trim();
        if (fragment) fragments.push(fragment);
      }
    }
  }
  return fragments;
}

/**
 * An EmbeddingBackend whose document vector is the L2-normalized mean of the vectors of the
 * text's fragments ({@link fragmentsOf}), each weighted by its number of words, each embedded
 * once by `real` (kind `document`) and cached. The weights stand for what a transformer
 * attends to: a twelve-word sentence counts more than a one-word name from the entity list,
 * so a summary's vector is about its topic, as a real one is. Query embeddings go to `real`
 * unchanged. Document vectors are thus made of real model output and cluster like real ones,
 * at the cost of a few thousand model runs instead of one per summary; they are not what the
 * model would make of the whole text.
 */
export interface PooledEmbedder extends EmbeddingBackend {
  stats: { fragmentsEmbedded: number; modelMs: number; documents: number };
  /** Embeds `fragments` not cached yet; onProgress(done, total). Returns how many. */
  warm(
    fragments: readonly string[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<number>;
  close(): Promise<void>;
}

export function pooledEmbedder(real: EmbeddingBackend, { batch = 64 } = {}): PooledEmbedder {
  const cache = new Map<string, Float64Array>();
  const stats = { fragmentsEmbedded: 0, modelMs: 0, documents: 0 };

  async function ensure(
    fragments: readonly string[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    const missing = [...new Set(fragments)].filter((fragment) => !cache.has(fragment));
    for (let i = 0; i < missing.length; i += batch) {
      const slice = missing.slice(i, i + batch);
      const started = performance.now();
      const vectors = await real.embed(slice, 'document');
      stats.modelMs += performance.now() - started;
      if (vectors.length !== slice.length)
        throw new Error(`embeddings: ${vectors.length} vectors for ${slice.length} texts`);
      slice.forEach((fragment, j) => cache.set(fragment, Float64Array.from(vectors[j])));
      stats.fragmentsEmbedded += slice.length;
      onProgress?.(Math.min(missing.length, i + batch), missing.length);
    }
    return missing.length;
  }

  function meanOf(fragments: readonly string[]): number[] {
    const sum = new Float64Array(real.dimensions);
    for (const fragment of fragments) {
      const vector = cache.get(fragment);
      if (!vector) throw new Error(`embeddings: "${fragment}" was not embedded`);
      const weight = fragment.split(/\s+/).length;
      for (let d = 0; d < sum.length; d++) sum[d] += weight * vector[d];
    }
    let norm = 0;
    for (let d = 0; d < sum.length; d++) norm += sum[d] * sum[d];
    norm = Math.sqrt(norm) || 1;
    return Array.from(sum, (value) => Math.fround(value / norm));
  }

  return {
    name: real.name,
    model: real.model,
    dimensions: real.dimensions,
    stats,
    warm: ensure,
    async embed(texts: readonly string[], kind: EmbeddingKind): Promise<number[][]> {
      if (kind !== 'document') return real.embed(texts, kind);
      const split = texts.map((text) => {
        const fragments = fragmentsOf(text);
        return fragments.length > 0 ? fragments : [text];
      });
      await ensure(split.flat());
      stats.documents += texts.length;
      return split.map(meanOf);
    },
    close: () => real.close?.() ?? Promise.resolve(),
  };
}
