import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  evidenceSessions,
  loadConversation,
  loadLocomo,
  locomoTurns,
  parseSessionDate,
  turnContent,
} from './locomo';

function sampleDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'locomo-'));
  writeFileSync(
    join(dir, '7.json'),
    JSON.stringify({
      speaker_a: 'Ann',
      speaker_b: 'Bo',
      session_2_date_time: '9:05 am on 1 June, 2023',
      session_2: [{ speaker: 'Bo', text: 'Later.' }],
      session_1_date_time: '1:56 pm on 8 May, 2023',
      session_1: [
        { speaker: 'Ann', text: 'Hi!' },
        { speaker: 'Bo', text: 'Look.', blip_caption: 'a dog' },
      ],
      session_3_date_time: '10:00 am on 2 June, 2023',
      session_3: [],
      session_1_summary: 'They met.',
      qa: [{ question: 'Who has a dog?', evidence: ['D1:2'], category: 1 }],
    }),
  );
  return dir;
}

describe('LoCoMo reader', () => {
  let dir: string;
  beforeEach(() => {
    dir = sampleDir();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('parses session dates, null for what is no date', () => {
    expect(parseSessionDate('1:56 pm on 8 May, 2023')).toBe('2023-05-08T13:56:00.000Z');
    expect(parseSessionDate('12:10 am on 1 January 2024')).toBe('2024-01-01T00:10:00.000Z');
    expect(parseSessionDate('1:56 pm on 8 Mayday, 2023')).toBeNull();
    expect(parseSessionDate(undefined)).toBeNull();
  });

  it('names the sessions of a question evidence', () => {
    expect([...evidenceSessions(['D3:5', 'D8:6; D9:17'])]).toEqual([3, 8, 9]);
    expect(evidenceSessions(undefined).size).toBe(0);
  });

  it('loads sessions in number order, without empty ones, as chat messages', () => {
    const conversation = loadConversation(join(dir, '7.json'));
    expect(conversation.id).toBe('7');
    expect(conversation.speakers).toEqual(['Ann', 'Bo']);
    expect(conversation.sessions.map((s) => s.number)).toEqual([1, 2]);
    const [first] = conversation.sessions;
    expect(first.messages[1]).toEqual({
      seq: 2,
      role: 'user',
      userId: 'Bo',
      content: 'Look. [shared a photo: a dog]',
      createdAt: '2023-05-08T13:56:00.000Z',
    });
    expect(first.textChars).toBe('Hi!'.length + 'Look. [shared a photo: a dog]'.length);
    expect(first.spokenChars).toBe('Hi!Look.'.length);
    expect(first.referenceSummary).toBe('They met.');
    expect(conversation.qa).toHaveLength(1);
    expect(loadLocomo(dir).map((c) => c.id)).toEqual(['7']);
  });

  it('lists the turns of a conversation in order', () => {
    expect(turnContent({ text: 'Hi' })).toBe('Hi');
    expect(locomoTurns('7', dir)).toEqual(['Hi!', 'Look. [shares a photo: a dog]', 'Later.']);
  });
});
