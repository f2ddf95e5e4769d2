import { createHash } from 'node:crypto';

/**
 * How a conversation's raw messages are cut into passages: windows of `size` consecutive
 * messages by seq, a new window every `stride` messages, so consecutive windows overlap by
 * `size - stride` messages and every message (but the first `stride`) is in `size / stride`
 * windows. A window is fixed by its first seq: the same messages always make the same passage,
 * whichever record, replay or rebuild writes it, so writing passages is idempotent.
 *
 * Four messages are two exchanges: enough for a question and its answer to be found together,
 * short enough that a citation points at the turns that hold the answer. The overlap keeps an
 * exchange that straddles a window boundary whole in the next window. A message's text is cut
 * at `maxMessageChars` inside a passage (the message itself stays whole in Postgres, and the
 * passage cites it by id), so a passage stays within the embedding model's 512 tokens.
 */
export const PASSAGE_WINDOW = { size: 4, stride: 2, maxMessageChars: 1_000 } as const;

/** A stored message as a passage needs it. */
export interface PassageMessage {
  messageId: string;
  seq: number;
  userId: string;
  role: string;
  content: string;
  createdAt: string;
}

/** One window of a conversation's raw messages in the passages index. */
export interface PassageDocument {
  tenantId: string;
  conversationId: string;
  /** The users of the conversation whose messages the passage holds. */
  userIds: string[];
  /** The first seq of the window (the id's last part); `seqFrom` is the first seq it holds. */
  window: number;
  seqFrom: number;
  seqTo: number;
  /** Ids of the messages, in seq order. */
  messageIds: string[];
  /** Who spoke, in order of first appearance: the user id for a user's message, else the role. */
  speakers: string[];
  /** createdAt of the first and the last message. */
  firstAt: string;
  lastAt: string;
  /** One line per message: `speaker: content`. */
  text: string;
  /** sha256 of `text`: a rewrite of the same text keeps the vector it has. */
  textHash: string;
  /** Whether `embedding` holds the vector of `text`. */
  embedded: boolean;
  indexedAt: string;
  embedding?: number[];
}

/** The document id of a passage: `tenantId/conversationId/window` (ids cannot contain `/`). */
export function passageId(tenantId: string, conversationId: string, window: number): string {
  return `${tenantId}/${conversationId}/${window}`;
}

/** First seqs of the windows that hold `seq` (seqs start at 1). */
export function windowStartsOf(seq: number): number[] {
  const { size, stride } = PASSAGE_WINDOW;
  const starts: number[] = [];
  const last = Math.floor((seq - 1) / stride) * stride + 1;
  for (let start = last; start > 0 && start + size - 1 >= seq; start -= stride)
    starts.unshift(start);
  return starts;
}

/** The seq range of the window that starts at `start`. */
export function windowRange(start: number): { seqFrom: number; seqTo: number } {
  return { seqFrom: start, seqTo: start + PASSAGE_WINDOW.size - 1 };
}

/** Who a message's speaker is in a passage: its user for a user's message, else its role. */
export function speakerOf(message: Pick<PassageMessage, 'userId' | 'role'>): string {
  return message.role === 'user' ? message.userId : message.role;
}

/**
 * The passage of the window starting at `window` from the messages of it that Postgres holds
 * (some may be missing: archived while others are kept). Undefined when none is held.
 */
