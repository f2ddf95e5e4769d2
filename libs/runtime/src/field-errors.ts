import { BadRequestException } from '@nestjs/common';
import { z } from 'zod';

/** One problem of a request body or query, as a client can act on it. */
export interface FieldError {
  field: string;
  code: string;
  message: string;
}

/** zod issues as field errors; an unknown key is reported under its own name. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({
    field: issue.path.join('.') || (issue.code === 'unrecognized_keys' ? issue.keys[0] : ''),
    code: issue.code.toUpperCase(),
    message: issue.message,
  }));
}

/** Parses `value` or throws a 400 `{message, errors: FieldError[]}`. */
export function parseOrBadRequest<T>(schema: z.ZodType<T>, value: unknown, message: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new BadRequestException({ message, errors: fieldErrors(parsed.error) });
  return parsed.data;
}
