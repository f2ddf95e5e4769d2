import { ApiKeyStore } from '@memory/auth';
import { API_KEY_SCOPES, ApiKeyScope } from '@memory/persistence';
import { DataSource } from 'typeorm';
import { optionalOption, ParsedArgs, requireOption, UsageError } from '../args';

export const API_KEYS_USAGE = `api-keys create --tenant <id> --name <label> [--scopes ingest,search]
  api-keys list [--tenant <id>]
  api-keys revoke <key id>`;

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
      const created = await store.create(
        requireOption(args, 'tenant'),
        requireOption(args, 'name'),
        scopes as ApiKeyScope[],
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
          `${key.id}  ${key.tenantId}  ${key.keyPrefix}…  [${key.scopes.join(',')}]  ${key.name}  ${state}\n`,
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
