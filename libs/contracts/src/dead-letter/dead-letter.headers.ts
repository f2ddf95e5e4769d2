/**
 * Headers a dead-lettered record carries on `chat.messages.dlq.v1`, next to its original key,
 * value bytes and headers.
 */
export const DLQ_HEADERS = {
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  errorCode: 'dlq.error.code',
  errorReason: 'dlq.error.reason',
  failedAt: 'dlq.failed.at',
} as const;
