import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { allPids, isAlive } from './process-tree.js';

/** Environment variable that tags every process a test run starts (children inherit it). */
export const TEST_RUN_ENV = 'XAUTH_TEST_RUN';

function readProc(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Counts the live Chromium processes (`/proc/<pid>/cmdline` mentions chromium) this test process
 * and its children started: they carry this run's `XAUTH_TEST_RUN` in their environment, so
 * Chromiums of other test runs on the same machine are not counted.
 */
export class ChromiumCensus {
  readonly marker: string;

  constructor() {
    process.env[TEST_RUN_ENV] ??= `run-${randomUUID()}`;
    this.marker = process.env[TEST_RUN_ENV]!;
  }

  /** Environment to hand to child processes a test starts itself. */
  get env(): Record<string, string> {
    return { [TEST_RUN_ENV]: this.marker };
  }

  pids(): number[] {
    const tag = `${TEST_RUN_ENV}=${this.marker}\0`;
    return allPids().filter(
      (pid) => pid !== process.pid && /chromium/i.test(readProc(pid, 'cmdline')) && readProc(pid, 'environ').includes(tag) && isAlive(pid),
    );
  }

  /** Waits until no Chromium is alive that was not in `before`; resolves with those left when the time is up. */
  async leftSince(before: number[], timeoutMs = 10_000): Promise<number[]> {
    const known = new Set(before);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const left = this.pids().filter((p) => !known.has(p));
      if (left.length === 0 || Date.now() > deadline) return left;
      await sleep(100);
    }
  }
}
