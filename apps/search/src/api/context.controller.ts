import {
  ApiKeyIdentity,
  ApiKeyProtected,
  bodyForUser,
  Caller,
  RequireScope,
  UserAccess,
} from '@memory/auth';
import { CONTEXT_BUDGET } from '@memory/search-index';
import {
  BadRequestException,
  Body,
  Controller,
  HttpCode,
  Post,
  ServiceUnavailableException,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CONTEXT_BODY_LIMIT, CONTEXT_BODY_LIMIT_TEXT } from './body-limits.constants';
import { contextRequestSchema } from './context-request.dto';
import {
  CONTEXT_REQUEST_EXAMPLE,
  CONTEXT_RESPONSE_EXAMPLE,
  ContextResponse,
  contextResponseSchema,
} from './context-response.dto';
import { ContextService } from './context.service';
import { errorContent, openApiSchema } from './openapi';
import { SearchUnavailableError } from './search.errors';

@ApiTags('search')
@ApiKeyProtected('search', { perRoute: true })
@Controller('v1')
export class ContextController {
  constructor(
    private readonly service: ContextService,
    private readonly access: UserAccess,
  ) {}

  @Post('context')
  @HttpCode(200)
  @RequireScope('search')
  @ApiOperation({
    summary: 'Memory for a prompt: cited summaries and messages within a token budget',
    description:
      "The live conversation's current summary first (conversationId), then the API key's " +
      "tenant's best evidence for the query: passages of raw messages ranked by BM25 and " +
      "vectors, weighted by how well their conversation matches; an archived conversation's " +
      'summary stands in for its messages. Overlapping passages are merged, so no message is ' +
      `quoted twice. text never exceeds tokenBudget (${CONTEXT_BUDGET.min} to ` +
      `${CONTEXT_BUDGET.max}, default ${CONTEXT_BUDGET.default}; o200k_base tokens). Unknown ` +
      'fields, tenantId included, are refused.',
  })
  @ApiBody({
    schema: openApiSchema(contextRequestSchema, 'input'),
    examples: { live: { value: CONTEXT_REQUEST_EXAMPLE } },
  })
  @ApiOkResponse({
    description: 'The packed context: items and their rendered text',
    content: {
      'application/json': {
        schema: openApiSchema(contextResponseSchema, 'output'),
        example: CONTEXT_RESPONSE_EXAMPLE,
      },
    },
  })
  @ApiBadRequestResponse({
    description: 'Field-level errors: [{field, code, message}]',
    content: errorContent({
      message: 'invalid context request',
      errors: [
        {
          field: 'tokenBudget',
          code: 'TOO_BIG',
          message: `Too big: expected number to be <=${CONTEXT_BUDGET.max}`,
        },
      ],
    }),
  })
  @ApiPayloadTooLargeResponse({
    description: `The body is over ${CONTEXT_BODY_LIMIT_TEXT}: refused before it is parsed`,
    content: errorContent({
      message: `the request body is over the ${CONTEXT_BODY_LIMIT_TEXT} that POST /v1/context takes`,
      code: 'BODY_TOO_LARGE',
      limitBytes: CONTEXT_BODY_LIMIT.limitBytes,
    }),
  })
  @ApiServiceUnavailableResponse({
    description: 'OpenSearch, Postgres or the embedding model failed',
    content: errorContent({ message: 'context is unavailable, try again' }),
  })
  async context(@Caller() caller: ApiKeyIdentity, @Body() body: unknown): Promise<ContextResponse> {
    const conversationId = (body as { conversationId?: unknown } | null)?.conversationId;
    if (typeof conversationId === 'string')
      await this.access.assertConversation(caller, conversationId);
    let outcome;
    try {
      outcome = await this.service.context(caller.tenantId, bodyForUser(caller, body));
    } catch (error) {
      if (error instanceof SearchUnavailableError)
        throw new ServiceUnavailableException({ message: 'context is unavailable, try again' });
      throw error;
    }
    if (!outcome.ok)
      throw new BadRequestException({ message: 'invalid context request', errors: outcome.errors });
    return outcome.response;
  }
}
