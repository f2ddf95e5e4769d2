import { ID_MAX_LENGTH, isIdentifier } from '@memory/contracts';
import { ArgumentMetadata, BadRequestException, Injectable, PipeTransform } from '@nestjs/common';

/** The field-error code of a path id that no message, conversation or user can have. */
export const INVALID_IDENTIFIER = 'INVALID_IDENTIFIER';

/**
 * Checks a conversation or user id in a path (`@Param('conversationId', IdentifierPipe)`)
 * against the contract's rule before it reaches a store: an id none can have (U+0000, a space,
 * 600 characters) is a 400 with a field code, not a query that Postgres refuses with a 5xx.
 */
@Injectable()
export class IdentifierPipe implements PipeTransform<string, string> {
  transform(value: string, metadata: ArgumentMetadata): string {
    if (typeof value === 'string' && isIdentifier(value)) return value;
    const field = metadata.data ?? 'id';
    throw new BadRequestException({
      message: `invalid ${field}`,
      errors: [
        {
          field,
          code: INVALID_IDENTIFIER,
          message: `must be 1 to ${ID_MAX_LENGTH} letters, digits and . _ : @ -, starting with a letter or digit`,
        },
      ],
    });
  }
}
