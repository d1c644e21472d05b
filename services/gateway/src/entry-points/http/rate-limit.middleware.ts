import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ErrorCodes } from '@xauth/contracts';
import { AppError, type Metrics } from '@xauth/shared';

export interface ClientRateLimit {
  middleware: RequestHandler;
  stop(): void;
}

const WINDOW_MS = 60_000;

/**
 * `limitPerMinute` requests per authenticated client (fixed one-minute window). The counts live in
 * this replica's memory, so N replicas allow up to N times the limit. Every /v1 request passes
 * here, so it is one synchronous map look-up (no promise, no hashing per request); answers carry
 * the IETF draft-8 `RateLimit` and `RateLimit-Policy` headers, and a refusal `Retry-After`.
 */
export function clientRateLimit(limitPerMinute: number, metrics: Metrics, now: () => number = Date.now): ClientRateLimit {
  const limited = metrics.counter('xauth_gateway_rate_limited_total', 'Requests refused by the per-client rate limit');
  const windows = new Map<string, { count: number; resetAt: number; partitionKey: string }>();
  const name = `"${limitPerMinute}-in-${WINDOW_MS / 1000}sec"`;
  // Windows of clients that went quiet are dropped, so the map holds the clients of the last minute or two.
  const sweeper = setInterval(() => {
    const t = now();
    for (const [key, w] of windows) if (w.resetAt <= t) windows.delete(key);
  }, WINDOW_MS);
  sweeper.unref();

  const middleware: RequestHandler = (req, res, next) => {
    // Runs after authentication, so the client id is always there; never keyed by IP.
    const key = `client:${req.principal?.clientId ?? '-'}`;
    const t = now();
    let w = windows.get(key);
    if (!w || w.resetAt <= t) {
      w = { count: 0, resetAt: t + WINDOW_MS, partitionKey: w?.partitionKey ?? partitionKey(key) };
      windows.set(key, w);
    }
    w.count++;
    res.setHeader('RateLimit', `${name}; r=${Math.max(limitPerMinute - w.count, 0)}; t=${Math.ceil((w.resetAt - t) / 1000)}`);
    res.setHeader('RateLimit-Policy', `${name}; q=${limitPerMinute}; w=${WINDOW_MS / 1000}; pk=:${w.partitionKey}:`);
    if (w.count <= limitPerMinute) return next();
    limited.inc();
    next(new AppError({
      code: ErrorCodes.RATE_LIMITED,
      message: `rate limit of ${limitPerMinute} requests per minute exceeded`,
      httpStatus: 429,
      retryable: true,
      retryAfterMs: Math.max(1_000, w.resetAt - t),
    }));
  };
  return { middleware, stop: () => clearInterval(sweeper) };
}

/** The draft's partition key: names the client's bucket without naming the client. */
function partitionKey(key: string): string {
  return Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
}
