import { SummaryInputMessage } from './summarizer-backend';

/** Characters a message takes in a fold (content plus a little framing). */
export function messageChars(message: SummaryInputMessage): number {
  return message.content.length + message.role.length + message.userId.length + 16;
}

/**
 * Splits a backlog, in seq order, into consecutive chunks of at most `maxChars` each, so each
 * fold's input stays bounded however long the backlog is. A message larger than the budget is
 * split into parts (see {@link splitMessage}), never cut: its parts follow each other, each in
 * as few chunks as they fit.
 */
export function chunkMessages(
  messages: readonly SummaryInputMessage[],
  maxChars: number,
): SummaryInputMessage[][] {
  const chunks: SummaryInputMessage[][] = [];
  let current: SummaryInputMessage[] = [];
  let size = 0;
  for (const original of messages) {
    for (const message of splitMessage(original, maxChars)) {
      const chars = messageChars(message);
      if (current.length > 0 && size + chars > maxChars) {
        chunks.push(current);
        current = [];
        size = 0;
      }
      current.push(message);
      size += chars;
    }
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Whether a fold that ends with `message` ends inside a split message (more parts follow). */
export function endsInsideMessage(message: SummaryInputMessage): boolean {
  return message.part !== undefined && message.part.index < message.part.count;
}

/** Whether `message` completes a stored message (it is whole, or the last of its parts). */
export function completesMessage(message: SummaryInputMessage): boolean {
  return !endsInsideMessage(message);
}

/**
 * A message as parts that each fit `maxChars` with their framing, in order, numbered `part`
 * (1-based) of `count`; a message that fits is returned as it is. Parts end at the last
 * paragraph break, else line break, else sentence end, else space in the last fifth of the
 * room, else at the room (never inside a UTF-16 surrogate pair); joined, they give the content
 * back exactly.
 */
export function splitMessage(
  message: SummaryInputMessage,
  maxChars: number,
): SummaryInputMessage[] {
  if (messageChars(message) <= maxChars) return [message];
  const room = Math.max(2, maxChars - (messageChars(message) - message.content.length));
  const pieces: string[] = [];
  let rest = message.content;
  while (rest.length > room) {
    const end = cutPoint(rest, room);
    pieces.push(rest.slice(0, end));
    rest = rest.slice(end);
  }
  if (rest.length > 0) pieces.push(rest);
  return pieces.map((content, i) => ({
    ...message,
    content,
    part: { index: i + 1, count: pieces.length },
  }));
}

const BREAKS: readonly RegExp[] = [/\n\s*\n/g, /\n/g, /[.!?…]["')\]]?\s/g, /\s/g];

/** Where to end a part of `text` that may hold at most `room` characters (0 < end <= room). */
function cutPoint(text: string, room: number): number {
  const floor = Math.floor(room * 0.8);
  const window = text.slice(0, room + 1);
  for (const pattern of BREAKS) {
    let end = -1;
    for (const match of window.matchAll(pattern)) {
      const after = match.index + match[0].length;
      if (after <= room && after > floor) end = after;
    }
    if (end > 0) return end;
  }
  const code = text.charCodeAt(room - 1);
  // A high surrogate at the end would leave its pair's low half to the next part.
  return code >= 0xd800 && code <= 0xdbff ? room - 1 : room;
}
