import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto';
import { ApiKeyScope } from '@memory/persistence';
import type { ApiKeyIdentity } from './api-key.store';

export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** A key a tenant verifies its tokens with: an HS256 secret or an RS256/ES256 public key (PEM). */
export interface TenantJwtKey {
  id: string;
  tenantId: string;
  algorithm: JwtAlgorithm;
  material: string;
}

/** Scopes a user's token may carry: never `admin`. */
const USER_SCOPES: readonly ApiKeyScope[] = ['search', 'ingest'];
/** How far a token's `exp` may lie ahead: user tokens are short-lived. */
export const JWT_MAX_LIFETIME_S = 24 * 60 * 60;
/** Clock skew allowed on `exp`, `nbf` and `iat`. */
const SKEW_S = 30;
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const USER_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;

export type JwtFailure = 'TOKEN_INVALID' | 'TOKEN_EXPIRED';

/** A token that does not verify, with the code the answer carries and why (for the log). */
export class JwtRejected extends Error {
  constructor(
    readonly code: JwtFailure,
    message: string,
  ) {
    super(message);
    this.name = 'JwtRejected';
  }
}

/** Whether a presented credential is shaped as a JWT (three base64url parts), not an API key. */
export function looksLikeJwt(credential: string): boolean {
  const parts = credential.split('.');
  return parts.length === 3 && SEGMENT.test(parts[0] ?? '') && SEGMENT.test(parts[1] ?? '');
}

interface Header {
  alg?: unknown;
  kid?: unknown;
}

interface Claims {
  tenant?: unknown;
  sub?: unknown;
  scope?: unknown;
  exp?: unknown;
  nbf?: unknown;
  iat?: unknown;
}

function decodePart<T>(part: string, what: string): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error();
    return value as T;
  } catch {
    throw new JwtRejected('TOKEN_INVALID', `the token's ${what} is not a JSON object`);
  }
}

/** The tenant a token claims, read before its signature is checked (to find the keys). */
export function claimedTenant(token: string): string {
  const claims = decodePart<Claims>(token.split('.')[1] ?? '', 'claims');
  if (typeof claims.tenant !== 'string' || !TENANT_ID.test(claims.tenant))
    throw new JwtRejected('TOKEN_INVALID', 'the token has no valid "tenant" claim');
  return claims.tenant;
}

function signatureValid(key: TenantJwtKey, signed: string, signature: Buffer): boolean {
  const data = Buffer.from(signed, 'ascii');
  if (key.algorithm === 'HS256') {
    const expected = createHmac('sha256', key.material).update(data).digest();
    return expected.length === signature.length && timingSafeEqual(expected, signature);
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey(key.material);
  } catch {
    return false;
  }
  return verify(
    'sha256',
    data,
    key.algorithm === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey,
    signature,
  );
}

/**
 * Verifies a tenant's user token against the tenant's keys (`keys`, those of the tenant the
 * token claims) and returns the identity it carries: the tenant, the user (`sub`) and the scopes
 * (`scope`, space-separated: `search`, `ingest`). The algorithm must be the key's (HS256, RS256
 * or ES256; `none` and others are refused), `kid` (optional) names the key by id, `exp` is
 * required and at most {@link JWT_MAX_LIFETIME_S} ahead, `nbf` and `iat` are honoured.
 */
export function verifyUserToken(
  token: string,
  keys: readonly TenantJwtKey[],
  nowSeconds: number = Date.now() / 1000,
): ApiKeyIdentity {
  const [headerPart = '', claimsPart = '', signaturePart = ''] = token.split('.');
  const header = decodePart<Header>(headerPart, 'header');
  const claims = decodePart<Claims>(claimsPart, 'claims');
  if (!JWT_ALGORITHMS.includes(header.alg as JwtAlgorithm))
    throw new JwtRejected(
      'TOKEN_INVALID',
      `the token's algorithm ${JSON.stringify(header.alg)} is not one of ${JWT_ALGORITHMS.join(', ')}`,
    );
  const tenantId = claimedTenant(token);
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const candidates = keys.filter(
    (key) =>
      key.tenantId === tenantId &&
      key.algorithm === header.alg &&
      (kid === undefined || kid === key.id),
  );
  const signature = Buffer.from(signaturePart, 'base64url');
  const signed = `${headerPart}.${claimsPart}`;
  const key = candidates.find((candidate) => signatureValid(candidate, signed, signature));
  if (!key)
    throw new JwtRejected(
      'TOKEN_INVALID',
      candidates.length === 0
        ? `tenant ${tenantId} has no ${String(header.alg)} key${kid === undefined ? '' : ` ${kid}`} for tokens`
        : 'the token is not signed by a key of its tenant',
    );
  if (typeof claims.exp !== 'number')
    throw new JwtRejected('TOKEN_INVALID', 'the token has no "exp" claim');
  if (claims.exp <= nowSeconds - SKEW_S)
    throw new JwtRejected('TOKEN_EXPIRED', 'the token expired');
  if (claims.exp > nowSeconds + JWT_MAX_LIFETIME_S + SKEW_S)
    throw new JwtRejected('TOKEN_INVALID', 'the token lives longer than 24 hours');
  if (typeof claims.nbf === 'number' && claims.nbf > nowSeconds + SKEW_S)
    throw new JwtRejected('TOKEN_INVALID', 'the token is not valid yet (nbf)');
  if (typeof claims.iat === 'number' && claims.iat > nowSeconds + SKEW_S)
    throw new JwtRejected('TOKEN_INVALID', 'the token was issued in the future (iat)');
  if (typeof claims.sub !== 'string' || !USER_ID.test(claims.sub))
    throw new JwtRejected('TOKEN_INVALID', 'the token has no valid "sub" (the user id)');
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : [];
  const unknown = scopes.filter((scope) => !USER_SCOPES.includes(scope as ApiKeyScope));
  if (scopes.length === 0 || unknown.length > 0)
    throw new JwtRejected(
      'TOKEN_INVALID',
      `the token's "scope" must name search and/or ingest${unknown.length > 0 ? `, not ${unknown.join(', ')}` : ''}`,
    );
  return {
    keyId: `jwt:${key.id}`,
    tenantId,
    scopes: scopes as ApiKeyScope[],
    userId: claims.sub,
  };
}

/**
 * Signs a user token as a tenant's product would (for tests and for trying a key out): the
 * claims with `alg` (and `kid` when given) in the header. `key` is the HS256 secret or the
 * RS256/ES256 private key (PEM or KeyObject).
 */
export function signUserToken(
  claims: Record<string, unknown>,
  algorithm: JwtAlgorithm,
  key: string | KeyObject,
  kid?: string,
): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const signed = `${encode({ alg: algorithm, typ: 'JWT', ...(kid ? { kid } : {}) })}.${encode(claims)}`;
  const privateKey = (): KeyObject => (typeof key === 'string' ? createPrivateKey(key) : key);
  const signature =
    algorithm === 'HS256'
      ? createHmac('sha256', key).update(signed).digest()
      : sign(
          'sha256',
          Buffer.from(signed),
          algorithm === 'ES256' ? { key: privateKey(), dsaEncoding: 'ieee-p1363' } : privateKey(),
        );
  return `${signed}.${signature.toString('base64url')}`;
}
