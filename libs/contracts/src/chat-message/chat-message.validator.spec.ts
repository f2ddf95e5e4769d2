import { CONTENT_MAX_BYTES } from './chat-message.schema';
import { decodeChatMessage, RECORD_MAX_BYTES, validateChatMessage } from './chat-message.validator';

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

  it("takes a schema registry's wire-format frame off (magic byte 0, 4-byte schema id)", () => {
    const framed = Buffer.concat([Buffer.from([0, 0, 0, 1, 44]), bytes(valid)]);
    expect(decodeChatMessage(framed, Buffer.from('acme:conv:42'))).toEqual({
      ok: true,
      message: valid,
    });
    // A frame around something else is judged as that something else.
    const notJson = Buffer.concat([Buffer.from([0, 0, 0, 0, 7]), Buffer.from('hello')]);
    expect(decodeChatMessage(notJson)).toMatchObject({ ok: false, code: 'NOT_JSON' });
  });

  it("unwraps Kafka Connect's JSON envelope, and only an envelope", () => {
    const envelope = { schema: { type: 'struct', fields: [], optional: false }, payload: valid };
    expect(decodeChatMessage(bytes(envelope))).toEqual({ ok: true, message: valid });
    expect(decodeChatMessage(bytes({ schema: null, payload: valid }))).toEqual({
      ok: true,
      message: valid,
    });
    // A third key, or a payload that is not an object: not an envelope, refused as it is.
    expect(decodeChatMessage(bytes({ ...envelope, extra: 1 }))).toMatchObject({
      ok: false,
      code: 'UNKNOWN_SCHEMA',
    });
    expect(decodeChatMessage(bytes({ schema: null, payload: 'text' }))).toMatchObject({
      ok: false,
      code: 'UNKNOWN_SCHEMA',
    });
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

describe('what no store accepts', () => {
  const valid = {
    schema: 'chat.message.v1',
    messageId: 'msg-1',
    tenantId: 'acme',
    conversationId: 'conv:42',
    userId: 'user-1',
    role: 'user',
    content: 'hello',
    createdAt: '2026-05-01T10:00:00Z',
  };
  const codeOf = (patch: Record<string, unknown>) => {
    const result = validateChatMessage({ ...valid, ...patch });
    return result.ok
      ? 'ok'
      : { code: result.code, fields: result.fieldErrors.map((e) => [e.field, e.code]) };
  };

  it.each([
    ['U+0000 in content', { content: 'a\u0000b' }, 'content'],
    ['a lone high surrogate in content', { content: 'a\uD800' }, 'content'],
    ['a lone low surrogate in content', { content: '\uDC00b' }, 'content'],
    ['U+0000 in a metadata key', { metadata: { 'k\u0000': 1 } }, 'metadata'],
    ['U+0000 deep in a metadata value', { metadata: { a: [{ b: 'x\u0000' }] } }, 'metadata'],
  ])('refuses %s with INVALID_CHARACTERS', (_name, patch, field) => {
    expect(codeOf(patch)).toEqual({
      code: 'INVALID_CHARACTERS',
      fields: [[field, 'INVALID_CHARACTERS']],
    });
  });

  it('keeps pairs of surrogates (emoji) and other control characters', () => {
    expect(codeOf({ content: 'ok 😀 \u0001\u001f' })).toBe('ok');
  });

  it.each([
    ['before 1970', '1969-12-31T23:59:59Z'],
    ['an offset Postgres refuses', '2026-01-01T00:00:00+23:59'],
  ])('refuses a createdAt %s with CREATED_AT_OUT_OF_RANGE', (_name, createdAt) => {
    expect(codeOf({ createdAt })).toMatchObject({ code: 'CREATED_AT_OUT_OF_RANGE' });
  });

  it('accepts the epoch and the widest offset', () => {
    expect(codeOf({ createdAt: '1970-01-01T00:00:00Z' })).toBe('ok');
    expect(codeOf({ createdAt: '2026-01-01T00:00:00-15:59' })).toBe('ok');
  });

  it('refuses metadata nested deeper than 16', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(codeOf({ metadata: { deep } })).toMatchObject({ code: 'METADATA_TOO_DEEP' });
  });

  it('refuses a tenant id with the key separator', () => {
    expect(codeOf({ tenantId: 'a:b' })).toEqual({
      code: 'INVALID_FIELDS',
      fields: [['tenantId', 'INVALID_FIELDS']],
    });
  });

  it('gives each field its own code when several are wrong', () => {
    expect(codeOf({ content: 'a\u0000', createdAt: '1960-01-01T00:00:00Z' })).toEqual({
      code: 'INVALID_FIELDS',
      fields: [
        ['content', 'INVALID_CHARACTERS'],
        ['createdAt', 'CREATED_AT_OUT_OF_RANGE'],
      ],
    });
  });

  it('refuses a record larger than any valid message before parsing it', () => {
    expect(decodeChatMessage(Buffer.alloc(RECORD_MAX_BYTES + 1, 0x20))).toMatchObject({
      code: 'RECORD_TOO_LARGE',
    });
  });

  it('reports at most 20 field errors however many unknown keys come', () => {
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    const result = validateChatMessage({ ...valid, ...many });
    expect(result.ok ? 0 : result.fieldErrors.length).toBeLessThanOrEqual(20);
  });
});

describe('a createdAt that is no date-time', () => {
  it('is reported once, by the format, not also as out of range', () => {
    const result = validateChatMessage({
      schema: 'chat.message.v1',
      messageId: 'm',
      tenantId: 't',
      conversationId: 'c',
      userId: 'u',
      role: 'user',
      content: 'x',
      createdAt: 'soon',
    });
    expect(result.ok ? [] : result.fieldErrors.map((e) => e.code)).toEqual(['INVALID_FIELDS']);
  });
});
