import { ApiKeyProtected, ApiKeyIdentity, Caller, RequireScope } from '@memory/auth';
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
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { z } from 'zod';
import { CompressionRunner } from './compression.runner';

const compressRequestSchema = z.object({ dryRun: z.boolean().optional() }).strict();
@ApiTags('compression')
@ApiKeyProtected('admin', { perRoute: true })
@Controller('v1')
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
