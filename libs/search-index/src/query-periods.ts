/**
 * Dates a query names ("on 3 June, 2023", "in March", "last week", "yesterday") read as periods
 * of time, so that conversations from then rank higher among those the query's words and
 * meaning found ({@link boostByPeriods}). People ask their memory by date as much as by topic:
 * "what did we decide last Tuesday?"; the words "Tuesday" or "June" are rarely in the messages,
 * so neither BM25 nor the embedding can tell when a conversation took place. Time in the index
 * is UTC; English only.
 */

import { COUNT_WORDS, MONTH_NAMES, WEEKDAY_NAMES } from '@memory/contracts';

type WeekdayName = (typeof WEEKDAY_NAMES)[number];

const DAY = 86_400_000;

const HOUR = 3_600_000;

/**
 * A day named is widened by this before it: the index keeps UTC, and in UTC+14 "3 June" begins
 * at 2 June 10:00 UTC.
 */
export const PERIOD_DAY_BEFORE_MS = 14 * HOUR;

/**
 * And by this after it: 12 hours for UTC-12, and a day more, as what happened on a day is often
 * told the day after ("who did Maria have dinner with on 3 May?" is answered in a conversation of
 * 4 May). So "yesterday" also raises today's conversations that match the words.
 */
export const PERIOD_DAY_AFTER_MS = 36 * HOUR;

/**
 * How much a period named in the query raises a conversation from then: its fused score times
 * `1 + PERIOD_BOOST`. Doubled, a conversation from the period named goes above one that is not
 * unless the other matches the words more than twice as well: the date decides among matches
 * of similar strength, and a strong match from another time (the user misremembered the date)
 * still shows. On the LoCoMo sample the choice hardly matters from 0.5 up (docs/benchmarks.md).
 */
export const PERIOD_BOOST = 1;

/** A period a query names: `[from, to)` in UTC, and the words it was read from. */
export interface QueryPeriod {
  /** The words of the query, as written. */
  text: string;
  /** Start (inclusive), ISO 8601 UTC; for `everyYear`, in the year of the query's time. */
  from: string;
  /** End (exclusive). */
  to: string;
  /** Named without a year ("in June", "March 3"): that month or day of any year. */
  everyYear: boolean;
}

/** The months' abbreviations ("may" and "june" are whole names already). */
const MONTH_ABBREVIATIONS = 'jan feb mar apr jun jul aug sept sep oct nov dec'.split(' ');
/** A month's name or its abbreviation (a capture group, read by {@link monthIndex}). */
const MONTH = `(${[...MONTH_NAMES, ...MONTH_ABBREVIATIONS].join('|')})\\.?`;
/** A count in digits or in words ("3", "three", "a"). */
const COUNT = `(\\d{1,3}|${Object.keys(COUNT_WORDS).join('|')})`;
const DAY_OF_MONTH = '(\\d{1,2})(?:st|nd|rd|th)?';
/** Years of chat: 1990 to 2039 ("a budget of 2500" is no year). */
const YEAR = '((?:199|20[0-3])\\d)';
/**
 * Words before a month alone or a year that make it a period ("in May", not "may"). Not since,
 * after, before or until: those name open ranges, which the request's from/to express; nor
 * from, by or of ("a message from June").
 */
const BEFORE = '(?:in|during|early|late|mid|last)';
/** Words after "may" or "march" that make it a verb ("in may be"), not a month. */
const VERB =
  /^\s+(?:be|have|not|help|want|need|also|still|seem|mean|well|just|take|make|get|go|come|look|on|through|past|forward|ahead)\b/i;
const UNIT_DAYS: Record<string, number> = { day: 1, week: 7, month: 30, year: 365 };

type Reader = (match: RegExpExecArray, now: Date) => Omit<QueryPeriod, 'text'> | undefined;

