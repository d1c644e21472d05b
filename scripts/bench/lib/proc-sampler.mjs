// Reads memory and CPU of processes from /proc (Linux only), for benchmarks.
import { existsSync, readFileSync, readdirSync } from 'node:fs';

const PAGE_KB = 4;
const TICK_MS = 10; // USER_HZ is 100 on Linux builds Node runs on (`getconf CLK_TCK`).

function read(path) {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** One /proc/<pid>/stat: comm, ppid, session and CPU time (user + system, ms); undefined once gone. */
export function procStat(pid) {
  const s = read(`/proc/${pid}/stat`);
  if (!s) return undefined;
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return {
    pid: Number(pid),
    comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')),
    ppid: Number(f[1]),
    sid: Number(f[3]),
    cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS,
  };
}

function allStats() {
  const out = [];
  for (const d of readdirSync('/proc'))
    if (d.charCodeAt(0) <= 57) {
      const st = procStat(d);
      if (st) out.push(st);
    }
  return out;
}

/** Pids of the processes whose command name is `comm`. */
export const pidsNamed = (comm) =>
  allStats()
    .filter((p) => p.comm === comm)
    .map((p) => p.pid);

/**
 * CPU time (ms) of named groups of processes between `start` and `stop`. A process that ended in
 * between is lost; one that appears only at `stop` counts from zero.
 */
export class CpuMeter {
  start(groups) {
    this.base = new Map(
      Object.values(groups)
        .flat()
        .map((pid) => [pid, procStat(pid)?.cpuMs ?? 0]),
    );
  }

  stop(groups) {
    return Object.fromEntries(
      Object.entries(groups).map(([name, pids]) => [
        name,
        pids.reduce((sum, pid) => sum + Math.max(0, (procStat(pid)?.cpuMs ?? this.base.get(pid) ?? 0) - (this.base.get(pid) ?? 0)), 0),
      ]),
    );
  }
}

/**
 * Samples the Chromium processes started by one parent (x-sim's process starts each profile's
 * browser detached, as a session leader): every process in those sessions, plus the crashpad
 * handlers that daemonize out of them. Other Chromiums on the machine are not counted.
 *
 * Every `intervalMs` it sums RSS (statm: cheap, but counts pages shared between Chromium's
 * processes once per process). When RSS rises 2 % above where PSS was last read, at most every
 * `pssEveryMs`, it sums PSS
 * (smaps_rollup: shared pages divided among their sharers, the honest figure, but reading it costs
 * 3 to 6 ms per Chromium process). PSS's file part (the Chromium binary, libraries) is shared with
 * every other Chromium on the machine, so it shrinks as others run; its anonymous + shmem part
 * (`peakOwnPssMb`) is ours alone. CPU is summed from the samples, so the last `intervalMs` of each
 * process is missed: a lower bound. What a pid is (comm, session) is read once per pid.
 */
export class ChromiumSampler {
  constructor(parentPid, { intervalMs = 100, pssEveryMs = 500 } = {}) {
    Object.assign(this, { parentPid, intervalMs, pssEveryMs });
    this.known = new Map(); // pid -> { member: boolean } once classified
    this.roots = new Map(); // browser pid -> its user-data-dir
  }

  /** Starts a measurement: CPU and peaks from now on (what a pid is stays known between measurements). */
  start() {
    this.cpu = new Map(); // member pid -> { base, last }
    this.peakRssMb = 0;
    this.peakPssMb = 0;
    this.peakOwnPssMb = 0;
    this.maxBrowsers = 0;
    this.lastPss = -Infinity;
    this.pssReadAtRssMb = 0;
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
      peakRssMb: this.peakRssMb,
      peakPssMb: this.peakPssMb,
      peakOwnPssMb: this.peakOwnPssMb,
      maxBrowsers: this.maxBrowsers,
      cpuMs,
      samplerCpuMs: (own.user + own.system) / 1000,
    };
  }

  /** Whether a browser this sampler has seen is still there (a zombie not yet reaped counts): no new /proc scan. */
  browsersLeft() {
    return [...this.roots.keys()].some((pid) => existsSync(`/proc/${pid}`));
  }

  /** Our Chromium processes alive now, with their CPU time. */
  members() {
    const alive = new Set();
    const fresh = [];
    for (const d of readdirSync('/proc')) {
      if (d.charCodeAt(0) > 57) continue;
      const pid = Number(d);
      alive.add(pid);
      if (!this.known.has(pid)) fresh.push(pid);
    }
    for (const pid of this.known.keys())
      if (!alive.has(pid)) {
        this.known.delete(pid);
        this.roots.delete(pid);
      }
    // Browsers first: their children and crashpad handlers are recognised by them.
    const stats = fresh.map(procStat).filter(Boolean);
    for (const p of stats) {
      if (p.ppid === this.parentPid && p.sid === p.pid && p.comm === 'chromium') {
        this.roots.set(p.pid, /--user-data-dir=(\S+)/.exec(read(`/proc/${p.pid}/cmdline`)?.replaceAll('\0', ' ') ?? '')?.[1]);
      }
    }
    const unsettled = new Set(stats.filter((p) => p.ppid === this.parentPid && !this.roots.has(p.pid)).map((p) => p.pid));
    for (const p of stats) {
      const crashpad = p.comm === 'chrome_crashpad' && [...this.roots.values()].some((dir) => dir && read(`/proc/${p.pid}/cmdline`)?.includes(dir));
      // Not decided yet, so looked at again next tick: a child of the parent caught between fork and
      // exec (not yet Chromium, not yet a session leader), what lives in its session, and a crashpad
      // handler seen before any browser of ours.
      if (unsettled.has(p.pid) || unsettled.has(p.sid)) continue;
      if (p.comm === 'chrome_crashpad' && !crashpad && this.roots.size === 0) continue;
      this.known.set(p.pid, { member: this.roots.has(p.sid) || crashpad });
    }
    this.maxBrowsers = Math.max(this.maxBrowsers, this.roots.size);
    return [...this.known]
      .filter(([, k]) => k.member)
      .map(([pid]) => procStat(pid))
      .filter(Boolean);
  }

  tick() {
    const procs = this.members();
    let rssKb = 0;
    for (const p of procs) {
      const c = this.cpu.get(p.pid);
      if (c) c.last = p.cpuMs;
      else this.cpu.set(p.pid, { base: 0, last: p.cpuMs });
      rssKb += Number(read(`/proc/${p.pid}/statm`)?.split(' ')[1] ?? 0) * PAGE_KB;
    }
    const rssMb = rssKb / 1024;
    const newPeak = rssMb > this.pssReadAtRssMb * 1.02;
    this.peakRssMb = Math.max(this.peakRssMb, rssMb);
    const now = performance.now();
    if (this.pssEveryMs > 0 && newPeak && now - this.lastPss >= this.pssEveryMs) {
      this.lastPss = now;
      this.pssReadAtRssMb = rssMb;
      let pssKb = 0;
      let ownKb = 0;
      for (const p of procs) {
        const rollup = read(`/proc/${p.pid}/smaps_rollup`) ?? '';
        const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(rollup)?.[1] ?? 0);
        pssKb += kb('Pss');
        ownKb += kb('Pss_Anon') + kb('Pss_Shmem');
      }
      this.peakPssMb = Math.max(this.peakPssMb, pssKb / 1024);
      this.peakOwnPssMb = Math.max(this.peakOwnPssMb, ownKb / 1024);
    }
  }
}
