import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { runCliAsync } from './support/cli';
import { IngestHarness } from './support/ingest-harness';

interface Registered {
  id: number;
  schema: string;
  schemaType: string;
}

/**
 * An in-test HTTP server speaking the part of the Confluent Schema Registry REST API the CLI
 * uses (no registry runs on this machine): register a version (an identical schema keeps its id,
 * a subject marked incompatible refuses with 409), check compatibility with the latest (404
 * 40401 without versions), basic auth.
 */
class FakeRegistry {
  readonly subjects = new Map<string, Registered[]>();
  readonly incompatible = new Set<string>();
  readonly contentTypes: string[] = [];
  private nextId = 100;
  private server: Server | undefined;
  url = '';

  constructor(private readonly auth: string) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const answer = (status: number, json: unknown) => {
          response.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
          response.end(JSON.stringify(json));
        };
        if (request.headers.authorization !== this.auth)
          return answer(401, { error_code: 401, message: 'Unauthorized' });
        this.contentTypes.push(String(request.headers['content-type']));
        const url = request.url ?? '';
        const compatibility = /^\/compatibility\/subjects\/([^/]+)\/versions\/latest$/.exec(url);
        const register = /^\/subjects\/([^/]+)\/versions$/.exec(url);
        const subject = decodeURIComponent((compatibility ?? register)?.[1] ?? '');
        if (request.method !== 'POST' || !subject)
          return answer(404, { error_code: 404, message: 'HTTP 404 Not Found' });
        const { schema, schemaType } = JSON.parse(body) as Registered;
        try {
          JSON.parse(schema);
        } catch {
          return answer(422, { error_code: 42201, message: 'Invalid schema' });
        }
        const versions = this.subjects.get(subject) ?? [];
        if (compatibility) {
          if (versions.length === 0)
            return answer(404, { error_code: 40401, message: `Subject '${subject}' not found.` });
          return answer(200, { is_compatible: !this.incompatible.has(subject) });
        }
        const same = versions.find((version) => version.schema === schema);
        if (same) return answer(200, { id: same.id });
        if (this.incompatible.has(subject))
          return answer(409, {
            error_code: 409,
            message: 'Schema being registered is incompatible with an earlier schema',
          });
        const registered = { id: this.nextId++, schema, schemaType };
        this.subjects.set(subject, [...versions, registered]);
        answer(200, { id: registered.id });
      });
    });
    await new Promise<void>((done) => this.server?.listen(0, '127.0.0.1', done));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((done) => this.server?.close(done));
  }
}

/*
 * `npm run memory -- schemas register` against a registry speaking the Confluent REST API, and a
 * record framed with the id it returned (magic byte 0, 4-byte schema id, JSON) produced to
 * chat.messages.v1 and stored by the real ingest service.
 */
describe('schema registry: registering the contracts, and framed records', () => {
  const env = { SCHEMA_REGISTRY_USER: 'memory', SCHEMA_REGISTRY_PASSWORD: 's3cret' };
  const registry = new FakeRegistry(`Basic ${Buffer.from('memory:s3cret').toString('base64')}`);
  const harness = new IngestHarness();
  const contract = (name: string): unknown =>
    JSON.parse(readFileSync(resolve(__dirname, `../docs/contracts/${name}.schema.json`), 'utf8'));

  beforeAll(async () => {
    await registry.start();
    await harness.setUp();
    await harness.start();
  });

  afterAll(async () => {
    await registry.stop();
    await harness.tearDown();
  });

  it('registers one JSON Schema per topic value, as published in docs/contracts, idempotently', async () => {
    const first = await runCliAsync(['schemas', 'register', '--registry', registry.url], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      'schemas: chat.messages.v1-value (chat.message.v1) registered, id 100',
      'schemas: memory.messages.v1-value (memory.message.v1) registered, id 101',
      'schemas: memory.summaries.v1-value (memory.summary.v1) registered, id 102',
    ]);
    const chat = registry.subjects.get('chat.messages.v1-value')?.[0];
    expect(chat?.schemaType).toBe('JSON');
    expect(JSON.parse(chat?.schema ?? '')).toEqual(contract('chat.message.v1'));
    expect(
      JSON.parse(registry.subjects.get('memory.summaries.v1-value')?.[0]?.schema ?? ''),
    ).toEqual(contract('memory.summary.v1'));
    expect(new Set(registry.contentTypes)).toEqual(
      new Set(['application/vnd.schemaregistry.v1+json']),
    );

    const again = await runCliAsync(['schemas', 'register', '--registry', registry.url], env);
    expect(again.stdout).toBe(first.stdout);
    expect(registry.subjects.get('chat.messages.v1-value')).toHaveLength(1);
  });

  it('checks compatibility, and reports a refusal with the registry’s reason', async () => {
    const check = await runCliAsync(['schemas', 'register', '--check'], {
      ...env,
      SCHEMA_REGISTRY_URL: registry.url,
    });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain('schemas: chat.messages.v1-value (chat.message.v1): compatible');

    registry.incompatible.add('memory.messages.v1-value');
    registry.subjects.set('memory.messages.v1-value', [
      { id: 7, schema: '{"type":"object"}', schemaType: 'JSON' },
    ]);
    const refused = await runCliAsync(
      ['schemas', 'register', '--check', '--registry', registry.url],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      'memory.messages.v1-value (memory.message.v1): NOT compatible',
    );
    const conflict = await runCliAsync(['schemas', 'register', '--registry', registry.url], env);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(
      /memory\.messages\.v1-value\/versions: 409 \(409\) incompatible with the latest version of the subject: Schema being registered is incompatible/,
    );

    const unauthorized = await runCliAsync(['schemas', 'register', '--registry', registry.url]);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toMatch(/401 \(401\) not authorized/);
    const nowhere = await runCliAsync(['schemas', 'register', '--registry', 'http://127.0.0.1:9']);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/the registry at http:\/\/127\.0\.0\.1:9 did not answer/);
    const missing = await runCliAsync(['schemas', 'register']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--registry <url> or SCHEMA_REGISTRY_URL/);
  });

  it('stores a record framed with the registered schema id', async () => {
    const id = registry.subjects.get('chat.messages.v1-value')?.[0]?.id ?? 0;
    const record = harness.record(harness.message('registry', 'registry-m1', 'framed with id'));
    const frame = Buffer.alloc(5);
    frame.writeUInt32BE(id, 1);
    await harness.produce([
      { ...record, value: Buffer.concat([frame, Buffer.from(String(record.value))]) },
    ]);
    await harness.waitForStored(1);
    expect((await harness.conversations()).get('registry')).toEqual({
      ids: ['registry-m1'],
      gapFree: true,
    });
  });
});
