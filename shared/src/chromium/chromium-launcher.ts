import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signalGroup } from './process-tree.js';

/** What the launcher logs to; a winston logger or x-sim's logger fit. */
export interface ChromiumLogger {
  debug(msg: string, meta?: object): void;
  error(msg: string, meta?: object): void;
}

export interface LaunchOptions {
  chromiumPath: string;
  /** How long Chromium may take to print its DevTools endpoint. */
  timeoutMs: number;
  logger: ChromiumLogger;
  /** A persistent profile directory, kept after close. @defaultValue a fresh temporary one, removed after close */
  userDataDir?: string;
}

export interface LaunchedChromium {
  pid: number;
  wsUrl: string;
  userDataDir: string;
  /** Its own TMPDIR, removed with it: Chromium leaves its singleton socket directory there when it is killed. */
  tmpDir: string;
  /** Resolves once the process has exited, its whole group is gone and the directories that go with it (`ownDirs`) are removed. */
  closed: Promise<void>;
  /** Whether the user-data-dir is a temporary one that goes with the browser. */
  temporary: boolean;
}

const DEVTOOLS_LINE = /DevTools listening on (ws:\/\/\S+)/;
const USER_DATA_PREFIX = 'xauth-chromium-';
const TMP_PREFIX = 'xauth-chromium-tmp-';

/** The directories removed with a browser: its TMPDIR, and its user-data-dir when that is a temporary one. */
const ownDirs = (c: Pick<LaunchedChromium, 'tmpDir' | 'userDataDir' | 'temporary'>): string[] => [c.tmpDir, ...(c.temporary ? [c.userDataDir] : [])];

const chromiumArgs = (userDataDir: string): string[] => [
  '--headless=new',
  '--remote-debugging-port=0',
  '--remote-debugging-address=127.0.0.1',
  `--user-data-dir=${userDataDir}`,
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
  '--no-default-browser-check',
  '--disable-dev-shm-usage',
  'about:blank',
];

/**
 * Starts Chromium (headless, remote debugging on a free port) in its own process group and waits
 * for its DevTools endpoint.
 */
export async function launchChromium(opts: LaunchOptions): Promise<LaunchedChromium> {
  const { chromiumPath, timeoutMs, logger } = opts;
  const temporary = opts.userDataDir === undefined;
  const userDataDir = opts.userDataDir ?? (await mkdtemp(join(tmpdir(), USER_DATA_PREFIX)));
  // Chromium makes /tmp/org.chromium.Chromium.* for its singleton socket and leaves it behind when it
  // is killed: one per browser, thousands a day. Its own TMPDIR goes with it.
  const tmpDir = await mkdtemp(join(tmpdir(), TMP_PREFIX));
  const child = spawn(chromiumPath, chromiumArgs(userDataDir), {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, TMPDIR: tmpDir },
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // A failed spawn has no pid and may never emit 'exit'.
    child.on('error', (err) => {
      logger.error('chromium process error', { pid: child.pid, err: err.message });
      if (child.pid === undefined) resolve();
    });
  });
  const closed = exited.then(async () => {
    // The browser process is gone, but orphaned children of its group may not be.
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    await Promise.all(ownDirs({ tmpDir, userDataDir, temporary }).map((dir) => rm(dir, { recursive: true, force: true, maxRetries: 3 })));
  });
  try {
    const wsUrl = await waitForDevTools(child, timeoutMs);
    logger.debug('chromium started', { pid: child.pid, wsUrl });
    return { pid: child.pid as number, wsUrl, userDataDir, tmpDir, closed, temporary };
  } catch (err) {
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
    await closed;
    throw err;
  }
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when everything of this Chromium is gone. */
export async function killChromium(chromium: LaunchedChromium, graceMs: number): Promise<void> {
  signalGroup(chromium.pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      signalGroup(chromium.pid, 'SIGKILL');
      resolve();
    }, graceMs);
  });
  await Promise.race([chromium.closed, forced]);
  clearTimeout(timer);
  await chromium.closed;
}

/** For process exit, where nothing asynchronous runs any more. */
export function killChromiumSync(chromium: LaunchedChromium): void {
  signalGroup(chromium.pid, 'SIGKILL');
  for (const dir of ownDirs(chromium)) rmSync(dir, { recursive: true, force: true });
}

function waitForDevTools(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const stderr = child.stderr!;
    const timer = setTimeout(() => fail(new Error(`chromium printed no DevTools endpoint within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      // Keep only a tail: the line may straddle chunks, and the rest of stderr is noise.
      seen = (seen + chunk.toString('utf8')).slice(-4096);
      const match = DEVTOOLS_LINE.exec(seen);
      if (match) done(() => resolve(match[1]));
    };
    const onExit = (code: number | null, signal: string | null): void =>
      fail(new Error(`chromium exited before DevTools was up (code ${code}, signal ${signal}): ${seen.slice(-500)}`));
    const onError = (err: Error): void => fail(err);
    const done = (settle: () => void): void => {
      clearTimeout(timer);
      stderr.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Drain the rest so a full pipe never blocks Chromium.
      stderr.resume();
      settle();
    };
    const fail = (err: Error): void => done(() => reject(err));
    stderr.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
