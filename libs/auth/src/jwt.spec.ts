import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { JwtKeyStore } from './jwt-key.store';
import { JwtRejected, looksLikeJwt, signUserToken, TenantJwtKey, verifyUserToken } from './jwt';

const NOW = 1_800_000_000;
const SECRET = 'a-secret-of-at-least-thirty-two-bytes!';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pem = (key: KeyObject) => String(key.export({ type: 'spki', format: 'pem' }));

const KEYS: TenantJwtKey[] = [
  { id: 'k-hs', tenantId: 'acme', algorithm: 'HS256', material: SECRET },
  { id: 'k-rs', tenantId: 'acme', algorithm: 'RS256', material: pem(rsa.publicKey) },
  { id: 'k-es', tenantId: 'acme', algorithm: 'ES256', material: pem(ec.publicKey) },
  { id: 'k-other', tenantId: 'other', algorithm: 'HS256', material: `${SECRET}-other` },
];
const claims = (patch: Record<string, unknown> = {}) => ({
  tenant: 'acme',
  sub: 'ana',
  scope: 'search ingest',
  iat: NOW,
  exp: NOW + 600,
  ...patch,
});
const verifyAt = (token: string) => verifyUserToken(token, KEYS, NOW);
/** What `fn` threw (a JwtRejected with its code), or undefined. */
function rejection(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error instanceof JwtRejected ? error : { unexpected: error };
  }
  return undefined;
}

describe('user tokens (JWT)', () => {
  it('verifies HS256, RS256 and ES256 tokens into a user-bound identity', () => {
    for (const token of [
      signUserToken(claims(), 'HS256', SECRET),
      signUserToken(claims(), 'RS256', rsa.privateKey),
      signUserToken(claims(), 'ES256', ec.privateKey, 'k-es'),
    ]) {
      expect(looksLikeJwt(token)).toBe(true);
      expect(verifyAt(token)).toMatchObject({
        tenantId: 'acme',
        userId: 'ana',
        scopes: ['search', 'ingest'],
      });
    }
    expect(verifyAt(signUserToken(claims(), 'HS256', SECRET)).keyId).toBe('jwt:k-hs');
    expect(looksLikeJwt(`mk_${'a'.repeat(43)}`)).toBe(false);
  });

  it.each([
    ['expired', signUserToken(claims({ exp: NOW - 60 }), 'HS256', SECRET), 'TOKEN_EXPIRED'],
    ['without exp', signUserToken(claims({ exp: undefined }), 'HS256', SECRET), 'TOKEN_INVALID'],
    [
      'living past 24 h',
      signUserToken(claims({ exp: NOW + 90_000 }), 'HS256', SECRET),
      'TOKEN_INVALID',
    ],
    ['not valid yet', signUserToken(claims({ nbf: NOW + 600 }), 'HS256', SECRET), 'TOKEN_INVALID'],
    ['signed with another secret', signUserToken(claims(), 'HS256', `${SECRET}x`), 'TOKEN_INVALID'],
    [
      'claiming a tenant whose key did not sign it',
      signUserToken(claims({ tenant: 'other' }), 'HS256', SECRET),
      'TOKEN_INVALID',
    ],
    [
      'with the admin scope',
      signUserToken(claims({ scope: 'search admin' }), 'HS256', SECRET),
      'TOKEN_INVALID',
    ],
    ['without a user', signUserToken(claims({ sub: undefined }), 'HS256', SECRET), 'TOKEN_INVALID'],
    [
      'naming another key',
      signUserToken(claims(), 'ES256', ec.privateKey, 'k-rs'),
      'TOKEN_INVALID',
    ],
  ])('refuses a token %s', (_what, token, code) => {
    expect(rejection(() => verifyAt(token))).toMatchObject({ code });
  });

  it('refuses alg none, an algorithm switched to HS256 with the public key, and garbage', () => {
    const [, body] = signUserToken(claims(), 'HS256', SECRET).split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    expect(rejection(() => verifyAt(none))).toMatchObject({ code: 'TOKEN_INVALID' });
    // The classic confusion: an RS256 public key used as an HS256 secret.
    const confused = signUserToken(claims(), 'HS256', pem(rsa.publicKey));
    expect(rejection(() => verifyAt(confused))).toMatchObject({ code: 'TOKEN_INVALID' });
    expect(rejection(() => verifyAt('a.b.c'))).toMatchObject({ code: 'TOKEN_INVALID' });
  });

  it('checks registered key material', () => {
    expect(JwtKeyStore.check('HS256', 'short')).toMatch(/at least 32 bytes/);
    expect(JwtKeyStore.check('HS256', SECRET)).toBeUndefined();
    expect(JwtKeyStore.check('RS256', pem(rsa.publicKey))).toBeUndefined();
    expect(JwtKeyStore.check('ES256', pem(rsa.publicKey))).toMatch(/P-256/);
    expect(JwtKeyStore.check('RS256', 'not a key')).toMatch(/PEM/);
    expect(JwtKeyStore.check('none', SECRET)).toMatch(/one of HS256/);
    const privatePem = String(rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    expect(JwtKeyStore.check('RS256', privatePem)).toMatch(/public key/);
  });
});
