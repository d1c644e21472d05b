/** Why the pool's concurrency changed (or, for `held`, why it stays). */
export type ConcurrencyReason =
  | 'start'
  | 'idle_room'
  | 'probe'
  | 'pays'
  | 'held'
  | 'no_gain'
  | 'measure_below'
  | 'starts_failing'
  | 'flows_failing'
  | 'memory_low'
  | 'cpu_saturated'
  | 'loop_lag'
  | 'starts_slow';

/**
 * What the pool was measured to finish, in jobs a second with every slot busy (slots ÷ the mean
 * time a job holds its slot, Little's law), at the current concurrency and the levels beside it.
 * A level is absent until enough of its jobs ended, and again once its figure is old.
 */
export interface MeasuredCapacity {
  current?: number;
  above?: number;
  below?: number;
}

/** What happened since the last decision. */
export interface ConcurrencyWindow {
  /** Profile starts that ended in the window. */
  starts: ReadonlyArray<{ ms: number; ok: boolean }>;
  /** Flows that ended in the window; `overloaded` ones failed in a way load causes (timeout, crash). */
  flows: ReadonlyArray<{ ok: boolean; overloaded: boolean }>;
  /** The most slots busy at once in the window: all of them busy is demand for more. */
  peakBusy: number;
  /** Machine CPU busy over the window, 0..1 (every core). */
  cpu: number;
  /** Memory available to new processes now, bytes. */
  freeMemoryBytes: number;
  /** Event-loop delay over the window (p99), ms. */
  loopLagMs: number;
  /**
   * The median of the window's successful starts that ran entirely at the current concurrency, ms;
   * absent when there were none (a start begun at another level says nothing of this one).
   */
  levelStartMs?: number;
  /**
   * The usual profile start at the current concurrency (the fastest window median of its late
   * windows), ms; absent until one is known. Each level has its own: a start beside one more
   * browser takes longer on a busy machine, and that is the price of a level `pays` judges, not a sign of overload.
   */
  usualStartMs?: number;
  /** Measured capacity here and one level up and down; what the machine really finishes, whatever CPU says. */
  capacity?: MeasuredCapacity;
  /** The level above went back down for no_gain a short while ago: it is not grown to again yet. */
  holdAbove?: boolean;
  /**
   * The current level was grown to and is on trial: `running` until a full set of its cycles ended,
   * `ended` in the interval they did (its verdict: it keeps its browser only if it earns it).
   */
  trial?: 'running' | 'ended';
}

export interface ConcurrencyLimits {
  min: number;
  max: number;
  /** Machine CPU above it shrinks the pool (1: CPU alone never does). */
  cpuCeiling: number;
  /**
   * Below it the pool grows freely; above it, only to a level measured (or being tried) to finish
   * more: one more browser on a busy machine may only queue for the cores.
   */
  cpuGrowBelow: number;
  /** Below it the pool shrinks; growing needs one more slot's worth on top. */
  minFreeMemoryBytes: number;
  slotMemoryBytes: number;
  maxLoopLagMs: number;
  /** A start (median of the window) slower than this means the machine or the provider is struggling. */
  slowStartMs: number;
  /**
   * Starts (median of a window) this many times slower than usual at the same concurrency mean the
   * starts queue for the machine or the provider: the pool is past what they take, whatever the
   * CPU figure says. 0: off.
   */
  slowStartFactor: number;
}

/** Below this a start is quick whatever its ratio to the usual: small figures are noisy. */
export const SLOW_START_FLOOR_MS = 2_000;

export interface ConcurrencyDecision {
  next: number;
  direction: 'up' | 'down' | 'none';
  reason: ConcurrencyReason;
  /** The window showed the machine or the provider at their limit (whether or not the pool could shrink). */
  saturated: boolean;
}

/** Decisions after a shrink before the pool may grow again, so one bad window is not undone at once. */
export const GROW_AFTER_SHRINK_TICKS = 3;

/** A level measured to finish this much less than the one below it goes back down (within it: noise). */
export const NO_GAIN_MARGIN = 0.05;

/**
 * What one more browser must add to be worth it: a level finishing less than this much more than the
 * level below is no better within the noise of its figures (a mean of eight cycles moves by about as
 * much), and costs a browser's CPU, memory and profile start for nothing.
 */
export const GAIN_MARGIN = 0.05;

/** Whether `capacity` (jobs a second) is worth one more browser than `fewer`'s. */
export function earnsItsBrowser(capacity: number, fewer: number): boolean {
  return capacity >= fewer * (1 + GAIN_MARGIN);
}

