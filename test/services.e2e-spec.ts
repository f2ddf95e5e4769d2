import { SERVICE_NAMES } from '@memory/config';
import { groupsAtTopicEnds } from './support/consumer-groups';
import { testKafka } from './support/kafka';
import { ServiceProcess } from './support/service-process';

describe('the five services', () => {
  let services: ServiceProcess[] = [];

  beforeAll(async () => {
    // Groups of this file's own, at the topics' ends: the services read nothing others left.
    const prefix = await groupsAtTopicEnds(testKafka(), 'e2e-services');
    services = SERVICE_NAMES.map(
      (name) => new ServiceProcess(name, { KAFKA_GROUP_PREFIX: prefix }),
    );
  });

  afterAll(async () => {
    await Promise.all(services.map((service) => service.stop('SIGKILL')));
  });

  it('each boots as its own process and reports live and ready', async () => {
    for (const service of services) service.start();
    await Promise.all(services.map((service) => service.waitReady(90_000)));
    for (const service of services) {
      const live = await fetch(`${service.baseUrl}/health/live`);
      expect(live.status).toBe(200);
      const ready = await fetch(`${service.baseUrl}/health/ready`);
      const body = (await ready.json()) as {
        status: string;
        info: Record<string, { status: string }>;
      };
      expect(ready.status).toBe(200);
      expect(body.status).toBe('ok');
      expect(Object.keys(body.info)).toEqual(expect.arrayContaining(['kafka', 'postgres']));
    }
    const search = services.find((service) => service.service === 'search');
    const searchReady = (await (await fetch(`${search?.baseUrl}/health/ready`)).json()) as {
      info: Record<string, { status: string }>;
    };
    expect(searchReady.info.opensearch?.status).toBe('up');
  });

  it('each serves its metrics for Prometheus on /metrics', async () => {
    for (const service of services) {
      const response = await fetch(`${service.baseUrl}/metrics`);
      expect({ service: service.service, status: response.status }).toEqual({
        service: service.service,
        status: 200,
      });
      expect(response.headers.get('content-type')).toContain('text/plain');
      const text = await response.text();
      expect(text).toContain(`service_name="memory-${service.service}"`);
    }
    // The compressor's first pass runs at start-up: its duration is there.
    const compressor = services.find((service) => service.service === 'compressor');
    const text = await (await fetch(`${compressor?.baseUrl}/metrics`)).text();
    expect(text).toMatch(/^compressor_pass_duration\w*_count\{[^}]*\} [1-9]/m);
  });

  it('each stops cleanly on SIGTERM within 10 s', async () => {
    const results = await Promise.all(services.map((service) => service.stop('SIGTERM')));
    const outcomes = results.map((result, i) => ({
      service: services[i].service,
      ...result,
      output: result.code === 0 ? [] : services[i].output.slice(-15),
    }));
    expect(outcomes.filter((o) => o.code !== 0 || o.ms >= 10_000)).toEqual([]);
  });
});

describe('configuration', () => {
  it('a bad KAFKA_BROKERS stops the service at once with a message naming the variable', async () => {
    const service = new ServiceProcess('ingest', { KAFKA_BROKERS: 'not a host' }).start();
    const code = await service.waitExit();
    expect(code).toBe(78);
    expect(service.output.join('\n')).toContain(
      'KAFKA_BROKERS: expected a comma-separated list of host:port',
    );
  });
});
