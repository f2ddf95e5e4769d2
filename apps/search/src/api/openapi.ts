import type { SchemaObject } from '@nestjs/swagger';
import { z } from 'zod';

/** The OpenAPI 3.0 schema of a zod schema, for `/docs` (the zod schema is what validates). */
export function openApiSchema(schema: z.ZodType, io: 'input' | 'output'): SchemaObject {
  return z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
  }) as SchemaObject;
}

/** Body of every 4xx/5xx answer of this API. */
export const ERROR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['message'],
  properties: {
    message: { type: 'string' },
    code: {
      type: 'string',
      description:
        'Machine-readable reason of a 401, 403, 413 or 429 (API_KEY_INVALID, RATE_LIMITED, BODY_TOO_LARGE, ...)',
    },
    errors: {
      type: 'array',
      description: 'Only with 400: one entry per problem',
      items: {
        type: 'object',
        required: ['field', 'code', 'message'],
        properties: {
          field: { type: 'string' },
          code: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
};
