/**
 * Reason codes of records a consumer dead-letters after its handler failed because of them
 * (any of the three dead-letter topics), next to the decoding codes of each topic.
 */
export const HANDLER_FAILURE_CODES = {
  dataException: 'DB_DATA_EXCEPTION',
  constraint: 'DB_CONSTRAINT_VIOLATION',
  limit: 'DB_LIMIT_EXCEEDED',
  tooLarge: 'RECORD_TOO_LARGE',
  indexRejected: 'INDEX_REJECTED',
  unknown: 'HANDLER_FAILED',
} as const;

export type HandlerFailureCode = (typeof HANDLER_FAILURE_CODES)[keyof typeof HANDLER_FAILURE_CODES];

export const HANDLER_FAILURE_MEANINGS: Record<HandlerFailureCode, string> = {
  DB_DATA_EXCEPTION:
    "Postgres refused the record's data (SQLSTATE class 22: a value out of range, bad text); found by splitting the batch",
  DB_CONSTRAINT_VIOLATION:
    'Postgres refused the record for a constraint (SQLSTATE class 23, other than the duplicate keys the consumer handles)',
  DB_LIMIT_EXCEEDED: 'Postgres refused the record for a size or depth limit (SQLSTATE class 54)',
  RECORD_TOO_LARGE:
    'the record, or what the consumer would produce from it, is over a size limit (the broker refused it as too large)',
  INDEX_REJECTED:
    'OpenSearch refused the document made from the record (an item error such as mapper_parsing_exception)',
  HANDLER_FAILED:
    'the handler kept failing on this record alone, for a reason no rule classifies, while other records of its batch succeeded (or for about two minutes); the reason header has the error',
};
