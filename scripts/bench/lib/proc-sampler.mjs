// Reads memory and CPU of processes from /proc (Linux only), for benchmarks.
import { readFileSync, readdirSync } from 'node:fs';

const PAGE_KB = 4;
const TICK_MS = 10; // USER_HZ is 100 on Linux builds Node runs on (`getconf CLK_TCK`).

function read(path) {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}

/** One /proc/<pid>/stat: comm, ppid, session and CPU time (user + system, ms); undefined once gone. */
export function procStat(pid) {
  const s = read(`/proc/${pid}/stat`);
  if (!s) return undefined;
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { pid: Number(pid), comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')), ppid: Number(f[1]), sid: Number(f[3]), cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS };
}

function allStats() {
  const out = [];
  for (const d of readdirSync('/proc')) if (d.charCodeAt(0) <= 57) { const st = procStat(d); if (st) out.push(st); }
  return out;
}

/** Pids of the processes whose command name is `comm`. */
export const pidsNamed = (comm) => allStats().filter((p) => p.comm === comm).map((p) => p.pid);

/**
 * CPU time (ms) of named groups of processes between `start` and `stop`. A process that ended in
 * between is lost; one that appears only at `stop` counts from zero.
 */
export class CpuMeter {
  start(groups) {
    this.base = new Map(Object.values(groups).flat().map((pid) => [pid, procStat(pid)?.cpuMs ?? 0]));
  }

  stop(groups) {
    return Object.fromEntries(Object.entries(groups).map(([name, pids]) =>
      [name, pids.reduce((sum, pid) => sum + Math.max(0, (procStat(pid)?.cpuMs ?? this.base.get(pid) ?? 0) - (this.base.get(pid) ?? 0)), 0)]));
  }
}

/**
 * Samples the Chromium processes started by one parent (x-sim's process starts each profile's
 * browser detached, as a session leader): every process in those sessions, plus the crashpad
 * handlers that daemonize out of them. Other Chromiums on the machine are not counted.
 *
 * Every `intervalMs` it sums RSS (statm: cheap, but counts pages shared between Chromium's
 * processes once per process) and every `pssEveryMs` PSS (smaps_rollup: shared pages divided among
 * their sharers, the honest figure, but reading it costs ~3 ms per Chromium process). CPU is summed
 * from the samples, so the last `intervalMs` of each process is missed: a lower bound.
 */
export class ChromiumSampler {
  constructor(parentPid, { intervalMs = 100, pssEveryMs = 1000 } = {}) {
    Object.assign(this, { parentPid, intervalMs, pssEveryMs });
    this.cpu = new Map(); // pid -> { base, last }
    this.crashpad = new Map(); // pid -> belongs to one of ours
    this.peakRssMb = 0;
    this.peakPssMb = 0;
    this.maxBrowsers = 0;
    this.lastPss = 0;
    this.ticks = 0;
  }

  start() {
    this.startedCpu = process.cpuUsage();
    for (const p of this.members()) this.cpu.set(p.pid, { base: p.cpuMs, last: p.cpuMs });
    this.timer = setInterval(() => this.tick(), this.intervalMs);
  }

  stop() {
    clearInterval(this.timer);
    this.tick();
    const own = process.cpuUsage(this.startedCpu);
    let cpuMs = 0;
    for (const { base, last } of this.cpu.values()) cpuMs += last - base;
    return {
      peakRssMb: this.peakRssMb, peakPssMb: this.peakPssMb, maxBrowsers: this.maxBrowsers, cpuMs,
      samplerCpuMs: (own.user + own.system) / 1000,
    };
  }

  members() {
    const stats = allStats();
    const roots = new Set(stats.filter((p) => p.ppid === this.parentPid && p.sid === p.pid && p.comm === 'chromium').map((p) => p.pid));
    this.maxBrowsers = Math.max(this.maxBrowsers, roots.size);
    const dirs = [...roots].map((pid) => /--user-data-dir=(\S+)/.exec(read(`/proc/${pid}/cmdline`)?.replaceAll('\0', ' ') ?? '')?.[1]).filter(Boolean);
    return stats.filter((p) => roots.has(p.sid) || (p.comm === 'chrome_crashpad' && this.isOurCrashpad(p.pid, dirs)));
  }

  isOurCrashpad(pid, dirs) {
    if (!this.crashpad.has(pid)) {
      const cmd = read(`/proc/${pid}/cmdline`)?.replaceAll('\0', ' ') ?? '';
      if (!dirs.length) return false; // decide once a browser of ours is there to compare with
      this.crashpad.set(pid, dirs.some((d) => cmd.includes(d)));
    }
    return this.crashpad.get(pid);
  }

  tick() {
    this.ticks++;
    const procs = this.members();
    let rssKb = 0;
    for (const p of procs) {
      const c = this.cpu.get(p.pid);
      if (c) c.last = p.cpuMs;
      else this.cpu.set(p.pid, { base: 0, last: p.cpuMs });
      rssKb += Number(read(`/proc/${p.pid}/statm`)?.split(' ')[1] ?? 0) * PAGE_KB;
    }
    this.peakRssMb = Math.max(this.peakRssMb, rssKb / 1024);
    const now = performance.now();
    if (this.pssEveryMs > 0 && now - this.lastPss >= this.pssEveryMs) {
      this.lastPss = now;
      let pssKb = 0;
      for (const p of procs) pssKb += Number(/^Pss:\s+(\d+)/m.exec(read(`/proc/${p.pid}/smaps_rollup`) ?? '')?.[1] ?? 0);
      this.peakPssMb = Math.max(this.peakPssMb, pssKb / 1024);
    }
  }
}
