import { performance } from 'node:perf_hooks';
import { errorMessage, type Logger } from '@xauth/shared';
import {
  decideConcurrency,
  earnsItsBrowser,
  GROW_AFTER_SHRINK_TICKS,
  median,
  type ConcurrencyLimits,
  type ConcurrencyReason,
  type ConcurrencyWindow,
  type MeasuredCapacity,
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
  /** Milliseconds on a monotonic clock (tests set it). */
  now?: () => number;
}

/**
 * Sizes the pool every tick from what happened in it (starts, flows, slots busy) and what the machine
 * shows (CPU, memory, event loop), with the rule in `concurrency.rule.ts`. It starts at the minimum.
 */
export class ConcurrencyController {
  private current = 0;
  private window = emptyWindow();
  private busy = 0;
  private peakBusy = 0;
  private ticksSinceShrink = GROW_AFTER_SHRINK_TICKS;
  private timer?: NodeJS.Timeout;
  private ticking = false;
  /**
   * Per concurrency level, the median start of each of its last windows that had starts run entirely
   * at it: the fastest is that level's usual start.
   */
  private readonly startMedians = new Map<number, number[]>();
  /**
   * Since when what ends counts for the current level: when it was set (a cycle that began before
   * ran at another level), or when a stall ended (a cycle running through it measured the stall).
   */
  private levelSince: number;
  /** The last interval's event-loop lag (p99), ms. */
  private lastLoopLagMs = 0;
  /** Slot cycles of late per concurrency level (how long, and when they ended), for its measured capacity. */
  private readonly cycles = new Map<number, Array<{ ms: number; at: number }>>();
  /**
   * Levels the pool went back down from for no_gain, and when it may grow to them again: after four
   * minutes, then twice as long each time (up to RETRY_NO_GAIN_MAX_MS), so that a pool on a machine it
   * already fills does not keep paying for futile tries, nor return on a noisy figure of the level
   * below. Forgotten when the level is measured to pay, and the wait ends when the CPU has room.
   */
  private readonly noGain = new Map<number, { waitMs: number; until: number }>();
  /**
   * When the pool grew to the current level, while that level is on trial: until a full set of its
   * cycles ended, so that it is judged on them, not on its first noisy three. Any change resets it.
   */
  private trialSince?: number;
  /** Ticks in a row with CPU below the growth bound: the machine has room again only when it lasts. */
  private roomTicks = 0;
  /** When the last tick ran: what ended since then is in the current interval. */
  private lastTickAt: number;

  private readonly now: () => number;

