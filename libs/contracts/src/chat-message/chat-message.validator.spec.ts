import { CONTENT_MAX_BYTES } from './chat-message.schema';
import { decodeChatMessage, validateChatMessage } from './chat-message.validator';

const valid = {
  schema: 'chat.message.v1',
  messageId: 'msg-1',
  tenantId: 'acme',
  conversationId: 'conv:42',
  userId: 'user@example.com',
  role: 'user',
  content: 'Héllo — let us meet on 12 May.',
  createdAt: '2026-05-01T10:00:00Z',
};

describe(decodeChatMessage.name, () => {
  const bytes = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');

  it('accepts a valid message', () => {
    const result = decodeChatMessage(bytes(valid));
    expect(result).toEqual({ ok: true, message: valid });
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(decodeChatMessage(Buffer.from([0x7b, 0xff]))).toMatchObject({
      ok: false,
      code: 'NOT_UTF8',
    });
  });

  it('refuses text that is not JSON', () => {
    expect(decodeChatMessage(Buffer.from('hello'))).toMatchObject({ ok: false, code: 'NOT_JSON' });
  });

  it('refuses a tombstone or an empty value', () => {
    expect(decodeChatMessage(null)).toMatchObject({ ok: false, code: 'EMPTY_VALUE' });
    expect(decodeChatMessage(Buffer.alloc(0))).toMatchObject({ ok: false, code: 'EMPTY_VALUE' });
  });

  it('refuses JSON that is not an object', () => {
    expect(decodeChatMessage(Buffer.from('[1,2]'))).toMatchObject({
      ok: false,
      code: 'NOT_AN_OBJECT',
    });
    expect(decodeChatMessage(Buffer.from('"text"'))).toMatchObject({
      ok: false,
      code: 'NOT_AN_OBJECT',
    });
  });

  it('checks the record key when one is given', () => {
    expect(decodeChatMessage(bytes(valid), Buffer.from('acme:conv:42'))).toMatchObject({
      ok: true,
    });
    expect(decodeChatMessage(bytes(valid), Buffer.from('acme:other'))).toMatchObject({
      ok: false,
      code: 'KEY_MISMATCH',
    });
    expect(decodeChatMessage(bytes(valid), null)).toMatchObject({
      ok: false,
      code: 'KEY_MISMATCH',
    });
  });

  it.each([
    ['CONTENT_TOO_LARGE', { content: 'x'.repeat(CONTENT_MAX_BYTES + 1) }],
    ['METADATA_TOO_LARGE', { metadata: { blob: 'x'.repeat(9000) } }],
    ['CREATED_AT_IN_FUTURE', { createdAt: '2999-01-01T00:00:00Z' }],
    ['UNKNOWN_SCHEMA', { schema: 'chat.message.v2' }],
    ['INVALID_FIELDS', { role: 'robot' }],
  ])('gives the code %s', (code, patch) => {
    expect(validateChatMessage({ ...valid, ...patch })).toMatchObject({ ok: false, code });
  });

  it.each([
    ['role', { role: 'robot' }],
    ['messageId', { messageId: 'has space' }],
    ['tenantId', { tenantId: 'x'.repeat(129) }],
    ['content', { content: 'x'.repeat(CONTENT_MAX_BYTES + 1) }],
    ['createdAt', { createdAt: 'yesterday' }],
    ['createdAt', { createdAt: '2999-01-01T00:00:00Z' }],
    ['metadata', { metadata: { blob: 'x'.repeat(9000) } }],
    ['schema', { schema: 'chat.message.v2' }],
    ['(root)', { extra: true }],
  ])('names the field %s when it is wrong', (field, patch) => {
    const result = validateChatMessage({ ...valid, ...patch });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.fieldErrors.map((e) => e.field)).toContain(field);
    }
  });

  it('counts the content limit in UTF-8 bytes, not characters', () => {
    const threeByteChars = '€'.repeat(Math.floor(CONTENT_MAX_BYTES / 3) + 1);
    expect(validateChatMessage({ ...valid, content: threeByteChars }).ok).toBe(false);
  });
});
