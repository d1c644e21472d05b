import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import winston from 'winston';
import { redact, redactText } from './redact.js';

/** Fields that follow the work through async calls: set once per message or request. */
export interface LogContext {
  correlationId?: string;
  requestId?: string;
  jobId?: string;
  accountId?: string;
  messageId?: string;
}

const storage = new AsyncLocalStorage<LogContext>();

/** Runs `fn` with `ctx` merged into the fields every log line carries. */
export function withLogContext<T>(ctx: LogContext, fn: () => T): T {
  return storage.run({ ...storage.getStore(), ...ctx }, fn);
}
export function logContext(): LogContext {
  return storage.getStore() ?? {};
}

export type Logger = winston.Logger;

// Redaction is a formatter, so no call site can forget it.
const redactFormat = winston.format((info, opts: unknown) => {
  const ctx = storage.getStore();
  if (ctx) for (const [k, v] of Object.entries(ctx)) if (v !== undefined && info[k] === undefined) info[k] = v;
  const span = trace.getActiveSpan()?.spanContext();
  if (span && span.traceId !== '00000000000000000000000000000000') {
    info.traceId = span.traceId;
    info.spanId = span.spanId;
  }
  if ((opts as { off?: boolean } | undefined)?.off) return info;
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'service' || key === 'timestamp') continue;
    info[key] = key === 'message' && typeof info[key] === 'string' ? redactText(info[key] as string) : redact({ [key]: info[key] })[key];
  }
  return info;
});

export interface LoggerOptions {
  service: string;
  level?: string;
  /** Extra writable streams (tests capture logs to assert nothing secret leaks). */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
  /**
   * False turns secret redaction off. Only for the test that proves the secret scan catches a leak;
   * no service config reaches it. @defaultValue true
   */
  redaction?: boolean;
}

/** A winston JSON logger: `service`, `level`, `message`, `timestamp`, context ids, trace ids, secrets redacted. */
export function createLogger(opts: LoggerOptions): Logger {
  const transports: winston.transport[] = [new winston.transports.Console({ silent: opts.silent })];
  if (opts.stream) transports.push(new winston.transports.Stream({ stream: opts.stream }));
  return winston.createLogger({
    level: opts.level ?? 'info',
    defaultMeta: { service: opts.service },
    format: winston.format.combine(
      winston.format.errors({ stack: false }),
      redactFormat({ off: opts.redaction === false }),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports,
  });
}
