import express from 'express';
import request from 'supertest';
import { bodyLimitFor, BodyLimits, formatBytes, jsonBodyParser, KiB, MiB } from './body-limits';

const LIMITS: BodyLimits = {
  defaultBytes: 4 * KiB,
  routes: [
    { method: 'POST', path: '/v1/messages', limitBytes: 1 * MiB },
    { method: 'POST', path: '/v1/search', limitBytes: 16 * KiB },
  ],
};

function setup() {
  const app = express();
  app.use(jsonBodyParser(LIMITS));
  const seen: unknown[] = [];
  app.post(/.*/, (req, res) => {
    seen.push(req.body);
    res.status(202).json({ ok: true });
  });
  return { http: () => request(app), seen };
}

const bodyOf = (bytes: number): string => JSON.stringify({ text: 'x'.repeat(bytes - 11) });

describe(jsonBodyParser.name, () => {
  it('takes a body up to the limit of its route', async () => {
    const { http, seen } = setup();
    const body = bodyOf(16 * KiB);
    expect(body).toHaveLength(16 * KiB);
    await http().post('/v1/search').type('json').send(body).expect(202);
    await http().post('/v1/messages').type('json').send(bodyOf(MiB)).expect(202);
    expect(seen).toHaveLength(2);
  });

  it('answers 413 with a code over the limit of the route, before any handler', async () => {
    const { http, seen } = setup();
    const refused = await http()
      .post('/v1/search')
      .type('json')
      .send(bodyOf(16 * KiB + 1))
      .expect(413);
    expect(refused.body).toEqual({
      statusCode: 413,
      message: 'the request body is over the 16 KiB that POST /v1/search takes',
      code: 'BODY_TOO_LARGE',
      errors: [],
      limitBytes: 16 * KiB,
    });
    await http()
      .post('/v1/compress')
      .type('json')
      .send(bodyOf(5 * KiB))
      .expect(413);
    await http()
      .post('/v1/messages')
      .type('json')
      .send(bodyOf(MiB + 1))
      .expect(413);
    expect(seen).toEqual([]);
  });

  it('refuses a chunked body (no Content-Length) once it grows past the limit', async () => {
    const { http, seen } = setup();
    const test = http()
      .post('/V1/Search/')
      .set('content-type', 'application/json')
      .set('transfer-encoding', 'chunked');
    test.write(bodyOf(10 * KiB).slice(0, -1));
    test.write(','.padEnd(10 * KiB, ' ') + '"y": 1}');
    const refused = await test.expect(413);
    expect(refused.body).toMatchObject({ code: 'BODY_TOO_LARGE' });
    expect(seen).toEqual([]);
  });

  it('refuses a declared length over the limit whatever the content type', async () => {
    const { http } = setup();
    const refused = await http()
      .post('/v1/search')
      .type('text/plain')
      .send('x'.repeat(20 * KiB))
      .expect(413);
    expect(refused.body).toMatchObject({ code: 'BODY_TOO_LARGE' });
  });

  it('answers 400 MALFORMED_JSON and 415 UNSUPPORTED_ENCODING as JSON', async () => {
    const { http } = setup();
    const malformed = await http().post('/v1/search').type('json').send('{not json').expect(400);
    expect(malformed.body).toEqual({
      statusCode: 400,
      message: 'the request body is not valid JSON',
      code: 'MALFORMED_JSON',
      errors: [],
    });
    const encoded = await http()
      .post('/v1/search')
      .set('content-type', 'application/json')
      .set('content-encoding', 'br-nope')
      .send('{}')
      .expect(415);
    expect(encoded.body).toMatchObject({ code: 'UNSUPPORTED_ENCODING' });
  });

  it('answers 400 NOT_UTF8 to a body that is not UTF-8, instead of storing U+FFFD', async () => {
    const { http, seen } = setup();
    const body = Buffer.concat([
      Buffer.from('{"content":"a'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    const refused = await http()
      .post('/v1/search')
      .set('content-type', 'application/json')
      .serialize((bytes: Buffer) => bytes as unknown as string)
      .send(body)
      .expect(400);
    expect(refused.body).toMatchObject({ code: 'NOT_UTF8' });
    expect(seen).toEqual([]);
  });
});

describe(bodyLimitFor.name, () => {
  it('matches the method and the path, ignoring case and a trailing slash', () => {
    expect(bodyLimitFor(LIMITS, 'post', '/v1/Messages/')).toBe(MiB);
    expect(bodyLimitFor(LIMITS, 'PUT', '/v1/messages')).toBe(4 * KiB);
    expect(bodyLimitFor(LIMITS, 'POST', '/v1/messages/x')).toBe(4 * KiB);
  });

  it('formats limits for people', () => {
    expect([formatBytes(MiB), formatBytes(16 * KiB), formatBytes(1500)]).toEqual([
      '1 MiB',
      '16 KiB',
      '1500 bytes',
    ]);
  });
});
