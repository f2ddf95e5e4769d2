/**
 * The English words of the calendar, lower case: the local summarizer's date finder and the
 * search service's reading of dates in a query both use them.
 */
export const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
] as const;

/** Monday first (ISO 8601); `Date#getUTCDay()` counts from Sunday. */
export const WEEKDAY_NAMES = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;

/** Counts written as words ("two weeks ago"). */
export const COUNT_WORDS: Readonly<Record<string, number>> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};

/** "March" for 2 (0-based month). */
export function capitalizedMonth(index: number): string | undefined {
  const name = MONTH_NAMES[index];
  return name && `${name[0].toUpperCase()}${name.slice(1)}`;
}
