import { createHash } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { ErrorCodes } from '@xauth/contracts';
import { AppError, type Metrics } from '@xauth/shared';

export interface ClientRateLimit {
  middleware: RequestHandler;
  stop(): void;
}

const WINDOW_MS = 60_000;

/**
 * Fixed one-minute windows of `limitPerMinute` hits per key, in this replica's memory (N replicas
 * allow up to N times the limit). A hit is one synchronous map look-up; windows of keys that went
 * quiet are swept every minute.
 */
export class FixedWindows {
  private readonly windows = new Map<string, { count: number; resetAt: number; partitionKey: string }>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly name: string;

  constructor(
    readonly limitPerMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.name = `"${limitPerMinute}-in-${WINDOW_MS / 1000}sec"`;
    this.sweeper = setInterval(() => {
      const t = this.now();
      for (const [key, w] of this.windows) if (w.resetAt <= t) this.windows.delete(key);
    }, WINDOW_MS);
    this.sweeper.unref();
  }

  /**
   * Counts a hit of `key`, sets the IETF draft-8 `RateLimit` and `RateLimit-Policy` headers, and
   * answers the 429 to pass on when the key is over its limit (with `Retry-After`).
   */
  hit(key: string, res: Response): AppError | undefined {
    const t = this.now();
    let w = this.windows.get(key);
    if (!w || w.resetAt <= t) {
      w = { count: 0, resetAt: t + WINDOW_MS, partitionKey: w?.partitionKey ?? partitionKey(key) };
      this.windows.set(key, w);
    }
    w.count++;
    res.setHeader('RateLimit', `${this.name}; r=${Math.max(this.limitPerMinute - w.count, 0)}; t=${Math.ceil((w.resetAt - t) / 1000)}`);
    res.setHeader('RateLimit-Policy', `${this.name}; q=${this.limitPerMinute}; w=${WINDOW_MS / 1000}; pk=:${w.partitionKey}:`);
    if (w.count <= this.limitPerMinute) return undefined;
    return new AppError({
      code: ErrorCodes.RATE_LIMITED,
      message: `rate limit of ${this.limitPerMinute} requests per minute exceeded`,
      httpStatus: 429,
      retryable: true,
      retryAfterMs: Math.max(1_000, w.resetAt - t),
    });
  }

  stop(): void {
    clearInterval(this.sweeper);
  }
}

/** `limitPerMinute` requests per authenticated client on /v1: runs after authentication, so never keyed by IP. */
export function clientRateLimit(limitPerMinute: number, metrics: Metrics, now: () => number = Date.now): ClientRateLimit {
  const limited = metrics.counter('xauth_gateway_rate_limited_total', 'Requests refused by the per-client rate limit');
  const windows = new FixedWindows(limitPerMinute, now);
  const middleware: RequestHandler = (req, res, next) => {
    const refused = windows.hit(`client:${req.principal?.clientId ?? '-'}`, res);
    if (!refused) return next();
    limited.inc();
    next(refused);
  };
  return { middleware, stop: () => windows.stop() };
}

/** The draft's partition key: names the bucket without naming the client. */
function partitionKey(key: string): string {
  return Buffer.from(createHash('sha256').update(key).digest('hex').slice(0, 12)).toString('base64');
}
