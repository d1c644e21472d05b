import { expect } from 'chai';
import {
  decideConcurrency,
  fittingMaxConcurrency,
  GROW_AFTER_SHRINK_TICKS,
  type ConcurrencyLimits,
  type ConcurrencyWindow,
} from '../src/domain/concurrency.rule.js';

const MB = 1024 * 1024;
const limits: ConcurrencyLimits = {
  min: 1,
  max: 6,
  cpuCeiling: 0.95,
  cpuGrowBelow: 0.9,
  minFreeMemoryBytes: 256 * MB,
  slotMemoryBytes: 300 * MB,
  maxLoopLagMs: 250,
  slowStartMs: 10_000,
  slowStartFactor: 3,
};
const calm: ConcurrencyWindow = {
  starts: [{ ms: 800, ok: true }],
  flows: [{ ok: true, overloaded: false }],
  peakBusy: 3,
  cpu: 0.4,
  freeMemoryBytes: 4_000 * MB,
  loopLagMs: 20,
};
const settled = GROW_AFTER_SHRINK_TICKS;
const decide = (current: number, w: Partial<ConcurrencyWindow>, l: Partial<ConcurrencyLimits> = {}, ticks = settled) =>
  decideConcurrency(current, { ...calm, ...w }, { ...limits, ...l }, ticks);

