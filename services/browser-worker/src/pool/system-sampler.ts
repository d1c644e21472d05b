import { readFile } from 'node:fs/promises';
import { cpus, freemem } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** What the machine and this process looked like since the last sample. */
export interface SystemSample {
  /** Machine CPU busy over the interval, 0..1 over every core (other processes count: Chromium is one). */
  cpu: number;
  /** Memory available to new processes (MemAvailable; os.freemem() where /proc is missing), bytes. */
  freeMemoryBytes: number;
  /** This process's event-loop delay over the interval, p99, ms. */
  loopLagMs: number;
}

export interface Sampler {
  sample(): Promise<SystemSample>;
  stop(): void;
}

/** Samples CPU from the cores' time counters (deltas between samples), memory, and event-loop delay. */
export class SystemSampler implements Sampler {
  private last = cpuTimes();
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });

  constructor() {
    this.loop.enable();
  }

  async sample(): Promise<SystemSample> {
    const now = cpuTimes();
    const total = now.total - this.last.total;
    const cpu = total > 0 ? Math.min(1, Math.max(0, 1 - (now.idle - this.last.idle) / total)) : 0;
    this.last = now;
    const loopLagMs = this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0;
    this.loop.reset();
    return { cpu, freeMemoryBytes: await availableMemory(), loopLagMs };
  }

  stop(): void {
    this.loop.disable();
  }
}

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/** MemAvailable counts the page cache the kernel would give back; MemFree (os.freemem) does not. */
async function availableMemory(): Promise<number> {
  try {
    const kb = /^MemAvailable:\s+(\d+) kB/m.exec(await readFile('/proc/meminfo', 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  } catch {
    /* not Linux */
  }
  return freemem();
}
