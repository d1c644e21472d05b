import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, killProcessTree, pidsListeningOn, processStartedAt } from '@xauth/shared/chromium';

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const POLL_MS = 50;
/** A killed process is gone within moments; past this something else is wrong and we stop waiting. */
const DEATH_WAIT_MS = 5_000;
/** Start times come from /proc in clock ticks: allow for their rounding. */
const START_TIME_SLACK_MS = 50;

/** The DevTools port of a browser on this host, or undefined for a remote one. */
export function localDebuggingPort(wsUrl: string): number | undefined {
  return localDevTools(wsUrl)?.port;
}

/** Whether a URL's hostname names this host (a browser there runs beside the worker). */
export const isLocalHost = (hostname: string): boolean => LOCAL_HOSTS.has(hostname);

function localDevTools(wsUrl: string): { host: string; port: number } | undefined {
  let url: URL;
  try {
    url = new URL(wsUrl);
  } catch {
    return undefined;
  }
  if (!LOCAL_HOSTS.has(url.hostname)) return undefined;
  const port = Number(url.port);
  return port > 0 ? { host: url.hostname.replace(/^\[|\]$/g, ''), port } : undefined;
}

/**
 * Ends the browser that serves `wsUrl` when it runs on this host and is still up after `graceMs`:
 * finds the process listening on the DevTools port (/proc/net/tcp inode -> /proc/<pid>/fd) and
 * kills its process group or tree. Only a process that started before `startedBefore` counts, so
 * a newer browser that got the same port after ours ended is never touched. Returns how many
 * browsers it killed.
 */
export async function reapBrowserAt(wsUrl: string, graceMs: number, startedBefore = Date.now()): Promise<number> {
  const devTools = localDevTools(wsUrl);
  if (!devTools) return 0;
  const { host, port } = devTools;
  // Whether the port still listens is asked with a connection, not /proc/net/tcp: reading that table
  // blocks the event loop for tens of ms on a busy host, and every close asks at least once. /proc
  // then names the process listening (none: nothing to kill).
  const deadline = Date.now() + graceMs;
  let listening = await accepts(host, port);
  while (listening && Date.now() < deadline) {
    await sleep(POLL_MS);
    listening = await accepts(host, port);
  }
  if (!listening) return 0;
  const ours = pidsListeningOn(port).filter((pid) => pid !== process.pid && (processStartedAt(pid) ?? Infinity) <= startedBefore + START_TIME_SLACK_MS);
  const killed = ours.flatMap((pid) => killProcessTree(pid));
  const until = Date.now() + DEATH_WAIT_MS;
  while (killed.some(isAlive) && Date.now() < until) await sleep(POLL_MS);
  return ours.length;
}

/** Whether something accepts connections on host:port; a connection that neither opens nor fails in time counts as yes (then /proc decides). */
function accepts(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (yes: boolean) => {
      socket.destroy();
      resolve(yes);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(timeoutMs, () => done(true));
  });
}
