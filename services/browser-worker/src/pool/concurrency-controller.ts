import { errorMessage, type Logger } from '@xauth/shared';
import {
  decideConcurrency,
  GROW_AFTER_SHRINK_TICKS,
  median,
  type ConcurrencyLimits,
  type ConcurrencyReason,
  type ConcurrencyWindow,
} from '../domain/concurrency.rule.js';
import type { Sampler } from './system-sampler.js';

/** What the controller reports to Prometheus. */
export interface ConcurrencyMetrics {
  concurrency(n: number): void;
  changed(direction: 'up' | 'down', reason: ConcurrencyReason): void;
  saturated(yes: boolean): void;
}

export interface ConcurrencyControllerOptions {
  limits: ConcurrencyLimits;
  tickMs: number;
  sampler: Sampler;
  metrics: ConcurrencyMetrics;
  logger: Logger;
  /** Makes the pool and the consumer's prefetch follow `n`. */
  apply(n: number): Promise<void>;
}

/**
 * Sizes the pool every tick from what happened in it (starts, flows, slots busy) and what the machine
 * shows (CPU, memory, event loop), with the rule in `concurrency.rule.ts`. It starts at the minimum.
 */
export class ConcurrencyController {
  private current = 0;
  private window: { starts: ConcurrencyWindow['starts'][number][]; flows: ConcurrencyWindow['flows'][number][] } = { starts: [], flows: [] };
  private busy = 0;
  private peakBusy = 0;
  private ticksSinceShrink = GROW_AFTER_SHRINK_TICKS;
  private timer?: NodeJS.Timeout;
  private ticking = false;
  /** Median start of each of the last windows that had starts: the fastest is the pool's usual start. */
  private recentStartMedians: number[] = [];

  constructor(private readonly o: ConcurrencyControllerOptions) {}

  get concurrency(): number {
    return this.current;
  }

  async start(): Promise<void> {
    await this.change(this.o.limits.min, 'up', 'start');
    this.timer = setInterval(() => void this.tick(), this.o.tickMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.o.sampler.stop();
  }

  startEnded(ms: number, ok: boolean): void {
    this.window.starts.push({ ms, ok });
  }

  flowEnded(ok: boolean, overloaded: boolean): void {
    this.window.flows.push({ ok, overloaded });
  }

  /** Jobs holding or acquiring a slot right now. */
  busyNow(n: number): void {
    this.busy = n;
    this.peakBusy = Math.max(this.peakBusy, n);
  }

  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const system = await this.o.sampler.sample();
      const usualStartMs = this.recentStartMedians.length ? Math.min(...this.recentStartMedians) : undefined;
      const window: ConcurrencyWindow = { ...this.window, peakBusy: this.peakBusy, ...system, usualStartMs };
      this.rememberStarts(window.starts);
      this.window = { starts: [], flows: [] };
      this.peakBusy = this.busy;
      const d = decideConcurrency(this.current, window, this.o.limits, this.ticksSinceShrink);
      this.ticksSinceShrink = d.direction === 'down' ? 0 : this.ticksSinceShrink + 1;
      this.o.metrics.saturated(d.saturated);
      if (d.direction !== 'none') {
        this.o.logger.info('browser pool concurrency changed', {
          from: this.current,
          to: d.next,
          reason: d.reason,
          cpu: round(system.cpu),
          freeMemoryMb: Math.round(system.freeMemoryBytes / 2 ** 20),
          loopLagMs: Math.round(system.loopLagMs),
          usualStartMs: usualStartMs && Math.round(usualStartMs),
          starts: window.starts.length,
          failedStarts: window.starts.filter((s) => !s.ok).length,
          peakBusy: window.peakBusy,
        });
        await this.change(d.next, d.direction, d.reason);
      }
    } catch (err) {
      this.o.logger.warn('could not size the browser pool this tick', { error: errorMessage(err) });
    } finally {
      this.ticking = false;
    }
  }

  private rememberStarts(starts: ConcurrencyWindow['starts']): void {
    const ok = starts.filter((s) => s.ok).map((s) => s.ms);
    if (!ok.length) return;
    this.recentStartMedians.push(median(ok));
    if (this.recentStartMedians.length > USUAL_START_WINDOWS) this.recentStartMedians.shift();
  }

  private async change(n: number, direction: 'up' | 'down', reason: ConcurrencyReason): Promise<void> {
    this.current = n;
    this.o.metrics.concurrency(n);
    this.o.metrics.changed(direction, reason);
    await this.o.apply(n);
  }
}

/** Windows with starts whose medians make the usual start: about a minute at the default interval. */
const USUAL_START_WINDOWS = 20;

const round = (x: number) => Math.round(x * 100) / 100;
