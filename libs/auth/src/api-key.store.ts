import { createHash, randomBytes } from 'node:crypto';
import { ApiKeyEntity, ApiKeyScope } from '@memory/persistence';
import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, Repository } from 'typeorm';

export interface ApiKeyIdentity {
  keyId: string;
  tenantId: string;
  scopes: readonly ApiKeyScope[];
}

export interface CreatedApiKey {
  id: string;
  /** The secret itself: shown once, never stored. */
  key: string;
}

const KEY_PREFIX = 'mk_';
const CACHE_TTL_MS = 30_000;

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * API keys of tenants. A key is 32 random bytes, so a plain SHA-256 is enough to store it
 * safely (no dictionary to guess from); lookups are by that hash, cached briefly.
 */
@Injectable()
export class ApiKeyStore {
  private readonly repository: Repository<ApiKeyEntity>;
  private readonly cache = new Map<string, { identity: ApiKeyIdentity | null; until: number }>();

  constructor(dataSource: DataSource) {
    this.repository = dataSource.getRepository(ApiKeyEntity);
  }

  async create(
    tenantId: string,
    name: string,
    scopes: readonly ApiKeyScope[],
  ): Promise<CreatedApiKey> {
    const key = KEY_PREFIX + randomBytes(32).toString('base64url');
    const saved = await this.repository.save({
      tenantId,
      name,
      scopes: [...scopes],
      keyHash: hashApiKey(key),
      keyPrefix: key.slice(0, 10),
      revokedAt: null,
    });
    return { id: saved.id, key };
  }

  list(tenantId?: string): Promise<ApiKeyEntity[]> {
    return this.repository.find({
      where: tenantId ? { tenantId } : {},
      order: { createdAt: 'ASC' },
    });
  }

  async revoke(id: string): Promise<boolean> {
    const result = await this.repository.update(
      { id, revokedAt: IsNull() },
      { revokedAt: new Date() },
    );
    this.cache.clear();
    return (result.affected ?? 0) > 0;
  }

  /** The identity behind a presented key, or null when it is unknown or revoked. */
  async verify(key: string): Promise<ApiKeyIdentity | null> {
    if (!key.startsWith(KEY_PREFIX) || key.length > 100) return null;
    const hash = hashApiKey(key);
    const cached = this.cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.identity;
    const found = await this.repository.findOne({ where: { keyHash: hash, revokedAt: IsNull() } });
    const identity = found
      ? { keyId: found.id, tenantId: found.tenantId, scopes: found.scopes }
      : null;
    this.cache.set(hash, { identity, until: Date.now() + CACHE_TTL_MS });
    return identity;
  }
}
