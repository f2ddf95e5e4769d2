/**
 * The endpoint refused the request itself (400, 401, 403, 404, ...): a configuration problem
 * (model name, key, URL) that retrying will not fix. Callers fall back as for unavailability,
 * but report it loudly.
 */
export class LlmRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'LlmRequestError';
  }
}