/**
 * The forms read, most specific first; words one form took are not read again by another. The
 * last, "last <weekday>", is read only when nothing else is: in "last Tuesday, 3 June 2023" the
 * date says which Tuesday. A weekday alone is not read: in a chat it is mostly a plan
 * ("move the dentist to Friday"), not when something was said.
 */
const FORMS: ReadonlyArray<[RegExp, Reader]> = [
  [
    new RegExp(`\\b${YEAR}-(\\d{2})-(\\d{2})\\b`, 'g'),
    (m) => day(Number(m[1]), Number(m[2]) - 1, Number(m[3])),
  ],
  [new RegExp(`\\b${YEAR}-(\\d{2})\\b`, 'g'), (m) => month(Number(m[1]), Number(m[2]) - 1)],
  [
    new RegExp(`\\b${DAY_OF_MONTH}\\s+(?:of\\s+)?${MONTH}(?:,?\\s+${YEAR})?\\b`, 'gi'),
    (m) => day(yearOf(m[3]), monthIndex(m[2]), Number(m[1])),
  ],
  [
    new RegExp(`\\b${MONTH}\\s+${DAY_OF_MONTH}\\b(?:,?\\s+${YEAR}\\b)?`, 'gi'),
    (m) => day(yearOf(m[3]), monthIndex(m[1]), Number(m[2])),
  ],
  [new RegExp(`\\b${MONTH},?\\s+${YEAR}\\b`, 'gi'), (m) => month(Number(m[2]), monthIndex(m[1]))],
  [
    new RegExp(`\\b(${BEFORE})\\s+(?:the\\s+month\\s+of\\s+)?${MONTH}(?![\\w-])`, 'gi'),
    (m, now) => loneMonth(m, now),
  ],
  [new RegExp(`\\b(?:in|during)\\s+${YEAR}\\b`, 'gi'), (m) => range(year(Number(m[1])))],
  [/\btoday\b|\bthis morning\b|\btonight\b/gi, (_, now) => range(dayRange(startOfDay(now)))],
  [/\byesterday\b|\blast night\b/gi, (_, now) => range(dayRange(startOfDay(now) - DAY))],
  [
    new RegExp(`\\b${COUNT}\\s+(day|week|month|year)s?\\s+ago\\b`, 'gi'),
    (m, now) => {
      const count = COUNT_WORDS[m[1].toLowerCase()] ?? Number(m[1]);
      const unit = UNIT_DAYS[m[2].toLowerCase()] * DAY;
      const at = now.getTime() - count * unit;
      return unit === DAY
        ? range(dayRange(startOfDay(new Date(at))))
        : range([at - unit / 2, at + unit / 2]);
    },
  ],
  [/\b(last|past|previous|this)\s+(weekend|week|month|year)\b/gi, (m, now) => relative(m, now)],
  [
    new RegExp(`\\blast\\s+(${WEEKDAY_NAMES.join('|')})\\b`, 'gi'),
    (m, now) => lastWeekday(m[1].toLowerCase() as WeekdayName, now),
  ],
];

/**
 * The periods `query` names, in the order written, none when it names none. Relative forms
 * (yesterday, last week, 3 days ago, last Tuesday) count back from `now`; a month or day without
 * a year stands for that month or day of every year (`everyYear`), "last March" for the last
 * March before this month. Days are widened by {@link PERIOD_DAY_BEFORE_MS} and
 * {@link PERIOD_DAY_AFTER_MS}. Impossible dates ("31 June") are not read.
 */
export function periodsOf(query: string, now: Date = new Date()): QueryPeriod[] {
  const taken: Array<[number, number]> = [];
  const found: Array<QueryPeriod & { at: number }> = [];
  for (const [index, [pattern, read]] of FORMS.entries()) {
    if (index === FORMS.length - 1 && found.length > 0) break;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(query); match; match = pattern.exec(query)) {
      const start = match.index;
      const end = start + match[0].length;
      if (taken.some(([a, b]) => start < b && end > a)) continue;
      const period = read(match, now);
      if (!period) continue;
      taken.push([start, end]);
      found.push({ text: match[0], ...period, at: start });
    }
  }
  return found
    .sort((a, b) => a.at - b.at)
    .map(({ at: _at, ...period }) => (period.everyYear ? inYearOf(period, now) : period));
}

