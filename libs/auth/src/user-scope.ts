import { ConversationRepository } from '@memory/persistence';
import { ForbiddenException, Injectable, NotFoundException } from '@nestjs/common';
import type { ApiKeyIdentity } from './api-key.store';

export const USER_MISMATCH = 'USER_MISMATCH';

/**
 * The user a call is limited to. A credential bound to a user (a user's API key or token) is
 * limited to that user whatever the request names: naming another user is refused (403
 * USER_MISMATCH, with the field), naming none means that user. Other credentials: the request's.
 */
export function userOfCall(
  caller: ApiKeyIdentity,
  requested: string | undefined,
  field = 'userId',
): string | undefined {
  if (caller.userId === undefined) return requested;
  if (requested !== undefined && requested !== caller.userId) {
    const message = `this credential is limited to its own user; ${field} names another`;
    throw new ForbiddenException({
      message,
      code: USER_MISMATCH,
      errors: [{ field, code: USER_MISMATCH, message }],
    });
  }
  return caller.userId;
}

/**
 * Checks a conversation against a user-bound credential: one that is not the user's is answered
 * as if it did not exist (404), so a user's credential cannot even learn which conversation ids
 * others have. Credentials bound to no user pass.
 */
@Injectable()
export class UserAccess {
  constructor(private readonly conversations: ConversationRepository) {}

  async assertConversation(
    caller: ApiKeyIdentity,
    conversationId: string,
    notFound: string | { message: string } = `no conversation "${conversationId}"`,
  ): Promise<void> {
    if (caller.userId === undefined) return;
    const conversation = await this.conversations.find(caller.tenantId, conversationId);
    if (conversation?.userId !== caller.userId) throw new NotFoundException(notFound);
  }
}

/**
 * A request body with `userId` set to the credential's user (see {@link userOfCall}); a body
 * that is not an object is returned as it is, for the validation to refuse.
 */
export function bodyForUser(caller: ApiKeyIdentity, body: unknown): unknown {
  if (
    caller.userId === undefined ||
    body === null ||
    typeof body !== 'object' ||
    Array.isArray(body)
  )
    return body;
  const requested = (body as { userId?: unknown }).userId;
  userOfCall(caller, typeof requested === 'string' ? requested : undefined);
  return { ...(body as Record<string, unknown>), userId: caller.userId };
}
