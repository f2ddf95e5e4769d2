import { TOMBSTONE_HEADERS } from '@memory/contracts';
import { KafkaMessage } from 'kafkajs';
import { decodeSummaryRecord } from './summary-record';
import { summaryFixture } from './summary.fixture';

function record(
  key: string | null,
  value: string | Buffer | null,
  headers: KafkaMessage['headers'] = {},
): KafkaMessage {
  return {
    key: key === null ? null : Buffer.from(key),
    value: typeof value === 'string' ? Buffer.from(value) : value,
    headers: headers ?? {},
    timestamp: '0',
    attributes: 0,
    offset: '7',
  };
}

describe(decodeSummaryRecord.name, () => {
  it('reads a summary keyed by its conversation', () => {
    const summary = summaryFixture({ conversationId: 'conv:with:colons' });
    expect(decodeSummaryRecord(record('acme:conv:with:colons', JSON.stringify(summary)))).toEqual({
      kind: 'summary',
      summary,
    });
  });

  it.each<[string, string | Buffer, string]>([
    ['an empty value', '', 'NOT_JSON'],
    ['a value that is not UTF-8', Buffer.from([0xff, 0xfe, 0x7b]), 'NOT_JSON'],
    ['a value that is not JSON', '{"schema":', 'NOT_JSON'],
    [
      'a value of another schema',
      JSON.stringify({ schema: 'memory.message.v1' }),
      'INVALID_FIELDS',
    ],
    [
      'a summary with an unknown tier',
      JSON.stringify({ ...summaryFixture(), tier: 'tiny' }),
      'INVALID_FIELDS',
    ],
    ['a summary under the wrong key', JSON.stringify(summaryFixture()), 'KEY_MISMATCH'],
  ])('refuses %s', (_name, value, code) => {
    expect(decodeSummaryRecord(record('acme:conv-2', value))).toMatchObject({
      kind: 'invalid',
      code,
    });
  });

  it('refuses a summary without a key', () => {
    expect(decodeSummaryRecord(record(null, JSON.stringify(summaryFixture())))).toMatchObject({
      kind: 'invalid',
      code: 'KEY_MISMATCH',
    });
  });

  describe('tombstones', () => {
    const headers = (tenantId: string, conversationId: string) => ({
      [TOMBSTONE_HEADERS.tenantId]: Buffer.from(tenantId),
      [TOMBSTONE_HEADERS.conversationId]: conversationId,
    });

    it('name their conversation in headers, even with colons in the ids', () => {
      expect(decodeSummaryRecord(record('a:b:c', null, headers('a:b', 'c')))).toEqual({
        kind: 'tombstone',
        tenantId: 'a:b',
        conversationId: 'c',
      });
      expect(decodeSummaryRecord(record('a:b:c', null, headers('a', 'b:c')))).toEqual({
        kind: 'tombstone',
        tenantId: 'a',
        conversationId: 'b:c',
      });
    });

    it('without headers, are split at the first colon of the key (a tenant id has none)', () => {
      expect(decodeSummaryRecord(record('acme:conv:1', null))).toEqual({
        kind: 'tombstone',
        tenantId: 'acme',
        conversationId: 'conv:1',
      });
    });

    it.each<[string, string | null, KafkaMessage['headers']]>([
      ['a key with an empty tenant id', ':conv-1', {}],
      ['a key without a colon', 'acme', {}],
      ['an empty conversation id', 'acme:', {}],
      ['no key', null, {}],
      ['headers that do not give the key', 'acme:conv-1', headers('acme', 'conv-2')],
      ['only one header', 'acme:conv-1', { [TOMBSTONE_HEADERS.tenantId]: 'acme' }],
      [
        'a repeated header',
        'acme:conv-1',
        { ...headers('acme', 'conv-1'), [TOMBSTONE_HEADERS.tenantId]: ['acme', 'acme'] },
      ],
    ])('are refused with %s', (_name, key, tombstoneHeaders) => {
      expect(decodeSummaryRecord(record(key, null, tombstoneHeaders))).toMatchObject({
        kind: 'invalid',
        code: 'KEY_MISMATCH',
      });
    });
  });
});
