import type * as client from '@memory/client';
import type { ChatMessage } from '@memory/contracts';
import type { MessagePage } from './message-query.service';

/** `true` when every A is a B: the checks below fail the typecheck when the two drift apart. */
type Fits<A, B> = [A] extends [B] ? true : false;

const checks: true[] = [
  // Every message the contract takes can be sent by the client, and the page read back.
  true satisfies Fits<ChatMessage, client.ChatMessageInput>,
  true satisfies Fits<Required<client.ChatMessageInput>, ChatMessage>,
  true satisfies Fits<MessagePage, client.MessagePage>,
];

describe('the client types (libs/client) against the ingest service', () => {
  it('are checked by the typecheck of this file', () => {
    expect(checks.every(Boolean)).toBe(true);
  });
});
