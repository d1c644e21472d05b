import { expect } from 'chai';
import { createLogger } from '@xauth/shared';
import { ConcurrencyController } from '../src/pool/concurrency-controller.js';
import type { ConcurrencyReason } from '../src/domain/concurrency.rule.js';
import type { SystemSample } from '../src/pool/system-sampler.js';

const MB = 1024 * 1024;

/** The controller with a clock the test moves and a machine whose CPU is always busy (0.97). */
function controller(max: number) {
  let now = 0;
  const system: SystemSample = { cpu: 0.97, freeMemoryBytes: 8_000 * MB, loopLagMs: 5, loopStallMs: 20 };
  const changes: Array<{ direction: string; reason: ConcurrencyReason }> = [];
  const applied: number[] = [];
  const c = new ConcurrencyController({
    limits: {
      min: 1,
      max,
      cpuCeiling: 1,
      cpuGrowBelow: 0.9,
      minFreeMemoryBytes: 256 * MB,
      slotMemoryBytes: 300 * MB,
      maxLoopLagMs: 250,
      slowStartMs: 15_000,
      slowStartFactor: 3,
    },
    tickMs: 3_000,
    sampler: { sample: async () => system, stop: () => undefined },
    metrics: { concurrency: () => undefined, changed: (direction, reason) => changes.push({ direction, reason }), saturated: () => undefined },
    logger: createLogger({ service: 'controller-test', silent: true }),
    apply: async (n) => {
      applied.push(n);
    },
    now: () => now,
  });
  return {
    c,
    system,
    changes,
    applied,
    /** Every slot busy, `cycles` cycles of `cycleMs` ending one after the other (each with a profile start of `startMs`, if given), then one sizing tick. */
    async run(cycles: number, cycleMs: number, startMs?: number): Promise<void> {
      for (let i = 0; i < cycles; i++) {
        now += cycleMs;
        c.busyNow(c.concurrency);
        if (startMs !== undefined) c.startEnded(startMs, true);
        c.cycleEnded(cycleMs);
      }
      now += 1;
      await c.tick();
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

/** A controller whose level 1 was measured (three cycles of 1.5 s: 0.67 jobs/s) and which tried level 2 (probe). */
async function probedToTwo(max: number) {
  const t = controller(max);
  await t.c.start();
  await t.run(3, 1_500);
  expect(t.c.concurrency).to.equal(2);
  return t;
}

describe('concurrency controller: measured capacity (unit, fake clock and machine)', () => {
  it('when CPU looks full, then it still tries one more browser once its level is measured, and keeps it when it finishes more', async () => {
    const t = controller(3);
    await t.c.start();
    await t.run(2, 1_500);
    expect(t.c.concurrency, 'two cycles are not a measurement: held on a busy CPU').to.equal(1);
    await t.run(1, 1_500);
    expect(t.c.concurrency, 'level 1 measured (0.67/s): probe 2').to.equal(2);
    // Two slots, cycles of 2.4 s: 0.83 jobs/s, more than level 1's 0.67.
    await t.run(3, 2_400);
    expect(t.c.concurrency, 'level 2 on trial: not grown past by measurement').to.equal(2);
    await t.run(5, 2_400);
    expect(t.c.concurrency, 'level 2 earned its browser; level 3 not measured: probe 3').to.equal(3);
    expect(t.changes.map((x) => x.reason)).to.deep.equal(['start', 'probe', 'probe']);
  });

  it('when one more browser finishes less, then it goes back down for no_gain, and tries it again after four minutes, then eight; with CPU to spare for five intervals, at once', async () => {
    const t = await probedToTwo(2);
    // Two slots but cycles of 3.6 s: 0.56 jobs/s, less than level 1's 0.67.
    await t.run(3, 3_600);
    expect(t.c.concurrency).to.equal(1);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'down', reason: 'no_gain' });
    for (let i = 0; i < 10; i++) await t.run(2, 1_500);
    expect(t.c.concurrency, 'level 2 is known to finish less').to.equal(1);
    // Two minutes on, the pool would try it again on a machine it already fills: not after a no_gain.
    t.advance(120_000);
    await t.run(1, 1_500);
    expect(t.c.concurrency, 'two minutes after a no_gain').to.equal(1);
    t.advance(120_000);
    await t.run(1, 1_500);
    expect(t.c.concurrency, 'four minutes after it').to.equal(2);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'up', reason: 'probe' });
    await t.run(3, 3_600);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'down', reason: 'no_gain' });
    t.advance(300_000);
    for (let i = 0; i < 3; i++) await t.run(1, 1_500);
    expect(t.c.concurrency, 'five minutes after the second no_gain').to.equal(1);
    // The CPU has room again, for one interval (a pause between bursts): the wait goes on.
    t.system.cpu = 0.5;
    await t.run(1, 1_500);
    t.system.cpu = 0.97;
    await t.run(1, 1_500);
    expect(t.c.concurrency, 'one quiet interval').to.equal(1);
    // For five in a row: the machine changed, and the level's figure is over two minutes old: it is tried.
    t.system.cpu = 0.5;
    for (let i = 0; i < 4; i++) await t.run(1, 1_500);
    expect(t.c.concurrency).to.equal(1);
    await t.run(1, 1_500);
    expect(t.c.concurrency).to.equal(2);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'up', reason: 'idle_room' });
  });

  it('when one more browser finishes about as much as one fewer, then it keeps it only until its trial ends: eight cycles without 5 % more send it back for no_gain', async () => {
    const t = await probedToTwo(2);
    // Two slots, cycles of 3.1 s: 0.645 jobs/s, 3 % under level 1's 0.667: inside the noise margin.
    await t.run(7, 3_100);
    expect(t.c.concurrency, 'seven cycles into its trial').to.equal(2);
    await t.run(1, 3_100);
    expect(t.c.concurrency).to.equal(1);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'down', reason: 'no_gain' });
    for (let i = 0; i < 10; i++) await t.run(2, 1_500);
    expect(t.c.concurrency, 'held after the no_gain').to.equal(1);
  });

  it('when one more browser earns 5 % more over its trial, then the pool keeps it', async () => {
    const t = await probedToTwo(2);
    // Two slots, cycles of 2.8 s: 0.714 jobs/s, 7 % over level 1's 0.667.
    await t.run(8, 2_800);
    for (let i = 0; i < 10; i++) await t.run(2, 2_800);
    expect(t.c.concurrency).to.equal(2);
    expect(t.changes.map((x) => x.reason)).to.deep.equal(['start', 'probe']);
  });

  it('when the pool runs more than eight browsers, then a level is still measured (a cycle kept per slot) and judged at the end of its trial', async () => {
    const t = controller(12);
    t.system.cpu = 0.5;
    await t.c.start();
    while (t.c.concurrency < 10) await t.run(1, 1_000);
    t.system.cpu = 0.97;
    await t.run(9, 2_000);
    expect(t.c.concurrency, 'nine cycles of ten slots: on trial, not measured').to.equal(10);
    await t.run(1, 2_000);
    expect(t.c.concurrency, 'ten cycles: measured, trial over with nothing below to judge against').to.equal(9);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'down', reason: 'measure_below' });
    // Level 9 at the same cycle finishes 4.5/s, level 10 5/s: 11 % more, it pays.
    for (let i = 0; i < 4; i++) await t.run(3, 2_000);
    expect(t.c.concurrency).to.equal(10);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'up', reason: 'pays' });
  });

  it('when the pool grew on an idle start before its first level had a figure, then at the end of the trial it measures the level below, and stays there when one more browser does not pay', async () => {
    const t = controller(2);
    t.system.cpu = 0.5;
    await t.c.start();
    await t.run(1, 1_500);
    expect(t.c.concurrency, 'idle_room on the first interval').to.equal(2);
    t.system.cpu = 0.97;
    // Two slots, cycles of 3 s: 0.67 jobs/s.
    await t.run(8, 3_000);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'down', reason: 'measure_below' });
    // Level 1 at 1.5 s a cycle: 0.67 jobs/s too; level 2 does not earn its browser.
    for (let i = 0; i < 10; i++) await t.run(2, 1_500);
    expect(t.c.concurrency).to.equal(1);
    expect(t.changes.map((x) => x.reason)).to.deep.equal(['start', 'idle_room', 'measure_below']);
  });

  it('when the level below measures less after a no_gain, then the pool does not go back up on that figure before the wait ends', async () => {
    const t = await probedToTwo(2);
    await t.run(3, 3_600);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'down', reason: 'no_gain' });
    // Level 1 now measures 0.36/s (a slower moment of the machine), under level 2's fresh 0.56/s.
    for (let i = 0; i < 5; i++) await t.run(3, 4_000);
    expect(t.c.concurrency).to.equal(1);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'down', reason: 'no_gain' });
  });

  it('when a cycle began before the level changed, then it does not count for the new level', async () => {
    const t = await probedToTwo(3);
    // Cycles longer than the time since the change began at level 1: level 2 stays unmeasured.
    t.c.cycleEnded(10_000);
    t.c.cycleEnded(10_000);
    t.c.cycleEnded(10_000);
    t.c.busyNow(2);
    await t.c.tick();
    expect(t.c.concurrency, 'no figure for level 2 yet, so no probe of 3').to.equal(2);
  });

  it('when starts beside one more browser take longer than alone, then that is no starts_slow; when they slow down at the same level, it is', async () => {
    const t = controller(2);
    await t.c.start();
    await t.run(3, 1_500, 700);
    expect(t.c.concurrency).to.equal(2);
    // Starts of 2.4 s at two browsers: over three times level 1's usual 0.7 s, but the price of the
    // level (it finishes as much: 2 ÷ 3 s), not a slowdown.
    await t.run(3, 3_000, 2_400);
    await t.run(3, 3_000, 2_500);
    expect(t.c.concurrency).to.equal(2);
    expect(t.changes.map((x) => x.reason)).to.deep.equal(['start', 'probe']);
    // At the same two browsers, starts now take over three times their usual 2.4 s: they queue.
    await t.run(3, 9_000, 7_500);
    expect(t.c.concurrency).to.equal(1);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'down', reason: 'starts_slow' });
  });

  it('when the process was stopped for longer than an interval, then that interval is not judged and nothing measured across the stop counts', async () => {
    const t = await probedToTwo(3);
    // Stopped for 40 s (SIGSTOP, a frozen container): the cycles that ended after it held their slots
    // through it (2 ÷ 15 s would be a fifth of level 1's 0.67/s: no_gain), and the loop was late by all of it.
    Object.assign(t.system, { loopLagMs: 40_000, loopStallMs: 40_000 });
    await t.run(3, 15_000);
    expect(t.c.concurrency).to.equal(2);
    // Running again: a cycle that held its slot through the stop ends (counted, 2 ÷ 5.8 s would be no_gain),
    // and one lagging interval: not two in a row. Level 2 finishes 2 ÷ 2.4 s, more than level 1.
    Object.assign(t.system, { loopLagMs: 900, loopStallMs: 900 });
    t.advance(500);
    t.c.cycleEnded(16_000);
    await t.run(3, 2_400);
    expect(t.c.concurrency, 'no no_gain from the cycle held through the stop; on trial').to.equal(2);
    Object.assign(t.system, { loopLagMs: 5, loopStallMs: 20 });
    await t.run(5, 2_400);
    expect(t.c.concurrency).to.equal(3);
    expect(t.changes.map((x) => x.reason)).to.deep.equal(['start', 'probe', 'probe']);
  });

  it('when the event loop lags for one interval, then the pool keeps its size; when it lags for two in a row, it shrinks for loop_lag', async () => {
    const t = await probedToTwo(3);
    t.system.loopLagMs = 900;
    await t.run(0, 0);
    expect(t.c.concurrency, 'one stalled interval').to.equal(2);
    await t.run(0, 0);
    expect(t.c.concurrency, 'two in a row').to.equal(1);
    expect(t.changes.at(-1)).to.deep.equal({ direction: 'down', reason: 'loop_lag' });
  });
});
