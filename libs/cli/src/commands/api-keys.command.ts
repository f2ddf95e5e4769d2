import { readFileSync } from 'node:fs';
import { ApiKeyStore, JwtAlgorithm, JwtKeyStore } from '@memory/auth';
import { isIdentifier } from '@memory/contracts';
import { API_KEY_SCOPES, ApiKeyScope } from '@memory/persistence';
import { DataSource } from 'typeorm';
import { optionalOption, ParsedArgs, requireOption, UsageError } from '../args';

export const API_KEYS_USAGE = `api-keys create --tenant <id> --name <label> [--scopes ingest,search] [--user <id>]
      --user binds the key to one end user: it reads and writes only that user's conversations
      (not with the admin scope)
  api-keys list [--tenant <id>]
  api-keys revoke <key id>
  jwt-keys add --tenant <id> --name <label> --alg HS256|RS256|ES256 (--secret-env <VAR> | --key-file <pem>)
      registers a key the tenant's user tokens (JWT) are verified with: an HS256 secret (read
      from the environment variable, at least 32 bytes) or an RS256/ES256 public key (PEM)
  jwt-keys list [--tenant <id>]
  jwt-keys revoke <jwt key id>`;

/** Creates, lists and revokes tenants' API keys. The secret is printed once, at creation. */
export async function apiKeysCommand(dataSource: DataSource, args: ParsedArgs): Promise<void> {
  const store = new ApiKeyStore(dataSource);
  const [, action, id] = args.positional;
  switch (action) {
    case 'create': {
      const scopes = (optionalOption(args, 'scopes') ?? 'ingest,search')
        .split(',')
        .map((s) => s.trim());
      const unknown = scopes.filter(
        (scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope),
      );
      if (unknown.length > 0)
        throw new UsageError(
          `unknown scope ${unknown.join(', ')}; scopes: ${API_KEY_SCOPES.join(', ')}`,
        );
      const userId = optionalOption(args, 'user');
      if (args.options.has('user') && !userId) throw new UsageError('--user needs a user id');
      if (userId !== undefined && !isIdentifier(userId))
        throw new UsageError(`--user ${JSON.stringify(userId)} is not a user id`);
      if (userId !== undefined && scopes.includes('admin'))
        throw new UsageError('a key bound to a user cannot have the admin scope');
      const created = await store.create(
        requireOption(args, 'tenant'),
        requireOption(args, 'name'),
        scopes as ApiKeyScope[],
        userId ?? null,
      );
      process.stdout.write(
        `id:  ${created.id}\nkey: ${created.key}\n(store the key now: it is not shown again)\n`,
      );
      return;
    }
    case 'list': {
      for (const key of await store.list(optionalOption(args, 'tenant'))) {
        const state = key.revokedAt ? `revoked ${key.revokedAt.toISOString()}` : 'active';
        process.stdout.write(
          `${key.id}  ${key.tenantId}  ${key.keyPrefix}…  [${key.scopes.join(',')}]${key.userId ? `  user ${key.userId}` : ''}  ${key.name}  ${state}\n`,
        );
      }
      return;
    }
    case 'revoke': {
      if (!id) throw new UsageError('api-keys revoke <key id>');
      process.stdout.write((await store.revoke(id)) ? `revoked ${id}\n` : `no active key ${id}\n`);
      return;
    }
    default:
      throw new UsageError(API_KEYS_USAGE);
  }
}

/** Registers, lists and revokes the keys tenants verify their user tokens (JWT) with. */
export async function jwtKeysCommand(
  dataSource: DataSource,
  args: ParsedArgs,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  const store = new JwtKeyStore(dataSource);
  const [, action, id] = args.positional;
  switch (action) {
    case 'add': {
      const algorithm = requireOption(args, 'alg');
      const secretEnv = optionalOption(args, 'secret-env');
      const keyFile = optionalOption(args, 'key-file');
      if ((secretEnv === undefined) === (keyFile === undefined))
        throw new UsageError('jwt-keys add needs exactly one of --secret-env and --key-file');
      if (algorithm === 'HS256' && secretEnv === undefined)
        throw new UsageError('an HS256 key is a secret: give --secret-env <VAR>');
      if (algorithm !== 'HS256' && keyFile === undefined)
        throw new UsageError(`an ${algorithm} key is a public key: give --key-file <pem>`);
      const material =
        secretEnv !== undefined ? (env[secretEnv] ?? '') : readFileSync(keyFile ?? '', 'utf8');
      const problem = JwtKeyStore.check(algorithm, material);
      if (problem) throw new UsageError(`jwt-keys add: ${problem}`);
      const created = await store.add(
        requireOption(args, 'tenant'),
        requireOption(args, 'name'),
        algorithm as JwtAlgorithm,
        material,
      );
      process.stdout.write(`id: ${created}\n(tokens may name it as their "kid")\n`);
      return;
    }
    case 'list': {
      for (const key of await store.list(optionalOption(args, 'tenant')))
        process.stdout.write(
          `${key.id}  ${key.tenantId}  ${key.algorithm}  ${key.name}  ${key.revokedAt ? `revoked ${key.revokedAt}` : 'active'}\n`,
        );
      return;
    }
    case 'revoke': {
      if (!id) throw new UsageError('jwt-keys revoke <jwt key id>');
      process.stdout.write((await store.revoke(id)) ? `revoked ${id}\n` : `no active key ${id}\n`);
      return;
    }
    default:
      throw new UsageError(API_KEYS_USAGE);
  }
}
