import { createPublicKey } from 'node:crypto';
import { DataSource } from 'typeorm';
import { JWT_ALGORITHMS, JwtAlgorithm, TenantJwtKey } from './jwt';

export interface JwtKeyListing {
  id: string;
  tenantId: string;
  name: string;
  algorithm: JwtAlgorithm;
  createdAt: string;
  revokedAt: string | null;
}

const ACTIVE_KEYS_SQL = `SELECT id, tenant_id AS "tenantId", algorithm, key_material AS material
  FROM tenant_jwt_keys WHERE tenant_id = $1 AND revoked_at IS NULL`;
const INSERT_SQL = `INSERT INTO tenant_jwt_keys (tenant_id, name, algorithm, key_material)
  VALUES ($1, $2, $3, $4) RETURNING id`;
const LIST_SQL = `SELECT id, tenant_id AS "tenantId", name, algorithm,
    created_at::text AS "createdAt", revoked_at::text AS "revokedAt"
  FROM tenant_jwt_keys WHERE ($1::text IS NULL OR tenant_id = $1) ORDER BY created_at`;
const REVOKE_SQL = `UPDATE tenant_jwt_keys SET revoked_at = now()
  WHERE id = $1 AND revoked_at IS NULL RETURNING id`;

/** Shortest HS256 secret accepted: 256 bits, as RFC 7518 asks of HMAC-SHA256 keys. */
const MIN_SECRET_BYTES = 32;
const CACHE_TTL_MS = 5_000;
const CACHE_SIZE = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The keys tenants verify their user tokens with (`tenant_jwt_keys`). Registered by an operator
 * (`npm run memory -- jwt-keys add`), never fetched from anywhere. The services read a tenant's
 * active keys through a 5-second cache, so a revoked key stops verifying within 5 s.
 */
export class JwtKeyStore {
  private readonly cache = new Map<string, { keys: TenantJwtKey[]; until: number }>();

  constructor(private readonly dataSource: DataSource) {}

  /** Checks the material for the algorithm (a long enough secret, a public key of its type). */
  static check(algorithm: string, material: string): string | undefined {
    if (!JWT_ALGORITHMS.includes(algorithm as JwtAlgorithm))
      return `the algorithm must be one of ${JWT_ALGORITHMS.join(', ')}`;
    if (algorithm === 'HS256')
      return Buffer.byteLength(material, 'utf8') >= MIN_SECRET_BYTES
        ? undefined
        : `an HS256 secret must be at least ${MIN_SECRET_BYTES} bytes`;
    try {
      const key = createPublicKey(material);
      if (algorithm === 'RS256' && key.asymmetricKeyType !== 'rsa')
        return 'an RS256 key must be an RSA public key (PEM)';
      if (
        algorithm === 'ES256' &&
        (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
      )
        return 'an ES256 key must be an EC P-256 public key (PEM)';
      if (material.includes('PRIVATE KEY'))
        return 'give the public key: the private key stays with the tenant';
      return undefined;
    } catch {
      return 'the key must be a public key in PEM';
    }
  }

  async add(
    tenantId: string,
    name: string,
    algorithm: JwtAlgorithm,
    material: string,
  ): Promise<string> {
    const problem = JwtKeyStore.check(algorithm, material);
    if (problem) throw new Error(problem);
    const [row] = await this.dataSource.query<Array<{ id: string }>>(INSERT_SQL, [
      tenantId,
      name,
      algorithm,
      material,
    ]);
    this.cache.delete(tenantId);
    return row?.id ?? '';
  }

  list(tenantId?: string): Promise<JwtKeyListing[]> {
    return this.dataSource.query<JwtKeyListing[]>(LIST_SQL, [tenantId ?? null]);
  }

  async revoke(id: string): Promise<boolean> {
    if (!UUID.test(id)) return false;
    const rows = await this.dataSource.query<Array<{ id: string }>>(REVOKE_SQL, [id]);
    this.cache.clear();
    return rows.length > 0;
  }

  /** The tenant's active keys (none for a tenant that registered none). */
  async keysOf(tenantId: string, now: number = Date.now()): Promise<TenantJwtKey[]> {
    const cached = this.cache.get(tenantId);
    if (cached && cached.until > now) return cached.keys;
    const keys = await this.dataSource.query<TenantJwtKey[]>(ACTIVE_KEYS_SQL, [tenantId]);
    this.cache.delete(tenantId);
    this.cache.set(tenantId, { keys, until: now + CACHE_TTL_MS });
    if (this.cache.size > CACHE_SIZE) this.cache.delete(this.cache.keys().next().value ?? '');
    return keys;
  }
}
