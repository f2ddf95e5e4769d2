// The baseline: ingest as one would write it first, one message at a time. kafkajs
// eachMessage; JSON.parse plus field checks; per message its own transaction: a duplicate
// probe, the conversation counter bumped under its row lock to get the next seq, one INSERT;
// then the offset of that one message committed. Same schema and the same guarantees as the
// real pipeline (idempotent, gap-free seq in order, offset after commit), except that it
// publishes nothing to memory.messages.v1 (that would feed a second copy of the slice to the
// summarizer), so it does strictly less work than the pipeline.
// Its SQL stays here, over its own pg.Client, rather than in the tables' owners: it is the
// design the product is measured against, so its cost is the figure (test/sql-owners.spec.ts
// exempts this one file).
import type { Kafka, KafkaMessage } from 'kafkajs';
import pg from 'pg';

const ROLES = new Set(['user', 'assistant', 'system', 'tool']);
const ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]*$/;

/** A chat.message.v1 value, as far as the baseline checks it. */
interface ChatMessage {
  messageId: string;
  tenantId: string;
  conversationId: string;
  userId: string;
  role: string;
  content: string;
  createdAt: string;
  metadata?: unknown;
}

/** The parsed value, or undefined for a record that is not a valid chat message. */
function validate(message: KafkaMessage): ChatMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message.value?.toString('utf8') ?? '');
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const value = parsed as Record<string, unknown>;
  const ok =
    value.schema === 'chat.message.v1' &&
    ['messageId', 'tenantId', 'conversationId', 'userId'].every((field) => {
      const id = value[field];
      return typeof id === 'string' && ID.test(id);
    }) &&
    ROLES.has(value.role as string) &&
    typeof value.content === 'string' &&
    !Number.isNaN(Date.parse(value.createdAt as string)) &&
    message.key?.toString('utf8') === `${String(value.tenantId)}:${String(value.conversationId)}`;
  return ok ? (value as unknown as ChatMessage) : undefined;
}

async function storeOne(client: pg.Client, m: ChatMessage): Promise<void> {
  await client.query('BEGIN');
  try {
    const seen = await client.query(
      'SELECT 1 FROM messages WHERE tenant_id = $1 AND message_id = $2',
      [m.tenantId, m.messageId],
    );
    if (seen.rowCount === 0) {
      const counter = await client.query<{ last_seq: number }>(
        `INSERT INTO conversations AS c
           (tenant_id, conversation_id, user_id, message_count, last_seq, first_message_at, last_message_at)
         VALUES ($1, $2, $3, 1, 1, $4, $4)
         ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
           message_count = c.message_count + 1,
           last_seq = c.last_seq + 1,
           last_message_at = GREATEST(c.last_message_at, EXCLUDED.last_message_at),
           updated_at = now()
         RETURNING last_seq`,
        [m.tenantId, m.conversationId, m.userId, m.createdAt],
      );
      await client.query(
        `INSERT INTO messages
           (tenant_id, message_id, conversation_id, seq, user_id, role, content, metadata, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          m.tenantId,
          m.messageId,
          m.conversationId,
          counter.rows[0].last_seq,
          m.userId,
          m.role,
          m.content,
          m.metadata === undefined ? null : JSON.stringify(m.metadata),
          m.createdAt,
        ],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * Consumes `limit` records of `topic` with group `groupId` (its offsets already set) into the
 * database at `databaseUrl`. Resolves { messages, skipped, firstAt, lastAt }: records handled,
 * of which not valid (skipped), and the ms epoch of the first record's start and of the last
 * record's offset commit.
 */
export async function runNaiveIngest({
  kafka,
  topic,
  groupId,
  databaseUrl,
  limit,
  onProgress,
}: {
  kafka: Kafka;
  topic: string;
  groupId: string;
  databaseUrl: string;
  limit: number;
  onProgress?: (processed: number) => void;
}): Promise<{ messages: number; skipped: number; firstAt: number; lastAt: number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let processed = 0;
  let skipped = 0;
  let firstAt = 0;
  let lastAt = 0;
  let finish: () => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (processed >= limit) return;
        try {
          if (firstAt === 0) firstAt = Date.now();
          const value = validate(message);
          // a bad record (only someone else's: the bench's are valid) is skipped, not stored
          if (value === undefined) skipped++;
          else await storeOne(client, value);
          await consumer.commitOffsets([
            { topic, partition, offset: (BigInt(message.offset) + 1n).toString() },
          ]);
          processed++;
          onProgress?.(processed);
          if (processed === limit) {
            lastAt = Date.now();
            finish();
          }
        } catch (error) {
          fail(error);
          throw error;
        }
      },
    });
    await finished;
    return { messages: processed, skipped, firstAt, lastAt };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
