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
      name: 'xauth_http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.busPublished = new Counter({
      name: 'xauth_bus_published_total',
      help: 'Messages published, by routing key and outcome (confirmed|failed)',
      labelNames: ['routing_key', 'outcome'],
      registers: [this.registry],
      collect: () => this.flushCounts(),
    });
    this.busConsumed = new Counter({
      name: 'xauth_bus_consumed_total',
      help: 'Messages consumed, by routing key and outcome (acked|retried|dead_lettered|requeued)',
      labelNames: ['routing_key', 'outcome'],
      registers: [this.registry],
      collect: () => this.flushCounts(),
    });
    this.busHandlerSeconds = new Histogram({
      name: 'xauth_bus_handler_duration_seconds',
      help: 'Handler duration by routing key',
      labelNames: ['routing_key'],
      registers: [this.registry],
      buckets: [0.005, 0.025, 0.1, 0.5, 1, 2.5, 5, 15, 60],
    });
  }

  /**
   * Per-message bus counts, added in memory and handed to prom-client when it collects: a
   * prom-client child's `inc` hashes its labels on every call, about 2 µs a message on the bus.
   */
  private readonly pending = new Map<Counter<'routing_key' | 'outcome'>, Map<string, Map<string, PendingCount>>>();
  private readonly handlerChildren = new Map<string, { observe(v: number): void }>();

  published(routingKey: string, outcome: string): { inc(): void } {
    return this.pendingCount(this.busPublished, routingKey, outcome);
  }
  consumed(routingKey: string, outcome: string): { inc(): void } {
    return this.pendingCount(this.busConsumed, routingKey, outcome);
  }
  handlerSeconds(routingKey: string): { observe(v: number): void } {
    let c = this.handlerChildren.get(routingKey);
    if (!c) this.handlerChildren.set(routingKey, (c = this.busHandlerSeconds.labels(routingKey)));
    return c;
  }
  private pendingCount(counter: Counter<'routing_key' | 'outcome'>, routingKey: string, outcome: string): PendingCount {
    let byKey = this.pending.get(counter);
    if (!byKey) this.pending.set(counter, (byKey = new Map<string, Map<string, PendingCount>>()));
    let byOutcome = byKey.get(routingKey);
    if (!byOutcome) byKey.set(routingKey, (byOutcome = new Map<string, PendingCount>()));
    let count = byOutcome.get(outcome);
    if (!count) byOutcome.set(outcome, (count = new PendingCount(counter, { routing_key: routingKey, outcome })));
    return count;
  }
  /** Hands the counts added since the last collect to prom-client (its `collect` hook calls this). */
  private flushCounts(): void {
    for (const byKey of this.pending.values()) for (const byOutcome of byKey.values()) for (const count of byOutcome.values()) count.flush();
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

/** Counts in memory until prom-client collects. */
class PendingCount {
  private n = 0;
  constructor(
    private readonly counter: Counter<'routing_key' | 'outcome'>,
    private readonly labels: { routing_key: string; outcome: string },
  ) {}
  inc(): void {
    this.n++;
  }
  flush(): void {
    if (this.n === 0) return;
    this.counter.inc(this.labels, this.n);
    this.n = 0;
  }
}
