import { context, propagation, trace, SpanKind, SpanStatusCode, type Context, type Span } from '@opentelemetry/api';

// Only the API is used here: without a registered SDK these are no-ops. The SDK and exporter start
// only when OTEL_EXPORTER_OTLP_ENDPOINT is set (see DESIGN.md, Observability).
const tracer = () => trace.getTracer('xauth');

export function injectTraceHeaders(headers: Record<string, unknown>): void {
  propagation.inject(context.active(), headers, {
    set: (carrier, key, value) => { (carrier as Record<string, unknown>)[key] = value; },
  });
}

export function extractTraceContext(headers: Record<string, unknown> | undefined): Context {
  return propagation.extract(context.active(), headers ?? {}, {
    get: (carrier, key) => {
      const v = (carrier as Record<string, unknown>)[key];
      return typeof v === 'string' ? v : undefined;
    },
    keys: (carrier) => Object.keys(carrier as object),
  });
}

/** Runs `fn` in a span named `name`, recording failure; `parent` continues a trace from the bus. */
export async function inSpan<T>(
  name: string,
  attributes: Record<string, string | number | boolean>,
  fn: (span: Span) => Promise<T>,
  opts: { kind?: SpanKind; parent?: Context } = {},
): Promise<T> {
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

export { SpanKind };
