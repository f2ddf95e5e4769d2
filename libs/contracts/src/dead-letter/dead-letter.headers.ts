/**
 * Headers a dead-lettered record carries on its dead-letter topic, next to its original key,
 * value bytes and headers. `dlq.note` appears only on a letter that had to be cut to fit the
 * broker's size limit and says what was dropped (original headers, the tail of the value).
 */
export const DLQ_HEADERS = {
  sourceTopic: 'dlq.source.topic',
  sourcePartition: 'dlq.source.partition',
  sourceOffset: 'dlq.source.offset',
  errorCode: 'dlq.error.code',
  errorReason: 'dlq.error.reason',
  failedAt: 'dlq.failed.at',
  note: 'dlq.note',
} as const;
