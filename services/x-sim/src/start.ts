import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp } from './entry-points/http/http-app.js';
import { resolveOptions, type XSimOptions } from './options.js';
import { SimState } from './sim-state.js';

export interface XSim {
  /** Base URL of X web, X API and GoLogin API alike, e.g. http://127.0.0.1:43123 */
  url: string;
  state: SimState;
  /** Closes the server and ends every Chromium it started; nothing outlives it. */
  stop(): Promise<void>;
}

/** Starts the simulator and resolves once it listens. */
export async function startXSim(opts: XSimOptions = {}): Promise<XSim> {
  const options = resolveOptions(opts);
  let url = '';
  const state = new SimState(options, () => new URL(url).hostname);
  const server = createHttpApp(state).listen(options.port, options.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  url = baseUrl(server, options.host);
  // If the process goes down without stop(), its Chromiums must not become orphans.
  const onExit = (): void => state.browsers.killAllSync();
  process.once('exit', onExit);
  options.logger.info('x-sim listening', { url });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Chromium keeps connections alive; without this close() would wait for them.
      server.closeAllConnections();
      await Promise.all([closed, state.browsers.stopAll()]);
      process.off('exit', onExit);
      options.logger.info('x-sim stopped', { url });
    })();
    return stopping;
  };
  return { url, state, stop };
}

function baseUrl(server: Server, host: string): string {
  const { port } = server.address() as AddressInfo;
  // A wildcard bind is reached through loopback; cookies need a concrete host.
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
