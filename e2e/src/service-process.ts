import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TEST_RUN_ENV } from '@xauth/shared/chromium';

const require = createRequire(import.meta.url);

/**
 * A service run as its own process (its built `main`), as in production: a test can kill it with
 * any signal and watch how the rest of xauth copes.
 */
export class ServiceProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  url?: string;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    this.exited = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const parts = (rest + chunk.toString('utf8')).split('\n');
        rest = parts.pop() ?? '';
        this.lines.push(...parts.filter(Boolean));
      });
    }
  }

  /**
   * Starts `@xauth/<service>`'s main with `env` and resolves once it logs that it is ready.
   * `nodeArgs` go before the main (a benchmark's `--cpu-prof`, say).
   */
  static async start(
    service: string,
    env: Record<string, string>,
    timeoutMs = 60_000,
    nodeArgs: readonly string[] = ['--enable-source-maps'],
  ): Promise<ServiceProcess> {
    const main = join(dirname(require.resolve(`@xauth/${service}`)), 'main.js');
    // A test run's tag goes along, so a census of the run's Chromiums sees this service's too.
    const tag = process.env[TEST_RUN_ENV] ? { [TEST_RUN_ENV]: process.env[TEST_RUN_ENV] } : {};
    const child = spawn(process.execPath, [...nodeArgs, main], { env: { PATH: process.env.PATH, ...tag, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    endWithThisProcess(child);
    const proc = new ServiceProcess(service, child);
    const deadline = Date.now() + timeoutMs;
    while (!proc.url) {
      // "<service> ready" with its url (the gateway also logs "JWT signing key ready", without one).
      const ready = proc.lines.map(parse).find((l) => typeof l?.message === 'string' && l.message.endsWith(' ready') && typeof l.url === 'string');
      if (ready) proc.url = String(ready.url);
      else if (child.exitCode !== null) throw new Error(`${service} exited with ${child.exitCode} before it was ready:\n${proc.lines.slice(-20).join('\n')}`);
      else if (Date.now() > deadline) throw new Error(`${service} not ready within ${timeoutMs} ms:\n${proc.lines.slice(-20).join('\n')}`);
      else await new Promise((r) => setTimeout(r, 50));
    }
    return proc;
  }

  /** Sends `signal` and waits for the process to end. */
  async kill(signal: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }

  /** Log lines (parsed JSON) whose message matches. */
  logged(message: string | RegExp): Array<Record<string, unknown>> {
    return this.lines
      .map(parse)
      .filter((l): l is Record<string, unknown> => !!l && (typeof message === 'string' ? l.message === message : message.test(String(l.message))));
  }
}

/**
 * A service must not outlive what started it: a benchmark or test that crashes (an unhandled
 * 'error' event, say) would leave it holding its port, its broker connections and, for x-sim, its
 * Chromiums. On the way out, each one still running is told to stop (SIGTERM: it drains and exits).
 */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of running) c.kill('SIGTERM');
});
// Told to stop (SIGTERM, as `kill` sends by default), Node would end without 'exit': exit instead, which passes it on.
process.once('SIGTERM', () => process.exit(143));

function endWithThisProcess(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

function parse(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
