import { ERROR_BODY_SCHEMA } from '@memory/runtime';
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

/** Body of every 4xx/5xx answer of this API: the one shape of every service. */
export const ERROR_SCHEMA: SchemaObject = ERROR_BODY_SCHEMA;

/** The `content` of an error answer: the house error body with an example. */
export function errorContent(example: Record<string, unknown>) {
  return { 'application/json': { schema: ERROR_SCHEMA, example } };
}
