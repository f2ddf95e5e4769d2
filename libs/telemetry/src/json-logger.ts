import { LoggerService } from '@nestjs/common';
import { trace } from '@opentelemetry/api';

export type LogLevelName = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

const SEVERITY: Record<LogLevelName, number> = {
  fatal: 60,
  error: 50,
  warn: 40,
  info: 30,
  debug: 20,
  trace: 10,
};

type Fields = Record<string, unknown>;

export interface JsonLoggerOptions {
  service: string;
  level: LogLevelName;
  format: 'json' | 'pretty';
  write?: (line: string) => void;
}

/**
 * Nest logger that writes one structured line per entry with the active trace and span ids.
 * Classes keep using `new Logger(Class.name)`; this is the sink behind all of them.
 * Pass a plain object as the message to log structured fields: `{ msg: '...', partition: 3 }`.
 */
export class JsonLogger implements LoggerService {
  private readonly threshold: number;
  private readonly write: (line: string) => void;

  constructor(private readonly options: JsonLoggerOptions) {
    this.threshold = SEVERITY[options.level];
    this.write = options.write ?? ((line) => process.stdout.write(line + '\n'));
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.emit('fatal', message, rest);
  }

  private emit(level: LogLevelName, message: unknown, rest: unknown[]): void {
    if (SEVERITY[level] < this.threshold) return;
    // Nest passes the logger context as the last string argument and, for errors, a stack before it.
    const params = [...rest];
    const context =
      typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const entry: Fields = {
      time: new Date().toISOString(),
      level,
      service: this.options.service,
      context,
      ...toFields(message),
    };
    for (const param of params) {
      if (param instanceof Error) entry.err = serializeError(param);
      else if (typeof param === 'string' && level === 'error' && param.includes('\n'))
        entry.stack = param;
      else if (param !== undefined) Object.assign(entry, toFields(param, 'detail'));
    }
    const spanContext = trace.getActiveSpan()?.spanContext();
    if (spanContext) {
      entry.traceId = spanContext.traceId;
      entry.spanId = spanContext.spanId;
    }
    this.write(this.options.format === 'json' ? safeJson(entry) : pretty(entry));
  }
}

function toFields(value: unknown, key = 'msg'): Fields {
  if (value instanceof Error) return { msg: value.message, err: serializeError(value) };
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return { ...(value as Fields) };
  return { [key]: typeof value === 'string' ? value : safeJson(value) };
}

function serializeError(error: Error): Fields {
  return { name: error.name, message: error.message, stack: error.stack };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}

function pretty(entry: Fields): string {
  const {
    time,
    level,
    context,
    msg,
    service: _service,
    traceId,
    spanId: _spanId,
    ...fields
  } = entry;
  const extra = Object.keys(fields).length > 0 ? ' ' + safeJson(fields) : '';
  const text = (value: unknown): string =>
    typeof value === 'string' ? value : safeJson(value ?? '');
  const traceSuffix = traceId ? ` trace=${text(traceId)}` : '';
  return `${text(time)} ${text(level).toUpperCase().padEnd(5)} [${text(context ?? '-')}] ${text(msg)}${extra}${traceSuffix}`;
}
