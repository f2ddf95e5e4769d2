import { HANDLER_FAILURE_CODES } from '@memory/contracts';

/**
 * What a failed batch means for its records:
 * - `transient`: the world is in the way (a connection, a timeout, a busy engine); the same
 *   records will succeed later, so the batch is retried with backoff and never skipped;
 * - `permanent`: the records themselves are refused (bad data for Postgres, a document the index
 *   rejects, a record over a size limit); retrying cannot help, so the batch is split until the
 *   offending records are found, and exactly those are dead-lettered;
 * - `unknown`: neither is evident (a bug met by one record, an error no rule names); it is
 *   retried a few times, then split like a permanent one, but a record is dead-lettered for it
 *   only when other records of the same batch succeeded meanwhile: a failure every record meets
 *   is the system's, not a record's, and is retried as transient.
 */
export type FailureKind = 'transient' | 'permanent' | 'unknown';

export interface FailureClass {
  kind: FailureKind;
  /** The dead-letter reason code a record gets for it (stable, machine-readable). */
  code: string;
  /** One line, for the dead-letter reason header and logs. */
  reason: string;
}

/**
 * Thrown by a handler that knows which records are refused and why (an index item error, a
 * value over a limit): those records are dead-lettered with `code`, the others handled again.
 * Without `offsets` the consumer finds the records by splitting the batch.
 */
export class PermanentRecordError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Offsets (as strings) of the refused records, when the handler knows them. */
    readonly offsets?: readonly string[],
  ) {
    super(message);
    this.name = PermanentRecordError.name;
  }
}

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
]);

const TRANSIENT_ERROR_NAMES = new Set([
  // OpenSearch client
  'ConnectionError',
  'TimeoutError',
  'NoLivingConnectionsError',
  // openai
  'APIConnectionError',
  'APIConnectionTimeoutError',
  'RateLimitError',
  'InternalServerError',
  // typeorm, before a connection exists
  'CannotConnectAlreadyConnectedError',
  'ConnectionIsNotSetError',
  'QueryRunnerAlreadyReleasedError',
  // a fetch that was aborted by its own timeout
  'AbortError',
]);

/**
 * Failures known only by their message: node-postgres reports a dropped or timed-out connection
 * as a plain Error; OpenSearch reports a blocked or overloaded cluster in the body.
 */
const TRANSIENT_MESSAGES =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection is not established|Driver not Connected|socket hang up|other side closed|cluster_block_exception|no_shard_available|es_rejected_execution|circuit_breaking_exception/i;

/** Postgres SQLSTATE classes and codes that say "try again" (serialization, resources, shutdown). */
function postgresTransient(code: string): boolean {
  return (
    code === '40001' ||
    code === '40P01' ||
    code === '23505' || // a concurrent duplicate: the retry finds the row and skips it
    code === '55P03' || // lock not available
    code === '57014' || // query cancelled (statement timeout)
    code.startsWith('53') ||
    code.startsWith('57P') ||
    code.startsWith('08') ||
    code.startsWith('58')
  );
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

/** Sorts a handler's error into transient, permanent or unknown (see {@link FailureKind}). */
export function classifyFailure(error: unknown): FailureClass {
  const reason = oneLine(error);
  if (error instanceof PermanentRecordError) return { kind: 'permanent', code: error.code, reason };
  if (!isObject(error)) return { kind: 'unknown', code: HANDLER_FAILURE_CODES.unknown, reason };

  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code && TRANSIENT_NETWORK_CODES.has(code)) return transient(reason);

  // Postgres (node-postgres DatabaseError, also wrapped by TypeORM's QueryFailedError).
  const sqlstate = code ?? (isObject(error.driverError) ? error.driverError.code : undefined);
  if (typeof sqlstate === 'string' && SQLSTATE.test(sqlstate) && isPostgresError(error)) {
    if (postgresTransient(sqlstate)) return transient(reason);
    if (sqlstate.startsWith('22'))
      return { kind: 'permanent', code: HANDLER_FAILURE_CODES.dataException, reason };
    if (sqlstate.startsWith('23'))
      return { kind: 'permanent', code: HANDLER_FAILURE_CODES.constraint, reason };
    if (sqlstate.startsWith('54'))
      return { kind: 'permanent', code: HANDLER_FAILURE_CODES.limit, reason };
    return { kind: 'unknown', code: HANDLER_FAILURE_CODES.unknown, reason };
  }

  // kafkajs: its own retriable flag; a record the broker refuses for its size is the record's.
  if (typeof error.name === 'string' && error.name.startsWith('KafkaJS')) {
    if (error.type === 'MESSAGE_TOO_LARGE' || error.type === 'RECORD_LIST_TOO_LARGE')
      return { kind: 'permanent', code: HANDLER_FAILURE_CODES.tooLarge, reason };
    // Anything else from the client is the broker's trouble (not available, rebalancing, a
    // timeout, a request the client gave up retrying): the records wait for it.
    return transient(reason);
  }

  // HTTP-speaking clients (OpenSearch, the OpenAI-compatible backend): 408, 429 and 5xx wait.
  const status = statusOf(error);
  if (status !== undefined && (status === 408 || status === 429 || status >= 500))
    return transient(reason);
  if (typeof error.name === 'string' && TRANSIENT_ERROR_NAMES.has(error.name))
    return transient(reason);
  if (TRANSIENT_MESSAGES.test(reason)) return transient(reason);
  if (isObject(error.cause)) {
    const cause = classifyFailure(error.cause);
    if (cause.kind !== 'unknown') return { ...cause, reason };
  }
  return { kind: 'unknown', code: HANDLER_FAILURE_CODES.unknown, reason };
}

function transient(reason: string): FailureClass {
  return { kind: 'transient', code: 'TRANSIENT', reason };
}

function isPostgresError(error: Record<string, unknown>): boolean {
  // DatabaseError carries severity and a routine; QueryFailedError wraps it as driverError.
  return (
    typeof error.severity === 'string' ||
    typeof error.routine === 'string' ||
    error.name === 'QueryFailedError' ||
    isObject(error.driverError)
  );
}

function statusOf(error: Record<string, unknown>): number | undefined {
  if (typeof error.status === 'number') return error.status;
  if (typeof error.statusCode === 'number') return error.statusCode;
  if (isObject(error.meta) && typeof error.meta.statusCode === 'number')
    return error.meta.statusCode;
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object';
}

/** The error as one bounded line (dead-letter headers and log lines must stay small). */
export function oneLine(error: unknown, max = 500): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
