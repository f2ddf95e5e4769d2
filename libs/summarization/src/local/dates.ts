import { COUNT_WORDS } from '@memory/contracts';
import { MONTHS, WEEKDAYS } from './lexicon';
import { overlaps, Span } from './span';

// Dates in a sentence ("next Friday", "12 May", "two weeks ago") and resolving relative ones.

const MONTH =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const WEEKDAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const WEEKDAY_SHORT = '(?:mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)';
/** Abbreviated weekdays, as chat writes them ("last Fri"). */
const SHORT_WEEKDAYS: Record<string, (typeof WEEKDAYS)[number]> = {
  mon: 'monday',
  tue: 'tuesday',
  tues: 'tuesday',
  wed: 'wednesday',
  thu: 'thursday',
  thur: 'thursday',
  thurs: 'thursday',
  fri: 'friday',
  sat: 'saturday',
  sun: 'sunday',
};

/** Words that name a day, a month or a holiday: never a name or a topic. */
export const CALENDAR_WORDS = new Set<string>([
  ...WEEKDAYS,
  ...Object.keys(SHORT_WEEKDAYS),
  ...MONTHS,
  'christmas',
  'easter',
  'halloween',
  'thanksgiving',
]);

const DAY_PART = '(?:\\s+(?:morning|afternoon|evening|night))?';
const TIME =
  '(?:\\d{1,2}(?::\\d{2})?\\s?(?:am|pm|a\\.m\\.|p\\.m\\.)|\\d{1,2}:\\d{2}|noon|midnight)';
const AT_TIME = `(?:\\s+(?:at|by|around|before|after)\\s+${TIME})?`;
const COUNT =
  '(?:a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a few|a couple of|a couple|few|several|\\d{1,3})';
const UNIT = '(?:days?|weeks?|months?|years?)';
const HOLIDAY =
  "(?:christmas(?: eve| day)?|thanksgiving|halloween|easter|new year'?s?(?: eve| day)?|valentine'?s day|mother'?s day|father'?s day|independence day|labou?r day|memorial day)";

interface DatePattern {
  regex: RegExp;
  /** The month must be written with a capital ("May 8", not "may be"). */
  capitalised?: boolean;
  /** The abbreviated weekday must be written with a capital ("last Sat", not "last sat"). */
  weekdayCapitalised?: boolean;
}

const DATE_PATTERNS: DatePattern[] = [
  { regex: /\b\d{4}-\d{2}-\d{2}\b/g },
  { regex: /\b\d{1,2}\/\d{1,2}\/\d{2,4}\b/g },
  {
    regex: new RegExp(
      `\\b\\d{1,2}(?:st|nd|rd|th)?\\s+(?:of\\s+)?${MONTH}\\b\\.?(?:,?\\s+\\d{4})?${AT_TIME}`,
      'gi',
    ),
  },
  {
    regex: new RegExp(
      `\\b${MONTH}\\.?\\s+\\d{1,2}(?:st|nd|rd|th)?\\b(?:,?\\s+\\d{4})?${AT_TIME}`,
      'gi',
    ),
    capitalised: true,
  },
  { regex: new RegExp(`\\b${MONTH}\\s+\\d{4}\\b`, 'gi'), capitalised: true },
  {
    regex: new RegExp(
      `\\b(?:(?:early|mid|late|last|next|this)[\\s-]+|(?:in|since|until|by|during)\\s+)${MONTH}\\b`,
      'gi',
    ),
    capitalised: true,
  },
  {
    regex: new RegExp(
      `\\b(?:(?:last|next|this|coming|past)\\s+)?${WEEKDAY}s?${DAY_PART}${AT_TIME}`,
      'gi',
    ),
  },
  {
    regex: new RegExp(
      `\\b(?:last|next|this|coming|on)\\s+${WEEKDAY_SHORT}\\b\\.?${DAY_PART}`,
      'gi',
    ),
    weekdayCapitalised: true,
  },
  {
    regex: new RegExp(
      `\\b(?:the day (?:before|after) )?(?:yesterday|today|tonight|tomorrow)${DAY_PART}${AT_TIME}`,
      'gi',
    ),
  },
  {
    regex:
      /\b(?:last|next|this|coming|past)\s+(?:week(?:end)?|month|year|summer|winter|spring|fall|autumn|semester|term|season|night)\b/gi,
  },
  { regex: new RegExp(`\\b${COUNT}\\s+${UNIT}\\s+(?:ago|from now)\\b`, 'gi') },
  { regex: new RegExp(`\\bin\\s+${COUNT}\\s+${UNIT}\\b`, 'gi') },
  { regex: new RegExp(`\\b${HOLIDAY}\\b`, 'gi') },
  {
    regex:
      /\b(?:(?:back )?in|since|by|until|from|during|of|around|before|after)\s+(?:19|20)\d{2}\b/gi,
  },
  { regex: new RegExp(`\\b(?:at|by|around|before|after|until)\\s+${TIME}`, 'gi') },
  { regex: /\b\d{1,2}(?::\d{2})?\s?(?:am|pm)\b/gi },
];

