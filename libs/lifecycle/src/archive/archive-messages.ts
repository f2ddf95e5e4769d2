import { ArchivedMessage } from './archive-format';
import { MESSAGE_KEYS } from './archive-fields';
import { canonicalJson } from './archive-json';

// Lists of archived messages: their canonical text, their order, and merging two of them.

/** One message as canonical JSON: fields in {@link MESSAGE_FIELDS} order, metadata sorted. */
export function canonicalMessageJson(message: ArchivedMessage): string {
  const fields = MESSAGE_KEYS.map((key) => `${JSON.stringify(key)}:${canonicalJson(message[key])}`);
  return `{${fields.join(',')}}`;
}

export function sortBySeq(messages: ArchivedMessage[]): ArchivedMessage[] {
  return [...messages].sort((a, b) => a.seq - b.seq);
}

/**
 * Deterministic JSON of messages: sorted by seq, fields in the fixed order of
 * {@link ArchivedMessage}, metadata keys sorted recursively. The manifest's `contentSha256` is
 * the hash of this text, so it depends on what the messages say, not on how they were ordered
 * or which process wrote them.
 */
export function canonicalMessagesJson(messages: ArchivedMessage[]): string {
  return `[${sortBySeq(messages).map(canonicalMessageJson).join(',')}]`;
}

/** The fields whose change would make a message say something else. */
const MESSAGE_IDENTITY: readonly (keyof ArchivedMessage)[] = [
  'messageId',
  'userId',
  'role',
  'content',
];

/**
 * Union of two lists of messages by seq, sorted by seq, for rewriting an archive with newly
 * archived messages. A seq in both lists must be the same message (same messageId, author,
 * role and content), and a messageId must keep its seq; otherwise this throws, as an archive
 * must never silently change a message. For a message in both, the existing copy is kept (a
 * replayed message may differ only in `ingestedAt` or metadata).
 */
export function mergeMessages(
  existing: ArchivedMessage[],
  added: ArchivedMessage[],
): ArchivedMessage[] {
  const bySeq = new Map<number, ArchivedMessage>();
  const seqByMessageId = new Map<string, number>();
  for (const message of [...existing, ...added]) {
    const kept = bySeq.get(message.seq);
    if (kept !== undefined) {
      assertSameMessage(kept, message);
      continue;
    }
    const otherSeq = seqByMessageId.get(message.messageId);
    if (otherSeq !== undefined) {
      throw new Error(
        `cannot merge archived messages: messageId '${message.messageId}' ` +
          `is at seq ${otherSeq} and at seq ${message.seq}`,
      );
    }
    bySeq.set(message.seq, message);
    seqByMessageId.set(message.messageId, message.seq);
  }
  return sortBySeq([...bySeq.values()]);
}

function assertSameMessage(kept: ArchivedMessage, other: ArchivedMessage): void {
  const differing = MESSAGE_IDENTITY.filter((field) => kept[field] !== other[field]);
  if (differing.length > 0) {
    throw new Error(
      `cannot merge archived messages: seq ${kept.seq} is message '${kept.messageId}' in one ` +
        `list and '${other.messageId}' in the other, differing in ${differing.join(', ')}`,
    );
  }
}
