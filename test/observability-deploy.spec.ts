import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_PORTS, SERVICE_NAMES } from '@memory/config';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { parse } from 'yaml';

/**
 * The Prometheus config, alerting rules and Grafana dashboard under deploy/ only work while
 * the metric names they query are the ones the services serve on GET /metrics: this test reads
 * the instruments the code creates, names them the way @opentelemetry/exporter-prometheus does,
 * and checks every name used in a PromQL expression against them.
 */

const ROOT = resolve(__dirname, '..');
const PROMETHEUS_CONFIG = 'deploy/prometheus/prometheus.yaml';
const ALERTS = 'deploy/prometheus/alerts.yaml';
const DASHBOARD = 'deploy/grafana/memory-dashboard.json';
const OPERATIONS = 'docs/operations.md';

const INSTRUMENT_KINDS = [
  'Counter',
  'UpDownCounter',
  'Histogram',
  'Gauge',
  'ObservableCounter',
  'ObservableUpDownCounter',
  'ObservableGauge',
] as const;
type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];

interface Instrument {
  /** The OpenTelemetry name, e.g. `search.request.duration`. */
  name: string;
  kind: InstrumentKind;
  unit: string;
  /** Where it is created, relative to the repository. */
  file: string;
}

/** Series Prometheus itself adds to every target, and the exporter's resource series. */
const NOT_FROM_INSTRUMENTS = ['up', 'target_info'];

function readText(path: string): string {
  return readFileSync(resolve(ROOT, path), 'utf8');
}

/** TypeScript sources (tests left out) under `directory`, recursively. */
function sourceFiles(directory: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') files.push(...sourceFiles(path));
    } else if (
      entry.name.endsWith('.ts') &&
      !entry.name.endsWith('.d.ts') &&
      !entry.name.endsWith('.spec.ts')
    ) {
      files.push(path);
    }
  }
  return files;
}

/** The text between the `(` at `open` and its matching `)`, skipping string literals. */
function callArguments(source: string, open: number): string {
  let depth = 0;
  let quote: string | undefined;
  for (let i = open; i < source.length; i++) {
    const char = source[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === "'" || char === '"' || char === '`') {
      quote = char;
    } else if (char === '(' || char === '{' || char === '[') {
      depth++;
    } else if (char === ')' || char === '}' || char === ']') {
      depth--;
      if (depth === 0) return source.slice(open + 1, i);
    }
  }
  throw new Error(`unbalanced call at offset ${open}`);
}

const CREATE_CALL = new RegExp(
  `\\.create(${INSTRUMENT_KINDS.join('|')})\\(\\s*(['"\`])([^'"\`]+)\\2`,
  'g',
);

/** Every `meter.createCounter('x.y', { unit })` (and the other kinds) under apps/ and libs/. */
function findInstruments(): Instrument[] {
  const instruments: Instrument[] = [];
  for (const file of [...sourceFiles(join(ROOT, 'apps')), ...sourceFiles(join(ROOT, 'libs'))]) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(CREATE_CALL)) {
      const open = (match.index ?? 0) + match[0].indexOf('(');
      const unit = /\bunit\s*:\s*(['"`])([^'"`]*)\1/.exec(callArguments(source, open));
      instruments.push({
        name: match[3],
        kind: match[1] as InstrumentKind,
        unit: unit?.[2] ?? '',
        file: relative(ROOT, file),
      });
    }
  }
  return instruments;
}

/**
 * The names of the series one instrument gives on /metrics, following PrometheusSerializer of
 * @opentelemetry/exporter-prometheus 0.223: characters other than [a-zA-Z0-9_] become `_` (runs
 * of `_` collapse), a leading digit gets a `_` in front, monotonic sums (counters) end in
 * `_total`, histograms give `_bucket`, `_sum` and `_count`. The unit is NOT appended to the
 * name (it only goes on a `# UNIT` line), so a histogram in seconds has no `_seconds`.
 * Up-down counters and gauges are gauges, named as they are. `service.name` is a label of
 * `target_info` only, not of each series. The test below holds the real exporter to this.
 */
