import {
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  context,
  propagation,
  trace,
  SpanKind,
  SpanStatusCode,
  type Context,
  type Span,
} from '@opentelemetry/api';

// Only the API is used here: without a registered SDK these are no-ops. `startTelemetry` starts the
// SDK and exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set (see DESIGN.md, Observability).
const tracer = () => trace.getTracer('xauth');

/** Adds `traceparent` (W3C) for the active span; without an SDK there is none to carry. */
export function injectTraceHeaders(headers: Record<string, unknown>): void {
  if (!tracingActive()) return;
  propagation.inject(context.active(), headers, {
    set: (carrier, key, value) => {
      (carrier as Record<string, unknown>)[key] = value;
    },
  });
}

export function extractTraceContext(headers: Record<string, unknown> | undefined): Context {
  if (!tracingActive()) return ROOT_CONTEXT;
  return propagation.extract(context.active(), headers ?? {}, {
    get: (carrier, key) => {
      const v = (carrier as Record<string, unknown>)[key];
      return typeof v === 'string' ? v : undefined;
    },
    keys: (carrier) => Object.keys(carrier as object),
  });
}

/** True once an SDK is registered (`startTelemetry`, or a test's provider). */
function tracingActive(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer('xauth') !== undefined;
}
const NOT_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Runs `fn` in a span named `name`, recording failure; `parent` continues a trace from the bus.
 * Without an SDK it calls `fn` directly: entering a no-op context per message costs promises
 * and async-context switches on the hot path for nothing (see scripts/bench/bus.mjs).
 */
export function inSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
  opts: { kind?: SpanKind; parent?: Context } = {},
): Promise<T> {
  if (!tracingActive()) return fn(NOT_RECORDING);
  return tracer().startActiveSpan(name, { kind: opts.kind ?? SpanKind.INTERNAL, attributes }, opts.parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/**
 * `inSpan` for per-message paths: the span's name, attributes and parent are built only when an
 * SDK traces, not for every message of a service that exports nothing.
 */
export function inLazySpan<T>(
  describe: () => { name: string; attributes: Record<string, string | number | boolean>; kind?: SpanKind; parent?: Context },
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingActive()) return fn(NOT_RECORDING);
  const d = describe();
  return inSpan(d.name, d.attributes, fn, { kind: d.kind, parent: d.parent });
}

export interface ServerSpan {
  run<T>(fn: () => T): T;
  end(route: string | undefined, status: number): void;
}
const NO_SERVER_SPAN: ServerSpan = { run: (fn) => fn(), end: () => undefined };

/**
 * A SERVER span for an incoming HTTP request, continuing the caller's trace; `run` executes the
 * rest of the request inside it, `end` names it by route and records the status.
 */
export function startServerSpan(method: string, path: string, headers: Record<string, unknown>): ServerSpan {
  // Without an SDK nothing is recorded: no span, no context to enter (every request passes here).
  if (!tracingActive()) return NO_SERVER_SPAN;
  const parent = extractTraceContext(headers);
  const span = tracer().startSpan(method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'url.path': path } }, parent);
  const ctx = trace.setSpan(parent, span);
  return {
    run: <T>(fn: () => T): T => context.with(ctx, fn),
    end: (route: string | undefined, status: number) => {
      if (route) span.updateName(`${method} ${route}`);
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    },
  };
}

export { SpanKind };
