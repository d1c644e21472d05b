import type { RequestHandler } from 'express';
import { MemoryStore, rateLimit, type AugmentedRequest } from 'express-rate-limit';
import { ErrorCodes } from '@xauth/contracts';
import { AppError, type Metrics } from '@xauth/shared';

export interface ClientRateLimit {
  middleware: RequestHandler;
  stop(): void;
}

/**
 * `limitPerMinute` requests per authenticated client (fixed one-minute window). The counts live in
 * this replica's memory, so N replicas allow up to N times the limit.
 */
export function clientRateLimit(limitPerMinute: number, metrics: Metrics): ClientRateLimit {
  const limited = metrics.counter('xauth_gateway_rate_limited_total', 'Requests refused by the per-client rate limit');
  const store = new MemoryStore();
  const middleware = rateLimit({
    windowMs: 60_000,
    limit: limitPerMinute,
    store,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Runs after authentication, so the client id is always there; never keyed by IP.
    keyGenerator: (req) => `client:${req.principal?.clientId ?? '-'}`,
    handler: (req, _res, next) => {
      limited.inc();
      const resetAt = (req as AugmentedRequest).rateLimit?.resetTime?.getTime() ?? Date.now() + 60_000;
      next(new AppError({
        code: ErrorCodes.RATE_LIMITED,
        message: `rate limit of ${limitPerMinute} requests per minute exceeded`,
        httpStatus: 429,
        retryable: true,
        retryAfterMs: Math.max(1_000, resetAt - Date.now()),
      }));
    },
  });
  return { middleware, stop: () => store.shutdown() };
}
