import { createHash } from 'node:crypto';
import { KeyIdentity, MemoryApiError } from '@memory/client';
import { McpSettings } from './mcp.settings';
import { memoryClient } from './mcp-server';

export type KeyCheck =
  | { ok: true; identity: KeyIdentity }
  | { ok: false; status: number; code: string; message: string };

const MOST_KEYS = 10_000;

/**
 * Checks presented API keys against the services (`GET /v1/whoami`), remembering each answer
 * for `keyCacheMs` (a revoked key stops working within it; the services check every call
 * themselves anyway). Keys are remembered by their SHA-256, never as presented.
 */
export class KeyChecker {
  private readonly cache = new Map<string, { check: KeyCheck; until: number }>();

  constructor(private readonly settings: McpSettings) {}

  async check(key: string): Promise<KeyCheck> {
    const hash = createHash('sha256').update(key).digest('hex');
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.check;
    const check = await this.ask(key);
    if (check.ok || check.status === 401) {
      if (this.cache.size >= MOST_KEYS) this.cache.delete(this.cache.keys().next().value ?? '');
      this.cache.set(hash, { check, until: Date.now() + this.settings.keyCacheMs });
    }
    return check;
  }

  private async ask(key: string): Promise<KeyCheck> {
    try {
      return { ok: true, identity: await memoryClient(this.settings, key).whoami() };
    } catch (error) {
      if (error instanceof MemoryApiError && (error.status === 401 || error.status === 429))
        return { ok: false, status: error.status, code: error.code, message: error.message };
      return {
        ok: false,
        status: 503,
        code: 'UNAVAILABLE',
        message: 'the memory services did not answer; try again',
      };
    }
  }
}