/** A period of every year shown in the year of `now` (it was read in a base year). */
function inYearOf(period: QueryPeriod, now: Date): QueryPeriod {
  const from = Date.parse(period.from);
  const years = now.getUTCFullYear() - new Date(from + PERIOD_DAY_BEFORE_MS).getUTCFullYear();
  return {
    ...period,
    from: new Date(shiftYears(from, years)).toISOString(),
    to: new Date(shiftYears(Date.parse(period.to), years)).toISOString(),
  };
}

/**
 * Whether the time from `from` to `to` (ms, inclusive) meets one of `periods`. A period of
 * every year is tried in each year the time touches (and the year before, for a period that
 * crosses into January with its slack).
 */
export function inPeriods(periods: readonly QueryPeriod[], from: number, to: number): boolean {
  if (!(from <= to)) return false;
  return periods.some((period) => {
    const start = Date.parse(period.from);
    const end = Date.parse(period.to);
    if (!period.everyYear) return from < end && to >= start;
    const base = new Date(start + PERIOD_DAY_BEFORE_MS).getUTCFullYear();
    for (let y = new Date(from).getUTCFullYear() - 1; y <= new Date(to).getUTCFullYear(); y++)
      // Each end moved on its own: in a leap year February has a day more.
      if (from < shiftYears(end, y - base) && to >= shiftYears(start, y - base)) return true;
    return false;
  });
}

/** A time span (ms) of a conversation or a passage. */
export type TimeSpan = readonly [number, number];

/** The ids (conversations or passages) of `spans` with a span in one of `periods`. */
export function idsInPeriods(
  spans: ReadonlyMap<string, readonly TimeSpan[]>,
  periods: readonly QueryPeriod[],
): Set<string> {
  const ids = new Set<string>();
  if (periods.length === 0) return ids;
  for (const [id, times] of spans)
    if (times.some(([from, to]) => inPeriods(periods, from, to))) ids.add(id);
  return ids;
}

/**
 * The ranking with each of the `raised` ids ({@link idsInPeriods}) at `score × (1 + boost)`,
 * best first, ties in their previous order. Nothing changes when none is raised.
 */
export function boostByPeriods<T extends { id: string; score: number }>(
  ranking: readonly T[],
  raised: ReadonlySet<string>,
  boost: number = PERIOD_BOOST,
): T[] {
  if (raised.size === 0 || boost <= 0) return [...ranking];
  return ranking
    .map((hit, index) => {
      const during = raised.has(hit.id);
      return { hit: during ? { ...hit, score: hit.score * (1 + boost) } : hit, index };
    })
    .sort((a, b) => b.hit.score - a.hit.score || a.index - b.index)
    .map(({ hit }) => hit);
}

/** A date value of a hit (an ISO string or epoch ms) as ms, undefined when absent or bad. */
export function timeOf(value: unknown): number | undefined {
  const time =
    typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
  return Number.isFinite(time) ? time : undefined;
}

function range([from, to]: readonly [number, number]): Omit<QueryPeriod, 'text'> {
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), everyYear: false };
}

function yearOf(text: string | undefined): number | undefined {
  return text === undefined ? undefined : Number(text);
}

function monthIndex(name: string): number {
  const key = name.toLowerCase().replace('.', '').slice(0, 3);
  return MONTH_NAMES.findIndex((month) => month.startsWith(key));
}

