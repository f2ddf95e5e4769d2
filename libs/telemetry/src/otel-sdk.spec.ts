import { redactUserPath } from './otel-sdk';

describe(redactUserPath.name, () => {
  it('hides the user id of a user path, and nothing else', () => {
    expect(redactUserPath('/v1/users/alice%40example.com?dryRun=true')).toBe(
      '/v1/users/:userId?dryRun=true',
    );
    expect(redactUserPath('/v1/conversations/c-1/summary')).toBe('/v1/conversations/c-1/summary');
  });
});
