import {
  ConversationMessage,
  PassageStream,
  toPassage,
  windowStartsOf,
  windowStartsOfAll,
} from './passage-document';
import { rewriteOf } from './passage-index';

const message = (seq: number, patch: Partial<ConversationMessage> = {}): ConversationMessage => ({
  tenantId: 'acme',
  conversationId: 'c1',
  messageId: `m${seq}`,
  seq,
  userId: seq % 2 === 1 ? 'u-1' : 'bot',
  role: seq % 2 === 1 ? 'user' : 'assistant',
  content: `message ${seq}`,
  createdAt: new Date(Date.UTC(2026, 4, 1, 10, seq)).toISOString(),
  ...patch,
});

describe(windowStartsOf.name, () => {
  it.each([
    [1, [1]],
    [2, [1]],
    [3, [1, 3]],
    [4, [1, 3]],
    [5, [3, 5]],
    [10, [7, 9]],
  ])('puts seq %i in the windows starting at %j', (seq, starts) => {
    expect(windowStartsOf(seq)).toEqual(starts);
  });

  it('gives every window of a set of seqs once, ascending', () => {
    expect(windowStartsOfAll([6, 5, 4])).toEqual([1, 3, 5]);
  });
});

describe(PassageStream.name, () => {
  const at = new Date('2026-05-02T00:00:00.000Z');
  const windows = (passages: Array<{ conversationId: string; window: number; seqTo: number }>) =>
    passages.map((p) => `${p.conversationId}@${p.window}-${p.seqTo}`);

  it('gives the same passages as toPassage per window, each once a later seq closes it', () => {
    const stream = new PassageStream(at);
    const messages = [1, 2, 3, 4, 5, 6].map((seq) => message(seq));
    const out = messages.flatMap((m) => stream.push(m));
    expect(windows(out)).toEqual(['c1@1-4']);
    const rest = stream.end();
    expect(windows(rest)).toEqual(['c1@3-6', 'c1@5-6']);
    expect(out[0]).toEqual(toPassage('acme', 'c1', 1, messages, at));
  });

  it('closes a conversation when the next one starts, and skips windows nothing holds', () => {
    const stream = new PassageStream(at);
    const out = [
      message(9),
      message(10),
      message(1, { conversationId: 'c2' }),
      message(2, { conversationId: 'c2' }),
    ].flatMap((m) => stream.push(m));
    expect(windows([...out, ...stream.end()])).toEqual(['c1@7-10', 'c1@9-10', 'c2@1-2']);
  });
});

describe(rewriteOf.name, () => {
  const passage = toPassage('acme', 'c1', 1, [message(1), message(2)])!;
  const held = {
    textHash: passage.textHash,
    messageIds: passage.messageIds,
    seqFrom: passage.seqFrom,
    seqTo: passage.seqTo,
  };

  it('leaves a passage whose text and messages the index holds', () => {
    expect(rewriteOf(passage, held)).toBe('unchanged');
  });

  it('keeps the vector of the same text over other messages', () => {
    expect(rewriteOf(passage, { ...held, messageIds: ['x', 'y'] })).toBe('refresh');
  });

  it('writes a new or changed text whole', () => {
    expect(rewriteOf(passage, undefined)).toBe('write');
    expect(rewriteOf(passage, { ...held, textHash: 'other' })).toBe('write');
  });
});
