import { existsSync, readFileSync, readdirSync } from 'node:fs';

/** Alive means running: a zombie waiting for a reaper that may never come (PID 1 in a container) is gone. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes whose command line mentions `needle`, e.g. a Chromium's user-data-dir. */
export function livePidsMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle) && isAlive(pid);
      } catch {
        return false;
      }
    });
}

/** Started Chromiums of one suite; `assertAllGone` proves none outlived the simulator. */
export class ChromiumTracker {
  private readonly started: Array<{ pid: number; userDataDir: string }> = [];

  track(entry: { pid: number; userDataDir: string }): void {
    this.started.push(entry);
  }

  leftovers(): string[] {
    return this.started.flatMap(({ pid, userDataDir }) => [
      ...(isAlive(pid) ? [`pid ${pid} alive`] : []),
      ...livePidsMentioning(userDataDir).map((p) => `process ${p} of ${userDataDir} alive`),
      ...(existsSync(userDataDir) ? [`${userDataDir} still exists`] : []),
    ]);
  }

  get count(): number {
    return this.started.length;
  }
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
