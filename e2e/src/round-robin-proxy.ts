import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The response header naming which upstream (its index in `targets`) answered. */
export const SERVED_BY = 'x-served-by';

/**
 * An HTTP proxy handing each request to the next of its upstreams in turn, as a Kubernetes Service
 * or a load balancer in front of replicas does (per request, not per connection, so a client's
 * keep-alive does not pin it to one replica). It never retries: a request an upstream fails is
 * answered 502 once, so every request the test sends is answered exactly once.
 */
export class RoundRobinProxy {
  /** Requests each upstream got, by index. */
  readonly served: number[];
  private next = 0;

  private constructor(
    private readonly server: Server,
    readonly targets: readonly URL[],
  ) {
    this.served = targets.map(() => 0);
  }

  static async open(targets: readonly string[]): Promise<RoundRobinProxy> {
    if (!targets.length) throw new Error('a round-robin proxy needs an upstream');
    const server = createServer();
    const proxy = new RoundRobinProxy(
      server,
      targets.map((t) => new URL(t)),
    );
    server.on('request', (req, res) => proxy.forward(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const index = this.next++ % this.targets.length;
    const target = this.targets[index]!;
    this.served[index]!++;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { ...answer.headers, [SERVED_BY]: String(index) });
        answer.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (res.headersSent) res.destroy(err);
      else
        res
          .writeHead(502, { 'content-type': 'application/json', [SERVED_BY]: String(index) })
          .end(JSON.stringify({ code: 'BAD_GATEWAY', message: err.message }));
    });
    req.pipe(upstream);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
