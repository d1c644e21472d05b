import type { Logger } from './logger.js';

export interface Telemetry {
  /** Flushes pending spans and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Starts the OpenTelemetry SDK (W3C propagation, async context, batched OTLP/HTTP export) when an
 * endpoint is configured; without one the API's no-ops stay and nothing is loaded. It registers
 * process-wide globals, so a service's `main` calls it once, before starting the service.
 */
export async function startTelemetry(opts: { service: string; endpoint?: string; logger: Logger }): Promise<Telemetry> {
  if (!opts.endpoint) return { shutdown: async () => undefined };
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  const url = `${opts.endpoint.replace(/\/$/, '')}/v1/traces`;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.service }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url, timeoutMillis: 10_000 }))],
  });
  provider.register();
  opts.logger.info('exporting traces', { endpoint: url });
  return { shutdown: () => provider.shutdown() };
}
