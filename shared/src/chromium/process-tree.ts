import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

/**
 * Linux process inspection through /proc: who listens on a port, a process's group and children,
 * and killing a whole tree. Used to end browsers that would not end when asked.
 */

/** Alive means running: a zombie waiting for a reaper that may never come (PID 1 in a container) is gone. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Every pid in /proc. */
export function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

function readProc(pid: number, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Live processes whose command line mentions `needle`, e.g. a Chromium's user-data-dir. */
export function livePidsMentioning(needle: string): number[] {
  return allPids().filter((pid) => (readProc(pid, 'cmdline') ?? '').includes(needle) && isAlive(pid));
}

/** Fields after the command name in /proc/<pid>/stat: [state, ppid, pgrp, ...]. */
function statFields(pid: number): string[] | undefined {
  const stat = readProc(pid, 'stat');
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export function parentOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[1]) : undefined;
}

export function processGroupOf(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[2]) : undefined;
}

/** `pid` and all its descendants, parents first. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of allPids()) {
    const parent = parentOf(p);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    tree.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return tree;
}

/** Socket inodes listening (TCP state 0A) on `port`, from /proc/net/tcp and tcp6. */
export function listeningSocketInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols: sl local_address rem_address st tx:rx tr:tm retrnsmt uid timeout inode
      if (cols.length < 10 || cols[3] !== '0A') continue;
      const localPort = Number.parseInt(cols[1]!.split(':')[1] ?? '', 16);
      if (localPort === port) inodes.add(cols[9]!);
    }
  }
  return inodes;
}

/** The processes holding a socket that listens on `port` (only those this user may inspect). */
export function pidsListeningOn(port: number): number[] {
  const inodes = listeningSocketInodes(port);
  if (inodes.size === 0) return [];
  return allPids().filter((pid) => {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      return false;
    }
    return fds.some((fd) => {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        return m !== null && inodes.has(m[1]!);
      } catch {
        return false;
      }
    });
  });
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Sends a signal to the whole process group; Chromium's renderers and zygote live there too. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  signal(-pid, sig);
}

/**
 * SIGKILLs `pid` with everything it started: its process group when it leads one of its own
 * (never ours), else its tree of descendants. Returns the pids that were signalled.
 */
export function killProcessTree(pid: number): number[] {
  const tree = processTree(pid);
  const group = processGroupOf(pid);
  const ours = processGroupOf(process.pid);
  if (group !== undefined && group === pid && group !== ours) signalGroup(group, 'SIGKILL');
  for (const p of tree) if (p !== process.pid) signal(p, 'SIGKILL');
  return tree;
}

/** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux userspace. */
const CLOCK_TICKS_PER_SECOND = 100;

/** When the process started (epoch ms, to ~10 ms), from its stat start time and /proc/uptime. */
export function processStartedAt(pid: number, now = Date.now()): number | undefined {
  const f = statFields(pid);
  let uptime: number;
  try {
    uptime = Number.parseFloat(readFileSync('/proc/uptime', 'utf8'));
  } catch {
    return undefined;
  }
  if (!f || !Number.isFinite(uptime)) return undefined;
  // Field 22 of stat is starttime; statFields starts at field 3 (state).
  const startTicks = Number(f[19]);
  return now - (uptime - startTicks / CLOCK_TICKS_PER_SECOND) * 1000;
}
