import { backoffDelay } from '@memory/config';

/**
 * kafkajs errors that say no broker answered, or the one asked is handing over its groups:
 * what a broker restart looks like from a client. kafkajs gives up on some of them for good,
 * though the broker is back seconds later: a consumer that joins its group while the
 * coordinator shuts down crashes with `KafkaJSGroupCoordinatorNotFound` and no restart.
 */
const BROKER_AWAY = new Set([
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSBrokerNotFound',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
]);

/**
 * Whether `error`, or an error it was caused by, is the broker being away or busy with a
 * handover (kafkajs marks those `retriable`), rather than a request the cluster refuses
 * (authorization, a missing topic) that no wait would change.
 */
export function brokerAway(error: unknown): boolean {
  let cause: unknown = error;
  for (let depth = 0; cause instanceof Error && depth < 8; depth++) {
    if (BROKER_AWAY.has(cause.name)) return true;
    if ((cause as { retriable?: unknown }).retriable === true) return true;
    cause = cause.cause;
  }
  return false;
}

/**
 * Waits between attempts at reaching a broker that is away: 1 s doubling to 30 s. Eight
 * attempts after the first span about two minutes, longer than a broker restart or a
 * controller election takes; past that, the error is the operator's to see.
 */
export const BROKER_AWAY_RETRIES = 8;
export const brokerAwayDelay = (attempt: number): number =>
  backoffDelay(attempt, { baseMs: 1_000, maxMs: 30_000 });

export interface BrokerAwayRetry {
  /** Called before each wait, with the error and the retry about to be made (1-based). */
  onRetry: (error: unknown, retry: number, delayMs: number) => void;
  /** Retries left out when the caller has already spent some (a consumer rejoining). */
  retries?: number;
  delay?: (retry: number) => number;
  /** Stops waiting (the service is shutting down): the last error is thrown. */
  cancelled?: () => boolean;
}

/**
 * Runs `step` until it succeeds, retrying only while {@link brokerAway} says the broker is
 * away, up to {@link BROKER_AWAY_RETRIES} times; any other error, or the last one, is thrown.
 */
export async function whileBrokerAway<T>(
  step: () => Promise<T>,
  { onRetry, retries = BROKER_AWAY_RETRIES, delay = brokerAwayDelay, cancelled }: BrokerAwayRetry,
): Promise<T> {
  for (let retry = 1; ; retry++) {
    try {
      return await step();
    } catch (error) {
      if (!brokerAway(error) || retry > retries || cancelled?.()) throw error;
      const delayMs = delay(retry);
      onRetry(error, retry, delayMs);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
