import { randomBytes } from 'node:crypto';
import { ApiKeyIdentity, ApiKeyProtected, Caller } from '@memory/auth';
import {
  DeliveryView,
  DELIVERY_STATUSES,
  Webhook,
  WEBHOOK_EVENT_TYPES,
  WebhookRepository,
} from '@memory/persistence';
import { parseOrBadRequest } from '@memory/runtime';
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { z } from 'zod';
import { WebhookTenants } from './webhook-tenants';

const createSchema = z
  .object({
    url: z
      .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
      .max(2000)
      .describe('Where deliveries are POSTed'),
    events: z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length)
      .default([...WEBHOOK_EVENT_TYPES]),
    description: z.string().max(200).default(''),
  })
  .strict();
const deliveriesQuery = z
  .object({
    status: z.enum(DELIVERY_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
const replaySchema = z
  .object({
    deliveryIds: z
      .array(z.string().regex(/^\d{1,18}$/))
      .max(1000)
      .default([]),
  })
  .strict();

/**
 * Signed webhooks for products that do not read Kafka: a tenant registers endpoints and the
 * events they take; the retention service delivers them (see WebhookSender) and keeps each
 * delivery's outcome, which can be listed and replayed. Admin scope, the key's tenant only.
 */
@ApiTags('webhooks')
@ApiKeyProtected('admin')
@Controller('v1/webhooks')
export class WebhookController {
  constructor(
    private readonly webhooks: WebhookRepository,
    private readonly tenants: WebhookTenants,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register a webhook',
    description:
      `Events: ${WEBHOOK_EVENT_TYPES.join(', ')} (default all). Deliveries are POSTs of ` +
      '`{id, type, tenantId, conversationId, occurredAt, data}` signed as Standard Webhooks do ' +
      '(`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of ' +
      'id.timestamp.body>` with the secret after `whsec_`, base64). The secret is shown once, ' +
      'in this answer. Events from about now on are delivered, at least once.',
  })
  @ApiBody({
    schema: { type: 'object' },
    examples: {
      all: { value: { url: 'https://example.com/memory-hooks' } },
      some: { value: { url: 'https://example.com/h', events: ['conversation.erased'] } },
    },
  })
  @ApiCreatedResponse({ description: '{id, url, events, description, createdAt, secret}' })
  async create(
    @Caller() caller: ApiKeyIdentity,
    @Body() body: unknown,
  ): Promise<Webhook & { secret: string }> {
    const { url, events, description } = parseOrBadRequest(
      createSchema,
      body ?? {},
      'invalid webhook',
    );
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const webhook = await this.webhooks.create(
      caller.tenantId,
      url,
      [...new Set(events)],
      description,
      secret,
    );
    this.tenants.invalidate();
    return { ...webhook, secret };
  }

  @Get()
  @ApiOperation({ summary: "The tenant's webhooks (without their secrets)" })
  @ApiOkResponse({ description: '{items: [{id, url, events, description, createdAt}]}' })
  async list(@Caller() caller: ApiKeyIdentity): Promise<{ items: Webhook[] }> {
    return { items: await this.webhooks.list(caller.tenantId) };
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete a webhook and its delivery history' })
  @ApiNotFoundResponse({ description: 'The tenant has no such webhook' })
  async delete(
    @Caller() caller: ApiKeyIdentity,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<{ id: string; deleted: true }> {
    if (!(await this.webhooks.delete(caller.tenantId, id)))
      throw new NotFoundException(`no webhook ${id}`);
    this.tenants.invalidate();
    return { id, deleted: true };
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: "A webhook's deliveries, newest first",
    description:
      'Each with its event, status (pending, delivered, failed), attempts, the last status code ' +
      'or error, and when it is due again. `status` filters.',
  })
  @ApiOkResponse({ description: '{items: [delivery]}' })
  @ApiNotFoundResponse({ description: 'The tenant has no such webhook' })
  async deliveries(
    @Caller() caller: ApiKeyIdentity,
    @Param('id', ParseUUIDPipe) id: string,
    @Query() rawQuery: Record<string, string>,
  ): Promise<{ items: DeliveryView[] }> {
    const { status, limit } = parseOrBadRequest(deliveriesQuery, rawQuery, 'invalid query');
    await this.found(caller.tenantId, id);
    return { items: await this.webhooks.deliveries(caller.tenantId, id, status, limit) };
  }

  @Post(':id/replay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send deliveries again',
    description:
      'The deliveries named by `deliveryIds` (any status), or, without them, every `failed` ' +
      'one of the webhook: back to pending, from the first attempt, with the same event id.',
  })
  @ApiOkResponse({ description: '{replayed: n}' })
  @ApiNotFoundResponse({ description: 'The tenant has no such webhook' })
  async replay(
    @Caller() caller: ApiKeyIdentity,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: unknown,
  ): Promise<{ replayed: number }> {
    const { deliveryIds } = parseOrBadRequest(replaySchema, body ?? {}, 'invalid replay');
    await this.found(caller.tenantId, id);
    return { replayed: await this.webhooks.replay(caller.tenantId, id, deliveryIds) };
  }

  private async found(tenantId: string, id: string): Promise<void> {
    if (!(await this.webhooks.find(tenantId, id))) throw new NotFoundException(`no webhook ${id}`);
  }
}
