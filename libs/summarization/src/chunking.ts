import { SummaryInputMessage } from './summarizer-backend';

/** Characters a message takes in a fold (content plus a little framing). */
export function messageChars(message: SummaryInputMessage): number {
  return message.content.length + message.role.length + message.userId.length + 16;
}

/**
 * Splits a backlog, in seq order, into consecutive chunks of at most `maxChars` each (a single
 * message larger than the budget is cut to it), so each fold's input stays bounded however
 * long the backlog is.
 */
export function chunkMessages(
  messages: readonly SummaryInputMessage[],
  maxChars: number,
): SummaryInputMessage[][] {
  const chunks: SummaryInputMessage[][] = [];
  let current: SummaryInputMessage[] = [];
  let size = 0;
  for (const original of messages) {
    let message = original;
    if (messageChars(message) > maxChars) {
      const room = Math.max(1, maxChars - (messageChars(message) - message.content.length));
      message = { ...message, content: message.content.slice(0, room) };
    }
    const chars = messageChars(message);
    if (current.length > 0 && size + chars > maxChars) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += chars;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
