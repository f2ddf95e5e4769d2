// Loads the LoCoMo development sample (Maharana et al., "Evaluating Very Long-Term
// Conversational Memory of LLM Agents", ACL 2024) as sessions of chat messages.
// The files are flat objects: speaker_a, speaker_b, session_N, session_N_date_time,
// session_N_summary, qa, ... (see ../shared/data/locomo/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the team keeps the LoCoMo sample: next to the repository (`LOCOMO_DIR` overrides it). */
export const DEFAULT_LOCOMO_DIR = resolve(REPO_ROOT, '../shared/data/locomo');

const MONTHS = [
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
];

/** "1:56 pm on 8 May, 2023" -> "2023-05-08T13:56:00.000Z" (null when it does not parse). */
export function parseSessionDate(value) {
  const match = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})/i.exec(
    String(value ?? ''),
  );
  if (!match) return null;
  const [, h, min, ampm, day, monthName, year] = match;
  const month = MONTHS.indexOf(monthName.toLowerCase());
  if (month < 0) return null;
  const hour = (Number(h) % 12) + (ampm.toLowerCase() === 'pm' ? 12 : 0);
  return new Date(Date.UTC(Number(year), month, Number(day), hour, Number(min))).toISOString();
}

/** A turn as a chat message's content: its text, plus the caption of a shared photo. */
export function turnContent(turn) {
  const caption = turn.blip_caption ? ` [shared a photo: ${turn.blip_caption}]` : '';
  return `${turn.text ?? ''}${caption}`;
}

/** Session numbers named by a question's evidence ("D3:5", also "D8:6; D9:17"). */
export function evidenceSessions(evidence) {
  const sessions = new Set();
  for (const item of evidence ?? []) {
    for (const match of String(item).matchAll(/D(\d+):\d+/g)) sessions.add(Number(match[1]));
  }
  return sessions;
}

/**
 * One LoCoMo file as { id, speakers, sessions: [{ number, createdAt, messages, textChars,
 * spokenChars, referenceSummary }], qa }: textChars counts the messages' content (captions
 * included), spokenChars the turns' text alone. Sessions with a date but no turns are skipped. Messages have the
 * SummaryInputMessage shape (seq from 1 within the session, userId = the speaker).
 */
export function loadConversation(file) {
  const raw = JSON.parse(readFileSync(file, 'utf8'));
  const data = raw.conversation ?? raw;
  const sessions = [];
  for (const key of Object.keys(data)) {
    const match = /^session_(\d+)$/.exec(key);
    if (!match || !Array.isArray(data[key]) || data[key].length === 0) continue;
    const number = Number(match[1]);
    const createdAt =
      parseSessionDate(data[`session_${number}_date_time`]) ?? '2000-01-01T00:00:00.000Z';
    const messages = data[key].map((turn, i) => ({
      seq: i + 1,
      role: 'user',
      userId: String(turn.speaker),
      content: turnContent(turn),
      createdAt,
    }));
    sessions.push({
      number,
      createdAt,
      messages,
      textChars: messages.reduce((sum, m) => sum + m.content.length, 0),
      spokenChars: data[key].reduce((sum, turn) => sum + String(turn.text ?? '').length, 0),
      referenceSummary: String(
        raw[`session_${number}_summary`] ?? data[`session_${number}_summary`] ?? '',
      ),
    });
  }
  sessions.sort((a, b) => a.number - b.number);
  return {
    id: basename(file, '.json'),
    speakers: [data.speaker_a, data.speaker_b],
    sessions,
    qa: raw.qa ?? [],
  };
}

/** Every *.json file of the sample directory, in name order. */
export function loadLocomo(dir = DEFAULT_LOCOMO_DIR) {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => loadConversation(join(dir, name)));
}
