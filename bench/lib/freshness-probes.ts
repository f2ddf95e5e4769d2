// Probes of bench/freshness.bench.ts: a message produced in a conversation of its own (its
// own user, so a search scoped to that user can only find it), then polled through the search
// API until it is found by a word only it holds (keyword) and by a paraphrase of what it says
// (semantic).
import { prng } from '@memory/datasets';

/** What a probe says, and a question that means the same in other words. */
const STATEMENTS: ReadonlyArray<[statement: string, paraphrase: string]> = [
  [
    'My cat learned to open the fridge door by herself.',
    'pet figured out how to get into the refrigerator',
  ],
  ['We moved the team offsite to a cabin near the lake.', 'company retreat location by the water'],
  ['The dentist said I need two fillings next month.', 'upcoming tooth treatment appointment'],
  [
    'Our flight to Lisbon was cancelled because of the strike.',
    'trip to Portugal called off by industrial action',
  ],
  ['I finally paid off the loan for the car.', 'finished repaying vehicle debt'],
  [
    'The basement flooded after the heavy rain last night.',
    'water damage in the cellar from the storm',
  ],
  [
    'She started violin lessons with a teacher from Vienna.',
    'learning a string instrument from an Austrian tutor',
  ],
  ['The landlord wants to raise the rent by ten percent.', 'housing costs going up for the tenant'],
  ['We adopted a puppy from the shelter on Saturday.', 'got a young dog from the animal rescue'],
  [
    'My grandmother turns ninety on the fourth of July.',
    'elderly relative celebrating a big birthday',
  ],
  ['The laptop battery dies after twenty minutes now.', 'computer does not hold a charge anymore'],
  ['He was promoted to head of the design department.', 'new leadership role in the creative team'],
  ['The tomatoes in the garden got a fungus this summer.', 'vegetable plants caught a disease'],
  ['I signed up for a marathon in October.', 'registered for a long distance running race'],
  ['The bakery on the corner closed after thirty years.', 'old local bread shop shut down'],
  [
    'Our wedding venue cancelled and we need a new one.',
    'looking for another place for the marriage ceremony',
  ],
  ['The kids caught chickenpox at the daycare.', 'children got sick with an infection at nursery'],
  ['I am learning Japanese before the trip to Kyoto.', 'studying a language for travel to Japan'],
  ['The server crashed because the disk was full.', 'machine went down for lack of storage space'],
  ['We planted an apple tree in the backyard.', 'growing fruit trees at home'],
  [
    'My brother is opening a coffee shop downtown.',
    'sibling starting a cafe business in the city centre',
  ],
  ['The insurance refused to pay for the broken window.', 'claim for glass damage was denied'],
  ['I lost my passport at the train station.', 'travel document went missing at the railway'],
  [
    'The choir is performing at the cathedral at Christmas.',
    'singing group holiday concert in a church',
  ],
];

export interface Probe {
  phase: string;
  userId: string;
  conversationId: string;
  token: string;
  paraphrase: string;
  content: string;
  producedAt: number;
  keywordMs?: number;
  semanticMs?: number;
  nextPollAt: number;
}

/** Makes the probes of a phase: each a statement with a word no other message holds. */
export function probeMaker(phase: string, seed: number): (producedAt: number) => Probe {
  const random = prng(seed);
  let n = 0;
  return (producedAt) => {
    const [statement, paraphrase] = STATEMENTS[n % STATEMENTS.length];
    const token = Array.from({ length: 10 }, () =>
      String.fromCharCode(97 + Math.floor(random() * 26)),
    ).join('');
    n += 1;
    return {
      phase,
      userId: `probe-${phase}-${n}`,
      conversationId: `probe-${phase}-${n}`,
      token,
      paraphrase,
      content: `${statement} Reference ${token}.`,
      producedAt,
      nextPollAt: producedAt + 100,
    };
  };
}

/** When to poll a probe next: every 200 ms for 5 s, every second to 30 s, then every 3 s. */
export function nextPoll(probe: Probe, now: number): number {
  const age = now - probe.producedAt;
  return now + (age < 5_000 ? 200 : age < 30_000 ? 1_000 : 3_000);
}

export interface Quantiles {
  count: number;
  found: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/**
 * Quantiles of the times to findable. A probe not found when polling stopped counts as
 * found never (infinitely late): a quantile it falls in is null, so a lag that did not end is
 * not reported as a time.
 */
export function quantiles(times: ReadonlyArray<number | undefined>): Quantiles {
  const sorted = times.map((t) => t ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
  const at = (q: number): number | null => {
    if (sorted.length === 0) return null;
    const value = sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return Number.isFinite(value) ? Math.round(value) : null;
  };
  return {
    count: sorted.length,
    found: sorted.filter(Number.isFinite).length,
    p50Ms: at(0.5),
    p95Ms: at(0.95),
    p99Ms: at(0.99),
    maxMs: at(1),
  };
}