const LEADING_PREPOSITION = /^(?:(?:back )?in|since|until|by|during|of|from|around|at)\s+/i;

const DAY_MS = 86_400_000;

/** "8 May 2023" (UTC). */
export function formatDay(date: Date): string {
  const month = MONTHS[date.getUTCMonth()];
  return `${date.getUTCDate()} ${month[0].toUpperCase()}${month.slice(1)} ${date.getUTCFullYear()}`;
}

function formatMonth(date: Date): string {
  const month = MONTHS[date.getUTCMonth()];
  return `${month[0].toUpperCase()}${month.slice(1)} ${date.getUTCFullYear()}`;
}

function shiftDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

function shiftMonths(date: Date, months: number): Date {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + months, 1));
}

/**
 * The calendar date a relative expression points at, from the message's own time ("yesterday"
 * said on 8 May 2023 is 7 May 2023); undefined when it is absolute or too vague.
 */
export function resolveRelativeDate(expression: string, now: Date): string | undefined {
  const text = expression.toLowerCase();
  if (/\byesterday\b/.test(text))
    return formatDay(shiftDays(now, text.includes('day before') ? -2 : -1));
  if (/\btomorrow\b/.test(text))
    return formatDay(shiftDays(now, text.includes('day after') ? 2 : 1));
  if (/\b(?:today|tonight)\b/.test(text)) return formatDay(now);
  const weekday = new RegExp(`\\b(last|next|this|coming)\\s+(${WEEKDAY}|${WEEKDAY_SHORT}\\b)`).exec(
    text,
  );
  if (weekday) {
    const name = SHORT_WEEKDAYS[weekday[2]] ?? weekday[2];
    const target = WEEKDAYS.indexOf(name);
    const today = (now.getUTCDay() + 6) % 7; // Monday = 0
    let delta = target - today;
    if (weekday[1] === 'last') delta = delta < 0 ? delta : delta - 7;
    else if (weekday[1] === 'next') delta = delta > 0 ? delta : delta + 7;
    else delta = delta >= 0 ? delta : delta + 7;
    return formatDay(shiftDays(now, delta));
  }
  const period = /\b(last|next|this|coming|past)\s+(week|month|year)\b/.exec(text);
  if (period) {
    const sign = period[1] === 'last' || period[1] === 'past' ? -1 : period[1] === 'this' ? 0 : 1;
    if (period[2] === 'year') return String(now.getUTCFullYear() + sign);
    if (period[2] === 'month') return formatMonth(shiftMonths(now, sign));
    const monday = shiftDays(now, -((now.getUTCDay() + 6) % 7) + 7 * sign);
    return `week of ${formatDay(monday)}`;
  }
  const offset = new RegExp(
    `\\b(?:in\\s+)?(a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\\d{1,3})\\s+(day|week|month|year)s?(\\s+(?:ago|from now))?`,
  ).exec(text);
  if (offset) {
    const amount = COUNT_WORDS[offset[1]] ?? Number(offset[1]);
    const sign = offset[3]?.includes('ago') ? -1 : 1;
    if (offset[2] === 'day') return formatDay(shiftDays(now, sign * amount));
    if (offset[2] === 'week') return `week of ${formatDay(shiftDays(now, sign * 7 * amount))}`;
    if (offset[2] === 'month') return formatMonth(shiftMonths(now, sign * amount));
    return String(now.getUTCFullYear() + sign * amount);
  }
  return undefined;
}

const MONTH_WORD = new RegExp(`\\b${MONTH}\\b`, 'i');

/** "May 8" is a date, "may be" is not: the month must be written with a capital. */
function monthCapitalised(text: string): boolean {
  const month = MONTH_WORD.exec(text);
  return month !== null && /^[A-Z]/.test(month[0]);
}

/**
 * Date and time expressions of a sentence, as written ("next Friday", "8 May 2023"), with the
 * date they resolve to in brackets when `now` is known and the expression is relative.
 */
export function findDates(sentence: string, now?: Date): Span[] {
  const found: Span[] = [];
  for (const { regex, capitalised, weekdayCapitalised } of DATE_PATTERNS) {
    for (const match of sentence.matchAll(regex)) {
      const start = match.index;
      const end = start + match[0].length;
      if (overlaps(found, start, end)) continue;
      if (capitalised && !monthCapitalised(match[0])) continue;
      if (weekdayCapitalised && !/\s[A-Z]/.test(match[0])) continue;
      let text = match[0].replace(/\s+/g, ' ').trim().replace(/\.$/, '');
      if (!/^(?:\d|last|next|this)/i.test(text)) text = text.replace(LEADING_PREPOSITION, '');
      const resolved = now ? resolveRelativeDate(text, now) : undefined;
      found.push({ text: resolved ? `${text} (${resolved})` : text, start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
