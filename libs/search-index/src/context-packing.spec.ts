import fc from 'fast-check';
import {
  ContextCandidate,
  countContextTokens,
  mergeEvidence,
  packContext,
} from './context-packing';

function evidence(
  conversationId: string,
  seqFrom: number,
  words = 'about the dentist',
): ContextCandidate {
  const seqs = [0, 1, 2, 3].map((step) => seqFrom + step);
  return {
    kind: 'evidence',
    conversationId,
    seqFrom,
    seqTo: seqFrom + 3,
    messageIds: seqs.map((seq) => `${conversationId}-m${seq}`),
    speakers: ['u1', 'assistant'],
    firstAt: `2026-05-01T10:0${seqFrom % 10}:00.000Z`,
    lastAt: `2026-05-01T10:0${(seqFrom + 3) % 10}:00.000Z`,
    lines: seqs.map((seq) => `${seq % 2 ? 'assistant' : 'u1'}: message ${seq} ${words}`),
  };
}

function summary(conversationId: string, text: string): ContextCandidate {
  return {
    kind: 'summary',
    conversationId,
    seqFrom: 1,
    seqTo: 40,
    messageIds: [],
    speakers: ['u1'],
    firstAt: '2026-04-01T09:00:00.000Z',
    lastAt: '2026-05-01T09:00:00.000Z',
    lines: [text],
  };
}

describe(mergeEvidence.name, () => {
  it('keeps each message once, in seq order, over the union of the ranges', () => {
    const merged = mergeEvidence([evidence('c', 3), evidence('c', 1), evidence('c', 5)]);
    expect(merged).toMatchObject({ seqFrom: 1, seqTo: 8 });
    expect(merged.messageIds).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((seq) => `c-m${seq}`));
    expect(merged.lines).toHaveLength(8);
    expect(merged.lines[2]).toBe('assistant: message 3 about the dentist');
  });
});

describe(packContext.name, () => {
  it('renders each item with its citation, dates and speakers, the summary first', () => {
    const packed = packContext(
      [summary('live', 'The user plans the week.'), evidence('c', 3)],
      1000,
    );
    expect(packed.items.map((item) => [item.kind, item.conversationId])).toEqual([
      ['summary', 'live'],
      ['evidence', 'c'],
    ]);
    expect(packed.text).toBe(
      '[live#1-40] summary · 2026-04-01 09:00 – 2026-05-01 09:00 UTC · u1\n' +
        'The user plans the week.\n\n' +
        '[c#3-6] messages · 2026-05-01 10:03 – 10:06 UTC · u1, assistant\n' +
        'assistant: message 3 about the dentist\nu1: message 4 about the dentist\n' +
        'assistant: message 5 about the dentist\nu1: message 6 about the dentist',
    );
    expect(packed.tokens).toBe(countContextTokens(packed.text));
    expect(packed.items[1]?.tokens).toBe(countContextTokens(packed.text.split('\n\n')[1] ?? ''));
  });

  it('merges overlapping passages of a conversation into one item at the best one’s place', () => {
    const packed = packContext(
      [evidence('a', 5), evidence('b', 1), evidence('a', 3), evidence('a', 11)],
      2000,
    );
    expect(
      packed.items.map((item) => `${item.conversationId}#${item.seqFrom}-${item.seqTo}`),
    ).toEqual(['a#3-8', 'b#1-4', 'a#11-14']);
    const ids = packed.items.flatMap((item) => item.messageIds);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('skips what does not fit and tries the next', () => {
    const long = evidence('big', 1, 'word '.repeat(200));
    const packed = packContext([evidence('a', 1), long, evidence('b', 1)], 200);
    expect(packed.items.map((item) => item.conversationId)).toEqual(['a', 'b']);
    expect(packed.tokens).toBeLessThanOrEqual(200);
  });

  it('trims the first candidate when nothing fits whole', () => {
    const packed = packContext([summary('live', 'plan '.repeat(500))], 100);
    expect(packed.items).toHaveLength(1);
    expect(packed.items[0]?.text.endsWith('…')).toBe(true);
    expect(packed.tokens).toBeLessThanOrEqual(100);
    expect(packed.tokens).toBeGreaterThan(80);
  });

  it('never exceeds the budget and never repeats a message (random candidates)', () => {
    const candidate = fc.oneof(
      fc
        .record({
          conversation: fc.constantFrom('a', 'b', 'c'),
          window: fc.integer({ min: 0, max: 12 }),
          words: fc.string({ maxLength: 300 }),
        })
        .map(({ conversation, window, words }) => evidence(conversation, window * 2 + 1, words)),
      fc.string({ maxLength: 3000 }).map((text) => summary('s', text)),
    );
    fc.assert(
      fc.property(
        fc.array(candidate, { maxLength: 25 }),
        fc.integer({ min: 100, max: 1500 }),
        (candidates, budget) => {
          const packed = packContext(candidates, budget);
          expect(countContextTokens(packed.text)).toBe(packed.tokens);
          expect(packed.tokens).toBeLessThanOrEqual(budget);
          const ids = packed.items.flatMap((item) => item.messageIds);
          expect(new Set(ids).size).toBe(ids.length);
          expect(packContext(candidates, budget)).toEqual(packed);
        },
      ),
      { numRuns: 150 },
    );
  });
});
