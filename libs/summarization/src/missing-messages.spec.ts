import { classifyMissing, describeSeqs, MissingMessageWaits } from './missing-messages';

describe(classifyMissing.name, () => {
  const none = { erased: false, archivedSeqs: new Set<number>(), storedLastSeq: 20 };

  it('calls every missing message of an erased conversation erased', () => {
    expect([...classifyMissing([3, 30], { ...none, erased: true }).values()]).toEqual([
      'erased',
      'erased',
    ]);
  });

  it('tells archived, stored-then-removed and maybe-late messages apart', () => {
    const reasons = classifyMissing([4, 5, 21], { ...none, archivedSeqs: new Set([4]) });
    expect(Object.fromEntries(reasons)).toEqual({ 4: 'archived', 5: 'not_stored', 21: 'late' });
  });

  it('cannot tell late from never stored for a conversation this database does not have', () => {
    const reasons = classifyMissing([1, 2], { ...none, storedLastSeq: undefined });
    expect([...reasons.values()]).toEqual(['late', 'late']);
  });
});

describe(MissingMessageWaits.name, () => {
  it('measures the wait from the first time a conversation waited, until it is forgotten', () => {
    let now = 1_000;
    const waits = new MissingMessageWaits(() => now);
    expect(waits.waited('a')).toBe(0);
    now += 500;
    expect(waits.waited('a')).toBe(500);
    expect(waits.waited('b')).toBe(0);
    waits.forget('a');
    now += 500;
    expect(waits.waited('a')).toBe(0);
    expect(waits.waited('b')).toBe(500);
  });
});

describe(describeSeqs.name, () => {
  it('writes runs of seqs as ranges', () => {
    expect(describeSeqs([1, 2, 3, 5, 7, 8])).toBe('1..3, 5, 7..8');
    expect(describeSeqs([])).toBe('');
  });
});
