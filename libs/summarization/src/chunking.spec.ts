import { chunkMessages, messageChars, splitMessage } from './chunking';
import { SummaryInputMessage } from './summarizer-backend';

function message(seq: number, content: string): SummaryInputMessage {
  return { seq, role: 'user', userId: 'u1', content, createdAt: '2026-03-01T10:00:00.000Z' };
}

/** Sentences of varied length, as a pasted document would hold. */
function prose(chars: number): string {
  const sentences: string[] = [];
  let size = 0;
  for (let i = 0; size < chars; i++) {
    const sentence = `Sentence ${i} says ${'something '.repeat(3 + (i % 17))}about item ${i}.`;
    sentences.push(sentence);
    size += sentence.length + 1;
  }
  return sentences.join(' ').slice(0, chars);
}

describe(splitMessage.name, () => {
  it('returns a message that fits as it is', () => {
    const small = message(1, 'short');
    expect(splitMessage(small, 1_000)).toEqual([small]);
  });

  it('splits a 64 KiB message into parts that fit, join back exactly and are numbered', () => {
    const content = prose(64 * 1024);
    const parts = splitMessage(message(7, content), 12_000);
    expect(parts.length).toBeGreaterThan(5);
    expect(parts.map((p) => p.content).join('')).toBe(content);
    parts.forEach((part, i) => {
      expect(messageChars(part)).toBeLessThanOrEqual(12_000);
      expect(part).toMatchObject({ seq: 7, part: { index: i + 1, count: parts.length } });
    });
    // Prose ends its parts at a sentence, not inside a word.
    for (const part of parts.slice(0, -1)) expect(part.content).toMatch(/\.\s$/);
  });

  it('prefers a paragraph break to a sentence end', () => {
    const content = `${'a'.repeat(850)}.\n\n${'b'.repeat(50)}. ${'c'.repeat(400)}`;
    const [first] = splitMessage(message(1, content), 1_000);
    expect(first.content.endsWith('.\n\n')).toBe(true);
  });

  it('cuts text without breaks at the room, never between the halves of a surrogate pair', () => {
    const content = '😀'.repeat(5_000);
    const parts = splitMessage(message(1, content), 1_001);
    expect(parts.map((p) => p.content).join('')).toBe(content);
    for (const part of parts) expect(part.content).toMatch(/^(?:😀)+$/u);
  });
});

describe(chunkMessages.name, () => {
  it('puts the parts of a long message in order between its neighbours', () => {
    const long = prose(30_000);
    const chunks = chunkMessages(
      [message(1, 'before'), message(2, long), message(3, 'after')],
      10_000,
    );
    const flat = chunks.flat();
    expect(flat[0].content).toBe('before');
    expect(flat[flat.length - 1].content).toBe('after');
    expect(
      flat
        .filter((m) => m.seq === 2)
        .map((m) => m.content)
        .join(''),
    ).toBe(long);
    for (const chunk of chunks)
      expect(chunk.reduce((sum, m) => sum + messageChars(m), 0)).toBeLessThanOrEqual(10_000);
  });
});