describe('concurrency rule (unit)', () => {
  it('when every slot was busy and the machine has room, then it grows by one', () => {
    expect(decide(3, {})).to.deep.equal({ next: 4, direction: 'up', reason: 'idle_room', saturated: false });
  });

  it('when a slot stayed free, then there is no demand and it holds', () => {
    expect(decide(3, { peakBusy: 2 })).to.include({ next: 3, direction: 'none', reason: 'held' });
  });

  it('when it is at the ceiling, then it holds', () => {
    expect(decide(6, { peakBusy: 6 })).to.include({ next: 6, direction: 'none' });
  });

  it('when it shrank a moment ago, then it waits before growing again', () => {
    expect(decide(3, {}, {}, settled - 1)).to.include({ next: 3, direction: 'none' });
  });

  it('when CPU is over the growth bound but not over the ceiling, then it neither grows nor shrinks', () => {
    expect(decide(3, { cpu: 0.92 })).to.include({ next: 3, direction: 'none', saturated: false });
  });

  it('when the ceiling is 1 (the default), then a CPU busy to the full stops growth but never shrinks the pool', () => {
    expect(decide(2, { cpu: 1 }, { cpuCeiling: 1 })).to.deep.equal({ next: 2, direction: 'none', reason: 'held', saturated: false });
    expect(decide(1, { cpu: 0.8, peakBusy: 1 }, { cpuCeiling: 1 })).to.include({ next: 2, reason: 'idle_room' });
  });

  it('when CPU is over the ceiling, then it shrinks by one for cpu_saturated', () => {
    expect(decide(3, { cpu: 0.97 })).to.deep.equal({ next: 2, direction: 'down', reason: 'cpu_saturated', saturated: true });
  });

  it('when memory is short, then it shrinks by one for memory_low; with too little for one more slot it does not grow', () => {
    expect(decide(3, { freeMemoryBytes: 100 * MB })).to.include({ next: 2, reason: 'memory_low' });
    expect(decide(3, { freeMemoryBytes: 400 * MB })).to.include({ next: 3, direction: 'none' });
  });

  it('when the event loop lags, then it shrinks for loop_lag', () => {
    expect(decide(3, { loopLagMs: 900 })).to.include({ next: 2, reason: 'loop_lag' });
  });

  it('when starts are slow, then it shrinks for starts_slow', () => {
    expect(
      decide(3, {
        starts: [
          { ms: 12_000, ok: true },
          { ms: 15_000, ok: true },
          { ms: 900, ok: true },
        ],
      }),
    ).to.include({ next: 2, reason: 'starts_slow' });
  });

  it('when starts at this concurrency take three times their usual there (and over two seconds), then it shrinks for starts_slow; quick ones never do', () => {
    const slow = (ms: number) => ({ starts: [{ ms, ok: true }], levelStartMs: ms });
    expect(decide(3, { ...slow(2_600), usualStartMs: 800 })).to.include({ next: 2, reason: 'starts_slow' });
    expect(decide(3, { ...slow(2_200), usualStartMs: 800 })).to.include({ next: 4, reason: 'idle_room' });
    expect(decide(3, { ...slow(1_900), usualStartMs: 300 })).to.include({ next: 4, reason: 'idle_room' });
    expect(decide(3, { ...slow(2_600), usualStartMs: 800 }, { slowStartFactor: 0 })).to.include({ next: 4, reason: 'idle_room' });
  });

  it('when no start ran entirely at this concurrency, or it has no usual start yet, then slow starts are judged only against POOL_SLOW_START_MS', () => {
    expect(decide(3, { starts: [{ ms: 2_600, ok: true }], usualStartMs: 800 })).to.include({ next: 4, reason: 'idle_room' });
    expect(decide(3, { starts: [{ ms: 2_600, ok: true }], levelStartMs: 2_600 })).to.include({ next: 4, reason: 'idle_room' });
  });

  it('when half the starts fail, then it halves for starts_failing', () => {
    expect(
      decide(6, {
        starts: [
          { ms: 500, ok: false },
          { ms: 800, ok: true },
        ],
      }),
    ).to.deep.equal({ next: 3, direction: 'down', reason: 'starts_failing', saturated: true });
  });

  it('when one start of several fails, then that alone does not shrink it', () => {
    expect(
      decide(3, {
        starts: [
          { ms: 500, ok: false },
          { ms: 800, ok: true },
          { ms: 700, ok: true },
        ],
      }),
    ).to.include({ next: 4, reason: 'idle_room' });
  });

  it('when flows time out or crash, then it halves for flows_failing; flows needing a person do not count', () => {
    expect(decide(4, { flows: [{ ok: false, overloaded: true }] })).to.include({ next: 2, reason: 'flows_failing' });
    expect(decide(4, { flows: [{ ok: false, overloaded: false }], peakBusy: 4 })).to.include({ next: 5, reason: 'idle_room' });
  });

  it('when it is at the minimum and the machine is saturated, then it holds there and says it is saturated', () => {
    expect(decide(1, { cpu: 0.99 })).to.deep.equal({ next: 1, direction: 'none', reason: 'held', saturated: true });
    expect(decide(2, { starts: [{ ms: 1, ok: false }] }, { min: 2 })).to.include({ next: 2, saturated: true });
  });

  it('when CPU is busy and only this level is measured, then it probes the next one; with nothing measured it holds', () => {
    expect(decide(2, { cpu: 0.97, peakBusy: 2 }, { cpuCeiling: 1 })).to.include({ next: 2, direction: 'none', reason: 'held' });
    expect(decide(2, { cpu: 0.97, peakBusy: 2, capacity: { current: 0.7 } }, { cpuCeiling: 1 })).to.deep.equal({
      next: 3,
      direction: 'up',
      reason: 'probe',
      saturated: false,
    });
    expect(decide(2, { cpu: 0.97, peakBusy: 1, capacity: { current: 0.7 } }, { cpuCeiling: 1 })).to.include({ direction: 'none' });
  });

  it('when the level above is held after a no_gain, then it does not grow to it, measured to pay or not', () => {
    expect(decide(3, { holdAbove: true })).to.include({ next: 3, direction: 'none', reason: 'held' });
    expect(decide(3, { holdAbove: true, capacity: { current: 1, above: 1.5 } })).to.include({ next: 3, direction: 'none' });
    expect(decide(3, { holdAbove: true, capacity: { current: 1, below: 1.5 } })).to.include({ next: 2, reason: 'no_gain' });
  });

  it('when the next level was measured to finish 5 % more, then it grows to it whatever the CPU; when less, it holds even with CPU to spare', () => {
    expect(decide(2, { cpu: 0.99, peakBusy: 2, capacity: { current: 0.7, above: 0.74 } }, { cpuCeiling: 1 })).to.include({ next: 3, reason: 'pays' });
    expect(decide(2, { cpu: 0.3, peakBusy: 2, capacity: { current: 0.7, above: 0.72 } })).to.include({ next: 2, direction: 'none', reason: 'held' });
    // This level not measured yet (it just shrank): the CPU rule decides.
    expect(decide(2, { cpu: 0.3, peakBusy: 2, capacity: { above: 0.5 } })).to.include({ next: 3, reason: 'idle_room' });
    expect(decide(2, { cpu: 0.95, peakBusy: 2, capacity: { above: 0.9 } }, { cpuCeiling: 1 })).to.include({ direction: 'none' });
  });

  it('when this level finishes measurably less than the one below, then it steps down for no_gain; within the margin, or at the floor, it stays', () => {
    expect(decide(3, { peakBusy: 3, capacity: { current: 0.6, below: 0.7 } })).to.deep.equal({
      next: 2,
      direction: 'down',
      reason: 'no_gain',
      saturated: false,
    });
    expect(decide(3, { peakBusy: 3, capacity: { current: 0.68, below: 0.7 } })).to.include({ next: 4, reason: 'idle_room' });
    expect(decide(3, { peakBusy: 3, capacity: { current: 0.6, below: 0.7 } }, { min: 3 })).to.include({ next: 4 });
  });

  it('when a level is on trial, then only a clearly worse figure sends it back; at its end it must earn 5 % over the level below; meanwhile it is not grown past by measurement', () => {
    const busy = { cpu: 0.97, peakBusy: 2 };
    const even = { current: 0.7, below: 0.69 };
    const cases: Array<[Partial<ConcurrencyWindow>, number, string]> = [
      [{ ...busy, capacity: even, trial: 'running' }, 2, 'held'],
      [{ ...busy, capacity: { current: 0.6, below: 0.69 }, trial: 'running' }, 1, 'no_gain'],
      [{ ...busy, capacity: even, trial: 'ended' }, 1, 'no_gain'],
      [{ ...busy, capacity: { current: 0.73, below: 0.69 }, trial: 'ended' }, 3, 'probe'],
      [{ ...busy, capacity: { current: 0.73, above: 0.9 }, trial: 'running' }, 2, 'held'],
      // CPU with room grows whatever the trial: growth there does not need a measurement.
      [{ cpu: 0.3, peakBusy: 2, capacity: even, trial: 'running' }, 3, 'idle_room'],
      // No figure of the level below (reached on idle CPU): on a busy CPU it goes down to measure it; with room it grows.
      [{ ...busy, capacity: { current: 0.7 }, trial: 'ended' }, 1, 'measure_below'],
      [{ cpu: 0.3, peakBusy: 2, capacity: { current: 0.7 }, trial: 'ended' }, 3, 'idle_room'],
    ];
    for (const [w, next, reason] of cases) expect(decide(2, w, { cpuCeiling: 1 }), JSON.stringify(w)).to.include({ next, reason });
  });

  it('when the machine is under pressure, then pressure decides before any measured capacity', () => {
    expect(decide(3, { loopLagMs: 900, capacity: { current: 0.9, above: 2, below: 0.1 } })).to.include({ next: 2, reason: 'loop_lag', saturated: true });
  });

  it('when MIN equals MAX, then the concurrency is fixed', () => {
    for (const w of [{}, { cpu: 1 }, { starts: [{ ms: 1, ok: false }] }, { capacity: { current: 0.1, below: 1 } }])
      expect(decide(4, w, { min: 4, max: 4 }).next).to.equal(4);
  });

  it('when sizing the ceiling, then it is one slot per core within half the memory at a slot each', () => {
    expect(fittingMaxConcurrency(2, 24_000 * MB, 300 * MB)).to.equal(2);
    expect(fittingMaxConcurrency(16, 4_000 * MB, 300 * MB)).to.equal(6);
    expect(fittingMaxConcurrency(1, 200 * MB, 300 * MB)).to.equal(1);
  });
});
