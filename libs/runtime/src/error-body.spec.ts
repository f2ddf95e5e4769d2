import { errorBody } from './error-body';

describe(errorBody.name, () => {
  it('gives a body with field errors the first error code when it names none', () => {
    expect(
      errorBody(400, {
        message: 'invalid messages',
        errors: [{ index: 1, field: 'role', code: 'INVALID_FIELDS', message: 'bad role' }],
      }),
    ).toEqual({
      statusCode: 400,
      code: 'INVALID_FIELDS',
      message: 'invalid messages',
      errors: [{ index: 1, field: 'role', code: 'INVALID_FIELDS', message: 'bad role' }],
    });
  });

  it("turns Nest's own bodies and bare strings into the same shape", () => {
    expect(
      errorBody(404, { statusCode: 404, message: 'Cannot GET /x', error: 'Not Found' }),
    ).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: 'Cannot GET /x', errors: [] });
    expect(errorBody(401, 'missing API key')).toEqual({
      statusCode: 401,
      code: 'UNAUTHORIZED',
      message: 'missing API key',
      errors: [],
    });
    expect(errorBody(400, { message: ['a is wrong', 'b is wrong'] }).message).toBe(
      'a is wrong; b is wrong',
    );
  });

  it('keeps a code and extra fields of its own', () => {
    expect(
      errorBody(429, { message: 'slow down', code: 'RATE_LIMITED', retryAfterSeconds: 2 }),
    ).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: 'slow down',
      errors: [],
      retryAfterSeconds: 2,
    });
    expect(errorBody(503, {}).message).toBe('Service Unavailable');
  });
});