function prometheusNames(instrument: Pick<Instrument, 'name' | 'kind'>): string[] {
  let base = instrument.name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
  if (/^[0-9]/.test(base)) base = `_${base}`;
  switch (instrument.kind) {
    case 'Counter':
    case 'ObservableCounter':
      return [base.endsWith('_total') ? base : `${base}_total`];
    case 'Histogram':
      return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
    case 'UpDownCounter':
    case 'ObservableUpDownCounter':
    case 'Gauge':
    case 'ObservableGauge':
      return [base];
  }
}

/** Series names of a Prometheus text exposition, `target_info` left out. */
function exposedNames(exposition: string): string[] {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const name = /^[^#\s{][^\s{]*/.exec(line)?.[0];
    if (name && name !== 'target_info') names.add(name);
  }
  return [...names].sort();
}

/** What the real exporter serves for these instruments, one value recorded on each. */
async function exposition(instruments: Instrument[]): Promise<string> {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  const meter = provider.getMeter('observability-deploy-spec');
  for (const { name, kind, unit } of instruments) {
    const options = unit ? { unit } : {};
    switch (kind) {
      case 'Counter':
        meter.createCounter(name, options).add(1);
        break;
      case 'UpDownCounter':
        meter.createUpDownCounter(name, options).add(1);
        break;
      case 'Histogram':
        meter.createHistogram(name, options).record(1);
        break;
      case 'Gauge':
        meter.createGauge(name, options).record(1);
        break;
      case 'ObservableCounter':
        meter.createObservableCounter(name, options).addCallback((result) => result.observe(1));
        break;
      case 'ObservableUpDownCounter':
        meter
          .createObservableUpDownCounter(name, options)
          .addCallback((result) => result.observe(1));
        break;
      case 'ObservableGauge':
        meter.createObservableGauge(name, options).addCallback((result) => result.observe(1));
        break;
    }
  }
  try {
    const { resourceMetrics } = await exporter.collect();
    return new PrometheusSerializer().serialize(resourceMetrics);
  } finally {
    await provider.shutdown();
  }
}

/** PromQL functions, aggregations, keywords and literals: the identifiers that name no series. */
const PROMQL_WORDS = new Set([
  // aggregation operators and their modifiers
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
  'by',
  'without',
  // binary operator keywords and modifiers
  'and',
  'or',
  'unless',
  'atan2',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'start',
  'end',
  'inf',
  'nan',
  // the histogram bucket label, should it appear outside a matcher
  'le',
  // functions
  'abs',
  'absent',
  'absent_over_time',
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'avg_over_time',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'cos',
  'cosh',
  'count_over_time',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'deg',
  'delta',
  'deriv',
  'double_exponential_smoothing',
  'exp',
  'floor',
  'histogram_avg',
  'histogram_count',
  'histogram_fraction',
  'histogram_quantile',
  'histogram_stddev',
  'histogram_stdvar',
  'histogram_sum',
  'holt_winters',
  'hour',
  'idelta',
  'increase',
  'irate',
  'label_join',
  'label_replace',
  'last_over_time',
  'ln',
  'log10',
  'log2',
  'mad_over_time',
  'max_over_time',
  'min_over_time',
  'minute',
  'month',
  'pi',
  'predict_linear',
  'present_over_time',
  'quantile_over_time',
  'rad',
  'rate',
  'resets',
  'round',
  'scalar',
  'sgn',
  'sin',
  'sinh',
  'sort',
  'sort_by_label',
  'sort_by_label_desc',
  'sort_desc',
  'sqrt',
  'stddev_over_time',
  'stdvar_over_time',
  'sum_over_time',
  'tan',
  'tanh',
  'time',
  'timestamp',
  'vector',
  'year',
]);