/** A day (widened by the slack); without a year, that day of every year. */
function day(y: number | undefined, m: number, d: number): Omit<QueryPeriod, 'text'> | undefined {
  const base = y ?? 2000; // a leap year, so that 29 February is a day
  const start = Date.UTC(base, m, d);
  const date = new Date(start);
  if (m < 0 || date.getUTCMonth() !== m || date.getUTCDate() !== d) return undefined;
  return { ...range(dayRange(start)), everyYear: y === undefined };
}

/** A calendar month; without a year, that month of every year. */
function month(y: number | undefined, m: number): Omit<QueryPeriod, 'text'> | undefined {
  if (m < 0 || m > 11) return undefined;
  const base = y ?? 2000;
  return { ...range([Date.UTC(base, m, 1), Date.UTC(base, m + 1, 1)]), everyYear: y === undefined };
}

function year(y: number): [number, number] {
  return [Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1)];
}

function startOfDay(at: Date): number {
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
}

function dayRange(start: number): [number, number] {
  return [start - PERIOD_DAY_BEFORE_MS, start + DAY + PERIOD_DAY_AFTER_MS];
}

/**
 * A month named alone after a word: "last March" is the last March before this month; "in
 * March", "early March" that month of every year. "in may be" is no month.
 */
function loneMonth(match: RegExpExecArray, now: Date): Omit<QueryPeriod, 'text'> | undefined {
  const index = monthIndex(match[2]);
  if ((index === 2 || index === 4) && VERB.test(match.input.slice(match.index + match[0].length)))
    return undefined;
  if (match[1].toLowerCase() !== 'last') return month(undefined, index);
  const y = now.getUTCFullYear() - (index < now.getUTCMonth() ? 0 : 1);
  return month(y, index);
}

/** Monday 00:00 UTC of the week `at` is in. */
function startOfWeek(at: Date): number {
  return startOfDay(at) - ((at.getUTCDay() + 6) % 7) * DAY;
}

/** last/past/previous/this week, weekend, month or year. */
function relative(match: RegExpExecArray, now: Date): Omit<QueryPeriod, 'text'> {
  const which = match[1].toLowerCase();
  const unit = match[2].toLowerCase();
  const time = now.getTime();
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  if (which === 'past')
    return range([time - UNIT_DAYS[unit === 'weekend' ? 'week' : unit] * DAY, time]);
  const last = which !== 'this';
  switch (unit) {
    case 'weekend': {
      // The Saturday and Sunday before this week (last) or of it (this), with the day's slack.
      const saturday = startOfWeek(now) + 5 * DAY - (last ? 7 * DAY : 0);
      return range([saturday - PERIOD_DAY_BEFORE_MS, saturday + 2 * DAY + PERIOD_DAY_AFTER_MS]);
    }
    case 'week': {
      const monday = startOfWeek(now) - (last ? 7 * DAY : 0);
      return range([monday, monday + 7 * DAY]);
    }
    case 'month':
      return range(last ? [Date.UTC(y, m - 1, 1), Date.UTC(y, m, 1)] : [Date.UTC(y, m, 1), time]);
    default:
      return range(last ? year(y - 1) : [Date.UTC(y, 0, 1), time]);
  }
}

/** "last <weekday>": the last such day before today (a week ago when today is one). */
function lastWeekday(name: WeekdayName, now: Date): Omit<QueryPeriod, 'text'> {
  // WEEKDAY_NAMES starts on Monday, getUTCDay() on Sunday.
  const target = (WEEKDAY_NAMES.indexOf(name) + 1) % 7;
  const back = (now.getUTCDay() - target + 7) % 7 || 7;
  return range(dayRange(startOfDay(now) - back * DAY));
}

/** `at` moved by `years`, 29 February to 28 February where needed. */
function shiftYears(at: number, years: number): number {
  const date = new Date(at);
  const moved = new Date(at);
  moved.setUTCFullYear(date.getUTCFullYear() + years);
  if (moved.getUTCMonth() !== date.getUTCMonth()) moved.setUTCDate(0);
  return moved.getTime();
}
