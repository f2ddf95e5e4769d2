import {
  chatMessageJsonSchema,
  memoryMessageJsonSchema,
  memorySummaryJsonSchema,
  TOPICS,
} from '@memory/contracts';
import { optionalOption, ParsedArgs, UsageError } from '../args';

export const SCHEMAS_USAGE = `schemas register [--registry <url>] [--dry-run | --check]
      registers the JSON Schemas of the contracts (as in docs/contracts) with a schema registry
      that speaks the Confluent REST API, one subject per topic value (<topic>-value), and
      prints each schema id (an identical schema keeps its id). --check only asks whether each
      is compatible with the subject's latest version; --dry-run prints what would be sent.
      The registry is --registry or SCHEMA_REGISTRY_URL; SCHEMA_REGISTRY_USER and
      SCHEMA_REGISTRY_PASSWORD (basic auth) when it needs them`;

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** The subjects this product defines: each topic's value (TopicNameStrategy). */
export function contractSubjects(): Array<{ subject: string; name: string; schema: string }> {
  return [
    { topic: TOPICS.chatMessages, name: 'chat.message.v1', schema: chatMessageJsonSchema() },
    { topic: TOPICS.memoryMessages, name: 'memory.message.v1', schema: memoryMessageJsonSchema() },
    { topic: TOPICS.memorySummaries, name: 'memory.summary.v1', schema: memorySummaryJsonSchema() },
  ].map(({ topic, name, schema }) => ({
    subject: `${topic}-value`,
    name,
    schema: JSON.stringify(schema),
  }));
}

/** A registry's refusal: its HTTP status and its own `error_code` and message. */
export class RegistryError extends Error {}

export async function schemasCommand(args: ParsedArgs, env: NodeJS.ProcessEnv): Promise<void> {
  if (args.positional[1] !== 'register') throw new UsageError(SCHEMAS_USAGE);
  const registry = optionalOption(args, 'registry') ?? env.SCHEMA_REGISTRY_URL;
  if (!registry)
    throw new UsageError('schemas register needs --registry <url> or SCHEMA_REGISTRY_URL');
  let base: URL;
  try {
    base = new URL(registry.endsWith('/') ? registry : `${registry}/`);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('protocol');
  } catch {
    throw new UsageError(`the registry must be an http(s) URL, not ${JSON.stringify(registry)}`);
  }
  const dryRun = args.options.has('dry-run');
  const check = args.options.has('check');
  if (dryRun && check) throw new UsageError('--dry-run and --check do not go together');
  const headers: Record<string, string> = { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE };
  if (env.SCHEMA_REGISTRY_USER)
    headers.authorization = `Basic ${Buffer.from(`${env.SCHEMA_REGISTRY_USER}:${env.SCHEMA_REGISTRY_PASSWORD ?? ''}`).toString('base64')}`;

  let incompatible = 0;
  for (const { subject, name, schema } of contractSubjects()) {
    const body = JSON.stringify({ schemaType: 'JSON', schema });
    const path = `subjects/${encodeURIComponent(subject)}/versions`;
    if (dryRun) {
      process.stdout.write(
        `schemas: would POST ${new URL(path, base).href} (${name}, ${body.length} bytes)\n`,
      );
      continue;
    }
    if (check) {
      const answer = await call(
        new URL(`compatibility/${path}/latest`, base),
        headers,
        body,
        [404],
      );
      const verdict =
        answer.status === 404
          ? 'no version yet (registering it is always compatible)'
          : (answer.json as { is_compatible?: boolean }).is_compatible
            ? 'compatible'
            : 'NOT compatible';
      if (verdict === 'NOT compatible') incompatible++;
      process.stdout.write(`schemas: ${subject} (${name}): ${verdict}\n`);
      continue;
    }
    const answer = await call(new URL(path, base), headers, body);
    const id = (answer.json as { id?: unknown }).id;
    process.stdout.write(`schemas: ${subject} (${name}) registered, id ${String(id)}\n`);
  }
  if (incompatible > 0) process.exitCode = 1;
}

async function call(
  url: URL,
  headers: Record<string, string>,
  body: string,
  allowed: number[] = [],
): Promise<{ status: number; json: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw new RegistryError(
      `schemas: the registry at ${url.origin} did not answer: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (response.ok || allowed.includes(response.status)) return { status: response.status, json };
  const { error_code: code, message } = (json ?? {}) as { error_code?: number; message?: string };
  const why =
    response.status === 409
      ? 'incompatible with the latest version of the subject'
      : response.status === 422
        ? 'the registry refused the schema as invalid'
        : response.status === 401 || response.status === 403
          ? 'not authorized (SCHEMA_REGISTRY_USER, SCHEMA_REGISTRY_PASSWORD)'
          : 'the registry refused the request';
  throw new RegistryError(
    `schemas: ${url.pathname}: ${response.status}${code ? ` (${code})` : ''} ${why}: ${message ?? text.slice(0, 300)}`,
  );
}
