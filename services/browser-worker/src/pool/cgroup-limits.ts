import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The CPU and memory a container may use, from its cgroup v2 files (Kubernetes, Docker on a
 * cgroup v2 host), where the host's counters would say the whole node: a pod limited to 2 cores
 * on a 32-core node is saturated while the node looks idle. Each reading is undefined where the
 * file is missing (cgroup v1, not Linux) or says `max` (no limit): the caller then uses the host's.
 */
export class CgroupLimits {
  constructor(private readonly root = '/sys/fs/cgroup') {}

  /** Cores the CFS quota allows (`cpu.max`: "<quota> <period>"), e.g. 1.5; undefined without a quota. */
  cpuQuotaCores(): number | undefined {
    const [quota, period] = (this.read('cpu.max') ?? '').split(/\s+/);
    const q = Number(quota);
    const p = Number(period || 100_000);
    return quota !== 'max' && q > 0 && p > 0 ? q / p : undefined;
  }

  /** CPU time the cgroup has used (`cpu.stat` usage_usec), microseconds. */
  cpuUsageMicros(): number | undefined {
    const m = /^usage_usec (\d+)$/m.exec(this.read('cpu.stat') ?? '');
    return m ? Number(m[1]) : undefined;
  }

  /** `memory.max`, bytes; undefined without a limit. */
  memoryLimitBytes(): number | undefined {
    const v = this.read('memory.max');
    return v && v !== 'max' && Number(v) > 0 ? Number(v) : undefined;
  }

  /** What is left under `memory.max` (`memory.max` − `memory.current`), bytes; undefined without a limit. */
  memoryLeftBytes(): number | undefined {
    const limit = this.memoryLimitBytes();
    const current = Number(this.read('memory.current'));
    return limit !== undefined && Number.isFinite(current) ? Math.max(0, limit - current) : undefined;
  }

  private read(file: string): string | undefined {
    try {
      return readFileSync(join(this.root, file), 'utf8').trim();
    } catch {
      return undefined;
    }
  }
}
