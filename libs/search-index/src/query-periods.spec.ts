import { boostByPeriods, idsInPeriods, inPeriods, periodsOf, QueryPeriod } from './query-periods';

// Monday 7 December 2026, 15:00 UTC.
const NOW = new Date('2026-12-07T15:00:00Z');
const DAY = 86_400_000;

function read(query: string): Array<[string, string, string, boolean]> {
  return periodsOf(query, NOW).map((p) => [p.text, p.from, p.to, p.everyYear]);
}
const at = (iso: string): number => Date.parse(iso);

describe('periodsOf', () => {
  it('reads full dates in the common English forms, a day widened for time zones and the day after', () => {
    const day = ['2023-06-02T10:00:00.000Z', '2023-06-05T12:00:00.000Z'];
    for (const text of [
      '3 June, 2023',
      '3rd of June 2023',
      'June 3, 2023',
      'june 3rd 2023',
      'Jun. 3, 2023',
      '2023-06-03',
    ])
      expect(read(`What did we say on ${text}?`)).toEqual([[text, day[0], day[1], false]]);
  });

  it('reads months and years with a year or a word before them', () => {
    expect(read('What happened in August 2023?')).toEqual([
      ['August 2023', '2023-08-01T00:00:00.000Z', '2023-09-01T00:00:00.000Z', false],
    ]);
    expect(read('plans for 2024-02')).toEqual([
      ['2024-02', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z', false],
    ]);
    expect(read('trips in 2022')[0]?.[1]).toBe('2022-01-01T00:00:00.000Z');
    expect(read('trips during 2022')).toEqual([
      ['during 2022', '2022-01-01T00:00:00.000Z', '2023-01-01T00:00:00.000Z', false],
    ]);
  });

  it('reads a month or a day without a year as that month or day of every year', () => {
    expect(read('Where did we go camping in July?')).toEqual([
      ['in July', '2026-07-01T00:00:00.000Z', '2026-08-01T00:00:00.000Z', true],
    ]);
    expect(read('the call on March 3')).toEqual([
      ['March 3', '2026-03-02T10:00:00.000Z', '2026-03-05T12:00:00.000Z', true],
    ]);
    // "last March" is one March: the last before this month (December 2026).
    expect(read('the trip last March')).toEqual([
      ['last March', '2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z', false],
    ]);
    expect(read('the party last December')[0]?.[1]).toBe('2025-12-01T00:00:00.000Z');
  });

  it('reads relative forms back from now', () => {
    expect(read('what did I say yesterday')).toEqual([
      ['yesterday', '2026-12-05T10:00:00.000Z', '2026-12-08T12:00:00.000Z', false],
    ]);
    expect(read('decided last week')).toEqual([
      ['last week', '2026-11-30T00:00:00.000Z', '2026-12-07T00:00:00.000Z', false],
    ]);
    expect(read('this month')).toEqual([
      ['this month', '2026-12-01T00:00:00.000Z', '2026-12-07T15:00:00.000Z', false],
    ]);
    expect(read('last month')).toEqual([
      ['last month', '2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', false],
    ]);
    expect(read('last year')).toEqual([
      ['last year', '2025-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', false],
    ]);
    expect(read('3 days ago')).toEqual([
      ['3 days ago', '2026-12-03T10:00:00.000Z', '2026-12-06T12:00:00.000Z', false],
    ]);
    // The Saturday and Sunday just gone (5-6 December), with the slack.
    expect(read('over the last weekend')).toEqual([
      ['last weekend', '2026-12-04T10:00:00.000Z', '2026-12-08T12:00:00.000Z', false],
    ]);
    // Today is a Monday: "last Monday" is a week ago, "last Friday" the 4th.
    expect(read('last Monday')[0][1]).toBe('2026-11-29T10:00:00.000Z');
    expect(read('what we said last Friday')[0][1]).toBe('2026-12-03T10:00:00.000Z');
    // A weekday alone is mostly a plan, not when something was said.
    for (const query of ['move the dentist to Friday', 'on Monday', 'next Friday', 'every Monday'])
      expect(read(query)).toEqual([]);
    // A date says which Tuesday.
    expect(read('last Tuesday, 3 June 2023').map(([text]) => text)).toEqual(['3 June 2023']);
  });

  it('reads several periods in the order written, each word once', () => {
    expect(read('between 1 May 2023 and June 2023').map(([text]) => text)).toEqual([
      '1 May 2023',
      'June 2023',
    ]);
  });

  it('does not read words that only look like dates', () => {
    for (const query of [
      'this may be wrong',
      'we may need a car',
      'in may be the answer',
      'the march on the capital',
      'a message from June',
      'a budget of 2000',
      'after 2000 steps',
      'since 2020', // an open range: from/to says it
      'the 1850 census',
      'room 2023',
      'version 12-03',
      'order 0001-01',
      'the dog',
    ])
      expect(read(query)).toEqual([]);
    // No such day: the month is what is left.
    expect(read('on 31 June 2023').map(([text]) => text)).toEqual(['June 2023']);
  });
});

describe('inPeriods', () => {
  const june2023: QueryPeriod = {
    text: 'June 2023',
    from: '2023-06-01T00:00:00.000Z',
    to: '2023-07-01T00:00:00.000Z',
    everyYear: false,
  };
  const everyJuly = periodsOf('in July', NOW);

  it('meets a span that overlaps the period, not one that only touches its end', () => {
    expect(inPeriods([june2023], at('2023-05-20T00:00Z'), at('2023-06-01T00:00Z'))).toBe(true);
    expect(inPeriods([june2023], at('2023-06-30T23:00Z'), at('2023-07-02T00:00Z'))).toBe(true);
    expect(inPeriods([june2023], at('2023-07-01T00:00Z'), at('2023-07-02T00:00Z'))).toBe(false);
    expect(inPeriods([june2023], at('2024-06-10T00:00Z'), at('2024-06-10T01:00Z'))).toBe(false);
  });

  it('meets a period of every year in any year', () => {
    expect(inPeriods(everyJuly, at('2019-07-10T00:00Z'), at('2019-07-10T01:00Z'))).toBe(true);
    expect(inPeriods(everyJuly, at('2031-06-10T00:00Z'), at('2031-07-01T01:00Z'))).toBe(true);
    expect(inPeriods(everyJuly, at('2023-08-10T00:00Z'), at('2023-08-11T00:00Z'))).toBe(false);
    // Every February, with its 29th in a leap year.
    const february = periodsOf('in February', NOW);
    expect(inPeriods(february, at('2024-02-29T12:00Z'), at('2024-02-29T13:00Z'))).toBe(true);
    expect(inPeriods(february, at('2023-03-01T00:30Z'), at('2023-03-01T01:00Z'))).toBe(false);
    // A conversation from December to February meets "in January" of the year it ends in.
    expect(
      inPeriods(periodsOf('in January', NOW), at('2022-12-20T00:00Z'), at('2023-02-02T00:00Z')),
    ).toBe(true);
    // 29 February of every year is 28 February in a common year.
    const leap = periodsOf('on February 29', NOW);
    expect(inPeriods(leap, at('2023-02-28T12:00Z'), at('2023-02-28T13:00Z'))).toBe(true);
  });
});

describe('idsInPeriods and boostByPeriods', () => {
  const ranking = [
    { id: 'a', score: 0.9 },
    { id: 'b', score: 0.6 },
    { id: 'c', score: 0.3 },
    { id: 'd', score: 0.2 },
  ];
  const periods = periodsOf('on 3 June 2023', NOW);
  const spans = new Map<string, Array<[number, number]>>([
    ['a', [[at('2023-05-01T10:00Z'), at('2023-05-01T11:00Z')]]],
    ['b', [[at('2023-06-03T10:00Z'), at('2023-06-03T11:00Z')]]],
    [
      'c',
      [
        [at('2023-01-01T10:00Z'), at('2023-01-01T11:00Z')],
        [at('2023-06-04T10:00Z'), at('2023-06-04T10:00Z') + DAY],
      ],
    ],
  ]);

  it('doubles the score of conversations from the period named, others keep theirs', () => {
    const raised = idsInPeriods(spans, periods);
    expect(raised).toEqual(new Set(['b', 'c']));
    expect(boostByPeriods(ranking, raised)).toEqual([
      { id: 'b', score: 1.2 },
      { id: 'a', score: 0.9 },
      { id: 'c', score: 0.6 },
      { id: 'd', score: 0.2 },
    ]);
  });

  it('changes nothing without periods, or with boost 0', () => {
    expect(idsInPeriods(spans, [])).toEqual(new Set());
    expect(boostByPeriods(ranking, new Set())).toEqual(ranking);
    expect(boostByPeriods(ranking, idsInPeriods(spans, periods), 0)).toEqual(ranking);
  });
});