/**
 * The pool's next concurrency, like Crawlee's AutoscaledPool: grow one step at a time while every
 * slot was busy (demand) and starts, flows, memory and the event loop have room; shrink at once
 * when they do not: halve when starts or flows fail, one step down otherwise.
 *
 * Whether one more browser pays is measured, not guessed: the capacity of each level (jobs finished
 * a second with every slot busy) decides where it is known. The pool grows to a level measured to
 * earn its browser (`pays`: GAIN_MARGIN more than this one). A level it grew to is on trial until a
 * full set of its cycles ended: then it must have earned its browser against the level below, or the
 * pool goes back down (`no_gain`: fewer browsers, the same work, shorter waits); before that, and
 * after it, only a level measured clearly worse than the one below (NO_GAIN_MARGIN) goes back down.
 * It does not grow back to a level left for no_gain while the controller holds it (`holdAbove`: a wait
 * that doubles with each no_gain), nor past a level on trial by measurement. Where the next level is
 * not measured, CPU below `cpuGrowBelow` grows it (`idle_room`), and on a busier CPU it tries the
 * next level once this one is measured (`probe`): on a shared machine, or with flows that wait on
 * the network, a CPU that looks full still often finishes more with one more browser.
 *
 * A busy CPU is what a browser pool is for: on its own (below `cpuCeiling`) it never shrinks the
 * pool. The machine counts as saturated when the work shows it: starts slow down (absolutely, or
 * against their usual time at this concurrency), starts or flows fail from load, the event loop lags,
 * or memory runs short.
 */
export function decideConcurrency(current: number, w: ConcurrencyWindow, l: ConcurrencyLimits, ticksSinceShrink: number): ConcurrencyDecision {
  const pressure = pressureOf(w, l);
  if (pressure) {
    const next = Math.max(l.min, pressure.halve ? Math.floor(current / 2) : current - 1);
    return { next, direction: next < current ? 'down' : 'none', reason: next < current ? pressure.reason : 'held', saturated: true };
  }
  const held: ConcurrencyDecision = { next: current, direction: 'none', reason: 'held', saturated: false };
  const c = w.capacity ?? {};
  const cpuRoom = w.cpu < Math.min(l.cpuGrowBelow, l.cpuCeiling);
  // A trial that ended with nothing to judge against (the level was reached on idle CPU before the
  // one below had a figure): on a busy CPU the level below is measured, and `pays` takes the pool
  // back up if this one earns its browser.
  if (w.trial === 'ended' && current > l.min && c.below === undefined && !cpuRoom)
    return { next: current - 1, direction: 'down', reason: 'measure_below', saturated: false };
  if (current > l.min && c.current !== undefined && c.below !== undefined) {
    const worse = w.trial === 'ended' ? !earnsItsBrowser(c.current, c.below) : c.current < c.below * (1 - NO_GAIN_MARGIN);
    if (worse) return { next: current - 1, direction: 'down', reason: 'no_gain', saturated: false };
  }
  const demand = w.peakBusy >= current;
  const memoryRoom = w.freeMemoryBytes >= l.minFreeMemoryBytes + l.slotMemoryBytes;
  if (!demand || !memoryRoom || w.holdAbove || current >= l.max || ticksSinceShrink < GROW_AFTER_SHRINK_TICKS) return held;
  const up = (reason: ConcurrencyReason): ConcurrencyDecision => ({ next: current + 1, direction: 'up', reason, saturated: false });
  const measured = c.current !== undefined && w.trial !== 'running';
  if (c.above !== undefined && c.current !== undefined) return measured && earnsItsBrowser(c.above, c.current) ? up('pays') : held;
  if (cpuRoom) return up('idle_room');
  if (measured) return up('probe');
  return held;
}

function pressureOf(w: ConcurrencyWindow, l: ConcurrencyLimits): { reason: ConcurrencyReason; halve: boolean } | undefined {
  const failedStarts = w.starts.filter((s) => !s.ok).length;
  if (failedStarts > 0 && failedStarts * 2 >= w.starts.length) return { reason: 'starts_failing', halve: true };
  const overloaded = w.flows.filter((f) => f.overloaded).length;
  if (overloaded > 0 && overloaded * 2 >= w.flows.length) return { reason: 'flows_failing', halve: true };
  if (w.freeMemoryBytes < l.minFreeMemoryBytes) return { reason: 'memory_low', halve: false };
  if (w.cpu > l.cpuCeiling) return { reason: 'cpu_saturated', halve: false };
  if (w.loopLagMs > l.maxLoopLagMs) return { reason: 'loop_lag', halve: false };
  const okStarts = w.starts.filter((s) => s.ok).map((s) => s.ms);
  const typical = okStarts.length ? median(okStarts) : 0;
  if (typical > l.slowStartMs) return { reason: 'starts_slow', halve: false };
  const here = w.levelStartMs;
  if (l.slowStartFactor > 0 && here !== undefined && w.usualStartMs !== undefined && here > SLOW_START_FLOOR_MS && here > l.slowStartFactor * w.usualStartMs)
    return { reason: 'starts_slow', halve: false };
  return undefined;
}

/** The middle of `xs` (the mean of the two middles for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The ceiling that fits a machine: one slot per core (a consent flow keeps a core busy for seconds),
 * and no more slots than the memory holds at `slotMemoryBytes` each; at least 1.
 */
export function fittingMaxConcurrency(cores: number, totalMemoryBytes: number, slotMemoryBytes: number): number {
  return Math.max(1, Math.min(cores, Math.floor(totalMemoryBytes / 2 / slotMemoryBytes)));
}
