import { ApiKeyGuard, ApiKeyIdentity, Caller, RequireScope } from '@memory/auth';
import { PassQueueFullError, PassReport } from '@memory/lifecycle';
import { DEFAULT_BODY_LIMIT_BYTES, formatBytes, parseOrBadRequest } from '@memory/runtime';
import {
  Body,
  Controller,
  HttpCode,
  HttpException,
  HttpStatus,
  Post,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { CompressionRunner } from './compression.runner';

const compressRequestSchema = z.object({ dryRun: z.boolean().optional() }).strict();

@ApiTags('compression')
@ApiBearerAuth()
@ApiUnauthorizedResponse({ description: 'Missing, unknown or revoked API key' })
@ApiForbiddenResponse({ description: 'The API key lacks the "admin" scope' })
@ApiTooManyRequestsResponse({
  description:
    "Over the API key's rate (429 RATE_LIMITED) or too many unknown keys at once (KEY_LOOKUPS_THROTTLED); Retry-After says in how many seconds to retry",
  headers: { 'Retry-After': { description: 'Seconds', schema: { type: 'integer' } } },
})
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class CompressionController {
  constructor(private readonly runner: CompressionRunner) {}

  @Post('compress')
  @HttpCode(200)
  @RequireScope('admin')
  @ApiOperation({
    summary: "Compress the API key's tenant's conversations that are due now",
    description:
      'Runs a compression pass for the tenant at once (after the pass in progress, if any; ' +
      'requests for the tenant made while its pass waits share that pass and its report): ' +
      'every conversation due for a colder tier by the age of its last message, its ' +
      'importance and the tenant policy moves there. With dryRun, reports what would move.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: { dryRun: { type: 'boolean', default: false } },
    },
  })
  @ApiOkResponse({ description: 'The pass report: examined, compressed, by tier, not due, busy' })
  @ApiBadRequestResponse({ description: 'Field-level errors: [{field, code, message}]' })
  @ApiPayloadTooLargeResponse({
    description: `The body is over ${formatBytes(DEFAULT_BODY_LIMIT_BYTES)} (code BODY_TOO_LARGE)`,
  })
  @ApiTooManyRequestsResponse({
    description: 'Too many passes are waiting already: {code: "PASS_QUEUE_FULL"}; retry later',
  })
  @ApiServiceUnavailableResponse({ description: 'Postgres or Kafka failed; retry later' })
  async compress(@Caller() caller: ApiKeyIdentity, @Body() body: unknown): Promise<PassReport> {
    const { dryRun } = parseOrBadRequest(
      compressRequestSchema,
      body ?? {},
      'invalid compress request',
    );
    try {
      return await this.runner.run({ tenantId: caller.tenantId, dryRun });
    } catch (error) {
      if (error instanceof PassQueueFullError)
        throw new HttpException(
          { code: error.code, message: error.message },
          HttpStatus.TOO_MANY_REQUESTS,
        );
      throw new ServiceUnavailableException({ message: 'compression is unavailable, try again' });
    }
  }
}
