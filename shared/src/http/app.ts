import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type ErrorRequestHandler, type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { ErrorCodes } from '@xauth/contracts';
import { constantTimeEqual } from '../crypto.js';
import { internalTokenValues } from '../internal-tokens.js';
import { AppError, errorMessage } from '../errors.js';
import { withLogContext, type Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { startServerSpan } from '../tracing.js';

/** A named dependency check for `/ready`. */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  metrics: Metrics;
  readiness?: Record<string, ReadinessCheck>;
  /** What `/ready` also shows without deciding readiness (e.g. circuit breakers: an open one does not make the service unready). */
  readinessDetails?: () => Promise<Record<string, unknown>>;
  /** Largest accepted body. @defaultValue '64kb' */
  bodyLimit?: string;
  /**
   * False on a public port: `/ready` answers only `{status}` and `/metrics` is not served there
   * (serve them with `createOpsApp` on an internal port instead). @defaultValue true
   */
  internalEndpoints?: boolean;
  /** Runs on every request before any route, `/health` and `/ready` included (e.g. security headers). */
  everyResponse?: RequestHandler;
}

declare module 'express-serve-static-core' {
  interface Request {
    requestId: string;
  }
}

/** An express app with request ids, JSON/form bodies, RED metrics, `/health`, `/ready`, `/metrics`. Mount routes, then call `finishHttpApp`. */
export function createHttpApp(opts: HttpAppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: these are API answers (tokens are no-store), and hashing every body costs on the hot path.
  app.set('etag', false);
  app.set('trust proxy', 'loopback');
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = req.get('x-request-id');
    req.requestId = incoming && /^[A-Za-z0-9._:-]{1,100}$/.test(incoming) ? incoming : randomUUID();
    res.setHeader('x-request-id', req.requestId);
    const stop = opts.metrics.httpRequests.startTimer({ method: req.method });
    const span = startServerSpan(req.method, req.path, req.headers);
    res.on('finish', () => {
      const routePath = (req.route as { path?: string | RegExp } | undefined)?.path;
      const route = routePath ? `${req.baseUrl}${String(routePath)}` : undefined;
      stop({ route: route ?? 'unmatched', status: String(res.statusCode) });
      span.end(route, res.statusCode);
    });
    span.run(() => withLogContext({ requestId: req.requestId, correlationId: req.get('x-correlation-id') ?? req.requestId }, next));
  });
  if (opts.everyResponse) app.use(opts.everyResponse);
  app.use(express.json({ limit: opts.bodyLimit ?? '64kb' }));
  app.use(express.urlencoded({ extended: false, limit: opts.bodyLimit ?? '64kb' }));
  if (opts.internalEndpoints === false) {
    app.get('/health', (_req, res) => {
      res.json({ status: 'ok' });
    });
    app.get('/ready', async (_req, res) => {
      const { ready } = await readinessOf(opts);
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready' });
    });
    return app;
  }
  mountOpsRoutes(app, opts);
  return app;
}

/**
 * The operations app of a service whose main port is public (the gateway): `/health`, the detailed
 * `/ready` (each check, details) and `/metrics`, for probes and Prometheus on an internal port (METRICS_PORT).
 */
export function createOpsApp(opts: Pick<HttpAppOptions, 'service' | 'metrics' | 'readiness' | 'readinessDetails'>): Express {
  const app = express();
  app.disable('x-powered-by');
  mountOpsRoutes(app, opts);
  return app;
}

async function readinessOf(opts: Pick<HttpAppOptions, 'readiness'>): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
  const checks: Record<string, boolean> = {};
  for (const [name, check] of Object.entries(opts.readiness ?? {})) {
    try {
      checks[name] = await check();
    } catch {
      checks[name] = false;
    }
  }
  return { ready: Object.values(checks).every(Boolean), checks };
}

function mountOpsRoutes(app: Express, opts: Pick<HttpAppOptions, 'service' | 'metrics' | 'readiness' | 'readinessDetails'>): void {
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service: opts.service });
  });
  app.get('/ready', async (_req, res) => {
    const { ready, checks } = await readinessOf(opts);
    const details = opts.readinessDetails ? await opts.readinessDetails().catch((err: unknown) => ({ error: errorMessage(err) })) : undefined;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', service: opts.service, checks, ...(details ? { details } : {}) });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
}

/**
 * 401 unless the caller presents `Authorization: Bearer <token>` with one of `tokens`: guards a
 * service's internal routes, each with the secrets of the callers that route is for (one per pair,
 * see INTERNAL_TOKENS; a `new,previous` value accepts both during a rotation).
 */
export function requireInternalToken(...tokens: string[]): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const header = req.get('authorization') ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    // Every token is compared (no early exit), so timing does not tell which one matched.
    let matched = false;
    for (const token of tokens.flatMap(internalTokenValues)) matched = constantTimeEqual(presented, token) || matched;
    if (!presented || !matched) {
      return next(new AppError({ code: ErrorCodes.UNAUTHENTICATED, message: 'internal API token required', retryable: false, httpStatus: 401 }));
    }
    next();
  };
}

/** Adds the 404 and the one error handler: every error body is `{code, message, requestId, details?}`. */
export function finishHttpApp(app: Express, logger: Logger): Express {
  app.use((req: Request, res: Response) => {
    res.status(404).json({ code: ErrorCodes.NOT_FOUND, message: `no route for ${req.method} ${req.path}`, requestId: req.requestId });
  });
  const onError: ErrorRequestHandler = (err, req, res, _next) => {
    const body = toErrorBody(err);
    if (body.status >= 500) logger.error('request failed', { errorCode: body.code, error: errorMessage(err), path: req.path });
    if (err instanceof AppError && err.retryAfterMs) res.setHeader('retry-after', String(Math.ceil(err.retryAfterMs / 1000)));
    res
      .status(body.status)
      .json({ code: body.code, message: body.message, requestId: req.requestId, ...(body.details === undefined ? {} : { details: body.details }) });
  };
  app.use(onError);
  return app;
}

/** An error as the status, code and message (and details) an error answer carries. */
export function toErrorBody(err: unknown): { status: number; code: string; message: string; details?: unknown } {
  if (err instanceof AppError) return { status: err.httpStatus, code: err.code, message: err.message, details: err.details };
  const e = err as { type?: string; status?: number };
  if (e?.type === 'entity.too.large') return { status: 413, code: ErrorCodes.PAYLOAD_TOO_LARGE, message: 'request body too large' };
  if (e?.type === 'entity.parse.failed') return { status: 400, code: ErrorCodes.VALIDATION_FAILED, message: 'request body is not valid JSON' };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500)
    return { status: e.status, code: ErrorCodes.VALIDATION_FAILED, message: errorMessage(err) };
  return { status: 500, code: ErrorCodes.INTERNAL, message: 'internal error' };
}

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** Listens and resolves with the bound URL; `close` ends idle keep-alive sockets so shutdown is prompt. */
export async function listen(app: Express, host: string, port: number): Promise<RunningServer> {
  const server = app.listen(port, host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  server.keepAliveTimeout = 5_000;
  const addr = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
}
