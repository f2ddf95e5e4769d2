import { classifyFailure, oneLine, PermanentRecordError } from './failure';

const pg = (code: string): Error =>
  Object.assign(new Error(`pg ${code}`), { code, severity: 'ERROR', routine: 'x' });

describe(classifyFailure.name, () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })],
    ['a reset connection', Object.assign(new Error('reset'), { code: 'ECONNRESET' })],
    ['a serialization failure', pg('40001')],
    ['a deadlock', pg('40P01')],
    ['too many connections', pg('53300')],
    ['an administrator shutdown', pg('57P01')],
    ['a connection failure', pg('08006')],
    ['a concurrent duplicate key', pg('23505')],
    ['a dropped pg connection', new Error('Connection terminated unexpectedly')],
    ['a pg pool timeout', new Error('timeout exceeded when trying to connect')],
    ['OpenSearch overloaded', Object.assign(new Error('x'), { meta: { statusCode: 429 } })],
    ['OpenSearch down', Object.assign(new Error('x'), { meta: { statusCode: 503 } })],
    ['an OpenSearch connection error', Object.assign(new Error('x'), { name: 'ConnectionError' })],
    ['a cluster block', new Error('cluster_block_exception: index read-only')],
    ['an LLM rate limit', Object.assign(new Error('x'), { status: 429 })],
    ['a broker not available', Object.assign(new Error('x'), { name: 'KafkaJSConnectionError' })],
  ])('%s is transient', (_name, error) => {
    expect(classifyFailure(error).kind).toBe('transient');
  });

  it.each([
    ['U+0000 in text', pg('22P05'), 'DB_DATA_EXCEPTION'],
    ['a date out of range', pg('22008'), 'DB_DATA_EXCEPTION'],
    ['a check constraint', pg('23514'), 'DB_CONSTRAINT_VIOLATION'],
    ['a row too big for an index', pg('54000'), 'DB_LIMIT_EXCEEDED'],
    [
      'a TypeORM QueryFailedError',
      Object.assign(new Error('q'), {
        name: 'QueryFailedError',
        driverError: { code: '22021' },
        code: '22021',
      }),
      'DB_DATA_EXCEPTION',
    ],
    [
      'a record the broker refuses for its size',
      Object.assign(new Error('x'), { name: 'KafkaJSProtocolError', type: 'MESSAGE_TOO_LARGE' }),
      'RECORD_TOO_LARGE',
    ],
    [
      'a handler that names the record',
      new PermanentRecordError('INDEX_REJECTED', 'no'),
      'INDEX_REJECTED',
    ],
  ])('%s is permanent', (_name, error, code) => {
    expect(classifyFailure(error)).toMatchObject({ kind: 'permanent', code });
  });

  it.each([
    ['a TypeError', new TypeError('x is undefined')],
    ['an unclassified SQLSTATE', pg('42P01')],
    ['a string', 'boom'],
    ['nothing', undefined],
  ])('%s is unknown', (_name, error) => {
    expect(classifyFailure(error)).toMatchObject({ kind: 'unknown', code: 'HANDLER_FAILED' });
  });

  it('looks at the cause of a wrapping error', () => {
    const error = new Error('write failed', {
      cause: Object.assign(new Error('c'), { code: 'ECONNRESET' }),
    });
    expect(classifyFailure(error).kind).toBe('transient');
  });
});

describe(oneLine.name, () => {
  it('keeps a reason on one bounded line', () => {
    const line = oneLine(new Error(`a\n\nb ${'x'.repeat(2000)}`), 100);
    expect(line).not.toContain('\n');
    expect(line.length).toBe(100);
  });
});
