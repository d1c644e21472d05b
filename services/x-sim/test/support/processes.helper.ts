import { existsSync } from 'node:fs';
import { isAlive, livePidsMentioning } from '@xauth/shared/chromium';

export { isAlive, livePidsMentioning };

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
