import type * as client from '@memory/client';
import type { DeliveryView, Webhook } from '@memory/persistence';
import type { PinResponse } from '../pins/pin.controller';
import type { RestoreResult } from './retention.service';

/** `true` when every A is a B: the checks below fail the typecheck when the two drift apart. */
type Fits<A, B> = [A] extends [B] ? true : false;

const checks: true[] = [
  true satisfies Fits<RestoreResult, client.RestoreResult>,
  true satisfies Fits<PinResponse, client.PinResponse>,
  true satisfies Fits<Webhook, client.Webhook>,
  true satisfies Fits<DeliveryView, client.WebhookDelivery>,
];

describe('the client types (libs/client) against the retention service', () => {
  it('are checked by the typecheck of this file', () => {
    expect(checks.every(Boolean)).toBe(true);
  });
});
