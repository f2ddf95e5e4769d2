// The LoCoMo development sample (Maharana et al., "Evaluating Very Long-Term Conversational
// Memory of LLM Agents", ACL 2024) as sessions of chat messages. The files are flat objects:
// speaker_a, speaker_b, session_N, session_N_date_time, session_N_summary, qa, ... (see
// ../shared/data/locomo/README.md).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

/**
 * Where the team keeps the LoCoMo sample: `LOCOMO_DIR`, else next to the repository
 * (`../shared/data/locomo`, resolved from this file, so from source: tsx, ts-jest).
 */
export const DEFAULT_LOCOMO_DIR =
  process.env.LOCOMO_DIR || resolve(__dirname, '../../../../shared/data/locomo');

/** Fails with where the sample was looked for and how to point at it. */
function sampleFile(file: string): string {
  if (!existsSync(file))
    throw new Error(
      `LoCoMo sample file ${file} not found (the team keeps the sample next to the repository, ` +
        'in ../shared/data/locomo): set LOCOMO_DIR to its folder',
    );
  return file;
}

/** One turn as the files hold it. */
export interface LocomoTurn {
  speaker?: string;
  dia_id?: string;
  text?: string;
  blip_caption?: string;
}

/** A question of the file's `qa` list; `evidence` names turns ("D3:5"). */
export interface LocomoQuestion {
  question: string;
  answer?: unknown;
  evidence?: string[];
  category?: number | string;
}

/** A chat message of a session (the SummaryInputMessage shape; userId is the speaker). */
export interface LocomoMessage {
  seq: number;
  role: 'user';
  userId: string;
  content: string;
  createdAt: string;
}

export interface LocomoSession {
  number: number;
  createdAt: string;
  turns: LocomoTurn[];
  messages: LocomoMessage[];
  /** Characters of the messages' content (photo captions included). */
  textChars: number;
  /** Characters of the turns' text alone. */
  spokenChars: number;
  referenceSummary: string;
}

export interface LocomoConversation {
  id: string;
  speakers: [string, string];
  sessions: LocomoSession[];
  qa: LocomoQuestion[];
}

const MONTHS = Array.from({ length: 12 }, (_, month) =>
  new Date(Date.UTC(2000, month, 1))
    .toLocaleString('en-US', { month: 'long', timeZone: 'UTC' })
    .toLowerCase(),
);

/** "1:56 pm on 8 May, 2023" -> "2023-05-08T13:56:00.000Z" (null when it does not parse). */
export function parseSessionDate(value: unknown): string | null {
  const match = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})/i.exec(
    typeof value === 'string' ? value : '',
  );
  if (!match) return null;
  const [, h, min, ampm, day, monthName, year] = match;
  const month = MONTHS.indexOf(monthName.toLowerCase());
  if (month < 0) return null;
  const hour = (Number(h) % 12) + (ampm.toLowerCase() === 'pm' ? 12 : 0);
  return new Date(Date.UTC(Number(year), month, Number(day), hour, Number(min))).toISOString();
}

/** A turn as a chat message's content: its text, plus the caption of a shared photo. */
export function turnContent(turn: LocomoTurn): string {
  const caption = turn.blip_caption ? ` [shared a photo: ${turn.blip_caption}]` : '';
  return `${turn.text ?? ''}${caption}`;
}

/** Session numbers named by a question's evidence ("D3:5", also "D8:6; D9:17"). */
export function evidenceSessions(evidence: readonly unknown[] | undefined): Set<number> {
  const sessions = new Set<number>();
  for (const item of evidence ?? []) {
    for (const match of String(item).matchAll(/D(\d+):\d+/g)) sessions.add(Number(match[1]));
  }
  return sessions;
}

/**
 * One LoCoMo file. Sessions come in number order; a session with a date but no turns is
 * skipped. Messages are numbered from 1 within their session and carry its date.
 */
export function loadConversation(file: string): LocomoConversation {
  const raw = JSON.parse(readFileSync(sampleFile(file), 'utf8')) as Record<string, unknown>;
  const data = (raw.conversation ?? raw) as Record<string, unknown>;
  const sessions: LocomoSession[] = [];
  for (const key of Object.keys(data)) {
    const match = /^session_(\d+)$/.exec(key);
    const turns = data[key];
    if (!match || !Array.isArray(turns) || turns.length === 0) continue;
    const number = Number(match[1]);
    const createdAt =
      parseSessionDate(data[`session_${number}_date_time`]) ?? '2000-01-01T00:00:00.000Z';
    const messages = (turns as LocomoTurn[]).map((turn, i): LocomoMessage => ({
      seq: i + 1,
      role: 'user',
      userId: String(turn.speaker),
      content: turnContent(turn),
      createdAt,
    }));
    sessions.push({
      number,
      createdAt,
      turns: turns as LocomoTurn[],
      messages,
      textChars: messages.reduce((sum, m) => sum + m.content.length, 0),
      spokenChars: (turns as LocomoTurn[]).reduce(
        (sum, turn) => sum + String(turn.text ?? '').length,
        0,
      ),
      referenceSummary: text(raw[`session_${number}_summary`] ?? data[`session_${number}_summary`]),
    });
  }
  sessions.sort((a, b) => a.number - b.number);
  return {
    id: basename(file, '.json'),
    speakers: [String(data.speaker_a), String(data.speaker_b)],
    sessions,
    qa: (raw.qa ?? []) as LocomoQuestion[],
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** Every *.json file of the sample directory, in name order. */
export function loadLocomo(dir: string = DEFAULT_LOCOMO_DIR): LocomoConversation[] {
  return readdirSync(sampleFile(dir))
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => loadConversation(join(dir, name)));
}

/**
 * Every turn of conversation `id` in order, session after session, as message contents, a
 * shared photo's caption appended as " [shares a photo: <caption>]" (the wording the summary
 * cost benchmark and the summarizer tests were measured with; {@link turnContent} says
 * "shared").
 */
export function locomoTurns(id: string, dir: string = DEFAULT_LOCOMO_DIR): string[] {
  return loadConversation(resolve(dir, `${id}.json`)).sessions.flatMap((session) =>
    session.turns.map((turn) =>
      turn.blip_caption ? `${turn.text} [shares a photo: ${turn.blip_caption}]` : `${turn.text}`,
    ),
  );
}
