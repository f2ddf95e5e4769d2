// Deterministic chat traffic for the ingest benchmark: the same seed gives the same records,
// byte for byte, on every run and machine.

import { prng } from '@memory/datasets';

export const BENCH_TENANT_PREFIX = 'bench-tenant-';

const WORDS = (
  'the a an and or but so because if when then now later today tomorrow yesterday we you I ' +
  'they it this that these those my your our their please thanks okay sure maybe really ' +
  'meeting budget invoice order delivery flight hotel booking ticket refund account password ' +
  'report draft slides deadline schedule call email address phone number price quote plan ' +
  'project team manager customer support issue error bug fix release version update install ' +
  'server database backup restore deploy test build review approve send receive check confirm ' +
  'cancel move change need want think know remember forget book pay ship return ask answer ' +
  'Monday Tuesday Wednesday Thursday Friday weekend morning afternoon evening week month year ' +
  'Lisbon Berlin Paris Madrid Tokyo London café résumé naïve déjà 4,500 euros €120 12:30 ' +
  'about with from into over under after before during between without again also still just'
).split(' ');

/** A chat.message.v1 record as produced: its key and JSON value. */
export interface BenchRecord {
  key: string;
  value: string;
}

const OPENERS = ['Hi', 'Hello', 'Sure', 'Thanks', 'Okay', 'Right', 'Great', 'Hmm', 'Yes', 'No'];

/** A sentence-shaped text of about `length` characters (never longer). */
function text(random: () => number, length: number): string {
  let out = OPENERS[Math.floor(random() * OPENERS.length)] + ',';
  let sentenceWords = 0;
  for (;;) {
    const word = WORDS[Math.floor(random() * WORDS.length)];
    const capitalise = sentenceWords === 0 && out.endsWith('.');
    const next = capitalise ? word[0].toUpperCase() + word.slice(1) : word;
    if (out.length + 1 + next.length + 1 > length) break;
    out += ' ' + next;
    sentenceWords++;
    if (sentenceWords > 6 && random() < 0.15) {
      out += random() < 0.8 ? '.' : '?';
      sentenceWords = 0;
    }
  }
  return out.endsWith('.') || out.endsWith('?') ? out : out + '.';
}

/**
 * Generates `messages` chat.message.v1 records over `conversations` conversations of
 * `tenants` tenants. Every conversation gets at least one message; the rest are spread at
 * random, interleaved like live traffic. createdAt grows with the index, so it is in order
 * per conversation (and the produce order is the expected seq order).
 * Returns the records (key and JSON value) and how many conversations got at least one.
 */
export function generateRecords({
  messages,
  conversations,
  tenants,
  seed = 20260501,
}: {
  messages: number;
  conversations: number;
  tenants: number;
  seed?: number;
}): { records: BenchRecord[]; conversationsUsed: number } {
  const random = prng(seed);
  const base = Date.UTC(2026, 0, 5, 8, 0, 0);
  const counts = new Uint32Array(conversations);
  const records = new Array<BenchRecord>(messages);
  for (let i = 0; i < messages; i++) {
    const c = i < conversations ? i : Math.floor(random() * conversations);
    const turn = counts[c]++;
    const tenantId = `${BENCH_TENANT_PREFIX}${c % tenants}`;
    const conversationId = `conv-${String(c).padStart(5, '0')}`;
    const role = turn % 2 === 0 ? 'user' : 'assistant';
    const value = {
      schema: 'chat.message.v1',
      messageId: `bench-${String(i).padStart(7, '0')}`,
      tenantId,
      conversationId,
      userId: `user-${c % 2500}`,
      role,
      content: text(random, 100 + Math.floor(random() * 301)),
      createdAt: new Date(base + i * 250).toISOString(),
      ...(random() < 0.2 ? { metadata: { channel: random() < 0.5 ? 'web' : 'mobile', turn } } : {}),
    };
    records[i] = { key: `${tenantId}:${conversationId}`, value: JSON.stringify(value) };
  }
  return { records, conversationsUsed: counts.filter((n) => n > 0).length };
}

export function benchTenants(tenants: number): string[] {
  return Array.from({ length: tenants }, (_, i) => `${BENCH_TENANT_PREFIX}${i}`);
}
