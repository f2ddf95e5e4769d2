import { ApiKeyIdentity, ApiKeyProtected, bodyForUser, Caller, RequireScope } from '@memory/auth';
import { MAX_RESULTS } from '@memory/search-index';
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
import { SEARCH_BODY_LIMIT_TEXT } from './body-limits.constants';
import { errorContent, openApiSchema } from './openapi';
import { searchRequestSchema } from './search-request.dto';
import {
  SEARCH_REQUEST_EXAMPLE,
  SEARCH_RESPONSE_EXAMPLE,
  SearchResponse,
  searchResponseSchema,
} from './search-response.dto';
import { SearchUnavailableError } from './search.errors';
import { SearchService } from './search.service';

@ApiTags('search')
@ApiKeyProtected('search', { perRoute: true })
@Controller('v1')
export class SearchController {
  constructor(private readonly service: SearchService) {}

  @Post('search')
  @HttpCode(200)
  @RequireScope('search')
  @ApiOperation({
    summary: "Search the API key's tenant's conversation summaries",
    description:
      'hybrid (default) averages the BM25 and vector scores, each min-max normalized; semantic ' +
      'ranks by the query embedding alone; keyword by BM25 alone. Filters (userId, tier, ' +
      `from/to on the last message) apply in every mode. Pages follow nextCursor, up to ` +
      `${MAX_RESULTS} results per query. Unknown fields, tenantId included, are refused.`,
  })
  @ApiBody({
    schema: openApiSchema(searchRequestSchema, 'input'),
    examples: {
      hybrid: { value: SEARCH_REQUEST_EXAMPLE },
      keyword: { value: { query: '"Dr. Patel" Friday', mode: 'keyword', tier: 'full' } },
      nextPage: {
        value: { ...SEARCH_REQUEST_EXAMPLE, cursor: SEARCH_RESPONSE_EXAMPLE.nextCursor },
      },
    },
  })
  @ApiOkResponse({
    description: 'One page of results, best first',
    content: {
      'application/json': {
        schema: openApiSchema(searchResponseSchema, 'output'),
        example: SEARCH_RESPONSE_EXAMPLE,
      },
    },
  })
  @ApiBadRequestResponse({
    description: 'Field-level errors: [{field, code, message}]',
    content: errorContent({
      message: 'invalid search request',
      errors: [
        { field: 'k', code: 'TOO_BIG', message: 'Too big: expected number to be <=100' },
        {
          field: 'tenantId',
          code: 'UNKNOWN_FIELD',
          message: "is not accepted: searches run in the API key's tenant",
        },
        {
          field: 'cursor',
          code: 'CURSOR_MISMATCH',
          message: 'belongs to another query: send it with the same query, mode, filters and k',
        },
      ],
    }),
  })
  @ApiPayloadTooLargeResponse({
    description: `The body is over ${SEARCH_BODY_LIMIT_TEXT}: refused before it is parsed`,
    content: errorContent({
      message: `the request body is over the ${SEARCH_BODY_LIMIT_TEXT} that POST /v1/search takes`,
      code: 'BODY_TOO_LARGE',
      limitBytes: 16384,
    }),
  })
  @ApiServiceUnavailableResponse({
    description: 'OpenSearch or the embedding model failed',
    content: errorContent({ message: 'search is unavailable, try again' }),
  })
  async search(@Caller() caller: ApiKeyIdentity, @Body() body: unknown): Promise<SearchResponse> {
    let outcome;
    try {
      outcome = await this.service.search(caller.tenantId, bodyForUser(caller, body));
    } catch (error) {
      if (error instanceof SearchUnavailableError)
        throw new ServiceUnavailableException({ message: 'search is unavailable, try again' });
      throw error;
    }
    if (!outcome.ok)
      throw new BadRequestException({ message: 'invalid search request', errors: outcome.errors });
    return outcome.response;
  }
}
