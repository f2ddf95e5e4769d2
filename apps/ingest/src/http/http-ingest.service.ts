import {
  ChatMessage,
  ChatMessageErrorCode,
  conversationKey,
  FieldError,
  OVERSIZE_CODES,
  TOPICS,
  validateChatMessage,
} from '@memory/contracts';
import { KafkaProducerService } from '@memory/kafka';
import { ConversationRepository } from '@memory/persistence';
import { Injectable } from '@nestjs/common';
import { propagation, context } from '@opentelemetry/api';

export const MAX_MESSAGES_PER_REQUEST = 500;

export interface MessageError extends Omit<FieldError, 'code'> {
  /** Position of the message in the request's `messages` (0 for a single message). */
  index: number;
  code: ChatMessageErrorCode | 'TENANT_MISMATCH' | 'USER_MISMATCH';
}

export type SubmitResult =
  | { ok: true; accepted: number; messageIds: string[] }
  | { ok: false; oversize: boolean; errors: MessageError[] };

/**
 * The HTTP way in for clients that do not speak Kafka: the same contract as the topic, then
 * produced to `chat.messages.v1`, so these messages take exactly the Kafka path from there.
 */
@Injectable()
export class HttpIngestService {
  constructor(
    private readonly producer: KafkaProducerService,
    private readonly conversations: ConversationRepository,
  ) {}

  /**
   * Validates all messages (the key's tenant fills a missing tenantId) and produces them
   * together. With `userId` (a credential bound to one user) every message must be that user's,
   * in a conversation that is not another user's.
   */
  async submit(
    tenantId: string,
    inputs: readonly unknown[],
    userId?: string,
  ): Promise<SubmitResult> {
    const messages: ChatMessage[] = [];
    const errors: MessageError[] = [];
    inputs.forEach((input, index) => {
      const candidate =
        isObject(input) && input.tenantId === undefined ? { ...input, tenantId } : input;
      const result = validateChatMessage(candidate);
      if (!result.ok) {
        const fieldErrors: FieldError[] =
          result.fieldErrors.length > 0
            ? result.fieldErrors
            : [{ field: '(root)', code: result.code, message: result.reason }];
        errors.push(...fieldErrors.map((error) => ({ index, ...error })));
      } else if (result.message.tenantId !== tenantId) {
        errors.push({
          index,
          code: 'TENANT_MISMATCH',
          field: 'tenantId',
          message: "must be the API key's tenant",
        });
      } else if (userId !== undefined && result.message.userId !== userId) {
        errors.push({
          index,
          code: 'USER_MISMATCH',
          field: 'userId',
          message: "must be the credential's user",
        });
      } else {
        messages.push(result.message);
      }
    });
    if (userId !== undefined && errors.length === 0)
      errors.push(...(await this.othersConversations(tenantId, userId, messages)));
    if (errors.length > 0) {
      return {
        ok: false,
        oversize: errors.some((error) => OVERSIZE_CODES.has(error.code as ChatMessageErrorCode)),
        errors,
      };
    }

    const headers: Record<string, string> = {};
    propagation.inject(context.active(), headers);
    await this.producer.send(
      TOPICS.chatMessages,
      messages.map((message) => ({
        key: conversationKey(message.tenantId, message.conversationId),
        value: JSON.stringify(message),
        headers,
      })),
    );
    return {
      ok: true,
      accepted: messages.length,
      messageIds: messages.map((message) => message.messageId),
    };
  }

  /** Errors for messages in conversations another user owns (for a user-bound credential). */
  private async othersConversations(
    tenantId: string,
    userId: string,
    messages: readonly ChatMessage[],
  ): Promise<MessageError[]> {
    const owners = new Map<string, string | undefined>();
    for (const { conversationId } of messages)
      if (!owners.has(conversationId))
        owners.set(
          conversationId,
          (await this.conversations.find(tenantId, conversationId))?.userId,
        );
    return messages.flatMap((message, index) => {
      const owner = owners.get(message.conversationId);
      return owner !== undefined && owner !== userId
        ? [
            {
              index,
              code: 'USER_MISMATCH' as const,
              field: 'conversationId',
              message: "must be a conversation of the credential's user",
            },
          ]
        : [];
    });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