export function toPassage(
  tenantId: string,
  conversationId: string,
  window: number,
  messages: readonly PassageMessage[],
  indexedAt: Date = new Date(),
): PassageDocument | undefined {
  const { seqFrom, seqTo } = windowRange(window);
  const sorted = messages
    .filter((message) => message.seq >= seqFrom && message.seq <= seqTo)
    .sort((a, b) => a.seq - b.seq);
  const first = sorted[0];
  const last = sorted[sorted.length - 1];
  if (!first || !last) return undefined;
  const speakers = [...new Set(sorted.map(speakerOf))];
  const text = sorted
    .map((message) => `${speakerOf(message)}: ${clip(message.content)}`)
    .join('\n');
  return {
    tenantId,
    conversationId,
    userIds: [...new Set(sorted.map((message) => message.userId))],
    window,
    seqFrom: first.seq,
    seqTo: last.seq,
    messageIds: sorted.map((message) => message.messageId),
    speakers,
    firstAt: first.createdAt,
    lastAt: last.createdAt,
    text,
    textHash: createHash('sha256').update(text).digest('hex'),
    embedded: false,
    indexedAt: indexedAt.toISOString(),
  };
}

function clip(content: string): string {
  const { maxMessageChars } = PASSAGE_WINDOW;
  const flat = content.replace(/\s+/gu, ' ').trim();
  return flat.length <= maxMessageChars ? flat : `${flat.slice(0, maxMessageChars - 1)}…`;
}

/** First seqs of every window that holds one of `seqs`, ascending. */
export function windowStartsOfAll(seqs: Iterable<number>): number[] {
  const starts = new Set<number>();
  for (const seq of seqs) for (const start of windowStartsOf(seq)) starts.add(start);
  return [...starts].sort((a, b) => a - b);
}

/** A stored message of some conversation, as {@link PassageStream} reads it. */
export interface ConversationMessage extends PassageMessage {
  tenantId: string;
  conversationId: string;
}

/**
 * Cuts stored messages, read in (tenant, conversation, seq) order, into the passages of every
 * window that holds one of them. A window is given out once no later message can belong to it,
 * so at most two windows are held at a time, whatever the length of a conversation.
 */
export class PassageStream {
  private key: string | undefined;
  private ids = { tenantId: '', conversationId: '' };
  private readonly open = new Map<number, PassageMessage[]>();

  constructor(private readonly indexedAt: Date = new Date()) {}

  /** Adds the next message; returns the passages it completed. */
  push(message: ConversationMessage): PassageDocument[] {
    const key = JSON.stringify([message.tenantId, message.conversationId]);
    const done = key === this.key ? [] : this.end();
    this.key = key;
    this.ids = { tenantId: message.tenantId, conversationId: message.conversationId };
    for (const start of windowStartsOf(message.seq)) {
      const messages = this.open.get(start) ?? [];
      messages.push(message);
      this.open.set(start, messages);
    }
    for (const start of [...this.open.keys()].sort((a, b) => a - b))
      if (windowRange(start).seqTo < message.seq) done.push(...this.close(start));
    return done;
  }

  /** The passages of the windows still open (the end of the input). */
  end(): PassageDocument[] {
    const starts = [...this.open.keys()].sort((a, b) => a - b);
    return starts.flatMap((start) => this.close(start));
  }

  private close(start: number): PassageDocument[] {
    const messages = this.open.get(start) ?? [];
    this.open.delete(start);
    const { tenantId, conversationId } = this.ids;
    const passage = toPassage(tenantId, conversationId, start, messages, this.indexedAt);
    return passage ? [passage] : [];
  }
}

/**
 * The passages of `windows` of one conversation from the messages of it that are held (each
 * message goes to the windows that hold it; a window none of them is in gives no passage).
 */
export function passagesOfWindows(
  tenantId: string,
  conversationId: string,
  windows: readonly number[],
  messages: readonly PassageMessage[],
  indexedAt: Date = new Date(),
): PassageDocument[] {
  const byWindow = new Map<number, PassageMessage[]>();
  for (const message of messages)
    for (const start of windowStartsOf(message.seq))
      byWindow.set(start, [...(byWindow.get(start) ?? []), message]);
  return windows.flatMap((start) => {
    const passage = toPassage(
      tenantId,
      conversationId,
      start,
      byWindow.get(start) ?? [],
      indexedAt,
    );
    return passage ? [passage] : [];
  });
}