/**
 * The series names a PromQL expression reads: identifiers followed by `{`, `[`, `)`, an
 * operator, whitespace or the end, once strings, label matchers, ranges and the label lists of
 * by/without/on/ignoring/group_left/group_right are taken out, less functions and keywords.
 * An identifier followed by `(` must be a known function.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^{}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)/g, '$1 ()');
  const names: string[] = [];
  for (const match of stripped.matchAll(/(?<![\w.$:])[A-Za-z_:][\w:]*/g)) {
    const word = match[0];
    const next = stripped.slice((match.index ?? 0) + word.length).trimStart()[0];
    if (next === '(') {
      if (!PROMQL_WORDS.has(word)) throw new Error(`unknown PromQL function ${word} in: ${expr}`);
    } else if (!PROMQL_WORDS.has(word)) {
      names.push(word);
    }
  }
  return [...new Set(names)];
}

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface PrometheusConfig {
  global: { scrape_interval: string };
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    metrics_path?: string;
    static_configs: { targets: string[]; labels?: Record<string, string> }[];
  }[];
}

interface Panel {
  id: number;
  type: string;
  title: string;
  description?: string;
  datasource?: { type: string; uid: string };
  targets?: { expr: string; refId: string }[];
  panels?: Panel[];
}

interface Dashboard {
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string }[] };
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Anchors a Markdown file gives: GitHub's slugs of its headings, and explicit `<a id>`s. */
function markdownAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    for (const explicit of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(explicit[1]);
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .trim()
      .replace(/\s/g, '-');
    const times = seen.get(slug) ?? 0;
    seen.set(slug, times + 1);
    anchors.add(times === 0 ? slug : `${slug}-${times}`);
  }
  return anchors;
}

