import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per service instance (several services share a process in tests), with the
 * metrics the shared kit records itself. Services add their own through `registry`.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Histogram<'method' | 'route' | 'status'>;
  readonly busPublished: Counter<'routing_key' | 'outcome'>;
  readonly busConsumed: Counter<'routing_key' | 'outcome'>;
  readonly busHandlerSeconds: Histogram<'routing_key'>;

  constructor(service: string, opts: { defaultMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ service });
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Histogram({
      name: 'xauth_http_request_duration_seconds', help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'], registers: [this.registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.busPublished = new Counter({
      name: 'xauth_bus_published_total', help: 'Messages published, by routing key and outcome (confirmed|failed)',
      labelNames: ['routing_key', 'outcome'], registers: [this.registry],
    });
    this.busConsumed = new Counter({
      name: 'xauth_bus_consumed_total', help: 'Messages consumed, by routing key and outcome (acked|retried|dead_lettered|requeued)',
      labelNames: ['routing_key', 'outcome'], registers: [this.registry],
    });
    this.busHandlerSeconds = new Histogram({
      name: 'xauth_bus_handler_duration_seconds', help: 'Handler duration by routing key',
      labelNames: ['routing_key'], registers: [this.registry], buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 15, 60],
    });
  }

  /** Label children by key: resolving labels hashes them, which the bus would otherwise do per message. */
  private readonly children = new Map<string, { inc(): void } | { observe(v: number): void }>();

  published(routingKey: string, outcome: string): { inc(): void } {
    return this.child(`p\0${routingKey}\0${outcome}`, () => this.busPublished.labels(routingKey, outcome));
  }
  consumed(routingKey: string, outcome: string): { inc(): void } {
    return this.child(`c\0${routingKey}\0${outcome}`, () => this.busConsumed.labels(routingKey, outcome));
  }
  handlerSeconds(routingKey: string): { observe(v: number): void } {
    return this.child(`h\0${routingKey}`, () => this.busHandlerSeconds.labels(routingKey));
  }
  private child<T extends { inc(): void } | { observe(v: number): void }>(key: string, make: () => T): T {
    let c = this.children.get(key) as T | undefined;
    if (!c) this.children.set(key, (c = make()));
    return c;
  }

  gauge(name: string, help: string, labelNames: string[] = []): Gauge<string> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
  counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }
  histogram(name: string, help: string, labelNames: string[] = [], buckets?: number[]): Histogram<string> {
    return new Histogram({ name, help, labelNames, registers: [this.registry], ...(buckets ? { buckets } : {}) });
  }
}