  constructor(private readonly o: ConcurrencyControllerOptions) {
    this.now = o.now ?? (() => performance.now());
    this.levelSince = this.now();
    this.lastTickAt = this.levelSince;
  }

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
    if (ok && this.ranAtCurrentLevel(ms)) this.window.levelStarts.push(ms);
  }

  flowEnded(ok: boolean, overloaded: boolean): void {
    this.window.flows.push({ ok, overloaded });
  }

  /**
   * A job gave up its slot `ms` after it got it (its profile start, flow and close; a warm browser's
   * lease): counted for the current level when the whole cycle ran at it.
   */
  cycleEnded(ms: number): void {
    if (this.ranAtCurrentLevel(ms)) keepLast(this.cycles, this.current, { ms, at: this.now() }, cyclesKept(this.current));
  }

  /** Whether something that took `ms` and just ended began after the current concurrency was set. */
  private ranAtCurrentLevel(ms: number): boolean {
    return this.now() - ms >= this.levelSince;
  }

  /** Jobs a second `n` slots finish when all are busy (n ÷ mean cycle); undefined until measured, or once old. */
  private capacityAt(n: number, now: number): number | undefined {
    const ended = this.cycles.get(n) ?? [];
    if (ended.length < Math.max(MIN_CYCLES, n) || now - ended.at(-1)!.at > CAPACITY_FRESH_MS) return undefined;
    return (n * 1000) / (ended.reduce((a, c) => a + c.ms, 0) / ended.length);
  }

  private capacity(): MeasuredCapacity {
    const now = this.now();
    return { current: this.capacityAt(this.current, now), above: this.capacityAt(this.current + 1, now), below: this.capacityAt(this.current - 1, now) };
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
      const { loopStallMs, ...system } = await this.o.sampler.sample();
      if (loopStallMs >= this.o.tickMs) {
        this.forgetStall(loopStallMs);
        return;
      }
      const levelMedians = this.startMedians.get(this.current);
      const usualStartMs = levelMedians?.length ? Math.min(...levelMedians) : undefined;
      const { levelStarts, ...ended } = this.window;
      const levelStartMs = levelStarts.length ? median(levelStarts) : undefined;
      const capacity = this.capacity();
      const holdAbove = this.updateNoGainWaits(capacity, system.cpu);
      const trial = this.trialState();
      // Event-loop lag counts when it lasted two intervals: one stalled interval is the host (a
      // shared one steals the CPU for a moment), and shrinking for it cost the pool a browser for 9 s.
      const loopLagMs = Math.min(system.loopLagMs, this.lastLoopLagMs);
      this.lastLoopLagMs = system.loopLagMs;
      const window: ConcurrencyWindow = { ...ended, peakBusy: this.peakBusy, ...system, loopLagMs, levelStartMs, usualStartMs, capacity, holdAbove, trial };
      if (levelStartMs !== undefined) keepLast(this.startMedians, this.current, levelStartMs, USUAL_START_WINDOWS);
      this.resetWindow();
      const d = decideConcurrency(this.current, window, this.o.limits, this.ticksSinceShrink);
      if (trial === 'ended') this.trialSince = undefined;
      if (d.reason === 'no_gain') this.leftForNoGain(this.current);
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
          levelStartMs: levelStartMs && Math.round(levelStartMs),
          usualStartMs: usualStartMs && Math.round(usualStartMs),
          starts: window.starts.length,
          failedStarts: window.starts.filter((s) => !s.ok).length,
          peakBusy: window.peakBusy,
          capacityPerSec: round(capacity.current),
          capacityAbovePerSec: round(capacity.above),
          capacityBelowPerSec: round(capacity.below),
          trial,
        });
        await this.change(d.next, d.direction, d.reason);
      }
    } catch (err) {
      this.o.logger.warn('could not size the browser pool this tick', { error: errorMessage(err) });
    } finally {
      this.lastTickAt = this.now();
      this.ticking = false;
    }
  }

  /**
   * The process did not run for `ms` in the last interval (stopped, frozen, or its host paused it):
   * what it measured across that time is the stall, not the pool. The interval is not judged; its
   * starts, flows and cycles, the cycles still running (they began before the stall) and its loop
   * lag are forgotten.
   */
  private forgetStall(ms: number): void {
    for (const [level, ended] of this.cycles)
      this.cycles.set(
        level,
        ended.filter((c) => c.at <= this.lastTickAt),
      );
    this.resetWindow();
    this.lastLoopLagMs = 0;
    this.levelSince = this.now();
    this.o.logger.info('browser pool sizing skipped an interval: the process was stalled', { stalledMs: Math.round(ms) });
  }

  /** The next interval starts empty; its peak starts from the slots busy now. */
  private resetWindow(): void {
    this.window = emptyWindow();
    this.peakBusy = this.busy;
  }

  /**
   * Brings the no_gain waits up to date with this interval (a level measured to pay forgets its
   * no_gain; CPU with room for ROOM_TICKS intervals ends the wait of the level above) and says
   * whether the level above is still waiting.
   */
  private updateNoGainWaits(capacity: MeasuredCapacity, cpu: number): boolean {
    if (capacity.current !== undefined && capacity.below !== undefined && earnsItsBrowser(capacity.current, capacity.below)) this.noGain.delete(this.current);
    const above = this.noGain.get(this.current + 1);
    // CPU with room for a while (not one quiet interval between bursts) means the machine changed:
    // the wait ends (the level's figure, while fresh, still decides).
    this.roomTicks = cpu < this.o.limits.cpuGrowBelow ? this.roomTicks + 1 : 0;
    if (above && this.roomTicks >= ROOM_TICKS) above.until = 0;
    return above !== undefined && this.now() < above.until;
  }

  /** Whether the current level is on trial, and whether its full set of cycles (as many as are kept) ended. */
  private trialState(): 'running' | 'ended' | undefined {
    const since = this.trialSince;
    if (since === undefined) return undefined;
    const ended = (this.cycles.get(this.current) ?? []).filter((c) => c.at >= since).length;
    return ended >= cyclesKept(this.current) ? 'ended' : 'running';
  }

  private leftForNoGain(level: number): void {
    const waitMs = Math.min(2 * (this.noGain.get(level)?.waitMs ?? CAPACITY_FRESH_MS), RETRY_NO_GAIN_MAX_MS);
    this.noGain.set(level, { waitMs, until: this.now() + waitMs });
  }

  private async change(n: number, direction: 'up' | 'down', reason: ConcurrencyReason): Promise<void> {
    this.current = n;
    this.levelSince = this.now();
    this.trialSince = direction === 'up' && reason !== 'start' ? this.levelSince : undefined;
    this.o.metrics.concurrency(n);
    this.o.metrics.changed(direction, reason);
    await this.o.apply(n);
  }
}

/** A level's windows with starts whose medians make its usual start: about a minute at it at the default interval. */
const USUAL_START_WINDOWS = 20;
/**
 * A level's capacity is the mean of its last cycles (CYCLES_KEPT, and one per slot), once it has at
 * least MIN_CYCLES (and one per slot); a level grown to is judged on a full set of them.
 */
const CYCLES_KEPT = 8;
const MIN_CYCLES = 3;
const cyclesKept = (level: number): number => Math.max(CYCLES_KEPT, level);
/** A level not run for this long is measured again before its figure counts (the machine and the work change). */
const CAPACITY_FRESH_MS = 120_000;
/** Intervals in a row with CPU below the growth bound that end the wait after a no_gain: 15 s at the default interval. */
const ROOM_TICKS = 5;
/** The longest a level left for no_gain waits before it is tried again. */
const RETRY_NO_GAIN_MAX_MS = 8 * 60_000;

/** Appends `item` to `key`'s list in `lists`, keeping its last `max`. */
function keepLast<T>(lists: Map<number, T[]>, key: number, item: T, max: number): void {
  const list = lists.get(key) ?? [];
  list.push(item);
  if (list.length > max) list.shift();
  lists.set(key, list);
}

function emptyWindow(): { starts: ConcurrencyWindow['starts'][number][]; flows: ConcurrencyWindow['flows'][number][]; levelStarts: number[] } {
  return { starts: [], flows: [], levelStarts: [] };
}

function round(x: number): number;
function round(x: number | undefined): number | undefined;
function round(x: number | undefined): number | undefined {
  return x === undefined ? undefined : Math.round(x * 100) / 100;
}