describe('observability deployment (Prometheus, alerts, Grafana)', () => {
  const instruments = findInstruments();
  const defined = new Set([...NOT_FROM_INSTRUMENTS, ...instruments.flatMap(prometheusNames)]);
  const config = parse(readText(PROMETHEUS_CONFIG)) as PrometheusConfig;
  const groups = (parse(readText(ALERTS)) as { groups: { name: string; rules: AlertRule[] }[] })
    .groups;
  const alerts = groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
  const dashboard = JSON.parse(readText(DASHBOARD)) as Dashboard;
  const panels = allPanels(dashboard.panels).filter((panel) => panel.type !== 'row');

  /** Every PromQL expression of the three files, with where it is. */
  const expressions: { where: string; expr: string }[] = [
    ...groups.flatMap((group) =>
      group.rules.map((rule) => ({
        where: `${ALERTS} ${rule.alert ?? rule.record}`,
        expr: rule.expr,
      })),
    ),
    ...panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        where: `${DASHBOARD} "${panel.title}" ${target.refId}`,
        expr: target.expr,
      })),
    ),
  ];

  it('finds the instruments the code creates', () => {
    expect(instruments.length).toBeGreaterThanOrEqual(30);
    expect(instruments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'kafka.consumer.lag', kind: 'ObservableGauge' }),
        expect.objectContaining({ name: 'search.request.duration', kind: 'Histogram', unit: 's' }),
        expect.objectContaining({ name: 'ingest.records.dead_lettered', kind: 'Counter' }),
      ]),
    );
  });

  it('names the series the way @opentelemetry/exporter-prometheus does', async () => {
    const served = exposedNames(await exposition(instruments));
    expect(served).toEqual(
      [...defined].filter((name) => name !== 'up' && name !== 'target_info').sort(),
    );
    expect(prometheusNames({ name: 'search.request.duration', kind: 'Histogram' })).toEqual([
      'search_request_duration_bucket',
      'search_request_duration_sum',
      'search_request_duration_count',
    ]);
  });

  it('reads metric names out of PromQL', () => {
    expect(
      metricNames(
        'sum by (group, topic) (rate(kafka_consumer_batch_retries_total{group=~"memory.*"}[5m]))' +
          ' / on (le) group_left (service) up offset 1h > 1e-3 and target_info' +
          ' or histogram_quantile(0.99, sum by (le) (rate(x_bucket[$__rate_interval])))',
      ),
    ).toEqual(['kafka_consumer_batch_retries_total', 'up', 'target_info', 'x_bucket']);
    expect(() => metricNames('rte(x[5m])')).toThrow('unknown PromQL function rte');
  });

  it('uses only metric names the services serve', () => {
    const unknown: string[] = [];
    for (const { where, expr } of expressions) {
      const names = metricNames(expr);
      if (names.length === 0) unknown.push(`${where}: reads no metric: ${expr}`);
      for (const name of names)
        if (!/^[a-z_][a-z0-9_]*$/.test(name) || !defined.has(name))
          unknown.push(`${where}: ${name}`);
    }
    expect(unknown).toEqual([]);
  });

  it('scrapes the five services and the MCP server every 15 s and loads the alerting rules', () => {
    expect(config.global.scrape_interval).toBe('15s');
    expect(config.rule_files).toContain('alerts.yaml');
    for (const file of config.rule_files)
      expect(existsSync(resolve(ROOT, 'deploy/prometheus', file))).toBe(true);
    const targets = config.scrape_configs.flatMap((job) =>
      job.static_configs.flatMap((group) =>
        group.targets.map((target) => ({
          job: job.job_name,
          path: job.metrics_path ?? '/metrics',
          target,
          service: group.labels?.service,
        })),
      ),
    );
    expect(targets.filter((target) => target.service !== 'mcp')).toEqual(
      SERVICE_NAMES.map((service) => ({
        job: 'memory',
        path: '/metrics',
        target: `localhost:${DEFAULT_PORTS[service]}`,
        service,
      })),
    );
    // And the MCP server, whose port its own settings spec checks against this file.
    expect(targets.filter((target) => target.service === 'mcp')).toHaveLength(1);
  });

  it('gives every alert a duration, a severity, a summary, a description and a runbook', () => {
    expect(alerts.length).toBeGreaterThan(0);
    const names = alerts.map((rule) => rule.alert);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    for (const rule of alerts) {
      const problems = [
        /^\d+[smhdwy]$/.test(rule.for ?? '') ? undefined : 'for',
        ['warning', 'critical'].includes(rule.labels?.severity ?? '') ? undefined : 'severity',
        rule.annotations?.summary ? undefined : 'summary',
        rule.annotations?.description ? undefined : 'description',
        /^docs\/operations\.md#[a-z0-9-]+$/.test(rule.annotations?.runbook ?? '')
          ? undefined
          : 'runbook',
      ].filter(Boolean);
      expect({ alert: rule.alert, problems }).toEqual({ alert: rule.alert, problems: [] });
    }
  });

  it('has a dashboard on a Prometheus data source variable, every panel described', () => {
    expect(dashboard.title).toBe('Conversation memory');
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.templating.list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
      ]),
    );
    expect(
      dashboard.panels.filter((panel) => panel.type === 'row').map((row) => row.title),
    ).toEqual(['Overview', 'Kafka consumers', 'Summaries', 'Search', 'Lifecycle', 'MCP (agents)']);
    const ids = allPanels(dashboard.panels).map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of panels) {
      expect({ panel: panel.title, description: Boolean(panel.description?.trim()) }).toEqual({
        panel: panel.title,
        description: true,
      });
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(panel.targets?.length).toBeGreaterThan(0);
    }
  });

  it('reads the anchors of Markdown headings the way GitHub makes them', () => {
    const anchors = markdownAnchors(
      [
        '# Operations',
        '## Consumer lag',
        '```',
        '# not a heading',
        '```',
        '### Dead letters (DLQ)',
        '## Consumer lag',
        '<a id="pipeline-stalled"></a>',
      ].join('\n'),
    );
    expect([...anchors].sort()).toEqual([
      'consumer-lag',
      'consumer-lag-1',
      'dead-letters-dlq',
      'operations',
      'pipeline-stalled',
    ]);
  });

  it(`points every runbook at a heading of ${OPERATIONS}`, () => {
    const anchors = [
      ...new Set(alerts.map((rule) => (rule.annotations?.runbook ?? '').split('#')[1])),
    ].sort();
    if (!existsSync(resolve(ROOT, OPERATIONS)))
      throw new Error(
        `${OPERATIONS} is missing: the runbooks of ${ALERTS} point at its anchors ` +
          anchors.map((anchor) => `#${anchor}`).join(', '),
      );
    const headings = markdownAnchors(readText(OPERATIONS));
    expect(anchors.filter((anchor) => !headings.has(anchor))).toEqual([]);
  });
});
