import { Injectable } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { KeyLookupResult } from './api-key.store';

const meter = metrics.getMeter('memory-auth');

/** Why a request was refused before reaching its handler. */
export type AuthRefusal =
  | 'missing_key'
  | 'unknown_key'
  | 'lookups_throttled'
  | 'rate_limited'
  | 'missing_scope'
  | 'token_expired'
  | 'token_invalid'
  | 'unavailable';

/** OpenTelemetry instruments of API-key authentication, shared by every service with an API. */
@Injectable()
export class AuthMetrics {
  private readonly lookups = meter.createCounter('auth.key_lookups', {
    description: 'Database look-ups of presented API keys (cache misses), by result',
  });
  private readonly refusals = meter.createCounter('auth.refused', {
    description: 'Requests refused by API-key authentication or its limits, by reason',
  });
  private readonly limited = meter.createCounter('auth.rate_limited', {
    description: 'Requests refused with 429 by the per-API-key token bucket, by route',
  });
  private readonly dropped = meter.createCounter('auth.revoked_keys_dropped', {
    description: 'Cached API keys dropped because they were found revoked or deleted',
  });

  lookup(result: KeyLookupResult): void {
    this.lookups.add(1, { result });
  }

  refused(reason: AuthRefusal): void {
    this.refusals.add(1, { reason });
  }

  rateLimited(route: string): void {
    this.limited.add(1, { route });
  }

  keysDropped(count: number): void {
    this.dropped.add(count);
  }
}
