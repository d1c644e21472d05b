import { readFile } from 'node:fs/promises';
import { cpus, freemem } from 'node:os';
import { monitorEventLoopDelay, performance, type IntervalHistogram } from 'node:perf_hooks';
import { CgroupLimits } from './cgroup-limits.js';

/** What the machine and this process looked like since the last sample. */
export interface SystemSample {
  /**
   * CPU busy over the interval, 0..1: of the container's CPU quota when its cgroup has one (what this
   * container and its Chromiums used), else of every core of the machine (other processes count).
   */
  cpu: number;
  /** Memory available to new processes (MemAvailable; os.freemem() where /proc is missing; at most what is left under the cgroup's memory.max), bytes. */
  freeMemoryBytes: number;
  /** This process's event-loop delay over the interval, p99, ms. */
  loopLagMs: number;
  /**
   * The longest single event-loop delay in the interval, ms. One as long as the sizing interval means
   * the process did not run for that long (stopped, frozen, or its host paused), not that the pool is busy.
   */
  loopStallMs: number;
}

export interface Sampler {
  sample(): Promise<SystemSample>;
  stop(): void;
}

/**
 * Samples CPU (deltas between samples: the cgroup's usage against its quota in a limited container,
 * else the cores' time counters), memory, and event-loop delay.
 */
export class SystemSampler implements Sampler {
  private last = cpuTimes();
  private lastQuotaUse: { usageMicros: number; atMs: number } | undefined;
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });

  constructor(private readonly cgroup = new CgroupLimits()) {
    this.loop.enable();
    this.lastQuotaUse = this.quotaUse();
  }

  async sample(): Promise<SystemSample> {
    const now = cpuTimes();
    const total = now.total - this.last.total;
    const machineCpu = total > 0 ? Math.min(1, Math.max(0, 1 - (now.idle - this.last.idle) / total)) : 0;
    this.last = now;
    const cpu = this.containerCpu() ?? machineCpu;
    const loopLagMs = this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0;
    const loopStallMs = this.loop.count > 0 ? this.loop.max / 1e6 : 0;
    this.loop.reset();
    const left = this.cgroup.memoryLeftBytes();
    const available = await availableMemory();
    return { cpu, freeMemoryBytes: left === undefined ? available : Math.min(left, available), loopLagMs, loopStallMs };
  }

  private quotaUse(): { usageMicros: number; atMs: number } | undefined {
    const usageMicros = this.cgroup.cpuUsageMicros();
    return usageMicros === undefined ? undefined : { usageMicros, atMs: performance.now() };
  }

  /** The cgroup's CPU use over the interval as a share of its quota; undefined without a quota. */
  private containerCpu(): number | undefined {
    const quota = this.cgroup.cpuQuotaCores();
    const now = this.quotaUse();
    const last = this.lastQuotaUse;
    this.lastQuotaUse = now;
    if (quota === undefined || !now || !last || now.atMs <= last.atMs) return undefined;
    const used = (now.usageMicros - last.usageMicros) / 1000 / (now.atMs - last.atMs);
    return Math.min(1, Math.max(0, used / quota));
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
