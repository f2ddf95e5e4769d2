import { overlaps, Span } from './span';
import { wordClass } from './text';

// Numbers with what they count or measure ("$1,200 budget", "3 kids", "5 km", "20%").

const SPELLED =
  '(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|a hundred|a thousand|a dozen|dozens of|hundreds of|thousands of)';
const NUMBER = '\\d[\\d,]*(?:\\.\\d+)?';
const UNIT_WORDS =
  '(?:km|kms|kilometers?|kilometres?|miles?|mi|m|meters?|metres?|cm|mm|ft|feet|foot|inches|inch|kg|kgs|kilos?|g|grams?|lbs?|pounds|oz|ounces?|l|liters?|litres?|ml|gallons?|hours?|hrs?|h|minutes?|mins?|seconds?|secs?|days?|weeks?|months?|years?|yrs?|gb|mb|tb|kb|mph|kmh|km\\/h|degrees?|°[cf]?|k|bn|million|billion|thousand)';
const COUNTED_GENERIC = new Set([
  'people',
  'times',
  'days',
  'weeks',
  'months',
  'years',
  'hours',
  'minutes',
  'guys',
  'things',
]);

const INTENSIFIER_PERCENT =
  /^\d+\s?(?:%|percent)\s+(?:agree|sure|certain|right|true|with|behind|committed|on board)\b/i;

const NUMBER_PATTERNS: RegExp[] = [
  new RegExp(
    `(?:[$€£¥]\\s?${NUMBER}(?:\\s?(?:k|m|bn|million|billion|thousand)\\b)?|\\b${NUMBER}\\s?(?:dollars|euros|pounds|bucks|usd|eur|gbp)\\b)(?:\\s+[a-z][a-z-]+)?`,
    'gi',
  ),
  new RegExp(`\\b${NUMBER}\\s?(?:%|percent\\b)`, 'gi'),
  new RegExp(`\\b${NUMBER}(?:\\s?-\\s?${NUMBER})?\\s?${UNIT_WORDS}\\b`, 'gi'),
  new RegExp(`\\b${NUMBER}(?:\\s?-\\s?${NUMBER})?\\s+(?:[a-z][a-z-]+\\s+)?[a-z][a-z-]+`, 'gi'),
  new RegExp(`\\b${SPELLED}\\s+(?:[a-z][a-z-]+\\s+)?[a-z][a-z-]*s\\b`, 'gi'),
];

/**
 * Numbers with what they count or measure ("$1,200 budget", "3 kids", "5 km", "20%"). Parts
 * of `exclude` (dates found earlier) are skipped; a bare number with no unit or noun is not kept.
 */
export function findNumbers(sentence: string, exclude: readonly Span[] = []): Span[] {
  const found: Span[] = [];
  for (const regex of NUMBER_PATTERNS) {
    for (const match of sentence.matchAll(regex)) {
      const start = match.index;
      let text = match[0].replace(/\s+/g, ' ').trim().replace(/\.$/, '');
      if (
        overlaps(exclude, start, start + text.length) ||
        overlaps(found, start, start + text.length)
      )
        continue;
      const words = text.split(' ');
      // Trailing words must be a noun-like content word: trim a stopword tail ("3 of", "2 and").
      while (words.length > 1 && !/[\d$€£¥%]/.test(words[words.length - 1])) {
        const last = words[words.length - 1].toLowerCase();
        const cls = wordClass(last);
        if (
          cls === 'content' ||
          COUNTED_GENERIC.has(last) ||
          new RegExp(`^${UNIT_WORDS}$`).test(last)
        )
          break;
        words.pop();
      }
      text = words.join(' ');
      if (!/[a-z%$€£¥]/i.test(text.replace(/^\d[\d,.]*/, ''))) continue; // a bare number
      // "I 100% agree": a figure of speech, not a figure.
      if (/%|percent/.test(text) && INTENSIFIER_PERCENT.test(sentence.slice(start))) continue;
      if (/^(?:19|20)\d{2}$/.test(words[0]) && words.length === 1) continue; // a year
      if (/^(?:19|20)\d{2}\s+[a-z]/i.test(text) && !/[$€£¥]/.test(text)) {
        const noun = words[1]?.toLowerCase() ?? '';
        if (wordClass(noun) !== 'content') continue;
      }
      found.push({ text, start, end: start + text.length });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
