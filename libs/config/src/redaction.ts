import type { AppConfig } from './app-config';

/** What a password or other secret is replaced with in output. */
export const MASK = '***';

/** Environment variables whose whole value is a secret: never printed, not even when invalid. */
const SECRET_VARIABLE = /(PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)$/i;

/**
 * `scheme://userinfo@` in free text. The userinfo run stops at whitespace, quotes or the start
 * of a path, and the greedy match ends at its last `@`, so a password with a raw `@` in it is
 * masked whole.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#"'<>`]*)@/gi;

/** True when `name` holds a secret as its whole value (a password, a token, an API key). */
export function isSecretVariable(name: string): boolean {
  return SECRET_VARIABLE.test(name);
}

/**
 * The URL with its password replaced by {@link MASK} (the user name stays: it helps and is not a
 * secret). In a value that does not even parse as a URL, everything from the scheme to the last
 * `@` past the user name is masked, so a broken DATABASE_URL is never printed with its password.
 */
export function redactUrl(value: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(value)?.[0] ?? '';
  const start = scheme.length;
  let end = value.length;
  if (URL.canParse(value)) {
    // In a valid URL the userinfo ends at the last `@` of the authority.
    for (const stop of ['/', '?', '#', '\\']) {
      const index = value.indexOf(stop, start);
      if (index >= 0 && index < end) end = index;
    }
  }
  const at = value.slice(0, end).lastIndexOf('@');
  if (at < start) return value;
  const userinfo = value.slice(start, at);
  const colon = userinfo.indexOf(':');
  if (scheme && colon < 0) return value; // a user name alone
  const user = scheme ? userinfo.slice(0, colon + 1) : '';
  return `${scheme}${user}${MASK}${value.slice(at)}`;
}

/** Masks the password of every `scheme://user:password@host` in `text` (the user name stays). */
export function redactCredentials(text: string): string {
  return text.replace(URL_USERINFO, (_match, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    return colon < 0 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:${MASK}@`;
  });
}

/**
 * Replaces known secret values (passwords from the configuration, in their raw and URL-encoded
 * forms) and URL credentials in text meant for logs or HTTP answers.
 */
export class SecretRedactor {
  private readonly secrets: string[];

  /** Values shorter than 4 characters are ignored: masking them would mangle ordinary text. */
  constructor(secrets: Iterable<string | undefined>) {
    const forms = new Set<string>();
    for (const secret of secrets) {
      if (!secret || secret.length < 4) continue;
      forms.add(secret);
      forms.add(encodeURIComponent(secret));
    }
    // Longest first, so a secret containing another is masked whole.
    this.secrets = [...forms].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let result = redactCredentials(text);
    for (const secret of this.secrets) {
      if (result.includes(secret)) result = result.split(secret).join(MASK);
    }
    return result;
  }

  /** A JSON-like value with every string in it redacted; the same object when nothing changed. */
  redactValue<T>(value: T): T {
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (Array.isArray(value)) {
      const items = value.map((item) => this.walk(item));
      return items.some((item, index) => item !== value[index]) ? items : value;
    }
    if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
      const entries = Object.entries(value).map(([key, item]) => [key, this.walk(item)] as const);
      const changed = entries.some(
        ([key, item]) => item !== (value as Record<string, unknown>)[key],
      );
      return changed ? Object.fromEntries(entries) : value;
    }
    return value;
  }
}

/** The password of a URL, decoded, if it has one. */
export function urlPassword(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const password = new URL(value).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every secret a service holds: the passwords in its configuration (database URL, OpenSearch,
 * Kafka SASL) and the value of every set variable named like a secret (OPENAI_API_KEY, ...).
 */
export function configSecrets(config: AppConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  const secrets = [
    urlPassword(config.database.url),
    urlPassword(config.opensearch.url),
    config.opensearch.password,
    config.kafka.sasl?.password,
    ...Object.entries(env)
      .filter(([name]) => isSecretVariable(name))
      .map(([, value]) => value),
  ];
  return secrets.filter((secret): secret is string => Boolean(secret));
}
